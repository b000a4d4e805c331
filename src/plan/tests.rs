//! Plan tests: pure, no provider.

use std::time::Duration;

use rtoguard_provider_api::{Capabilities, CasMode, RecordSet, RecordType};

use super::*;
use crate::test_support::service;

fn plain() -> Capabilities {
    Capabilities {
        weighted: false,
        ttl_floor: 1,
        cas: CasMode::Native,
        served_here: false,
    }
}

fn served(values: &[&str], ttl: u32) -> Vec<RecordSet> {
    vec![RecordSet::new(
        "checkout.example.test.",
        RecordType::A,
        ttl,
        values,
    )]
}

#[test]
fn classifies_what_is_served() {
    let svc = service();
    assert_eq!(
        classify(&svc, &served(&["127.0.0.2"], 300)),
        Active::Pool("primary".into())
    );
    assert_eq!(
        classify(&svc, &served(&["127.0.0.3"], 300)),
        Active::Pool("standby".into())
    );
    assert_eq!(
        classify(&svc, &served(&["127.0.0.2", "127.0.0.3"], 300)),
        Active::Mixed(vec!["primary".into(), "standby".into()])
    );
    assert_eq!(classify(&svc, &served(&["192.0.2.99"], 300)), Active::None);
    assert_eq!(classify(&svc, &[]), Active::Empty);
}

#[test]
fn planned_move_lowers_drains_flips_and_restores() {
    let svc = service();
    let plan = build(
        Request {
            service: &svc,
            to: "standby",
            planned: true,
        },
        &plain(),
        &served(&["127.0.0.2"], 300),
    )
    .unwrap();
    let kinds: Vec<String> = plan
        .steps
        .iter()
        .map(|s| match s {
            Step::SetTtl { ttl, .. } => format!("ttl {ttl}"),
            Step::Drain { wait, .. } => format!("drain {}", wait.as_secs()),
            Step::Flip { change } => format!(
                "flip {} {}",
                change.desired()[0].values.join(","),
                change.desired()[0].ttl
            ),
            Step::Settle { wait } => format!("settle {}", wait.as_secs()),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "ttl 30",
            "drain 300",
            "flip 127.0.0.3 30",
            "settle 60",
            "ttl 300"
        ]
    );
    // Each step expects exactly what the previous one left.
    let Step::Flip { change } = &plan.steps[2] else {
        panic!()
    };
    assert_eq!(change.expected(), served(&["127.0.0.2"], 30));
}

#[test]
fn immediate_move_keeps_the_current_ttl() {
    let svc = service();
    let plan = build(
        Request {
            service: &svc,
            to: "standby",
            planned: false,
        },
        &plain(),
        &served(&["127.0.0.2"], 300),
    )
    .unwrap();
    assert_eq!(plan.steps.len(), 1);
    let plan = build(
        Request {
            service: &svc,
            to: "standby",
            planned: false,
        },
        &plain(),
        &served(&["127.0.0.2"], 30),
    )
    .unwrap();
    assert!(matches!(
        plan.steps.last(),
        Some(Step::SetTtl { ttl: 300, .. })
    ));
}

#[test]
fn nothing_to_do_when_already_there() {
    let svc = service();
    let plan = build(
        Request {
            service: &svc,
            to: "primary",
            planned: true,
        },
        &plain(),
        &served(&["127.0.0.2"], 300),
    )
    .unwrap();
    assert!(plan.is_empty(), "{plan}");
    assert!(plan.to_string().contains("nothing to do"));
}

#[test]
fn unknown_pool_names_the_valid_ones() {
    let svc = service();
    let err = build(
        Request {
            service: &svc,
            to: "mars",
            planned: false,
        },
        &plain(),
        &served(&["127.0.0.2"], 300),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "service checkout has no pool \"mars\"; its pools are: primary, standby"
    );
}

#[test]
fn a_pool_without_endpoints_is_refused_not_published() {
    let mut svc = service();
    svc.pools[1].endpoints.clear();
    svc.pools[1].values.clear();
    let err = build(
        Request {
            service: &svc,
            to: "standby",
            planned: false,
        },
        &plain(),
        &served(&["127.0.0.2"], 300),
    )
    .unwrap_err();
    assert!(err.to_string().contains("has no values"), "{err}");
}

#[test]
fn weighted_flip_moves_the_weight() {
    let svc = service();
    let caps = Capabilities {
        weighted: true,
        ttl_floor: 1,
        cas: CasMode::Native,
        served_here: false,
    };
    let cur = vec![
        RecordSet::new("checkout.example.test.", RecordType::A, 60, ["127.0.0.2"])
            .with_weight("primary", 100),
        RecordSet::new("checkout.example.test.", RecordType::A, 60, ["127.0.0.3"])
            .with_weight("standby", 0),
    ];
    let plan = build(
        Request {
            service: &svc,
            to: "standby",
            planned: false,
        },
        &caps,
        &cur,
    )
    .unwrap();
    let Step::Flip { change } = &plan.steps[0] else {
        panic!("{plan}")
    };
    let weights: Vec<_> = change
        .desired()
        .iter()
        .map(|s| (s.set_id.clone().unwrap(), s.weight.unwrap()))
        .collect();
    assert_eq!(
        weights,
        [("primary".to_string(), 0), ("standby".to_string(), 100)]
    );
    assert_eq!(
        classify(&svc, &change.desired()),
        Active::Pool("standby".into())
    );
    let _ = Duration::ZERO;
}
