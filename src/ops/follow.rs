//! After a manual flip: time its propagation (with live progress), then
//! journal the outcome and save the move's RTO report.

use rtoguard_provider_api::ChangeSet;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Output;
use super::context::Run;
use crate::plan::Plan;
use crate::propagation::{self, Progress, WatchOutcome};
use crate::report::Verdict;

/// A propagation watch running beside the rest of the plan.
pub struct Watching {
    handle: JoinHandle<WatchOutcome>,
    render: Option<JoinHandle<()>>,
    to: String,
    /// Fired by Ctrl-C: the watch ends with what it has seen.
    cancel: CancellationToken,
}

/// Start timing the flip `change` (accepted at `accepted`).
pub(super) fn start(
    run: &Run<'_, '_>,
    plan: &Plan,
    change: &ChangeSet,
    accepted: Instant,
) -> Watching {
    let cx = run.cx;
    let old_ttl = change.expected().iter().map(|s| s.ttl).max().unwrap_or(0);
    let mv = crate::engine::watch::Move {
        to: &plan.to,
        from: plan.from.pool(),
        old_ttl,
        start: cx.out.start(),
        changed_at: Some(accepted),
    };
    let spec = crate::engine::watch::specs(cx.service, cx.primary, &mv);
    let (progress, render) = if cx.out.is_json() {
        (None, None)
    } else {
        let (tx, rx) = mpsc::channel(64);
        (Some(tx), Some(render(rx, cx.out.clone())))
    };
    let cancel = CancellationToken::new();
    let handle = tokio::spawn(propagation::watch_group(spec, cancel.clone(), progress));
    Watching {
        handle,
        render,
        to: plan.to.clone(),
        cancel,
    }
}

/// The watch's progress as steps of the operation, in its own voice and
/// order (each line without the watch's offset: the step carries one).
fn render(mut rx: mpsc::Receiver<Progress>, out: Output) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(p) = rx.recv().await {
            if let Some(line) = p.line() {
                let text = line.split_once("s ").map_or(line.as_str(), |(_, t)| t);
                out.step("propagation", text, json!({}));
            }
        }
    })
}

/// Wait for the watch, journal it, and save and summarise the report.
pub(super) async fn finish(run: &Run<'_, '_>, w: Watching) {
    let out = run.cx.out;
    // Ctrl-C while only the watch is left ends it: the flip is made, and
    // the report keeps what was seen so far.
    let mut handle = w.handle;
    let result = tokio::select! {
        r = &mut handle => r,
        () = run.cx.interrupts.next() => {
            out.step("interrupt", "Ctrl-C: propagation watch stopped; the flip is made", json!({}));
            w.cancel.cancel();
            handle.await
        }
    };
    let Ok(outcome) = result else {
        out.step(
            "propagation",
            "the propagation watch failed; no report",
            json!({}),
        );
        return;
    };
    if let Some(r) = w.render {
        let _ = r.await;
    }
    let msg = format!(
        "propagation: {} ({} outstanding)",
        outcome.end,
        outcome.outstanding.len()
    );
    out.step("propagation", &msg, json!({ "watch": outcome }));
    run.journal(crate::journal::Event::WatchResult {
        end: outcome.end.to_string(),
        outstanding: outcome.outstanding.clone(),
        watch: serde_json::to_value(&outcome).unwrap_or_default(),
    });
    run.journal(crate::journal::Event::IncidentEnd {
        pool: w.to.clone(),
        change: None,
    });
    let (Some(j), Some(id)) = (run.cx.journal, run.incident.as_deref()) else {
        out.step(
            "report",
            "not journaled, so no RTO report was saved",
            json!({}),
        );
        return;
    };
    if let Some(r) = crate::report::save(j, id, run.cx.service, Some(&outcome)) {
        let achieved = r.rto.achieved_ms.map_or("not reached".into(), |ms| {
            crate::report::format_duration(ms)
        });
        let words = match r.rto.verdict {
            Verdict::Met => "met",
            Verdict::Missed => "MISSED",
            Verdict::Unknown => "not measured",
        };
        out.step("report", &format!("RTO report {id}: recovery {achieved} against an RTO of {}: {words}; see `rtoguard report {id}`", crate::report::format_duration(r.rto.objective_ms)), json!({ "incident": id, "verdict": r.rto.verdict, "achieved_ms": r.rto.achieved_ms }));
    }
}
