//! The plan of an evacuation across services: properties over random
//! services (never onto a pool that is not up, never out of the last
//! healthy region, waves of at most `max_parallel`) and its text.

use proptest::prelude::*;

use crate::controller::PoolHealth;
use crate::controller::evacuation::{Candidate, PoolPlace, Step, plan};

const REGIONS: [&str; 3] = ["eu-west-1", "us-east-1", "ap-south-1"];

fn place(name: &str, region: &str, health: PoolHealth) -> PoolPlace {
    PoolPlace {
        name: name.into(),
        region: region.into(),
        health,
    }
}

fn service(name: &str, active: &str, pools: Vec<PoolPlace>) -> Candidate {
    Candidate {
        service: name.into(),
        active: Some(active.into()),
        pools,
    }
}

/// The three services: one already elsewhere, one whose standby
/// is unhealthy, one movable; and one with no pool in the region.
fn three() -> Vec<Candidate> {
    use PoolHealth::{Down, Up};
    let two = |s: PoolHealth| {
        vec![
            place("primary", "eu-west-1", Up),
            place("standby", "us-east-1", s),
        ]
    };
    vec![
        service("api", "standby", two(Up)),
        service("checkout", "primary", two(Down)),
        service("web", "primary", two(Up)),
        service(
            "search",
            "primary",
            vec![
                place("primary", "us-east-1", Up),
                place("standby", "ap-south-1", Up),
            ],
        ),
    ]
}

#[test]
fn the_plan_moves_the_movable_refuses_the_unhealthy_by_name_and_leaves_the_rest() {
    let p = plan("eu-west-1", &three(), 1);
    assert_eq!(p.refused(), ["checkout"]);
    assert_eq!(p.rows.len(), 3, "search has no pool in the region");
    insta::assert_snapshot!("evacuation_plan", p.to_string());
}

#[test]
fn moves_go_in_waves_of_max_parallel() {
    let many: Vec<Candidate> = (0..5)
        .map(|i| {
            service(
                &format!("svc{i}"),
                "primary",
                vec![
                    place("primary", "eu-west-1", PoolHealth::Up),
                    place("standby", "us-east-1", PoolHealth::Up),
                ],
            )
        })
        .collect();
    let p = plan("eu-west-1", &many, 2);
    assert_eq!(p.waves(), 3);
    assert_eq!(p.wave(1).count(), 2);
    assert_eq!(p.wave(3).count(), 1);
    insta::assert_snapshot!("evacuation_plan_waves", p.to_string());
}

#[test]
fn a_region_no_service_uses_says_so() {
    let p = plan("sa-east-1", &three(), 1);
    insta::assert_snapshot!("evacuation_plan_empty", p.to_string());
}

fn health() -> impl Strategy<Value = PoolHealth> {
    prop_oneof![
        Just(PoolHealth::Up),
        Just(PoolHealth::Down),
        Just(PoolHealth::Suspect),
        Just(PoolHealth::Unknown),
    ]
}

fn candidate(i: usize) -> impl Strategy<Value = Candidate> {
    (
        prop::collection::vec((0..REGIONS.len(), health()), 1..4),
        0..4usize,
    )
        .prop_map(move |(pools, active)| {
            let pools: Vec<PoolPlace> = pools
                .into_iter()
                .enumerate()
                .map(|(n, (r, h))| place(&format!("p{n}"), REGIONS[r], h))
                .collect();
            let active = pools.get(active).map(|p| p.name.clone());
            Candidate {
                service: format!("svc{i}"),
                active,
                pools,
            }
        })
}

fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
    (0..6usize).prop_flat_map(|n| (0..n).map(candidate).collect::<Vec<_>>())
}

proptest! {
    /// Never out of a service's last healthy region, never onto a pool
    /// that is not up, every service of the region has a row, and no wave
    /// holds more than `max_parallel` moves.
    #[test]
    fn never_evacuates_the_last_healthy_region(cs in candidates(), max in 1..4usize, r in 0..REGIONS.len()) {
        let region = REGIONS[r];
        let p = plan(region, &cs, max);
        let involved = cs.iter().filter(|c| c.pools.iter().any(|p| p.region == region)).count();
        prop_assert_eq!(p.rows.len(), involved);
        for row in &p.rows {
            let c = cs.iter().find(|c| c.service == row.service).unwrap();
            let pool = |n: &str| c.pools.iter().find(|p| p.name == n).unwrap();
            let up_outside = c.pools.iter().any(|p| p.region != region && p.health == PoolHealth::Up);
            match &row.step {
                Step::Move { from, to, .. } => {
                    prop_assert_eq!(pool(from).region.as_str(), region);
                    prop_assert!(pool(to).region != region && pool(to).health == PoolHealth::Up);
                }
                Step::Elsewhere { active } => prop_assert!(pool(active).region != region),
                Step::Refused { why } => {
                    let active_in = c.active.as_deref().is_none_or(|a| pool(a).region == region);
                    prop_assert!(active_in && (!up_outside || c.active.is_none()), "{}", why);
                }
            }
        }
        for w in 1..=p.waves() {
            prop_assert!(p.wave(w).count() <= max);
            prop_assert!(p.wave(w).count() >= 1);
        }
    }
}
