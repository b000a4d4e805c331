//! Running an evacuation (its plan journaled, wave after wave, then its
//! report) and ending one.

use std::time::Duration;

use tokio::sync::oneshot;
use tracing::{info, warn};

use std::sync::Arc;

use super::evacuation_talk::{Target, answer, command};
use super::evacuation_waves::{epoch_ms, rows, save, wait};
use crate::control::{DaemonService, EvacuateRequest, Reply};
use crate::controller::Command;
use crate::controller::evacuation::{self, EvacuationPlan, Step};
use crate::controller::evacuation_resume::{EvacuationRun, Outcomes, WaveStep};
use crate::journal::{Event as JournalEvent, Journal, Source};
use crate::report::EvacuationReport;

/// Ends the evacuation of the region for every service that has it.
pub(super) async fn end(
    r: &EvacuateRequest,
    targets: &[Target],
    statuses: &[DaemonService],
    actor: String,
) -> Reply {
    let mut ended = Vec::new();
    let mut id = None;
    for (t, s) in targets.iter().zip(statuses) {
        let Some(e) = s
            .controller
            .evacuation
            .as_ref()
            .filter(|e| e.region == r.region)
        else {
            continue;
        };
        id.get_or_insert_with(|| e.id.clone());
        let cmd = Command::EndEvacuation {
            by: actor.clone(),
            region: r.region.clone(),
        };
        match command(t, cmd, &actor).await {
            Ok(()) => ended.push(t.name.clone()),
            Err(why) => warn!(service = t.name, why, "Evacuation not ended for a service."),
        }
    }
    if ended.is_empty() {
        return Reply::error(409, format!("region {} is not being evacuated", r.region));
    }
    info!(
        region = r.region,
        services = ended.join(","),
        "Evacuation ended."
    );
    let text = format!(
        "evacuation of region {} ended for: {}; the failback rules bring them home",
        r.region,
        ended.join(", ")
    );
    let plan = evacuation::plan(&r.region, &[], 1);
    Reply::evacuation(answer(id.unwrap_or_default(), false, text, plan))
}

/// Starts the evacuation: its plan is journaled (a restart goes on with
/// it), then [`drive`] gives the commands wave by wave.
pub(super) async fn run(
    r: EvacuateRequest,
    id: String,
    plan: EvacuationPlan,
    targets: Vec<Target>,
    actor: String,
    journal: Arc<Journal>,
    reply: oneshot::Sender<Reply>,
) {
    let until = r.for_secs.map(|s| {
        let now = std::time::SystemTime::now();
        now.checked_add(Duration::from_secs(s)).unwrap_or(now)
    });
    let reason = r
        .reason
        .clone()
        .unwrap_or_else(|| format!("evacuating region {}", r.region));
    let ev = EvacuationRun {
        id,
        region: r.region.clone(),
        group: r.group.clone(),
        by: actor,
        reason,
        planned: r.planned,
        until,
        started_ms: crate::journal::now_ms(),
        plan,
    };
    info!(
        region = ev.region,
        id = ev.id,
        by = ev.by,
        reason = ev.reason,
        "Evacuation started."
    );
    note(
        &journal,
        &ev,
        JournalEvent::EvacuationPlanned {
            run: ev.clone(),
            resumed: false,
        },
    );
    let steps = ev.fresh();
    drive(ev, steps, targets, journal, Some(reply)).await;
}

/// Carries out `steps`: services that stay or are refused hear it at once
/// (each controller journals it and judges for itself), then the moves
/// wave by wave, each wave journaled when its moves ended; answers after
/// the first wave went out, and ends with one report.
pub(super) async fn drive(
    mut ev: EvacuationRun,
    steps: Vec<WaveStep>,
    targets: Vec<Target>,
    journal: Arc<Journal>,
    reply: Option<oneshot::Sender<Reply>>,
) {
    let cmd = Command::Evacuate {
        id: ev.id.clone(),
        region: ev.region.clone(),
        by: ev.by.clone(),
        reason: ev.reason.clone(),
        until: ev.until,
        planned: ev.planned,
    };
    let mut reply = reply;
    let waves = ev.plan.waves();
    let mut outcomes = Outcomes::new();
    for step in steps {
        let (wave, send) = match step {
            WaveStep::Done { outcomes: o, .. } => {
                outcomes.extend(o);
                continue;
            }
            WaveStep::Skip { wave, why } => {
                for s in ev.rows_of(wave) {
                    outcomes.insert(s.to_owned(), (why.clone(), None));
                }
                continue;
            }
            WaveStep::Run { wave, send } => (wave, send),
        };
        // A refusal is kept with the wave's outcomes, so a restart reports it too.
        let mut ended = Outcomes::new();
        for name in &send {
            let Some(t) = targets.iter().find(|t| &t.name == name) else {
                continue;
            };
            if let Err(why) = command(t, cmd.clone(), &ev.by).await {
                ended.insert(name.clone(), (format!("refused: {why}"), None));
                refuse_row(&mut ev.plan, name, why);
            }
        }
        if wave == 1 || (wave == 0 && waves == 0) {
            send_plan(&mut reply, &ev.id, &ev.plan);
        }
        if wave > 0 {
            wait(&ev.plan, wave, &targets, &mut ended).await;
        }
        note(
            &journal,
            &ev,
            JournalEvent::EvacuationWave {
                evacuation: ev.id.clone(),
                wave,
                outcomes: ended.clone(),
            },
        );
        outcomes.extend(ended);
        crate::test_hooks::hold_evacuation_after(wave).await;
    }
    send_plan(&mut reply, &ev.id, &ev.plan);
    let report = EvacuationReport {
        evacuation: ev.id.clone(),
        region: ev.region.clone(),
        group: ev.group.clone(),
        by: ev.by.clone(),
        reason: ev.reason.clone(),
        planned: ev.planned,
        started_ms: ev.started_ms,
        ended_ms: crate::journal::now_ms(),
        until_ms: ev.until.map(epoch_ms),
        rows: rows(&ev.plan, &outcomes),
    };
    save(&journal, &report);
}

/// Journals one step of the evacuation's run, under its group (`*`: every service).
pub(super) fn note(journal: &Journal, ev: &EvacuationRun, event: JournalEvent) {
    let src = Source {
        service: ev.group.as_deref().unwrap_or("*"),
        incident: Some(&ev.id),
        actor: &ev.by,
    };
    if let Err(error) = journal.record(src, &event) {
        warn!(id = ev.id, %error, "Cannot journal the evacuation's progress: a restart may not go on with it.");
    }
}

fn send_plan(reply: &mut Option<oneshot::Sender<Reply>>, id: &str, plan: &EvacuationPlan) {
    if let Some(tx) = reply.take() {
        let text = format!("evacuation {id} started\n{plan}");
        let _ = tx.send(Reply::evacuation(answer(
            id.to_owned(),
            false,
            text,
            plan.clone(),
        )));
    }
}

/// The controller refused at the last moment (its state changed since the plan).
fn refuse_row(plan: &mut EvacuationPlan, name: &str, why: String) {
    warn!(service = name, why, "Evacuation refused by the service.");
    if let Some(row) = plan.rows.iter_mut().find(|r| r.service == name)
        && !matches!(row.step, Step::Refused { .. })
    {
        row.step = Step::Refused { why };
    }
}
