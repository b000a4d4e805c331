//! Unit tests for provider answers: conflicts, retries, refusals, and the status snapshot.

use super::*;

#[test]
fn a_lost_compare_and_set_rereads_and_never_flips_twice() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: false,
        conflict: true,
    };
    let out = h.ev(11, failed);
    assert!(out.contains(&Action::Reread));
    let state = Event::ProviderState {
        active: Some("standby".into()),
        ttl: 300,
    };
    let out = h.ev(12, state);
    assert!(journaled(&out, EntryKind::DoneByOtherWriter));
    assert!(flips(&out).is_empty());
    assert!(flips(&h.ev(500, Event::Tick)).is_empty());
    assert_eq!(h.c.status().active.as_deref(), Some("standby"));
}

#[test]
fn retryable_failures_back_off_then_decide_afresh() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: true,
        conflict: false,
    };
    let out = h.ev(11, failed);
    assert!(flips(&out).is_empty());
    assert_eq!(h.c.next_deadline(), Some(h.at(41)));
    h.health(20, "standby", PoolHealth::Down);
    let out = h.ev(41, Event::Tick);
    assert_eq!(
        flips(&out)[0].1,
        "dr",
        "decided afresh with the current health"
    );
}

#[test]
fn a_final_provider_refusal_halts_automation() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: false,
        conflict: false,
    };
    let out = h.ev(11, failed);
    assert_eq!(h.c.status().halted, Some(Halt::ProviderRejected));
    assert!(!alerts(&out).is_empty());
    assert!(flips(&h.ev(1000, Event::Tick)).is_empty());
}

#[test]
fn status_serialises() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Suspect);
    let status = h.c.status();
    assert_eq!(status.phase, "setting_ttl");
    let json = serde_json::to_string(&status).expect("serialises");
    let back: Status = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, status);
    assert_eq!(back.pools[1].up_for_secs, Some(10));
}

#[test]
fn after_a_lost_compare_and_set_nothing_is_decided_on_a_stale_view() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    let conflict = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: false,
        conflict: true,
    };
    assert!(h.ev(11, conflict).contains(&Action::Reread));
    let unreadable = Event::ProviderFailed {
        op: ProviderOp::Read,
        retryable: false,
        conflict: false,
    };
    h.ev(12, unreadable);
    assert_eq!(h.c.status().halted, Some(Halt::ProviderRejected));
    h.health(13, "standby", PoolHealth::Suspect);
    // The command lifts the halt, but the provider is read before anything else.
    let out = h.cmd(
        14,
        Command::Failover {
            to: "dr".into(),
            planned: false,
            force: false,
        },
    );
    assert_eq!(out.iter().filter(|a| **a == Action::Reread).count(), 1);
    assert!(flips(&out).is_empty());
    let state = Event::ProviderState {
        active: Some("standby".into()),
        ttl: 300,
    };
    let out = h.ev(15, state);
    assert_eq!(
        flips(&out),
        vec![(Some("standby".into()), "dr".into(), 300, Reason::Manual)]
    );
}

#[test]
fn an_operator_move_is_rechecked_before_it_is_retried() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(
        10,
        Command::Failover {
            to: "standby".into(),
            planned: false,
            force: false,
        },
    );
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: true,
        conflict: false,
    };
    h.ev(11, failed);
    h.health(20, "standby", PoolHealth::Suspect);
    let out = h.ev(41, Event::Tick);
    assert!(flips(&out).is_empty() && journaled(&out, EntryKind::Aborted));
}
