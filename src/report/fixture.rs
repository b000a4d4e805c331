//! A realistic journal of one automatic failover and its watch outcome, for the tests.

use serde_json::{Value, json};

use crate::journal::Entry;
use crate::propagation::{
    AuthOutcome, ClientOutcome, EndReason, PathState, Queries, ResolverOutcome, WatchOutcome,
};

/// Incident start: 2025-11-24T16:00:00.000Z.
pub const T0: i64 = 1_764_000_000_000;

pub fn entry(seq: i64, off: i64, kind: &str, actor: &str, message: &str, detail: Value) -> Entry {
    Entry {
        seq,
        at_ms: T0 + off,
        service: "checkout".into(),
        incident: Some("checkout-1764000000000".into()),
        kind: kind.into(),
        actor: actor.into(),
        message: message.into(),
        detail,
    }
}

/// The journal: suspect at 0.4 s, TTL lowered, down at 2.1 s, flip, accepted, in sync.
pub fn entries() -> Vec<Entry> {
    let flip = json!({"kind": {"kind": "flip", "from": "primary", "to": "standby"},
        "reason": "active_down", "by": "automation"});
    let diff = json!({"expected": ["192.0.2.10"], "desired": ["198.51.100.10"], "error": null});
    vec![
        entry(
            1,
            0,
            "incident-start",
            "rtoguard",
            "pool primary is Suspect",
            json!({"pool": "primary"}),
        ),
        entry(
            2,
            400,
            "observation",
            "rtoguard",
            "pool primary is Suspect (was Up)",
            json!({"pool": "primary", "health": "Suspect", "was": "Up", "vantages": ["us-east-1"]}),
        ),
        entry(
            3,
            420,
            "intent",
            "rtoguard",
            "about to SetTtl",
            json!({"kind": {"kind": "set_ttl", "ttl": 30}, "reason": "reconcile", "by": "automation"}),
        ),
        entry(
            4,
            900,
            "provider-result",
            "rtoguard",
            "SetTtl: done",
            json!({"diff": {"expected": ["192.0.2.10"], "desired": ["192.0.2.10"], "error": null}}),
        ),
        entry(
            5,
            905,
            "ttl_changed",
            "rtoguard",
            "TTL lowered to 30s",
            json!({"pool": "primary"}),
        ),
        entry(
            6,
            2_100,
            "observation",
            "rtoguard",
            "pool primary is Down (was Suspect)",
            json!({"pool": "primary", "health": "Down", "was": "Suspect",
                   "vantages": ["us-east-1", "eu-west-1", {"vantage": "ap-south-1"}]}),
        ),
        entry(
            7,
            2_110,
            "decision",
            "rtoguard",
            "flip to standby",
            json!({"pool": "standby", "reason": "active_down"}),
        ),
        entry(8, 2_150, "intent", "rtoguard", "about to Flip", flip),
        entry(
            9,
            3_400,
            "provider-result",
            "rtoguard",
            "Flip: done",
            json!({"diff": diff, "accepted_ms": T0 + 2_600, "in_sync_ms": T0 + 3_300}),
        ),
        entry(
            10,
            3_405,
            "flipped",
            "rtoguard",
            "flipped to standby",
            json!({"pool": "standby"}),
        ),
        entry(
            11,
            61_500,
            "incident-end",
            "rtoguard",
            "pool standby serves and is healthy",
            json!({"pool": "standby"}),
        ),
    ]
}

fn queries(total: u32) -> Queries {
    Queries {
        total,
        answered: total,
        timeouts: 0,
        servfails: 0,
        other_errors: 0,
        last_error: None,
    }
}

fn auth(name: &str, port: u16, converged: u64) -> AuthOutcome {
    AuthOutcome {
        name: name.into(),
        addr: format!("127.0.0.1:{port}"),
        state: PathState::Converged,
        converged_ms: Some(converged),
        converged_at: None,
        serial: Some(2025112402),
        last_values: vec!["192.0.2.10".into()],
        queries: queries(8),
    }
}

fn resolver(name: &str, ip: &str, switched: u64, first_ttl: u32) -> ResolverOutcome {
    let predicted = 30_450;
    let overstay = switched.checked_sub(predicted);
    ResolverOutcome {
        name: name.into(),
        addr: format!("{ip}:5353"),
        state: PathState::Converged,
        switched_ms: Some(switched),
        switched_at: None,
        first_old_ttl: Some(first_ttl),
        last_old_ttl: Some(1),
        predicted_ms: Some(predicted),
        predicted_at: None,
        prediction_basis: Some("change_and_ttl"),
        cache_expiry_ms: Some(predicted),
        kept_past_prediction: overstay.is_some_and(|o| o > 1_000),
        overstay_ms: overstay,
        last_values: vec!["192.0.2.10".into()],
        queries: queries(40),
    }
}

fn client(resolver: &str, reached: u64) -> ClientOutcome {
    ClientOutcome {
        resolver: resolver.into(),
        reached_ms: Some(reached),
        reached_at: None,
        requests: 12,
        failed: 3,
        old_pool: 6,
        last_addr: Some("127.0.0.3:8080".into()),
        last_error: None,
    }
}

/// Offsets from the watch start (2.15 s after the incident start): two
/// authoritatives, three resolvers (one kept the old answer 17.4 s past
/// its prediction), a client through each.
pub fn outcome() -> WatchOutcome {
    WatchOutcome {
        name: "checkout.example.test.".into(),
        rtype: "A".into(),
        expected: vec!["198.51.100.10".into()],
        end: EndReason::Converged,
        started_at: "2025-11-24T16:00:02.150Z".into(),
        changed_ms: Some(450),
        ended_ms: 49_000,
        ended_at: "2025-11-24T16:00:51.150Z".into(),
        authoritatives: vec![auth("ns1", 5301, 1_650), auth("ns2", 5302, 2_850)],
        resolvers: vec![
            resolver("unbound-a", "127.0.0.53", 12_000, 18),
            resolver("unbound-b", "127.0.0.54", 29_850, 30),
            resolver("unbound-c", "127.0.0.55", 47_850, 30),
        ],
        clients: vec![
            client("unbound-a", 12_850),
            client("unbound-b", 30_350),
            client("unbound-c", 48_850),
        ],
        outstanding: vec![],
        notes: vec![],
    }
}
