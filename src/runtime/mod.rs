//! The daemon (`rtoguard run`): probes, controllers, provider calls, the
//! control socket, signals and systemd notification, wired together.
//!
//! - [`generation`]: the running config; a reload replaces what changed.
//! - [`unit`]: one service's task, started and stopped on its own.
//! - [`service`]: one task per service: health in, decisions out.
//! - [`heartbeat`]: service tasks' heartbeats; the watchdog pings on them.
//! - [`peering`]: the peer API and puller; [`outputs`]: metrics, webhooks.
//! - [`exec`]: the provider calls behind the controller's actions.
//! - [`signals`]: TERM/INT stop, HUP reloads.
//! - [`systemd`]: readiness, watchdog, stopping.

mod evacuation;
mod evacuation_resume;
mod evacuation_run;
mod evacuation_talk;
mod evacuation_waves;
mod exec;
#[cfg(test)]
mod flapping;
mod generation;
mod heartbeat;
mod outputs;
mod peering;
mod readiness;
mod risk;
mod risk_news;
mod service;
pub mod signals;
mod systemd;
#[cfg(test)]
mod tests_reload;
#[cfg(test)]
mod tests_systemd;
mod unit;
mod vantages;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::config::{self, Config};
use crate::control::{self, Envelope, Reply, Request};
use crate::controller::Command;
use crate::journal::Journal;
use generation::Generation;
use outputs::{Observability, Outputs};
use service::Input;

/// How long `status` waits for one service task's answer.
const STATUS_WAIT: Duration = Duration::from_secs(2);

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

/// Run the daemon until `stop` says so; `ready` is told once READY was
/// sent (see [`readiness`]).
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
    let mut outputs = Outputs::start(&cfg, &ctl_cancel).await?;
    let (mut generation, mut done) = start(cfg, journal, &outputs, &ctl_cancel).await?;
    let mut ready = ready;
    let outcome = loop {
        tokio::select! {
            r = &mut done, if ready.is_some() => {
                let tell = ready.take();
                if r.is_ok() {
                    let _ = tell.map(|t| t.send(()));
                }
            }
            sig = signals.next() => match sig {
                signals::Signal::Stop => break Ok(()),
                signals::Signal::Reload => {
                    if let Err(e) = reload(path, &mut generation, &mut outputs).await {
                        break Err(e);
                    }
                }
            },
            Some(env) = ctl_rx.recv() => generation.dispatch(env),
        }
    };
    systemd::stopping();
    generation.reporting.cancel();
    if outcome.is_ok() {
        info!("Stopping: waiting for provider calls in flight to finish.");
        let limit = generation.cfg.controller.stop_timeout;
        generation.stop(limit).await;
    }
    ctl_cancel.cancel();
    let _ = ctl.await;
    let _ = std::fs::remove_file(&socket);
    if outcome.is_ok() {
        info!("Stopped.");
    }
    outcome
}

/// Start the watchdog task, every service and the readiness report; the
/// receiver is told when READY was sent.
async fn start(
    cfg: Config,
    journal: Arc<Journal>,
    outputs: &Outputs,
    cancel: &CancellationToken,
) -> anyhow::Result<(Generation, oneshot::Receiver<()>)> {
    let heartbeats = heartbeat::Heartbeats::new();
    if let Some(every) = systemd::watchdog_interval() {
        tokio::spawn(heartbeats.clone().watchdog(every, cancel.child_token()));
    }
    let shared = unit::Shared {
        journal,
        obs: outputs.obs.clone(),
        heartbeats,
        risk_news: Default::default(),
        probe_now: crate::probe::ProbeNow::default(),
    };
    let limit = readiness::limit(&cfg);
    let mut generation = Generation::start(cfg, shared).await?;
    generation.resume_evacuation();
    generation.reporting = cancel.child_token();
    let (done_tx, done) = oneshot::channel();
    let services = generation.readiness();
    let stop = generation.reporting.clone();
    tokio::spawn(readiness::report(services, limit, Some(done_tx), stop));
    Ok((generation, done))
}

/// SIGHUP: a valid new config replaces the running one: services whose
/// settings did not change keep their task (probes, health, controller
/// state), the others restart, start or stop; `[notify]`, metrics and peers
/// are re-read. An invalid config is refused and the old one keeps running.
/// Only when the old peer settings no longer start either is there an
/// error: the daemon stops (and systemd restarts it) instead of panicking.
async fn reload(
    path: &Path,
    generation: &mut Generation,
    outputs: &mut Outputs,
) -> anyhow::Result<()> {
    systemd::reloading();
    let cfg = match config::load_checked(path) {
        Ok(cfg) => cfg,
        Err(e) => {
            error!(config = %path.display(), "Reload refused, the running config stays:\n{e}");
            systemd::ready();
            return Ok(());
        }
    };
    if cfg.controller.control_socket != generation.cfg.controller.control_socket {
        warn!("controller.control_socket changed: that takes effect at the next restart.");
    }
    if cfg.controller.state_dir != generation.cfg.controller.state_dir {
        warn!("controller.state_dir changed: that takes effect at the next restart.");
    }
    outputs.reload(&cfg).await;
    let limit = cfg.controller.stop_timeout;
    let plan = generation
        .apply(cfg, limit)
        .await
        .context("the running config no longer starts after a failed reload")?;
    info!(
        kept = %plan.kept.join(","),
        restarted = %plan.restarted.join(","),
        added = %plan.added.join(","),
        removed = %plan.removed.join(","),
        "Config reloaded."
    );
    systemd::ready();
    // From now on STATUS= says what the new and restarted services still lack.
    generation.reporting.cancel();
    generation.reporting = CancellationToken::new();
    let services = generation.readiness();
    let stop = generation.reporting.clone();
    tokio::spawn(readiness::report(services, Duration::ZERO, None, stop));
    Ok(())
}

impl Generation {
    /// Route one control request to the service it names.
    fn dispatch(&self, env: Envelope) {
        let Envelope {
            request,
            actor,
            reply,
        } = env;
        let service = match &request {
            Request::Status => return self.status(reply),
            Request::Evacuate { evac } => return self.evacuate(evac.clone(), actor, reply),
            Request::Risk(risk) => return self.risk(risk.clone(), actor, reply),
            Request::Failover { service, .. }
            | Request::Failback { service, .. }
            | Request::Drill { service, .. }
            | Request::Pin { service, .. }
            | Request::Unpin { service } => service.clone(),
        };
        let Some(tx) = self.services.get(&service).map(|u| u.tx.clone()) else {
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
            Request::Status | Request::Evacuate { .. } => unreachable!("handled above"),
            Request::Risk(_) => unreachable!("handled above"),
        };
        tokio::spawn(async move {
            let _ = tx.send(input).await;
        });
    }

    fn status(&self, reply: oneshot::Sender<Reply>) {
        let id = self.cfg.controller.id.clone();
        let txs: Vec<_> = self
            .services
            .iter()
            .map(|(n, u)| (n.clone(), u.tx.clone(), u.readiness.clone()))
            .collect();
        tokio::spawn(async move {
            let mut out = Vec::new();
            for (name, tx, readiness) in txs {
                // A task still waiting for its old one to drain (or wedged)
                // does not hold up the others: it is shown as not answering.
                let ask = async {
                    let (rtx, rrx) = oneshot::channel();
                    tx.send(Input::Status { reply: rtx }).await.ok()?;
                    rrx.await.ok()
                };
                let answer = tokio::time::timeout(STATUS_WAIT, ask).await.ok().flatten();
                let mut v = answer.unwrap_or_else(|| control::DaemonService::not_answering(&name));
                // Ready: the provider answered an authenticated read and
                // every pool's health is known; else what is missing.
                let missing = readiness.borrow().clone();
                v.ready = missing.is_empty();
                v.not_ready = missing;
                out.push(v);
            }
            let _ = reply.send(Reply::status(control::StatusReply {
                controller: id,
                daemon: true,
                services: out,
            }));
        });
    }
}
