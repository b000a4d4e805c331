//! Unit tests of risk windows: the TTL lowered for the window and restored
//! after it, the drain a planned move skips, and a restart inside a window.

use super::*;

fn risk(until: u64) -> Command {
    Command::Risk {
        by: "user:alice".into(),
        reason: "deploy".into(),
        until: wall(until),
    }
}

fn planned(to: &str) -> Command {
    Command::Failover {
        to: to.into(),
        planned: true,
        force: false,
    }
}

/// A risk window opened at 10 until 10 + `len`, its lowering applied at 11.
fn opened(len: u64) -> Harness {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.cmd(10, risk(10 + len));
    assert!(journaled(&out, EntryKind::RiskOpened));
    assert_eq!(ttls(&out), vec![30], "the TTL is lowered at once");
    let out = h.ev(11, Event::TtlApplied { ttl: 30 });
    assert_eq!(changes(&out), vec![Change::RiskLowered { at: wall(11) }]);
    h
}

#[test]
fn a_risk_window_keeps_the_ttl_lowered_until_its_end_then_restores_it() {
    let mut h = opened(1800);
    let w = h.c.status().risk.expect("a risk window is open");
    assert_eq!(
        (w.since, w.until, w.lowered_at),
        (wall(10), wall(1810), Some(wall(11)))
    );
    // Quiet far past restore_after: the TTL stays lowered inside the window.
    assert_eq!(h.c.next_deadline(), Some(h.at(1810)));
    assert!(ttls(&h.ev(1200, Event::Tick)).is_empty());
    let out = h.ev(1810, Event::Tick);
    assert_eq!(changes(&out), vec![Change::RiskEnded { by: None }]);
    assert_eq!(ttls(&out), vec![300], "restored at the end: quiet for long");
    assert_eq!(h.c.status().risk, None);
}

#[test]
fn an_operator_ends_a_risk_window_and_an_end_with_none_open_is_refused() {
    let mut h = opened(1800);
    let by = "user:bob".to_owned();
    let out = h.cmd(700, Command::RiskEnd { by: by.clone() });
    assert_eq!(
        changes(&out),
        vec![Change::RiskEnded {
            by: Some(by.clone())
        }]
    );
    assert_eq!(ttls(&out), vec![300]);
    let out = h.cmd(701, Command::RiskEnd { by });
    assert_eq!(refusal(&out).as_deref(), Some("no risk window is open"));
}

#[test]
fn a_planned_failover_a_normal_ttl_into_the_window_skips_the_drain() {
    let mut h = opened(1800);
    let out = h.cmd(11 + 300, planned("standby"));
    assert!(
        !journaled(&out, EntryKind::Draining),
        "nothing left to drain"
    );
    assert_eq!(
        flips(&out),
        vec![(
            Some("primary".into()),
            "standby".into(),
            30,
            Reason::Planned
        )]
    );
    // After the flip the TTL stays lowered until the window ends.
    h.ev(312, flipped("standby"));
    assert!(ttls(&h.ev(1500, Event::Tick)).is_empty());
}

#[test]
fn a_planned_failover_early_in_the_window_drains_only_the_rest() {
    let mut h = opened(1800);
    let out = h.cmd(111, planned("standby"));
    assert_eq!(
        details(&out, EntryKind::Draining),
        vec!["waiting 200s for caches to drop the old TTL"]
    );
    assert_eq!(h.c.next_deadline(), Some(h.at(311)));
    assert_eq!(flips(&h.ev(311, Event::Tick)).len(), 1);
}

#[test]
fn a_window_is_extended_by_a_later_end_and_kept_by_an_earlier_one() {
    let mut h = opened(1800);
    let out = h.cmd(20, risk(100));
    assert!(changes(&out).is_empty());
    assert_eq!(h.c.status().risk.map(|w| w.until), Some(wall(1810)));
    let out = h.cmd(30, risk(4000));
    let w = h.c.status().risk.expect("open");
    assert_eq!(
        (w.since, w.until, w.lowered_at),
        (wall(10), wall(4000), Some(wall(11)))
    );
    assert_eq!(changes(&out), vec![Change::RiskOpened { window: w }]);
}

#[test]
fn a_window_without_a_reason_or_ending_in_the_past_is_refused() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.cmd(10, risk(5));
    assert!(refusal(&out).is_some_and(|m| m.contains("end before it starts")));
    let out = h.cmd(
        10,
        Command::Risk {
            by: "user:alice".into(),
            reason: " ".into(),
            until: wall(100),
        },
    );
    assert!(refusal(&out).is_some_and(|m| m.contains("needs a reason")));
    let out = h.cmd(10, risk(10 + 8 * 24 * 3600));
    assert!(refusal(&out).is_some_and(|m| m.contains("seven days")));
    assert_eq!(h.c.status().risk, None);
}

#[test]
fn a_pinned_service_keeps_its_ttl_inside_a_window_and_lowers_once_unpinned() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(5, pin(None));
    let out = h.cmd(10, risk(1810));
    assert!(journaled(&out, EntryKind::RiskOpened) && ttls(&out).is_empty());
    assert_eq!(ttls(&h.cmd(20, unpin())), vec![30]);
}

#[test]
fn a_restart_inside_a_window_keeps_it_and_drains_from_the_lowering() {
    let h = opened(1800);
    let journal = vec![
        Change::RiskOpened {
            window: RiskWindow {
                by: "user:alice".into(),
                reason: "deploy".into(),
                since: wall(10),
                until: wall(1810),
                lowered_at: None,
                shared_with: None,
            },
        },
        Change::RiskLowered { at: wall(11) },
    ];
    let mut r = Harness {
        c: Controller::new(h.c.policy().clone()),
        t0: h.t0,
    };
    let out = r.ev(
        100,
        Event::Started {
            active: Some("primary".into()),
            ttl: 30,
            intent: None,
            wall: wall(100),
            restored: Box::new(Durable::replay(journal)),
        },
    );
    assert!(details(&out, EntryKind::Restored)[0].contains("risk window (by user:alice"));
    for p in pools() {
        r.health(100, &p, PoolHealth::Up);
    }
    assert_eq!(r.c.status().risk.map(|w| w.until), Some(wall(1810)));
    // A planned move drains what is left of the normal TTL since 11.
    let out = r.cmd(200, planned("standby"));
    assert_eq!(
        details(&out, EntryKind::Draining),
        vec!["waiting 111s for caches to drop the old TTL"]
    );
    // And the window still ends by itself.
    assert_eq!(
        changes(&r.ev(1810, Event::Tick)),
        vec![Change::RiskEnded { by: None }]
    );
}

/// `wall(0)` is a Friday, 08:00 UTC: a window every Friday at 08:10 for 30m.
fn scheduled() -> Policy {
    let mut p = Policy::with_defaults(pools());
    p.schedule = vec![ScheduledRisk {
        name: "deploy".into(),
        start: RiskStart::Every {
            day: Some(4),
            minute: 8 * 60 + 10,
        },
        duration: Duration::from_secs(1800),
        reason: "weekly deploy".into(),
    }];
    p
}

#[test]
fn a_scheduled_window_opens_at_its_start_and_ends_after_its_duration_every_week() {
    let mut h = Harness::new(scheduled());
    assert_eq!(h.c.next_deadline(), Some(h.at(600)));
    let out = h.ev(600, Event::Tick);
    let w = h.c.status().risk.expect("open");
    assert_eq!((w.by.as_str(), w.until), ("schedule:deploy", wall(2400)));
    assert!(journaled(&out, EntryKind::RiskOpened));
    assert_eq!(ttls(&out), vec![30]);
    h.ev(601, Event::TtlApplied { ttl: 30 });
    assert_eq!(h.c.next_deadline(), Some(h.at(2400)));
    let out = h.ev(2400, Event::Tick);
    assert_eq!(changes(&out), vec![Change::RiskEnded { by: None }]);
    assert_eq!(ttls(&out), vec![300]);
    h.ev(2401, Event::TtlApplied { ttl: 300 });
    assert_eq!(h.c.next_deadline(), Some(h.at(600 + 7 * 24 * 3600)));
}

#[test]
fn a_scheduled_window_ended_by_an_operator_stays_ended_until_its_next_start() {
    let mut h = Harness::new(scheduled());
    h.ev(600, Event::Tick);
    h.ev(601, Event::TtlApplied { ttl: 30 });
    h.cmd(
        700,
        Command::RiskEnd {
            by: "user:bob".into(),
        },
    );
    let out = h.ev(800, Event::Tick);
    assert!(!journaled(&out, EntryKind::RiskOpened));
    assert_eq!(h.c.status().risk, None);
}

#[test]
fn a_controller_started_inside_a_scheduled_window_opens_it_at_once() {
    let mut h = Harness::bare(scheduled());
    let out = h.ev(0, started(Some("primary"), 300, None));
    assert!(
        !journaled(&out, EntryKind::RiskOpened),
        "08:00 is before 08:10"
    );
    let mut h = Harness::bare(scheduled());
    let event = Event::Started {
        active: Some("primary".into()),
        ttl: 300,
        intent: None,
        wall: wall(1000),
        restored: Box::default(),
    };
    let out = h.ev(1000, event);
    assert!(journaled(&out, EntryKind::RiskOpened));
    assert_eq!(h.c.status().risk.map(|w| w.until), Some(wall(2400)));
}

#[test]
fn weekly_and_daily_starts_are_computed_in_utc() {
    let s = |start| ScheduledRisk {
        name: "s".into(),
        start,
        duration: Duration::from_secs(60),
        reason: "r".into(),
    };
    let tue = s(RiskStart::Every {
        day: Some(1),
        minute: 14 * 60,
    });
    // 2026-12-02 is a Wednesday: the latest Tuesday 14:00 is 2026-12-01.
    let now = humantime::parse_rfc3339("2026-12-02T10:00:00Z").expect("time");
    let at = |t| humantime::parse_rfc3339(t).expect("time");
    assert_eq!(tue.latest_start(now), Some(at("2026-12-01T14:00:00Z")));
    assert_eq!(tue.next_start(now), Some(at("2026-12-08T14:00:00Z")));
    let daily = s(RiskStart::Every {
        day: None,
        minute: 6 * 60 + 30,
    });
    assert_eq!(daily.latest_start(now), Some(at("2026-12-02T06:30:00Z")));
    assert_eq!(daily.next_start(now), Some(at("2026-12-03T06:30:00Z")));
    let once = s(RiskStart::Once(at("2026-12-24T08:00:00Z")));
    assert_eq!(once.latest_start(now), None);
    assert_eq!(once.next_start(now), Some(at("2026-12-24T08:00:00Z")));
    assert_eq!(
        once.current(at("2026-12-24T08:00:59Z")).map(|c| c.0),
        Some(at("2026-12-24T08:00:00Z"))
    );
    assert_eq!(once.current(at("2026-12-24T08:01:00Z")), None);
}
