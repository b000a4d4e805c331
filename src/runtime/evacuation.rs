//! `rtoguard evacuate` in the daemon: the plan from every service's state
//! (the core's [`evacuation::plan`]), then each service's controller takes
//! its `Evacuate` command (it journals it, refuses or moves through the one
//! move engine), wave after wave of at most `max_parallel` moves; at the end
//! one report with a row per service.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use super::generation::Generation;
use super::service::Input;
use crate::config::{Config, Service};
use crate::control::{DaemonService, EvacuateRequest, EvacuationReply, Reply};
use crate::controller::Command;
use crate::controller::evacuation::{self, Candidate, EvacuationPlan, PoolPlace, Step};
use crate::report::{EvacuationReport, EvacuationRow};

/// How often a wave's services are asked whether their move is done.
const POLL: Duration = Duration::from_millis(250);

/// One service the evacuation speaks to.
struct Target {
    name: String,
    tx: mpsc::Sender<Input>,
    /// The longest its move may take before the next wave goes anyway.
    limit: Duration,
}

impl Generation {
    /// Plans, dry-runs, starts or ends an evacuation.
    pub(super) fn evacuate(
        &self,
        r: EvacuateRequest,
        actor: String,
        reply: oneshot::Sender<Reply>,
    ) {
        let (names, max_parallel) = match select(&self.cfg, r.group.as_deref()) {
            Ok(s) => s,
            Err(message) => {
                let _ = reply.send(Reply::error(404, message));
                return;
            }
        };
        let targets: Vec<Target> = names
            .iter()
            .filter_map(|n| {
                let svc = self.cfg.services.iter().find(|s| &s.name == n)?;
                Some(Target {
                    name: n.clone(),
                    tx: self.services.get(n)?.tx.clone(),
                    limit: move_limit(svc, r.planned),
                })
            })
            .collect();
        let cfg = self.cfg.clone();
        let journal = self.shared.journal.clone();
        tokio::spawn(async move {
            let statuses = statuses(&targets).await;
            if r.end {
                let _ = reply.send(end(&r, &targets, &statuses, actor).await);
                return;
            }
            let plan = evacuation::plan(&r.region, &candidates(&cfg, &statuses), max_parallel);
            let id = format!("evac-{}-{}", r.region, crate::journal::now_ms());
            if r.dry_run {
                let text = format!("dry run: nothing changed\n{plan}");
                let _ = reply.send(Reply::evacuation(answer(id, true, text, plan)));
                return;
            }
            run(r, id, plan, targets, actor, journal, reply).await;
        });
    }
}

/// The services of `group` (every service without one) and how many move at once.
fn select(cfg: &Config, group: Option<&str>) -> Result<(Vec<String>, usize), String> {
    match group {
        Some(g) => match cfg.group(g) {
            Some(g) => Ok((g.services.clone(), g.max_parallel)),
            None => {
                let valid: Vec<&str> = cfg.groups.iter().map(|g| g.name.as_str()).collect();
                Err(format!("no group {g:?}; groups are: {}", valid.join(", ")))
            }
        },
        // Every service: the strictest limit of any group, else one at a time.
        None => Ok((
            cfg.services.iter().map(|s| s.name.clone()).collect(),
            cfg.groups.iter().map(|g| g.max_parallel).min().unwrap_or(1),
        )),
    }
}

/// A move waits its drain (planned) and a few provider calls.
fn move_limit(svc: &Service, planned: bool) -> Duration {
    let drain = if planned {
        Duration::from_secs(u64::from(svc.ttl.normal))
    } else {
        Duration::ZERO
    };
    drain + Duration::from_secs(120)
}

async fn status(tx: &mpsc::Sender<Input>) -> Option<DaemonService> {
    let (rtx, rrx) = oneshot::channel();
    tx.send(Input::Status { reply: rtx }).await.ok()?;
    tokio::time::timeout(Duration::from_secs(2), rrx)
        .await
        .ok()?
        .ok()
}

async fn statuses(targets: &[Target]) -> Vec<DaemonService> {
    let mut out = Vec::new();
    for t in targets {
        out.push(
            status(&t.tx)
                .await
                .unwrap_or_else(|| DaemonService::not_answering(&t.name)),
        );
    }
    out
}

/// Each service's pools with their regions (config) and health (status).
fn candidates(cfg: &Config, statuses: &[DaemonService]) -> Vec<Candidate> {
    statuses
        .iter()
        .filter_map(|s| {
            let svc = cfg.services.iter().find(|c| c.name == s.service)?;
            let health = |pool: &str| {
                s.controller
                    .pools
                    .iter()
                    .find(|p| p.name == pool)
                    .map_or(crate::controller::PoolHealth::Unknown, |p| p.health)
            };
            Some(Candidate {
                service: s.service.clone(),
                active: s.controller.active.clone(),
                pools: svc
                    .pools
                    .iter()
                    .map(|p| PoolPlace {
                        name: p.name.clone(),
                        region: p.region.clone(),
                        health: health(&p.name),
                    })
                    .collect(),
            })
        })
        .collect()
}

fn answer(id: String, dry_run: bool, text: String, plan: EvacuationPlan) -> EvacuationReply {
    EvacuationReply {
        evacuation: id,
        dry_run,
        text,
        plan,
    }
}

/// Sends one command to one service; its refusal, if any.
async fn command(t: &Target, command: Command, actor: &str) -> Result<(), String> {
    let (rtx, rrx) = oneshot::channel();
    let input = Input::Command {
        command,
        actor: actor.to_owned(),
        reply: rtx,
    };
    if t.tx.send(input).await.is_err() {
        return Err("the service is stopping".into());
    }
    match rrx.await {
        Ok(r) if r.status < 300 => Ok(()),
        Ok(r) => Err(match r.body {
            crate::control::ReplyBody::Error(e) => e.error,
            _ => format!("answered {}", r.status),
        }),
        Err(_) => Err("the service did not answer".into()),
    }
}

/// Ends the evacuation of the region for every service that has it.
async fn end(
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
async fn run(
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

/// How each move ended: in words, and how long it took.
type Outcomes = BTreeMap<String, (String, Option<u64>)>;

/// Waits until every move of `wave` landed, was dropped, or ran out of time.
async fn wait(plan: &EvacuationPlan, wave: usize, targets: &[Target], out: &mut Outcomes) {
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

fn rows(plan: &EvacuationPlan, outcomes: &Outcomes) -> Vec<EvacuationRow> {
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

fn save(journal: &crate::journal::Journal, report: &EvacuationReport) {
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
    if let Some(row) = plan.rows.iter_mut().find(|r| r.service == name) {
        if !matches!(row.step, Step::Refused { .. }) {
            row.step = Step::Refused { why };
        }
    }
}

fn epoch_ms(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
