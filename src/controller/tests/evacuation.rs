//! Unit tests of one service's side of an evacuation: the move off the
//! region, the refusal that changes nothing, the region kept out of every
//! target choice, the end (by command, at its deadline) and the restart.

use super::*;
use crate::controller::durable::Evacuation;

/// primary in eu-west-1, standby in us-east-1, dr in ap-south-1.
fn regional(mut p: Policy) -> Policy {
    p.regions = vec!["eu-west-1".into(), "us-east-1".into(), "ap-south-1".into()];
    p
}

fn evacuate(region: &str, until: Option<u64>) -> Command {
    Command::Evacuate {
        id: "evac-1".into(),
        region: region.into(),
        by: "user:alice".into(),
        reason: "bad deploy".into(),
        until: until.map(wall),
        planned: false,
    }
}

fn end(region: &str) -> Command {
    Command::EndEvacuation {
        by: "user:alice".into(),
        region: region.into(),
    }
}

fn started_evacuation(out: &[Action]) -> Option<Evacuation> {
    changes(out).into_iter().find_map(|c| match c {
        Change::EvacuationStarted { evacuation } => Some(evacuation),
        _ => None,
    })
}

#[test]
fn evacuating_the_active_region_flips_to_the_first_up_pool_outside_it_and_journals_why() {
    let mut h = Harness::new(regional(Policy::with_defaults(pools())));
    let out = h.cmd(10, evacuate("eu-west-1", Some(7210)));
    assert_eq!(refusal(&out), None);
    let e = started_evacuation(&out).expect("journaled as a durable change");
    assert_eq!(
        (e.region.as_str(), e.until),
        ("eu-west-1", Some(wall(7210)))
    );
    assert_eq!(
        flips(&out),
        [(
            Some("primary".into()),
            "standby".into(),
            300,
            Reason::Manual
        )]
    );
    let d = details(&out, EntryKind::Evacuating);
    assert_eq!(
        d,
        ["evacuating region eu-west-1 (evac-1): moving to pool standby"]
    );
    assert!(h.c.status().evacuation.is_some());
}

#[test]
fn with_no_healthy_pool_outside_the_region_it_is_refused_and_nothing_changes() {
    let mut h = Harness::new(regional(Policy::with_defaults(pools())));
    h.health(5, "standby", PoolHealth::Down);
    h.health(5, "dr", PoolHealth::Suspect);
    let out = h.cmd(10, evacuate("eu-west-1", None));
    assert_eq!(
        refusal(&out).as_deref(),
        Some("region eu-west-1 is its last healthy region (standby is down, dr is suspect)")
    );
    assert!(flips(&out).is_empty() && changes(&out).is_empty());
    assert_eq!(h.c.status().evacuation, None);
}

#[test]
fn a_service_already_elsewhere_stays_and_is_kept_away() {
    let mut h = Harness::new(regional(Policy::with_defaults(pools())));
    h.cmd(
        1,
        Command::Failover {
            to: "standby".into(),
            planned: false,
            force: false,
        },
    );
    h.ev(2, flipped("standby"));
    let out = h.cmd(10, evacuate("eu-west-1", None));
    assert!(flips(&out).is_empty() && ttls(&out).is_empty());
    assert!(started_evacuation(&out).is_some());
    // The operator's failback to the evacuated region is refused, unless forced.
    let out = h.cmd(20, Command::Failback { planned: false });
    let why = refusal(&out).expect("refused");
    assert!(
        why.contains("region eu-west-1, which is being evacuated (evac-1)"),
        "{why}"
    );
    let forced = Command::Failover {
        to: "primary".into(),
        planned: false,
        force: true,
    };
    assert_eq!(flips(&h.cmd(21, forced)).len(), 1);
}

#[test]
fn automatic_failover_skips_the_evacuated_region() {
    let mut h = Harness::new(regional(Policy::with_defaults(pools())));
    h.cmd(10, evacuate("eu-west-1", None));
    h.ev(11, flipped("standby"));
    let out = h.health(500, "standby", PoolHealth::Down);
    assert_eq!(
        flips(&out),
        [(Some("standby".into()), "dr".into(), 300, Reason::ActiveDown)]
    );
}

#[test]
fn auto_failback_waits_for_the_end_then_follows_the_failback_rules() {
    let mut h = Harness::new(regional(auto_policy()));
    h.cmd(10, evacuate("eu-west-1", None));
    h.ev(11, flipped("standby"));
    // Primary has been up for far longer than stable_for: no failback while evacuating.
    let out = h.ev(2000, Event::Tick);
    assert!(flips(&out).is_empty() && ttls(&out).is_empty());
    let out = h.cmd(2010, end("eu-west-1"));
    assert!(changes(&out).contains(&Change::EvacuationEnded {
        by: Some("user:alice".into()),
        region: "eu-west-1".into(),
    }));
    // The failback is a planned move: the TTL is lowered first.
    assert_eq!(ttls(&out), [30]);
}

#[test]
fn manual_failback_stays_manual_after_the_end() {
    let mut h = Harness::new(regional(Policy::with_defaults(pools())));
    h.cmd(10, evacuate("eu-west-1", None));
    h.ev(11, flipped("standby"));
    let out = h.cmd(2010, end("eu-west-1"));
    assert!(flips(&out).is_empty() && ttls(&out).is_empty());
    assert_eq!(h.c.status().active.as_deref(), Some("standby"));
    let out = h.cmd(2020, end("eu-west-1"));
    assert!(refusal(&out).unwrap().contains("not being evacuated"));
}

#[test]
fn an_evacuation_with_an_end_lifts_itself_at_the_deadline() {
    let mut h = Harness::new(regional(auto_policy()));
    h.cmd(10, evacuate("eu-west-1", Some(3600)));
    h.ev(11, flipped("standby"));
    assert_eq!(h.c.next_deadline(), Some(h.at(3600)));
    let out = h.ev(3600, Event::Tick);
    assert!(changes(&out).contains(&Change::EvacuationEnded {
        by: None,
        region: "eu-west-1".into(),
    }));
    assert_eq!(ttls(&out), [30], "auto failback begins");
}

#[test]
fn a_restart_keeps_the_region_evacuated() {
    let mut h = Harness::new(regional(auto_policy()));
    let out = h.cmd(10, evacuate("eu-west-1", None));
    let mut journal = changes(&out);
    journal.extend(changes(&h.ev(11, flipped("standby"))));
    let mut r = Harness::bare(h.c.policy().clone());
    r.t0 = h.t0;
    let event = Event::Started {
        active: Some("standby".into()),
        ttl: 300,
        intent: None,
        wall: wall(1000),
        restored: Box::new(Durable::replay(journal)),
    };
    let out = r.ev(1000, event);
    assert!(details(&out, EntryKind::Restored)[0].contains("evacuating region eu-west-1 (evac-1)"));
    for p in pools() {
        r.health(1000, &p, PoolHealth::Up);
    }
    let out = r.ev(5000, Event::Tick);
    assert!(
        flips(&out).is_empty() && ttls(&out).is_empty(),
        "no failback into the region"
    );
}
