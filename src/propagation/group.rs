//! Watching every record of a group at once: one watch per record, their
//! outcomes merged into one, with a row per record and path, so the last
//! record to reach a path is when that path reached.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{EndReason, Progress, WatchOutcome, WatchSpec, watch};

/// Watch every spec (one per record) together; the first one's progress is
/// shown. One spec is watched as [`watch`] does, its outcome unchanged.
pub async fn watch_group(
    specs: Vec<WatchSpec>,
    cancel: CancellationToken,
    progress: Option<mpsc::Sender<Progress>>,
) -> WatchOutcome {
    let mut specs = specs.into_iter();
    let Some(first) = specs.next() else {
        // No record to watch (a service always has one): an invalid watch
        // of the root says so in its outcome.
        let none = WatchSpec::new(".", hickory_proto::rr::RecordType::A, &[], ".");
        return watch(none, cancel, progress).await;
    };
    let others: Vec<_> = specs
        .map(|s| tokio::spawn(watch(s, cancel.clone(), None)))
        .collect();
    let head = watch(first, cancel, progress).await;
    let mut rest = Vec::new();
    for o in others {
        // A watch task that panicked leaves its record out (and says so).
        match o.await {
            Ok(outcome) => rest.push(outcome),
            Err(e) => tracing::warn!(error = %e, "A record's propagation watch failed."),
        }
    }
    merge(head, rest)
}

/// One outcome for the group: every path row named after its record, ends
/// and outstanding paths of all, the latest end.
pub fn merge(mut head: WatchOutcome, rest: Vec<WatchOutcome>) -> WatchOutcome {
    if rest.is_empty() {
        return head;
    }
    let label = |o: &WatchOutcome, path: &str| format!("{path} {} {}", o.name, o.rtype);
    let mut all = vec![head.clone()];
    all.extend(rest);
    head.authoritatives.clear();
    head.resolvers.clear();
    head.outstanding.clear();
    head.notes.clear();
    for o in &all {
        for mut a in o.authoritatives.clone() {
            a.name = label(o, &a.name);
            head.authoritatives.push(a);
        }
        for mut r in o.resolvers.clone() {
            r.name = label(o, &r.name);
            head.resolvers.push(r);
        }
        head.outstanding
            .extend(o.outstanding.iter().map(|p| label(o, p)));
        head.notes.extend(o.notes.iter().map(|n| label(o, n)));
        head.ended_ms = head.ended_ms.max(o.ended_ms);
        if rank(o.end) > rank(head.end) {
            head.end = o.end;
        }
    }
    head
}

/// How far from converged an end is (a group ends as its worst record).
fn rank(e: EndReason) -> u8 {
    match e {
        EndReason::Converged => 0,
        EndReason::ConvergedExceptFailing => 1,
        EndReason::Deadline => 2,
        EndReason::Cancelled => 3,
        EndReason::Invalid => 4,
    }
}
