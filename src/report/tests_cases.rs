//! Reports of unfinished watches and manual moves, what kind of event entries describe, and the phase rules.

use std::time::Duration;

use super::fixture::{entries, entry, flip, intent, outcome, result};
use super::phases::{self, Marks};
use super::*;
use crate::controller::{Command, Initiator, Reason};
use crate::journal::{Entry, Event, Opened, ProviderCall};
use proptest::prelude::*;

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

/// The first entries of a manual move by `user:ops`: start, command, intent.
fn manual_start() -> Vec<Entry> {
    let ops = "user:ops";
    let start = Event::IncidentStart {
        pool: Some("primary".into()),
        cause: Opened::Manual {
            actor: ops.into(),
            to: "standby".into(),
        },
        window: None,
        change: None,
    };
    let command = Event::Command {
        actor: ops.into(),
        command: Command::Failover {
            to: "standby".into(),
            planned: false,
            force: false,
        },
    };
    let ask = |off| intent(off, flip(), Reason::Manual, Initiator::Operator);
    vec![
        entry(1, 0, ops, start),
        entry(2, 5, ops, command),
        entry(3, 10, ops, ask(10)),
    ]
}

#[test]
fn manual_move_starts_at_the_command() {
    let ops = "user:ops";
    let call = || ProviderCall::from(&flip());
    let mut e = manual_start();
    e.extend([
        entry(4, 900, ops, result(call(), Some("throttled"), (None, None))),
        entry(
            5,
            1_000,
            ops,
            intent(1_000, flip(), Reason::Manual, Initiator::Operator),
        ),
        entry(6, 1_500, ops, result(call(), None, (None, None))),
    ]);
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
    let start = Event::IncidentStart {
        pool: Some("primary".into()),
        cause: Opened::Drill {
            actor: "user:ops".into(),
            to: "standby".into(),
            simulate_fault: false,
        },
        window: None,
        change: None,
    };
    drill[0] = entry(1, 0, "user:ops", start);
    assert_eq!(kind_of(&drill), Kind::Drill);
    let manual = manual_start();
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
