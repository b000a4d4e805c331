//! Reports of unfinished watches and manual moves, what kind of event entries describe, and the phase rules.

use std::time::Duration;

use proptest::prelude::*;
use serde_json::json;

use super::fixture::{entries, entry, outcome};
use super::phases::{self, Marks};
use super::*;

const MIN5: Duration = Duration::from_secs(300);

fn at(r: &Report, key: &str) -> (i64, String, Option<String>) {
    let m = r
        .milestone(key)
        .unwrap_or_else(|| panic!("no milestone {key}"));
    (m.offset_ms, m.at.clone(), m.detail.clone())
}

#[test]
fn unfinished_watch_is_missed_past_the_objective_else_unknown() {
    let mut w = outcome();
    w.resolvers[2].switched_ms = None;
    w.resolvers[2].state = crate::propagation::PathState::Old;
    w.clients[2].reached_ms = None;
    w.end = crate::propagation::EndReason::Deadline;
    w.ended_ms = 400_000;
    let r = build("i", "checkout", Kind::Incident, MIN5, &entries(), Some(&w));
    assert_eq!(r.rto.measured_to, MeasuredTo::NotReached);
    assert_eq!(
        (r.rto.verdict, r.rto.achieved_ms, r.rto.margin_ms),
        (Verdict::Missed, None, Some(-102_150))
    );
    let last = r.phases.last().expect("phases");
    assert_eq!(
        (last.name, last.end_ms),
        (PhaseName::ResolverCaches, 402_150)
    );
    assert!(r.milestone("all_clients").is_none());
    w.ended_ms = 100_000;
    let r = build("i", "checkout", Kind::Incident, MIN5, &entries(), Some(&w));
    assert_eq!((r.rto.verdict, r.rto.margin_ms), (Verdict::Unknown, None));
}

#[test]
fn manual_move_starts_at_the_command() {
    let e = vec![
        entry(
            1,
            0,
            "incident-start",
            "user:ops",
            "failover asked",
            json!({"pool": "primary"}),
        ),
        entry(
            2,
            5,
            "command",
            "user:ops",
            "user:ops asked: Failover",
            json!({"command": {"failover": {"to": "standby"}}, "actor": "user:ops"}),
        ),
        entry(
            3,
            10,
            "intent",
            "user:ops",
            "about to Flip",
            json!({"kind": {"kind": "flip", "from": "primary", "to": "standby"}, "reason": "manual", "by": "operator"}),
        ),
        entry(
            4,
            900,
            "provider-result",
            "user:ops",
            "Flip: failed",
            json!({"diff": {"error": "throttled"}}),
        ),
        entry(
            5,
            1_000,
            "intent",
            "user:ops",
            "about to Flip (retry)",
            json!({"kind": {"kind": "flip", "from": "primary", "to": "standby"}, "reason": "manual", "by": "operator"}),
        ),
        entry(
            6,
            1_500,
            "provider-result",
            "user:ops",
            "Flip: done",
            json!({"diff": {"error": null}}),
        ),
    ];
    let r = build("m", "checkout", Kind::Manual, MIN5, &e, None);
    assert_eq!(at(&r, "command").0, 5);
    assert_eq!(at(&r, "flip_requested").0, 10);
    assert!(r.milestone("first_failed_probe").is_none());
    assert_eq!(r.rto.measured_to, MeasuredTo::ProviderInSync);
    assert_eq!(
        (r.rto.achieved_ms, r.rto.verdict),
        (Some(1_500), Verdict::Met)
    );
    assert_eq!(r.automation.provider_errors, 1);
    assert_eq!(r.automation.operator_commands, 1);
    assert!(!r.automation.succeeded_alone());
    assert!(r.notes.iter().any(|n| n == "provider error: throttled"));
}

#[test]
fn kind_from_the_entries() {
    assert_eq!(kind_of(&entries()), Kind::Incident);
    let mut drill = entries();
    drill[0].detail = json!({"pool": "primary", "drill": true});
    assert_eq!(kind_of(&drill), Kind::Drill);
    let manual = vec![
        entry(
            1,
            0,
            "incident-start",
            "user:ops",
            "failover asked",
            json!({"pool": "primary"}),
        ),
        entry(
            2,
            5,
            "command",
            "user:ops",
            "asked: Failover",
            json!({"actor": "user:ops"}),
        ),
        entry(
            3,
            10,
            "intent",
            "user:ops",
            "about to Flip",
            json!({"kind": {"kind": "flip", "from": "primary", "to": "standby"}, "reason": "manual", "by": "operator"}),
        ),
    ];
    assert_eq!(kind_of(&manual), Kind::Manual);
}

fn mark() -> impl Strategy<Value = Option<i64>> {
    prop::option::of(-5_000i64..600_000)
}

proptest! {
    /// Phases start at 0, follow each other without gaps or overlaps, never
    /// run backwards, and (when recovery was reached) end at the recovery.
    #[test]
    fn phases_are_contiguous(
        d in mark(), f in mark(), s in mark(), a in prop::option::of(mark()),
        r in prop::option::of(mark()), c in prop::option::of(mark()), w in mark(),
    ) {
        let m = Marks { decided: d, flip_requested: f, in_sync: s, auths: a, resolvers: r, clients: c, watch_end: w };
        let achieved = phases::recovery(&m);
        let ps = phases::split(&m, achieved.0.is_some());
        let mut cursor = 0;
        for p in &ps {
            prop_assert_eq!(p.start_ms, cursor);
            prop_assert!(p.duration_ms >= 0);
            prop_assert_eq!(p.end_ms - p.start_ms, p.duration_ms);
            cursor = p.end_ms;
        }
        if let (Some(rec), Some(last)) = (achieved.0, ps.last()) {
            prop_assert_eq!(last.end_ms, rec.max(cursor));
        }
        let v = phases::verdict(300_000, achieved, w, &ps);
        match v.verdict {
            Verdict::Met => prop_assert!(v.achieved_ms.is_some_and(|x| x <= 300_000)),
            Verdict::Missed => prop_assert!(v.margin_ms.is_some_and(|x| x < 0)),
            Verdict::Unknown => prop_assert!(v.achieved_ms.is_none() && v.margin_ms.is_none()),
        }
    }
}
