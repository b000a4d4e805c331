//! Unit tests of drills in the core: the dwell ends at a deadline, also
//! after a restore; the failback happens or the drill is aborted with why.

use super::*;

fn drill(simulate_fault: bool, dwell_secs: u64) -> Command {
    Command::Drill {
        id: "drill-checkout-1".into(),
        to: "standby".into(),
        simulate_fault,
        dwell_secs,
    }
}

fn drill_changes(out: &[Action]) -> Vec<Change> {
    changes(out)
        .into_iter()
        .filter(|c| !matches!(c, Change::FlippedForDamping { .. }))
        .collect()
}

#[test]
fn a_planned_drill_flips_then_fails_back_at_the_dwell_deadline() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.cmd(10, drill(false, 600));
    assert!(journaled(&out, EntryKind::DrillStarted));
    let started = h.c.status().drill.expect("a drill");
    // The dwell counts after the drill's own drain of the 300 s TTL.
    assert_eq!(
        (started.home.as_str(), started.dwell_until),
        ("primary", wall(910))
    );
    assert_eq!(ttls(&out), vec![30], "planned: lower the TTL first");
    h.ev(11, Event::TtlApplied { ttl: 30 });
    let out = h.ev(311, Event::Tick);
    assert_eq!(flips(&out)[0].1, "standby");
    h.ev(312, flipped("standby"));
    assert_eq!(h.c.next_deadline(), Some(h.at(910)));
    let out = h.ev(910, Event::Tick);
    let ended = drill_changes(&out);
    assert!(
        matches!(&ended[..], [Change::DrillEnded { aborted: false, .. }]),
        "{ended:?}"
    );
    assert_eq!(h.c.status().moving_to.as_deref(), Some("primary"));
    assert_eq!(h.c.status().drill, None);
}

#[test]
fn a_simulated_fault_is_down_until_the_dwell_ends_then_judged_again() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.cmd(10, drill(true, 300));
    assert_eq!(h.c.simulated_down(), Some("primary"));
    assert_eq!(flips(&out)[0].1, "standby", "the simulated fault flips");
    h.ev(11, flipped("standby"));
    // Probes still say the primary is up: it stays down for the drill.
    assert!(flips(&h.health(20, "primary", PoolHealth::Up)).is_empty());
    let out = h.ev(310, Event::Tick);
    assert_eq!(drill_changes(&out), vec![Change::DrillFaultLifted]);
    assert_eq!(h.c.simulated_down(), None);
    assert!(
        flips(&out).is_empty(),
        "decided only after the pool is judged again"
    );
    let out = h.ev(310, Event::Tick);
    assert!(matches!(
        &drill_changes(&out)[..],
        [Change::DrillEnded { aborted: false, .. }]
    ));
    assert_eq!(h.c.status().moving_to.as_deref(), Some("primary"));
}

#[test]
fn a_restart_during_the_dwell_fails_back_at_the_deadline() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let mut all = changes(&h.cmd(
        10,
        Command::Failover {
            to: "standby".into(),
            planned: false,
            force: false,
        },
    ));
    all.extend(changes(&h.ev(11, flipped("standby"))));
    // The operator's incident ends with its propagation watch.
    all.extend(changes(&h.ev(12, Event::WatchEnded)));
    all.extend(changes(&h.cmd(
        20,
        Command::Drill {
            id: "d".into(),
            to: "dr".into(),
            simulate_fault: false,
            dwell_secs: 600,
        },
    )));
    h.ev(21, Event::TtlApplied { ttl: 30 });
    all.extend(changes(&h.ev(321, Event::Tick)));
    all.extend(changes(&h.ev(322, flipped("dr"))));
    // A fresh controller, as after a restart, from the journaled changes.
    let mut r = Harness::bare(h.c.policy().clone());
    r.t0 = h.t0;
    r.ev(
        400,
        Event::Started {
            active: Some("dr".into()),
            ttl: 30,
            intent: None,
            wall: wall(400),
            restored: Box::new(Durable::replay(all)),
        },
    );
    assert_eq!(r.c.status().drill.map(|d| d.home), Some("standby".into()));
    // Health unknown yet: nothing is decided, no busy deadline. The dwell
    // ends 600 s after the drill's drain of the 300 s TTL.
    assert_eq!(r.c.next_deadline(), Some(r.at(920)));
    for p in pools() {
        r.health(401, &p, PoolHealth::Up);
    }
    assert!(flips(&r.ev(919, Event::Tick)).is_empty());
    let out = r.ev(920, Event::Tick);
    assert!(journaled(&out, EntryKind::DrillEnded));
    assert_eq!(r.c.status().moving_to.as_deref(), Some("standby"));
}

#[test]
fn a_restart_after_the_dwell_waits_for_health_then_aborts_when_home_is_down() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let mut all = changes(&h.cmd(10, drill(true, 60)));
    all.extend(changes(&h.ev(11, flipped("standby"))));
    let mut r = Harness::bare(h.c.policy().clone());
    r.t0 = h.t0;
    r.ev(
        1000,
        Event::Started {
            active: Some("standby".into()),
            ttl: 300,
            intent: None,
            wall: wall(1000),
            restored: Box::new(Durable::replay(all)),
        },
    );
    assert_eq!(
        r.c.simulated_down(),
        None,
        "lifted at once: the dwell passed"
    );
    assert_eq!(
        r.c.next_deadline(),
        None,
        "waits for the home pool's health"
    );
    r.health(1001, "standby", PoolHealth::Up);
    let out = r.health(1002, "primary", PoolHealth::Down);
    let ended = drill_changes(&out);
    assert!(
        matches!(&ended[..], [Change::DrillEnded { aborted: true, reason }] if reason.contains("primary is down")),
        "{ended:?}"
    );
    assert!(flips(&out).is_empty());
    assert!(alerts(&out)[0].contains("aborted"));
}

#[test]
fn a_second_drill_is_refused_while_one_is_under_way() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(10, drill(true, 300));
    assert!(refusal(&h.cmd(20, drill(false, 300))).is_some());
}

/// A dwell shorter than the drill's own drain (300 s of normal TTL to wait
/// out) used to end the drill while the outbound move still drained: "home
/// is active again", then the flip landed and the service stayed away.
/// Now the dwell counts after the drain, and the drill fails back.
#[test]
fn a_dwell_shorter_than_the_drain_fails_back_after_the_outbound_flip() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(10, drill(false, 60));
    h.ev(11, Event::TtlApplied { ttl: 30 });
    let out = h.ev(71, Event::Tick);
    assert!(
        drill_changes(&out).is_empty(),
        "ended while draining: {out:?}"
    );
    assert!(h.c.status().drill.is_some());
    let out = h.ev(311, Event::Tick);
    assert_eq!(flips(&out)[0].1, "standby");
    h.ev(312, flipped("standby"));
    assert_eq!(h.c.next_deadline(), Some(h.at(370)));
    let out = h.ev(370, Event::Tick);
    let ended = drill_changes(&out);
    assert!(
        matches!(&ended[..], [Change::DrillEnded { aborted: false, .. }]),
        "{ended:?}"
    );
    assert_eq!(h.c.status().moving_to.as_deref(), Some("primary"));
}
