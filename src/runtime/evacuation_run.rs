//! Running an evacuation (wave after wave, then its report) and ending one.

use std::time::Duration;

use tokio::sync::oneshot;
use tracing::{info, warn};

use super::evacuation_talk::{Target, answer, command};
use super::evacuation_waves::{Outcomes, epoch_ms, rows, save, wait};
use crate::control::{DaemonService, EvacuateRequest, Reply};
use crate::controller::Command;
use crate::controller::evacuation::{self, EvacuationPlan, Step};
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

/// Starts the evacuation: services that stay or are refused hear it at
/// once (each controller journals it and judges for itself), then the
/// moves wave by wave; answers after the first wave went out.
pub(super) async fn run(
    r: EvacuateRequest,
    id: String,
    mut plan: EvacuationPlan,
    targets: Vec<Target>,
    actor: String,
    journal: std::sync::Arc<crate::journal::Journal>,
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
    let cmd = |_: &str| Command::Evacuate {
        id: id.clone(),
        region: r.region.clone(),
        by: actor.clone(),
        reason: reason.clone(),
        until,
        planned: r.planned,
    };
    info!(
        region = r.region,
        id,
        by = actor,
        reason,
        "Evacuation started."
    );
    let mut reply = Some(reply);
    let waves = plan.waves();
    let started_ms = crate::journal::now_ms();
    let mut outcomes = Outcomes::new();
    for wave in 0..=waves {
        let rows: Vec<String> = plan
            .rows
            .iter()
            .filter(|row| match row.step {
                Step::Move { wave: w, .. } => w == wave,
                _ => wave == 0,
            })
            .map(|row| row.service.clone())
            .collect();
        for name in &rows {
            let Some(t) = targets.iter().find(|t| &t.name == name) else {
                continue;
            };
            if let Err(why) = command(t, cmd(name), &actor).await {
                refuse_row(&mut plan, name, why);
            }
        }
        if wave == 1 || (wave == 0 && waves == 0) {
            send_plan(&mut reply, &id, &plan);
        }
        if wave > 0 {
            wait(&plan, wave, &targets, &mut outcomes).await;
        }
    }
    send_plan(&mut reply, &id, &plan);
    let report = EvacuationReport {
        evacuation: id.clone(),
        region: r.region.clone(),
        group: r.group.clone(),
        by: actor.clone(),
        reason,
        planned: r.planned,
        started_ms,
        ended_ms: crate::journal::now_ms(),
        until_ms: until.map(epoch_ms),
        rows: rows(&plan, &outcomes),
    };
    save(&journal, &report);
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
