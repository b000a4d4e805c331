//! Unit tests for the automatic rules: suspect, failover, fail-static, damping, pinning.

use super::*;

#[test]
fn suspect_lowers_ttl_once_and_restores_after_quiet() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    assert_eq!(
        ttls(&h.health(10, "primary", PoolHealth::Suspect)),
        vec![30]
    );
    assert!(!h.ev(11, Event::TtlApplied { ttl: 30 }).is_empty());
    assert!(ttls(&h.health(20, "primary", PoolHealth::Suspect)).is_empty());
    assert!(ttls(&h.ev(21, Event::Tick)).is_empty(), "lowered once only");
    h.health(30, "primary", PoolHealth::Up);
    assert_eq!(h.c.next_deadline(), Some(h.at(30 + 600)));
    assert!(ttls(&h.ev(629, Event::Tick)).is_empty());
    assert_eq!(ttls(&h.ev(630, Event::Tick)), vec![300]);
    h.ev(631, Event::TtlApplied { ttl: 300 });
    assert_eq!(h.c.next_deadline(), None);
    assert_eq!(h.c.status().ttl, Some(300));
}

#[test]
fn suspect_again_restarts_the_quiet_period() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Suspect);
    h.ev(11, Event::TtlApplied { ttl: 30 });
    h.health(30, "primary", PoolHealth::Up);
    h.health(400, "primary", PoolHealth::Suspect);
    h.health(500, "primary", PoolHealth::Up);
    assert!(ttls(&h.ev(630, Event::Tick)).is_empty());
    assert_eq!(ttls(&h.ev(1100, Event::Tick)), vec![300]);
}

#[test]
fn down_flips_at_once_to_the_first_up_pool_with_normal_ttl() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.health(10, "primary", PoolHealth::Down);
    let want = (
        Some("primary".to_owned()),
        "standby".to_owned(),
        300,
        Reason::ActiveDown,
    );
    assert_eq!(flips(&out), vec![want]);
    let out = h.ev(11, flipped("standby"));
    assert!(out.contains(&Action::StartWatch {
        to: "standby".into(),
        old_ttl: 300
    }));
    assert_eq!(h.c.status().active.as_deref(), Some("standby"));
}

#[test]
fn a_suspect_episode_flips_with_the_lowered_ttl_then_restores() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Suspect);
    h.ev(11, Event::TtlApplied { ttl: 30 });
    let out = h.health(40, "primary", PoolHealth::Down);
    assert_eq!(flips(&out)[0].2, 30);
    h.ev(41, flipped("standby"));
    assert_eq!(h.c.next_deadline(), Some(h.at(41 + 600)));
    assert_eq!(ttls(&h.ev(641, Event::Tick)), vec![300]);
}

#[test]
fn a_flip_soon_after_lowering_the_ttl_watches_for_answers_cached_before_it() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Suspect);
    h.ev(11, Event::TtlApplied { ttl: 30 });
    h.health(40, "primary", PoolHealth::Down);
    // Answers cached with 300 s at 11 live until 311: 270 s after the flip at 41.
    let out = h.ev(41, flipped("standby"));
    assert!(
        out.contains(&Action::StartWatch {
            to: "standby".into(),
            old_ttl: 270
        }),
        "{out:?}"
    );
}

#[test]
fn never_targets_suspect_or_unknown_pools() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(1, "standby", PoolHealth::Suspect);
    h.health(1, "dr", PoolHealth::Unknown);
    let out = h.health(10, "primary", PoolHealth::Down);
    assert!(flips(&out).is_empty());
    let out = h.health(20, "dr", PoolHealth::Up);
    assert_eq!(flips(&out)[0].1, "dr");
}

#[test]
fn no_up_pool_keeps_records_and_alerts_once_per_episode() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(1, "standby", PoolHealth::Down);
    h.health(1, "dr", PoolHealth::Suspect);
    let out = h.health(10, "primary", PoolHealth::Down);
    assert!(flips(&out).is_empty());
    assert!(alerts(&out)[0].contains("no healthy pool: keeping records as they are"));
    assert!(alerts(&h.ev(20, Event::Tick)).is_empty());
    assert!(alerts(&h.health(30, "dr", PoolHealth::Down)).is_empty());
    h.health(40, "primary", PoolHealth::Up);
    let out = h.health(50, "primary", PoolHealth::Down);
    assert_eq!(alerts(&out).len(), 1, "a new episode alerts again");
}

#[test]
fn nothing_happens_while_the_active_pool_is_unknown() {
    let mut h = Harness::bare(Policy::with_defaults(pools()));
    h.ev(0, started(Some("primary"), 300, None));
    h.health(0, "standby", PoolHealth::Up);
    let out = h.ev(5, Event::Tick);
    assert!(flips(&out).is_empty() && ttls(&out).is_empty());
    assert_eq!(h.c.next_deadline(), None);
    assert_eq!(flips(&h.health(10, "primary", PoolHealth::Down)).len(), 1);
}

#[test]
fn an_active_pool_turning_unknown_moves_nothing_whatever_the_others_say() {
    // An impaired vantage: the active pool goes from Up to Unknown (its
    // probes cannot run), and on recovery the standby is heard first.
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(1, "standby", PoolHealth::Up);
    h.health(1, "primary", PoolHealth::Up);
    let mut out = h.health(10, "primary", PoolHealth::Unknown);
    out.extend(h.health(10, "standby", PoolHealth::Unknown));
    out.extend(h.health(20, "standby", PoolHealth::Up));
    for t in 21..900 {
        out.extend(h.ev(t, Event::Tick));
    }
    out.extend(h.health(900, "primary", PoolHealth::Up));
    assert!(flips(&out).is_empty() && ttls(&out).is_empty(), "{out:?}");
    assert_eq!(h.c.status().active.as_deref(), Some("primary"));
}

#[test]
fn nothing_is_decided_before_started() {
    let mut h = Harness::bare(Policy::with_defaults(pools()));
    h.health(0, "standby", PoolHealth::Up);
    assert!(flips(&h.health(1, "primary", PoolHealth::Down)).is_empty());
    let out = h.ev(2, started(Some("primary"), 300, None));
    assert_eq!(flips(&out).len(), 1);
}

#[test]
fn hold_down_delays_the_next_automatic_flip() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    h.ev(11, flipped("standby"));
    assert!(flips(&h.health(30, "standby", PoolHealth::Down)).is_empty());
    assert_eq!(h.c.next_deadline(), Some(h.at(11 + 120)));
    assert!(flips(&h.ev(130, Event::Tick)).is_empty());
    let out = h.ev(131, Event::Tick);
    assert_eq!(flips(&out)[0].1, "dr");
}

#[test]
fn flip_cap_halts_automation_until_an_operator_command() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let mut t = 0;
    for (down, to) in [
        ("primary", "standby"),
        ("standby", "primary"),
        ("primary", "standby"),
    ] {
        t += 200;
        h.health(t - 100, to, PoolHealth::Up);
        assert_eq!(flips(&h.health(t, down, PoolHealth::Down))[0].1, to);
        h.ev(t + 1, flipped(to));
    }
    h.health(650, "primary", PoolHealth::Up);
    let out = h.health(800, "standby", PoolHealth::Down);
    assert!(flips(&out).is_empty());
    assert!(alerts(&out)[0].contains("flip cap reached"));
    assert_eq!(h.c.status().halted, Some(Halt::FlipCap));
    assert!(alerts(&h.ev(900, Event::Tick)).is_empty(), "alerted once");
    let out = h.cmd(
        1000,
        Command::Failover {
            to: "primary".into(),
            planned: false,
            force: false,
        },
    );
    assert_eq!(flips(&out)[0].3, Reason::Manual);
    assert_eq!(h.c.status().halted, None);
}

#[test]
fn a_pinned_service_is_never_moved_automatically() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(5, pin(None));
    let out = h.health(10, "primary", PoolHealth::Suspect);
    assert!(ttls(&out).is_empty());
    assert!(flips(&h.health(20, "primary", PoolHealth::Down)).is_empty());
    assert_eq!(h.c.next_deadline(), None);
    let out = h.cmd(
        30,
        Command::Failover {
            to: "dr".into(),
            planned: false,
            force: false,
        },
    );
    assert_eq!(flips(&out)[0].1, "dr", "manual commands still work");
    h.ev(31, flipped("dr"));
    h.health(40, "dr", PoolHealth::Down);
    assert!(flips(&h.ev(1000, Event::Tick)).is_empty());
    let out = h.cmd(1001, unpin());
    assert_eq!(flips(&out)[0].1, "standby");
}

#[test]
fn a_pool_confirmed_down_during_a_ttl_write_flips_on_that_writes_answer() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let at = h.at(10);
    assert_eq!(
        ttls(&h.health(10, "primary", PoolHealth::Suspect)),
        vec![30]
    );
    // Down 40 ms into the TTL write: one provider call at a time, so no flip yet ...
    let down = Event::PoolHealth {
        pool: "primary".into(),
        health: PoolHealth::Down,
    };
    assert!(flips(&h.ev_at(at + Duration::from_millis(40), down)).is_empty());
    // ... and the write's answer (its round trip, 90 ms) flips in the same
    // step, at the lowered TTL: no tick, no wait on top.
    let out = h.ev_at(
        at + Duration::from_millis(90),
        Event::TtlApplied { ttl: 30 },
    );
    assert_eq!(
        flips(&out),
        vec![(
            Some("primary".to_owned()),
            "standby".to_owned(),
            30,
            Reason::ActiveDown
        )]
    );
}
