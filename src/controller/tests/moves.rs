//! Unit tests for moves: one call at a time, planned moves, failback, operator commands.

use super::*;

#[test]
fn one_provider_call_at_a_time() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Suspect);
    assert!(flips(&h.health(11, "primary", PoolHealth::Down)).is_empty());
    let cmd = Command::Failover {
        to: "dr".into(),
        planned: false,
        force: false,
    };
    let out = h.cmd(12, cmd.clone());
    assert!(flips(&out).is_empty() && journaled(&out, EntryKind::Queued));
    assert_eq!(h.c.status().queued_command, Some(cmd));
    // The TTL answer arrives: the queued operator command runs first.
    let out = h.ev(13, Event::TtlApplied { ttl: 30 });
    assert_eq!(
        flips(&out),
        vec![(Some("primary".into()), "dr".into(), 30, Reason::Manual)]
    );
    assert!(flips(&h.ev(14, Event::Tick)).is_empty());
}

#[test]
fn planned_failover_lowers_drains_flips_and_restores() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let cmd = Command::Failover {
        to: "standby".into(),
        planned: true,
        force: false,
    };
    let out = h.cmd(10, cmd);
    assert_eq!(ttls(&out), vec![30]);
    assert!(flips(&out).is_empty());
    let out = h.ev(12, Event::TtlApplied { ttl: 30 });
    assert!(journaled(&out, EntryKind::Draining) && flips(&out).is_empty());
    assert_eq!(h.c.next_deadline(), Some(h.at(12 + 300)));
    assert!(flips(&h.ev(311, Event::Tick)).is_empty());
    let out = h.ev(312, Event::Tick);
    assert_eq!(
        flips(&out),
        vec![(
            Some("primary".into()),
            "standby".into(),
            30,
            Reason::Planned
        )]
    );
    let out = h.ev(313, flipped("standby"));
    assert!(out.contains(&Action::StartWatch {
        to: "standby".into(),
        old_ttl: 30
    }));
    assert_eq!(h.c.next_deadline(), Some(h.at(313 + 600)));
    assert_eq!(ttls(&h.ev(913, Event::Tick)), vec![300]);
}

#[test]
fn planned_move_aborts_when_the_target_fails_during_the_drain() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(
        10,
        Command::Failover {
            to: "standby".into(),
            planned: true,
            force: false,
        },
    );
    h.ev(12, Event::TtlApplied { ttl: 30 });
    h.health(100, "standby", PoolHealth::Down);
    let out = h.ev(312, Event::Tick);
    assert!(flips(&out).is_empty() && journaled(&out, EntryKind::Aborted));
    assert!(!alerts(&out).is_empty(), "the operator hears of it");
}

#[test]
fn auto_failback_waits_for_stable_for_and_is_planned() {
    let mut h = Harness::new(auto_policy());
    h.health(10, "primary", PoolHealth::Down);
    h.ev(11, flipped("standby"));
    h.health(100, "primary", PoolHealth::Up);
    assert_eq!(h.c.next_deadline(), Some(h.at(100 + 300)));
    h.health(200, "primary", PoolHealth::Suspect);
    h.health(250, "primary", PoolHealth::Up);
    assert!(
        ttls(&h.ev(400, Event::Tick)).is_empty(),
        "the suspect spell reset stable_for"
    );
    let out = h.ev(550, Event::Tick);
    assert_eq!(ttls(&out), vec![30]);
    h.ev(551, Event::TtlApplied { ttl: 30 });
    let out = h.ev(851, Event::Tick);
    assert_eq!(
        flips(&out),
        vec![(
            Some("standby".into()),
            "primary".into(),
            30,
            Reason::Failback
        )]
    );
}

#[test]
fn manual_failback_waits_for_the_command() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    h.ev(11, flipped("standby"));
    h.health(100, "primary", PoolHealth::Up);
    assert!(flips(&h.ev(5000, Event::Tick)).is_empty());
    let out = h.cmd(5001, Command::Failback { planned: false });
    assert_eq!(
        flips(&out),
        vec![(
            Some("standby".into()),
            "primary".into(),
            300,
            Reason::Failback
        )]
    );
}

#[test]
fn manual_failover_refusals_name_the_pool() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(1, "dr", PoolHealth::Down);
    let out = h.cmd(
        10,
        Command::Failover {
            to: "dr".into(),
            planned: false,
            force: false,
        },
    );
    let msg = refusal(&out).expect("refused");
    assert!(msg.contains("dr") && msg.contains("down"), "{msg}");
    assert!(flips(&out).is_empty());
    let out = h.cmd(
        11,
        Command::Failover {
            to: "mars".into(),
            planned: false,
            force: false,
        },
    );
    let msg = refusal(&out).expect("refused");
    assert!(
        msg.contains("mars") && msg.contains("primary, standby, dr"),
        "{msg}"
    );
    let out = h.cmd(
        12,
        Command::Failover {
            to: "dr".into(),
            planned: false,
            force: true,
        },
    );
    assert_eq!(flips(&out)[0].1, "dr", "force overrides");
}
