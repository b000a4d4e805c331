//! The running config: one task per service, the probe scheduler feeding
//! them, and the peer machinery; a reload replaces only what changed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::peering::{self, Peering};
use super::service::Input;
use super::unit::{self, Shared, Unit};
use crate::config::Config;
use crate::config::specs;
use crate::probe::{Scheduler, SchedulerHandle};

/// Everything that runs for the current config.
pub(super) struct Generation {
    /// Shared with every service's task (one copy, not one per service:
    /// at 10,000 endpoints a copy per service was most of the heap).
    pub cfg: Arc<Config>,
    pub services: BTreeMap<String, Unit>,
    pub shared: Shared,
    /// Stops the readiness report of this config (a reload starts another).
    pub reporting: CancellationToken,
    peering: Peering,
    probes: Probes,
}

/// The probe scheduler and the task routing its results to service tasks.
struct Probes {
    cancel: CancellationToken,
    handle: SchedulerHandle,
}

impl Probes {
    fn start(cfg: &Config, services: &BTreeMap<String, Unit>, shared: &Shared) -> Self {
        let targets = cfg
            .services
            .iter()
            .flat_map(|s| specs::targets(s, cfg.controller.probe_source))
            .collect();
        let cancel = CancellationToken::new();
        let (mut results, handle) = Scheduler::spawn_on(
            targets,
            specs::limits(cfg),
            cancel.child_token(),
            &shared.probe_now,
        );
        let metrics = shared.obs.metrics.clone();
        let routes: BTreeMap<String, mpsc::Sender<Input>> = services
            .iter()
            .map(|(n, u)| (n.clone(), u.tx.clone()))
            .collect();
        let stop = cancel.clone();
        tokio::spawn(async move {
            loop {
                let (t, result) = tokio::select! {
                    _ = stop.cancelled() => return,
                    r = results.recv() => match r { Some(r) => r, None => return },
                };
                metrics.probe_lateness(result.lateness);
                if let Some(tx) = routes.get(&t.service) {
                    let input = Input::Probe { target: t, result };
                    // Never wait on one service (a task still waiting for its
                    // old one to drain): a full queue drops this result.
                    let _ = tx.try_send(input);
                }
            }
        });
        Self { cancel, handle }
    }

    fn stop(self) {
        let (p50, p99) = self.handle.lateness_percentiles();
        info!(
            probes = self.handle.probes_started(),
            lateness_p50_ms = p50.as_secs_f64() * 1e3,
            lateness_p99_ms = p99.as_secs_f64() * 1e3,
            "Probe scheduler stopped."
        );
        self.cancel.cancel();
    }
}

/// What a reload does to each service.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Plan {
    pub kept: Vec<String>,
    pub restarted: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl Plan {
    /// Compare the running services' fingerprints with `new`'s.
    pub fn diff(running: &BTreeMap<String, String>, new: &Config, peers_changed: bool) -> Self {
        let mut plan = Self::default();
        for svc in &new.services {
            match running.get(&svc.name) {
                None => plan.added.push(svc.name.clone()),
                Some(fp) if !peers_changed && *fp == unit::fingerprint(new, svc) => {
                    plan.kept.push(svc.name.clone());
                }
                Some(_) => plan.restarted.push(svc.name.clone()),
            }
        }
        plan.removed = running
            .keys()
            .filter(|n| new.service(n).is_none())
            .cloned()
            .collect();
        plan
    }

    fn changes_services(&self) -> bool {
        !(self.restarted.is_empty() && self.added.is_empty() && self.removed.is_empty())
    }
}

impl Generation {
    pub async fn start(cfg: Config, shared: Shared) -> anyhow::Result<Self> {
        let cfg = Arc::new(cfg);
        let peering = Peering::start(&cfg).await?;
        let services: BTreeMap<String, Unit> = cfg
            .services
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    Unit::spawn(&cfg, s, &shared, &peering, None),
                )
            })
            .collect();
        let probes = Probes::start(&cfg, &services, &shared);
        Ok(Self {
            cfg,
            services,
            shared,
            reporting: CancellationToken::new(),
            peering,
            probes,
        })
    }

    /// Move to `cfg`: unchanged services keep their task, the others stop,
    /// restart or start (each stop bounded by `limit`). When the new peer
    /// settings cannot start, the old ones start again and every service
    /// keeps its config; an error only when even that fails.
    pub async fn apply(&mut self, cfg: Config, limit: Duration) -> anyhow::Result<Plan> {
        let peers_changed = peering::fingerprint(&cfg) != self.peering.fingerprint;
        let running = self
            .services
            .iter()
            .map(|(n, u)| (n.clone(), u.fingerprint.clone()))
            .collect();
        let plan = Plan::diff(&running, &cfg, peers_changed);
        let going: Vec<String> = plan
            .restarted
            .iter()
            .chain(&plan.removed)
            .cloned()
            .collect();
        let reprobe = peers_changed
            || plan.changes_services()
            || specs::limits(&cfg) != specs::limits(&self.cfg);
        // Old tasks drain in the background; a restarted service's new task
        // waits for its old one, and nothing else waits at all.
        let mut draining: BTreeMap<String, tokio::task::JoinHandle<bool>> = going
            .iter()
            .filter_map(|n| self.services.remove(n).map(|u| (n.clone(), u)))
            .map(|(n, u)| (n.clone(), unit::stop_in_background(n, u, limit)))
            .collect();
        self.forget_metrics(&going);
        let cfg = if peers_changed {
            self.restart_peering(cfg).await?
        } else {
            Arc::new(cfg)
        };
        for svc in &cfg.services {
            if !self.services.contains_key(&svc.name) {
                let after = draining.remove(&svc.name);
                let u = Unit::spawn(&cfg, svc, &self.shared, &self.peering, after);
                self.services.insert(svc.name.clone(), u);
            }
        }
        self.cfg = cfg;
        // The old scheduler ran until now, so kept services never went unprobed.
        if reprobe {
            let old = std::mem::replace(
                &mut self.probes,
                Probes::start(&self.cfg, &self.services, &self.shared),
            );
            old.stop();
        }
        Ok(plan)
    }

    /// Drop the gauges of `services` as the running config has them.
    fn forget_metrics(&self, services: &[String]) {
        let vantages: Vec<String> = std::iter::once(self.cfg.controller.id.clone())
            .chain(self.cfg.peers.iter().map(|p| p.id.clone()))
            .collect();
        for svc in services.iter().filter_map(|n| self.cfg.service(n)) {
            self.shared.obs.metrics.forget_service(svc, &vantages);
        }
    }

    /// Replace the peer machinery (every service is stopping by then); the
    /// config to run: `cfg`, or the old one when `cfg`'s peers cannot start.
    async fn restart_peering(&mut self, cfg: Config) -> anyhow::Result<Arc<Config>> {
        let old = std::mem::replace(&mut self.peering, Peering::placeholder(&self.cfg));
        old.stop().await;
        match Peering::start(&cfg).await {
            Ok(p) => {
                self.peering = p;
                Ok(Arc::new(cfg))
            }
            Err(e) => {
                warn!(error = %format!("{e:#}"), "The new peer settings failed to start; going back to the old config.");
                self.peering = Peering::start(&self.cfg).await?;
                Ok(self.cfg.clone())
            }
        }
    }

    /// Every service's readiness, by name.
    pub fn readiness(
        &self,
    ) -> Vec<(
        String,
        tokio::sync::watch::Receiver<super::readiness::Missing>,
    )> {
        self.services
            .iter()
            .map(|(n, u)| (n.clone(), u.readiness.clone()))
            .collect()
    }

    /// Stop everything; provider calls in flight get at most `limit` to finish.
    pub async fn stop(self, limit: Duration) {
        self.probes.stop();
        unit::stop_all(self.services.into_iter().collect(), limit).await;
        self.peering.stop().await;
    }
}
