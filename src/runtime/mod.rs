//! The daemon (`rtoguard run`): probes, controllers, provider calls, the
//! control socket, signals and systemd notification, wired together.
//!
//! - [`specs`]: config → probe targets and controller policy.
//! - [`service`]: one task per service: health in, decisions out.
//! - [`exec`]: the provider calls behind the controller's actions.
//! - [`signals`]: TERM/INT stop, HUP reloads.
//! - [`systemd`]: readiness, watchdog, stopping.

mod exec;
#[cfg(test)]
mod flapping;
pub mod reports;
mod service;
pub mod signals;
pub mod specs;
mod systemd;
pub(crate) mod test_hooks;
mod vantages;
pub mod watch;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::config::{self, Config};
use crate::control::{self, Envelope, Reply, Request};
use crate::controller::Command;
use crate::journal::Journal;
use crate::probe::{Scheduler, SchedulerHandle};
use service::{Input, ServiceTask};

/// A watch spec for `svc` moving to pool `mv.to`, from the config (for `rtoguard watch`
/// and manual moves).
pub fn watch_spec(
    cfg: &Config,
    svc: &crate::config::Service,
    mv: &watch::Move<'_>,
) -> crate::propagation::WatchSpec {
    watch::spec(svc, watch::provider_primary(cfg, svc), mv)
}

/// A move to `to` starting now, for [`watch_spec`].
pub fn watch_move(to: &str) -> watch::Move<'_> {
    watch::Move {
        to,
        from: None,
        old_ttl: 0,
        start: tokio::time::Instant::now(),
        changed_at: None,
    }
}

/// How long a stop may take: in-flight provider calls finish first.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(90);

/// Run the daemon until SIGTERM/SIGINT.
pub async fn run(path: &Path) -> anyhow::Result<()> {
    let signals = signals::Signals::install().context("installing signal handlers")?;
    run_until(path, Stop::Signals(signals), None).await
}

/// What ends the daemon: process signals, or a token (the demo runs the
/// daemon in-process and stops it with a token).
pub enum Stop {
    Signals(signals::Signals),
    Token(CancellationToken),
}

impl Stop {
    async fn next(&mut self) -> signals::Signal {
        match self {
            Self::Signals(s) => s.next().await,
            Self::Token(t) => {
                t.cancelled().await;
                signals::Signal::Stop
            }
        }
    }
}

/// Run the daemon until `stop` says so; `ready` is told once the first
/// probe round is done.
pub async fn run_until(
    path: &Path,
    mut signals: Stop,
    ready: Option<oneshot::Sender<()>>,
) -> anyhow::Result<()> {
    let cfg = config::load_checked(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let journal =
        Arc::new(Journal::open(&cfg.controller.state_dir).context("opening the journal")?);
    let (ctl_tx, mut ctl_rx) = mpsc::channel(64);
    let ctl_cancel = CancellationToken::new();
    let socket = cfg.controller.control_socket.clone();
    let ctl = control::serve(&socket, ctl_tx, ctl_cancel.clone())
        .await
        .with_context(|| format!("control socket {}", socket.display()))?;
    info!(controller = %cfg.controller.id, services = cfg.services.len(), socket = %socket.display(), "Starting.");
    let obs = Observability::start(&cfg, &ctl_cancel).await?;
    let mut generation = Generation::start(cfg, journal.clone(), obs.clone()).await?;
    generation.wait_ready().await;
    systemd::ready();
    if let Some(r) = ready {
        let _ = r.send(());
    }
    info!("Ready: first probe round done and providers read.");
    let mut watchdog = systemd::watchdog_interval().map(tokio::time::interval);
    let outcome = loop {
        tokio::select! {
            sig = signals.next() => match sig {
                signals::Signal::Stop => break Ok(generation),
                signals::Signal::Reload => match reload(path, generation, &journal, &obs).await {
                    Ok(g) => generation = g,
                    Err(e) => break Err(e),
                },
            },
            Some(env) = ctl_rx.recv() => generation.dispatch(env),
            _ = tick(&mut watchdog) => systemd::watchdog(),
        }
    };
    let generation = match outcome {
        Ok(g) => g,
        Err(e) => {
            systemd::stopping();
            ctl_cancel.cancel();
            let _ = ctl.await;
            let _ = std::fs::remove_file(&socket);
            return Err(e);
        }
    };
    info!("Stopping: waiting for provider calls in flight to finish.");
    systemd::stopping();
    generation.stop().await;
    ctl_cancel.cancel();
    let _ = ctl.await;
    let _ = std::fs::remove_file(&socket);
    info!("Stopped.");
    Ok(())
}

async fn tick(i: &mut Option<tokio::time::Interval>) {
    match i {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// SIGHUP: a valid new config replaces the running one (services restart
/// and reconcile against the provider); an invalid one is refused and the
/// old one keeps running. Only when the new config fails to start and the
/// old one then fails to start again is there an error: the daemon stops
/// (and systemd restarts it) instead of panicking.
async fn reload(
    path: &Path,
    old: Generation,
    journal: &Arc<Journal>,
    obs: &Observability,
) -> anyhow::Result<Generation> {
    systemd::reloading();
    let cfg = match config::load_checked(path) {
        Ok(cfg) => cfg,
        Err(e) => {
            error!(config = %path.display(), "Reload refused, the running config stays:\n{e}");
            systemd::ready();
            return Ok(old);
        }
    };
    if cfg.controller.control_socket != old.cfg.controller.control_socket {
        warn!("controller.control_socket changed: that takes effect at the next restart.");
    }
    info!(
        services = cfg.services.len(),
        "Config reloaded: restarting services with it."
    );
    let old_cfg = old.cfg.clone();
    old.stop().await;
    obs.metrics.forget_service_state();
    let next = match Generation::start(cfg, journal.clone(), obs.clone()).await {
        Ok(g) => g,
        Err(e) => {
            error!(error = %format!("{e:#}"), "The new config failed to start; going back to the old one.");
            Generation::start(old_cfg, journal.clone(), obs.clone())
                .await
                .context("the running config no longer starts after a failed reload")?
        }
    };
    systemd::ready();
    Ok(next)
}

/// Everything that runs for one config: the probe scheduler and one task per service.
struct Generation {
    cfg: Config,
    cancel: CancellationToken,
    tracker: TaskTracker,
    services: BTreeMap<String, mpsc::Sender<Input>>,
    ready: Vec<oneshot::Receiver<()>>,
    probes: SchedulerHandle,
}

impl Generation {
    async fn start(cfg: Config, journal: Arc<Journal>, obs: Observability) -> anyhow::Result<Self> {
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let (peers, publish) = start_peers(&cfg, &cancel, &tracker).await?;
        let mut services = BTreeMap::new();
        let mut ready = Vec::new();
        let mut targets = Vec::new();
        for svc in &cfg.services {
            let (tx, rx) = mpsc::channel(256);
            let (rtx, rrx) = oneshot::channel();
            ready.push(rrx);
            targets.extend(specs::targets(svc, cfg.controller.probe_source));
            let (cfg2, svc2, j, c) = (cfg.clone(), svc.clone(), journal.clone(), cancel.clone());
            let metrics = obs.metrics.clone();
            obs.metrics.init_service(&svc.name, svc.rto);
            let links = service::Links {
                tx: tx.clone(),
                primary: watch::provider_primary(&cfg, svc),
                intent_max_age: cfg.controller.intent_max_age,
                metrics: obs.metrics.clone(),
                notify: obs.notify.clone(),
                vantages: vantages::Vantages::new(
                    &cfg,
                    svc,
                    &publish.borrow().config_digest.clone(),
                    peers.clone(),
                    publish.clone(),
                ),
            };
            tracker.spawn(async move {
                let provider = crate::providers::build(&cfg2, &svc2.provider)
                    .await
                    .map(|p| crate::metrics::Metered::wrap(p, metrics))
                    .map_err(|e| e.to_string());
                ServiceTask::new(svc2, provider, j, rtx, links)
                    .run(rx, c)
                    .await;
            });
            services.insert(svc.name.clone(), tx);
        }
        let probe_cancel = cancel.child_token();
        let (mut results, probes) = Scheduler::spawn(targets, specs::limits(&cfg), probe_cancel);
        let routes = services.clone();
        tracker.spawn(async move {
            while let Some((t, result)) = results.recv().await {
                if let Some(tx) = routes.get(&t.service) {
                    let _ = tx
                        .send(Input::Probe {
                            pool: t.pool,
                            endpoint: t.endpoint,
                            result,
                        })
                        .await;
                }
            }
        });
        tracker.close();
        Ok(Self {
            cfg,
            cancel,
            tracker,
            services,
            ready,
            probes,
        })
    }

    /// Until every service has probed each endpoint once (bounded).
    async fn wait_ready(&mut self) {
        let longest = self
            .cfg
            .services
            .iter()
            .map(|s| s.health.interval.saturating_add(s.probe.timeout))
            .max()
            .unwrap_or_default();
        let all = futures_all(std::mem::take(&mut self.ready));
        if tokio::time::timeout(
            longest
                .saturating_mul(2)
                .saturating_add(Duration::from_secs(5)),
            all,
        )
        .await
        .is_err()
        {
            warn!("Not every endpoint answered a first probe in time; reporting ready anyway.");
        }
    }

    async fn stop(self) {
        let (p50, p99) = self.probes.lateness_percentiles();
        info!(
            probes = self.probes.probes_started(),
            lateness_p50_ms = p50.as_secs_f64() * 1e3,
            lateness_p99_ms = p99.as_secs_f64() * 1e3,
            "Probe scheduler stopped."
        );
        self.cancel.cancel();
        drop(self.services);
        if tokio::time::timeout(DRAIN_TIMEOUT, self.tracker.wait())
            .await
            .is_err()
        {
            error!("Provider calls still in flight after {DRAIN_TIMEOUT:?}; stopping anyway.");
        }
    }

    /// Route one control request to the service it names.
    fn dispatch(&self, env: Envelope) {
        let Envelope {
            request,
            actor,
            reply,
        } = env;
        let service = match &request {
            Request::Status => return self.status(reply),
            Request::Failover { service, .. }
            | Request::Failback { service, .. }
            | Request::Drill { service, .. }
            | Request::Pin { service, .. }
            | Request::Unpin { service } => service.clone(),
        };
        let Some(tx) = self.services.get(&service).cloned() else {
            let valid = self.services.keys().cloned().collect::<Vec<_>>().join(", ");
            let _ = reply.send(Reply::error(
                404,
                format!("no service {service:?}; services are: {valid}"),
            ));
            return;
        };
        let input = match request {
            Request::Failover { mv, .. } if mv.dry_run => Input::DryRun {
                command: Command::Failover {
                    to: mv.to.unwrap_or_default(),
                    planned: mv.planned,
                    force: mv.force,
                },
                reply,
            },
            Request::Failback { mv, .. } if mv.dry_run => Input::DryRun {
                command: Command::Failback {
                    planned: mv.planned,
                },
                reply,
            },
            Request::Failover { mv, .. } => Input::Command {
                command: Command::Failover {
                    to: mv.to.unwrap_or_default(),
                    planned: mv.planned,
                    force: mv.force,
                },
                actor,
                reply,
            },
            Request::Failback { mv, .. } => Input::Command {
                command: Command::Failback {
                    planned: mv.planned,
                },
                actor,
                reply,
            },
            Request::Drill { drill, .. } => Input::Drill {
                drill,
                actor,
                reply,
            },
            Request::Pin { pin, .. } => Input::Command {
                command: Command::Pin {
                    by: actor.clone(),
                    reason: pin.reason,
                    // Bounded by the parser; an end out of range is refused by the controller.
                    until: pin.for_secs.map(|s| {
                        let now = std::time::SystemTime::now();
                        now.checked_add(std::time::Duration::from_secs(s))
                            .unwrap_or(now)
                    }),
                },
                actor,
                reply,
            },
            Request::Unpin { .. } => Input::Command {
                command: Command::Unpin { by: actor.clone() },
                actor,
                reply,
            },
            Request::Status => unreachable!("handled above"),
        };
        tokio::spawn(async move {
            let _ = tx.send(input).await;
        });
    }

    fn status(&self, reply: oneshot::Sender<Reply>) {
        let id = self.cfg.controller.id.clone();
        let txs: Vec<_> = self.services.values().cloned().collect();
        tokio::spawn(async move {
            let mut out = Vec::new();
            for tx in txs {
                let (rtx, rrx) = oneshot::channel();
                if tx.send(Input::Status { reply: rtx }).await.is_ok()
                    && let Ok(v) = rrx.await
                {
                    out.push(v);
                }
            }
            let _ = reply.send(Reply::status(control::StatusReply {
                controller: id,
                daemon: true,
                services: out,
            }));
        });
    }
}

/// Metrics (served on `controller.metrics_listen` when set) and webhook
/// notifications; both live as long as the daemon, across reloads.
#[derive(Clone)]
struct Observability {
    metrics: crate::metrics::Metrics,
    notify: crate::notify::Notifier,
}

impl Observability {
    async fn start(cfg: &Config, cancel: &CancellationToken) -> anyhow::Result<Self> {
        let metrics = crate::metrics::Metrics::new();
        if let Some(addr) = cfg.controller.metrics_listen {
            let (bound, _task) = crate::metrics::serve(addr, metrics.clone(), cancel.clone())
                .await
                .with_context(|| format!("metrics on {addr}"))?;
            info!(listen = %bound, "Serving Prometheus metrics at /metrics.");
        }
        let (notify, _task) =
            crate::notify::Notifier::start(&cfg.notify, &cfg.controller.id, cancel.clone())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self { metrics, notify })
    }
}

/// The peer API (when `peer_listen` is set) and the peer puller (when peers
/// are configured), and the channel our observations are published on.
async fn start_peers(
    cfg: &Config,
    cancel: &CancellationToken,
    tracker: &TaskTracker,
) -> anyhow::Result<(
    Option<crate::peers::PeerSet>,
    tokio::sync::watch::Sender<crate::peers::Observations>,
)> {
    use crate::peers::{Observations, PeerSet, PeerSpec, config_digest};
    let digest = config_digest(cfg);
    let (publish, rx) = tokio::sync::watch::channel(Observations::empty(
        &cfg.controller.id,
        &digest,
        crate::journal::now_ms(),
    ));
    if let Some(listen) = cfg.controller.peer_listen {
        let token = cfg
            .controller
            .peer_token
            .as_ref()
            .context("controller.peer_token_file or peer_token_env is required with peer_listen")?
            .read()
            .map_err(anyhow::Error::msg)?;
        let (addr, server) = crate::peers::serve_with(
            listen,
            cfg.controller.peer_tls.clone(),
            token,
            rx,
            crate::peers::limits_for(cfg),
            cancel.child_token(),
        )
        .await
        .with_context(|| format!("peer API on {listen}"))?;
        info!(listen = %addr, "Serving observations to peers.");
        tracker.spawn(async move {
            let _ = server.await;
        });
    }
    if cfg.peers.is_empty() {
        return Ok((None, publish));
    }
    let specs = cfg
        .peers
        .iter()
        .map(PeerSpec::from_config)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let set = PeerSet::spawn(specs, PeerSet::interval_for(cfg), cancel.child_token());
    Ok((Some(set), publish))
}

/// Wait for every receiver (a dropped sender counts as done).
async fn futures_all(rxs: Vec<oneshot::Receiver<()>>) {
    for rx in rxs {
        let _ = rx.await;
    }
}
