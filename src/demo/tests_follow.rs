//! The demo's lines for typed journal entries, and none for older ones.

use serde_json::json;

use super::*;
use crate::journal::{Diff, Outcome, ProviderCall, Source};

fn entry(seq: i64, at_ms: i64, event: Event) -> Entry {
    let src = Source {
        service: "www",
        incident: Some("www-1"),
        actor: "rtoguard",
    };
    Entry::from_event(seq, at_ms, src, &event)
}

#[test]
fn lines_carry_offsets_and_skip_intents() {
    let mut f = Follower::new(1_000, 0);
    f.starts.insert("www-1".into(), 1_500);
    let obs = Event::Observation {
        pool: "primary".into(),
        health: PoolHealth::Down,
        was: PoolHealth::Suspect,
        detail: None,
        vantages: None,
        tally: None,
    };
    assert_eq!(
        f.describe(&entry(1, 2_250, obs)),
        ["+1.2s detection: pool primary is down (was suspect)"]
    );
    let closed = Event::IntentClosed {
        intent: 1,
        outcome: Outcome::Done,
        note: "done".into(),
    };
    assert!(f.describe(&entry(2, 2_300, closed)).is_empty());
    let result = Event::ProviderResult {
        call: ProviderCall::Flip {
            from: Some("primary".into()),
            to: "standby".into(),
        },
        actor: "rtoguard".into(),
        outcome: Outcome::Done,
        diff: Diff::default(),
        accepted_ms: Some(2_900),
        in_sync_ms: Some(3_400),
        seen_ms: None,
        receipt: None,
    };
    assert_eq!(
        f.describe(&entry(3, 3_000, result)),
        [
            "+1.9s provider accepted: flip from pool primary to pool standby: done",
            "+2.4s provider in sync: every server of the zone has the change"
        ]
    );
}

#[test]
fn an_entry_from_before_typed_events_shows_nothing() {
    let f = Follower::new(1_000, 0);
    let mut old = entry(
        1,
        2_000,
        Event::IncidentEnd {
            pool: "b".into(),
            change: None,
        },
    );
    old.detail = json!({ "pool": "b" });
    assert!(f.describe(&old).is_empty());
}

#[test]
fn a_watch_result_lists_each_path_from_the_incident_start() {
    let mut f = Follower::new(1_000, 0);
    f.starts.insert("www-1".into(), 1_500);
    let watch = Event::WatchResult {
        end: "all converged".into(),
        outstanding: Vec::new(),
        watch: json!({
            "expected": ["127.0.0.3"],
            "authoritatives": [{"name": "demo-authority", "converged_ms": 2_000}],
            "resolvers": [{"name": "demo-authority", "switched_ms": 2_100}],
            "clients": [{"resolver": "demo-authority", "reached_ms": 2_500,
                         "last_addr": "127.0.0.3:8080", "failed": 3}],
        }),
    };
    assert_eq!(
        f.describe(&entry(4, 9_000, watch)),
        [
            "+2.5s authoritative demo-authority serves 127.0.0.3",
            "+2.6s resolver path demo-authority hands out 127.0.0.3",
            "+3.0s clients reach the new pool at 127.0.0.3:8080 (via demo-authority; 3 requests failed before)",
            "+8.0s propagation all converged: 0 outstanding",
        ]
    );
}
