//! `rtoguard evacuate` in the daemon: the plan from every service's state
//! (the core's [`evacuation::plan`]), then each service's controller takes
//! its `Evacuate` command (it journals it, refuses or moves through the one
//! move engine), wave after wave of at most `max_parallel` moves; at the end
//! one report with a row per service.

use std::time::Duration;

use tokio::sync::oneshot;

use super::evacuation_run::{end, run};
use super::evacuation_talk::{Target, answer, statuses};
use super::generation::Generation;
use crate::config::{Config, Service};
use crate::control::{DaemonService, EvacuateRequest, Reply};
use crate::controller::evacuation::{self, Candidate, PoolPlace};

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
        let targets = self.targets(&names, r.planned);
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

impl Generation {
    /// The running services among `names`, to speak to.
    pub(super) fn targets(&self, names: &[String], planned: bool) -> Vec<Target> {
        names
            .iter()
            .filter_map(|n| {
                let svc = self.cfg.services.iter().find(|s| &s.name == n)?;
                Some(Target {
                    name: n.clone(),
                    tx: self.services.get(n)?.tx.clone(),
                    limit: move_limit(svc, planned),
                })
            })
            .collect()
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
