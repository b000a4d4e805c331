//! A realistic journal of one automatic failover and its watch outcome, for the tests.

use std::time::{Duration, UNIX_EPOCH};

use rtoguard_provider_api::{RecordSet, RecordType};

use crate::controller::{EntryKind, Initiator, Intent, IntentKind, PoolHealth, Reason};
use crate::journal::{Diff, Entry, Event, Opened, Outcome, ProviderCall, Source};
use crate::propagation::{
    AuthOutcome, ClientOutcome, EndReason, PathState, Queries, ResolverOutcome, WatchOutcome,
};

/// Incident start: 2025-11-24T16:00:00.000Z.
pub const T0: i64 = 1_764_000_000_000;

/// The entry the journal writes for `event`, `off` ms after [`T0`].
pub fn entry(seq: i64, off: i64, actor: &str, event: Event) -> Entry {
    let src = Source {
        service: "checkout",
        incident: Some("checkout-1764000000000"),
        actor,
    };
    Entry::from_event(seq, T0 + off, src, &event)
}

/// An intent of `kind`, asked `off` ms after [`T0`].
pub fn intent(off: i64, kind: IntentKind, reason: Reason, by: Initiator) -> Event {
    let requested_at = UNIX_EPOCH + Duration::from_millis((T0 + off) as u64);
    Event::Intent {
        intent: Intent {
            kind,
            reason,
            by,
            requested_at,
        },
        behind: None,
        records: Vec::new(),
    }
}

/// A flip from primary to standby.
pub fn flip() -> IntentKind {
    IntentKind::Flip {
        from: Some("primary".into()),
        to: "standby".into(),
    }
}

/// A provider result of `call`, failed when `error` says why.
pub fn result(call: ProviderCall, error: Option<&str>, times: (Option<i64>, Option<i64>)) -> Event {
    let a = |v: &str| RecordSet {
        name: "checkout.example.test.".into(),
        rtype: RecordType::A,
        ttl: 30,
        values: vec![v.into()],
        set_id: None,
        weight: None,
        alias: None,
    };
    Event::ProviderResult {
        call,
        actor: "rtoguard".into(),
        outcome: if error.is_some() {
            Outcome::Failed
        } else {
            Outcome::Done
        },
        diff: Diff {
            expected: Some(vec![a("192.0.2.10")]),
            desired: Some(vec![a("198.51.100.10")]),
            error: error.map(str::to_owned),
        },
        accepted_ms: times.0,
        in_sync_ms: times.1,
        seen_ms: None,
        receipt: None,
    }
}

fn observation(health: PoolHealth, was: PoolHealth, vantages: &[&str]) -> Event {
    Event::Observation {
        pool: "primary".into(),
        health,
        was,
        detail: None,
        vantages: Some(vantages.iter().map(|v| v.to_string()).collect()),
        tally: None,
    }
}

fn decision(decision: EntryKind, pool: &str, note: &str) -> Event {
    Event::Decision {
        decision,
        pool: Some(pool.into()),
        reason: Some(Reason::ActiveDown),
        note: note.into(),
        change: None,
    }
}

/// The journal: suspect at 0.4 s, TTL lowered, down at 2.1 s, flip, accepted, in sync.
pub fn entries() -> Vec<Entry> {
    let (r, auto) = ("rtoguard", Initiator::Automation);
    let start = Event::IncidentStart {
        pool: Some("primary".into()),
        cause: Opened::Health {
            health: PoolHealth::Suspect,
        },
        window: None,
        change: None,
    };
    let ttl = IntentKind::SetTtl { ttl: 30 };
    let flipped = (Some(T0 + 2_600), Some(T0 + 3_300));
    vec![
        entry(1, 0, r, start),
        entry(
            2,
            400,
            r,
            observation(PoolHealth::Suspect, PoolHealth::Up, &["us-east-1"]),
        ),
        entry(3, 420, r, intent(420, ttl.clone(), Reason::Reconcile, auto)),
        entry(4, 900, r, result((&ttl).into(), None, (None, None))),
        entry(
            5,
            905,
            r,
            decision(EntryKind::TtlChanged, "primary", "TTL lowered to 30s"),
        ),
        entry(
            6,
            2_100,
            r,
            observation(
                PoolHealth::Down,
                PoolHealth::Suspect,
                &["us-east-1", "eu-west-1", "ap-south-1"],
            ),
        ),
        entry(
            7,
            2_110,
            r,
            decision(EntryKind::Decision, "standby", "flip to standby"),
        ),
        entry(8, 2_150, r, intent(2_150, flip(), Reason::ActiveDown, auto)),
        entry(9, 3_400, r, result((&flip()).into(), None, flipped)),
        entry(
            10,
            3_405,
            r,
            decision(EntryKind::Flipped, "standby", "flipped to standby"),
        ),
        entry(
            11,
            61_500,
            r,
            Event::IncidentEnd {
                pool: "standby".into(),
                change: None,
            },
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
