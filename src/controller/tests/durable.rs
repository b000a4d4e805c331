//! Unit tests of the durable state: pins with expiry, halts and damping
//! history restored from the journal's changes.

use super::*;

/// A controller started at `secs` after `h.t0` with what `changes` leave,
/// every pool `Up` except `down`.
fn restarted(h: &Harness, secs: u64, changes: &[Change], down: &str) -> Harness {
    let mut r = Harness {
        c: Controller::new(h.c.policy().clone()),
        t0: h.t0,
    };
    let restored = Durable::replay(changes.iter().cloned());
    let event = Event::Started {
        active: h.c.status().active.clone(),
        ttl: 300,
        intent: None,
        wall: wall(secs),
        restored: Box::new(restored),
    };
    r.ev(secs, event);
    for p in pools() {
        let health = if p == down {
            PoolHealth::Down
        } else {
            PoolHealth::Up
        };
        r.health(secs, &p, health);
    }
    r
}

#[test]
fn a_pin_with_an_expiry_unpins_itself_at_the_deadline() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.cmd(10, pin(Some(10 + 7200)));
    assert!(journaled(&out, EntryKind::Pinned));
    let status = h.c.status();
    let p = status.pin.expect("pinned");
    assert_eq!(
        (p.by.as_str(), p.reason.as_str()),
        ("user:alice", "database maintenance")
    );
    assert_eq!((p.since, p.until), (wall(10), Some(wall(7210))));
    assert!(flips(&h.health(20, "primary", PoolHealth::Down)).is_empty());
    assert_eq!(h.c.next_deadline(), Some(h.at(7210)));
    // The clock jumps far past the deadline: the pin lifts, automation acts.
    let out = h.ev(5 * 3600, Event::Tick);
    assert_eq!(changes(&out), vec![Change::PinExpired]);
    assert!(journaled(&out, EntryKind::PinExpired));
    assert_eq!(h.c.status().pin, None);
    assert_eq!(flips(&out)[0].1, "standby", "automation resumes at once");
}

#[test]
fn a_pin_expires_on_any_event_past_its_deadline() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(10, pin(Some(100)));
    let out = h.health(101, "primary", PoolHealth::Down);
    assert!(journaled(&out, EntryKind::PinExpired));
    assert_eq!(flips(&out)[0].1, "standby");
}

#[test]
fn a_pin_needs_a_reason_and_an_end_after_now() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let mut blank = pin(None);
    if let Command::Pin { reason, .. } = &mut blank {
        reason.clear();
    }
    assert!(refusal(&h.cmd(10, blank)).is_some());
    assert!(refusal(&h.cmd(10, pin(Some(5)))).is_some());
    assert_eq!(h.c.status().pin, None);
}

#[test]
fn a_pin_survives_a_restore_until_its_deadline() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.cmd(10, pin(Some(7200)));
    let r = restarted(&h, 3600, &changes(&out), "primary");
    let status = r.c.status();
    assert_eq!(status.pin, h.c.status().pin);
    assert_eq!(r.c.next_deadline(), Some(r.at(7200)));
    let mut r = r;
    let out = r.ev(7200, Event::Tick);
    assert!(journaled(&out, EntryKind::PinExpired));
    assert_eq!(flips(&out)[0].1, "standby");
}

#[test]
fn a_pin_restored_after_its_deadline_expires_at_start() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.cmd(10, pin(Some(100)));
    let r = restarted(&h, 3600, &changes(&out), "primary");
    assert_eq!(r.c.status().pin, None);
    assert_eq!(r.c.status().moving_to.as_deref(), Some("standby"));
}

#[test]
fn an_unpin_is_journaled_as_a_change() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let mut all = changes(&h.cmd(10, pin(None)));
    all.extend(changes(&h.cmd(20, unpin())));
    let r = restarted(&h, 30, &all, "none");
    assert_eq!(r.c.status().pin, None);
}

/// Two automatic flips with `max_flips = 1`: the second is capped.
fn halted_by_the_flip_cap() -> (Harness, Vec<Change>) {
    let mut policy = Policy::with_defaults(pools());
    policy.max_flips = 1;
    let mut h = Harness::new(policy);
    let mut all = changes(&h.health(10, "primary", PoolHealth::Down));
    all.extend(changes(&h.ev(11, flipped("standby"))));
    h.health(300, "primary", PoolHealth::Up);
    let out = h.health(400, "standby", PoolHealth::Down);
    assert!(flips(&out).is_empty());
    all.extend(changes(&out));
    assert_eq!(h.c.status().halted, Some(Halt::FlipCap));
    (h, all)
}

#[test]
fn a_halt_survives_a_restore() {
    let (h, all) = halted_by_the_flip_cap();
    assert!(all.contains(&Change::Halted { why: Halt::FlipCap }));
    let mut r = restarted(&h, 500, &all, "standby");
    assert_eq!(r.c.status().halted, Some(Halt::FlipCap));
    assert!(flips(&r.ev(600, Event::Tick)).is_empty(), "still halted");
    assert_eq!(r.c.next_deadline(), None);
}

#[test]
fn restored_damping_keeps_the_flip_cap() {
    let mut policy = Policy::with_defaults(pools());
    policy.max_flips = 1;
    let mut h = Harness::new(policy);
    let mut all = changes(&h.health(10, "primary", PoolHealth::Down));
    all.extend(changes(&h.ev(11, flipped("standby"))));
    assert!(matches!(
        all.last(),
        Some(Change::FlippedForDamping {
            automatic: true,
            ..
        })
    ));
    // Restart 10 minutes later, inside the hour's window, standby down.
    let mut r = restarted(&h, 600, &all, "standby");
    assert_eq!(r.c.status().automatic_flips_in_window, 1);
    let out = r.ev(601, Event::Tick);
    assert!(flips(&out).is_empty(), "the flip cap was forgotten");
    assert_eq!(r.c.status().halted, Some(Halt::FlipCap));
}

#[test]
fn restored_damping_keeps_the_hold_down() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let mut all = changes(&h.health(10, "primary", PoolHealth::Down));
    all.extend(changes(&h.ev(11, flipped("standby"))));
    let mut r = restarted(&h, 60, &all, "standby");
    assert!(flips(&r.ev(61, Event::Tick)).is_empty());
    assert_eq!(r.c.next_deadline(), Some(r.at(11 + 120)));
}

#[test]
fn changes_round_trip_through_json_with_readable_times() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.cmd(10, pin(Some(7200)));
    let change = changes(&out).remove(0);
    let text = serde_json::to_string(&change).unwrap();
    assert!(text.contains("\"event\":\"pinned\""), "{text}");
    assert!(text.contains("2027-01-15T10:00:00"), "{text}");
    assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change);
}

#[test]
fn ends_out_of_range_are_refused_not_panicked_on() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let far = Command::Pin {
        by: "user:alice".into(),
        reason: "forever and a day".into(),
        until: wall(0).checked_add(Duration::from_secs(u64::MAX / 4)),
    };
    assert!(refusal(&h.cmd(10, far)).is_some());
    let dwell = Command::Drill {
        id: "d".into(),
        to: "standby".into(),
        simulate_fault: false,
        dwell_secs: u64::MAX,
    };
    assert!(refusal(&h.cmd(10, dwell)).is_some());
    assert_eq!((h.c.status().pin, h.c.status().drill), (None, None));
    // Times that RFC 3339 cannot write are said in words, and never stored.
    let far = wall(0) + Duration::from_secs(400_000_000_000);
    assert_eq!(crate::controller::format_wall(far), "after the year 9999");
    let change = Change::FlippedForDamping {
        at: far,
        automatic: true,
    };
    assert!(serde_json::to_string(&change).is_err());
}
