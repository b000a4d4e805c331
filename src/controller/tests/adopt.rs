//! Unit tests for adoption: every region serves the same decision when the
//! records live in each controller.

use super::*;

/// Controller `east` whose provider serves here (or not).
fn policy(served_here: bool) -> Policy {
    let mut p = Policy::with_defaults(pools());
    p.local.id = "east".into();
    p.local.served_here = served_here;
    p
}

/// `by`'s decision to serve `pool`, written `secs` after t0.
fn decision(by: &str, pool: &str, secs: u64) -> Decision {
    Decision {
        pool: pool.into(),
        at: wall(secs),
        by: by.into(),
        incident: Some(format!("checkout-{by}")),
    }
}

fn heard(by: &str, pool: &str, secs: u64) -> Event {
    Event::PeerDecision(decision(by, pool, secs))
}

fn adoptions(out: &[Action]) -> Vec<(Option<String>, String, String)> {
    out.iter()
        .filter_map(|a| match a {
            Action::Adopt {
                from, to, writer, ..
            } => Some((from.clone(), to.clone(), writer.clone())),
            _ => None,
        })
        .collect()
}

fn adopt_primary_to_standby() -> (Option<String>, String, String) {
    (Some("primary".into()), "standby".into(), "west".into())
}

#[test]
fn a_newer_peer_decision_is_adopted_and_journaled_as_adopted() {
    let mut h = Harness::new(policy(true));
    let out = h.ev(10, heard("west", "standby", 9));
    assert_eq!(adoptions(&out), [adopt_primary_to_standby()]);
    assert!(flips(&out).is_empty(), "an adoption is not a flip: {out:?}");
    assert_eq!(h.c.status().phase, "adopting");

    let out = h.ev(10, flipped("standby"));
    assert_eq!(
        details(&out, EntryKind::Adopted),
        [
            "adopted west's flip to standby: this controller serves pool standby as west decided (its incident checkout-west)"
        ]
    );
    // Not a flip of its own: no watch, no damping, no incident, no voice.
    assert!(
        !out.iter().any(|a| matches!(
            a,
            Action::StartWatch { .. } | Action::IncidentOpened { .. } | Action::Speaks { .. }
        )),
        "{out:?}"
    );
    assert!(changes(&out).is_empty(), "{out:?}");
    assert_eq!(h.c.served(), Some(&decision("west", "standby", 9)));
    assert_eq!(h.c.status().active.as_deref(), Some("standby"));
}

#[test]
fn an_older_or_equal_decision_is_not_adopted() {
    let mut h = Harness::new(policy(true));
    h.ev(10, heard("west", "standby", 9));
    h.ev(10, flipped("standby"));
    // The same decision again (another peer relays it): nothing.
    assert!(adoptions(&h.ev(11, heard("west", "standby", 9))).is_empty());
    // An older one, even to another pool: nothing.
    assert!(adoptions(&h.ev(12, heard("south", "dr", 5))).is_empty());
    // Same time, writer id earlier in the order: older.
    assert!(adoptions(&h.ev(13, heard("south", "dr", 9))).is_empty());
    // Same time, later writer id: newer, adopted.
    let out = h.ev(14, heard("zulu", "dr", 9));
    assert_eq!(
        adoptions(&out),
        [(Some("standby".into()), "dr".into(), "zulu".into())]
    );
}

#[test]
fn nothing_is_adopted_when_the_provider_does_not_serve_here() {
    let mut h = Harness::new(policy(false));
    let out = h.ev(10, heard("west", "standby", 9));
    assert!(adoptions(&out).is_empty(), "{out:?}");
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(h.c.served(), None);
}

#[test]
fn a_decision_already_served_is_kept_without_a_write() {
    let mut h = Harness::new(policy(true));
    let out = h.ev(10, heard("west", "primary", 9));
    assert!(out.is_empty(), "nothing to write or journal: {out:?}");
    assert_eq!(h.c.served(), Some(&decision("west", "primary", 9)));
    // Idempotent: the same news twice writes nothing either.
    assert!(h.ev(11, heard("west", "primary", 9)).is_empty());
}

#[test]
fn a_peer_serving_a_pool_this_service_lacks_is_not_followed() {
    let mut h = Harness::new(policy(true));
    let out = h.ev(10, heard("west", "elsewhere", 9));
    assert!(adoptions(&out).is_empty(), "{out:?}");
    assert_eq!(h.c.served(), None);
}

#[test]
fn its_own_flip_is_the_decision_it_serves_and_an_older_peer_one_is_not_adopted() {
    let mut h = Harness::new(policy(true));
    assert_eq!(flips(&h.health(20, "primary", PoolHealth::Down)).len(), 1);
    h.ev(21, flipped("standby"));
    let own = h.c.served().cloned().expect("its own flip is served");
    assert_eq!((own.pool.as_str(), own.by.as_str()), ("standby", "east"));
    assert_eq!(own.at, wall(21));
    assert!(own.incident.is_some(), "it names its incident");
    // A peer that still serves an older decision does not pull it back.
    assert!(adoptions(&h.ev(22, heard("west", "primary", 3))).is_empty());
}

#[test]
fn an_operators_failback_elsewhere_is_adopted_here() {
    let mut h = Harness::new(policy(true));
    h.ev(10, heard("west", "standby", 9));
    h.ev(10, flipped("standby"));
    // West's operator fails back: its newer decision serves primary.
    let out = h.ev(60, heard("west", "primary", 59));
    assert_eq!(
        adoptions(&out),
        [(Some("standby".into()), "primary".into(), "west".into())]
    );
}

#[test]
fn a_waiting_non_writer_adopts_at_once_and_its_incident_becomes_a_view() {
    let mut p = policy(true);
    // West writes first for standby; east waits 10 s.
    p.local
        .writer_delay
        .insert("standby".into(), Duration::from_secs(10));
    p.local.first_writer.insert("standby".into(), "west".into());
    let mut h = Harness::new(p);
    let out = h.health(20, "primary", PoolHealth::Down);
    assert!(flips(&out).is_empty());
    assert_eq!(h.c.status().phase, "writer_wait");

    let out = h.ev(21, heard("west", "standby", 20));
    assert_eq!(adoptions(&out), [adopt_primary_to_standby()]);
    let out = h.ev(21, flipped("standby"));
    // Standby serves and is up: the incident closes at once, as a view of
    // west's (no report of its own).
    let closed = out.iter().find_map(|a| match a {
        Action::IncidentClosed { voice, .. } => Some(voice.clone()),
        _ => None,
    });
    assert_eq!(
        closed,
        Some(Voice::View {
            speaker: Some("west".into()),
            incident: Some("checkout-west".into()),
            because: Because::Wrote,
        }),
        "{out:?}"
    );
    // The wait's end decides afresh: nothing to write.
    let out = h.ev(31, Event::Tick);
    assert!(flips(&out).is_empty(), "{out:?}");
    assert!(ttls(&out).is_empty(), "{out:?}");
}

#[test]
fn a_lost_adoption_rereads_and_keeps_what_is_served() {
    let mut h = Harness::new(policy(true));
    h.ev(10, heard("west", "standby", 9));
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: false,
        conflict: true,
    };
    assert!(h.ev(10, failed).contains(&Action::Reread));
    let state = Event::ProviderState {
        active: Some("standby".into()),
        ttl: 300,
    };
    let out = h.ev(11, state);
    assert!(adoptions(&out).is_empty(), "{out:?}");
    assert_eq!(h.c.served(), Some(&decision("west", "standby", 9)));
}

#[test]
fn a_retryable_failure_adopts_again_after_the_backoff() {
    let mut h = Harness::new(policy(true));
    h.ev(10, heard("west", "standby", 9));
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: true,
        conflict: false,
    };
    assert!(adoptions(&h.ev(10, failed)).is_empty());
    let at = h.c.next_deadline().expect("a backoff deadline");
    let out = h.ev_at(at, Event::Tick);
    assert_eq!(adoptions(&out), [adopt_primary_to_standby()]);
}

#[test]
fn a_decision_heard_during_a_call_waits_for_its_answer() {
    let mut h = Harness::new(policy(true));
    // Its own TTL lowering is outstanding.
    assert_eq!(ttls(&h.health(10, "primary", PoolHealth::Suspect)).len(), 1);
    assert!(adoptions(&h.ev(11, heard("west", "standby", 11))).is_empty());
    let out = h.ev(12, Event::TtlApplied { ttl: 30 });
    assert_eq!(adoptions(&out), [adopt_primary_to_standby()]);
}
