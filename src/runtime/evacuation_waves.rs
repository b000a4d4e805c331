//! Waiting for an evacuation's waves to land, and its report: a row per service.

use std::time::Duration;

use tracing::{info, warn};

use super::evacuation_talk::{Target, status};
use crate::control::DaemonService;
use crate::controller::evacuation::{EvacuationPlan, Step};
use crate::controller::evacuation_resume::Outcomes;
use crate::report::{EvacuationReport, EvacuationRow};

/// How often a wave's services are asked whether their move is done.
const POLL: Duration = Duration::from_millis(250);

/// Waits until every move of `wave` landed, was dropped, or ran out of time.
pub(super) async fn wait(
    plan: &EvacuationPlan,
    wave: usize,
    targets: &[Target],
    out: &mut Outcomes,
) {
    let start = tokio::time::Instant::now();
    for row in plan.wave(wave) {
        let (Some(t), Step::Move { to, .. }) =
            (targets.iter().find(|t| t.name == row.service), &row.step)
        else {
            continue;
        };
        let outcome = loop {
            let s = status(&t.tx).await;
            let took = start.elapsed();
            match s {
                Some(s) if s.settled_on(to) => {
                    break ("moved".to_owned(), Some(took.as_millis() as u64));
                }
                Some(s) if idle(&s) && s.controller.active.as_deref() != Some(to) => {
                    break (
                        format!(
                            "not moved: pool {} serves",
                            s.controller.active.unwrap_or_default()
                        ),
                        None,
                    );
                }
                _ if took > t.limit => {
                    break (format!("not done within {}s", t.limit.as_secs()), None);
                }
                _ => tokio::time::sleep(POLL).await,
            }
        };
        info!(
            service = t.name,
            outcome = outcome.0,
            "Evacuation move ended."
        );
        out.insert(t.name.clone(), outcome);
    }
}

/// Nothing under way for the service: no move, call or queued command.
fn idle(s: &DaemonService) -> bool {
    s.busy.is_none()
        && s.controller.phase == "idle"
        && s.controller.moving_to.is_none()
        && s.controller.queued_command.is_none()
}

pub(super) fn rows(plan: &EvacuationPlan, outcomes: &Outcomes) -> Vec<EvacuationRow> {
    plan.rows
        .iter()
        .map(|row| {
            let (outcome, took_ms) = match &row.step {
                Step::Move { .. } => outcomes
                    .get(&row.service)
                    .cloned()
                    .unwrap_or_else(|| ("not started".into(), None)),
                Step::Elsewhere { .. } => ("stayed".into(), None),
                Step::Refused { .. } => ("refused".into(), None),
            };
            EvacuationRow {
                service: row.service.clone(),
                step: row.step.clone(),
                outcome,
                took_ms,
            }
        })
        .collect()
}

pub(super) fn save(journal: &crate::journal::Journal, report: &EvacuationReport) {
    let scope = report.group.clone().unwrap_or_else(|| "*".into());
    let stored = serde_json::to_value(report)
        .map_err(|e| e.to_string())
        .and_then(|v| {
            journal
                .save_report(&report.evacuation, &scope, "evacuation", &v)
                .map_err(|e| e.to_string())
        });
    match stored {
        Ok(()) => info!(
            id = report.evacuation,
            "Evacuation report saved: rtoguard report {}", report.evacuation
        ),
        Err(error) => warn!(
            id = report.evacuation,
            error, "Cannot store the evacuation report."
        ),
    }
}

pub(super) fn epoch_ms(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
