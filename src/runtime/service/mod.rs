//! One service's task: probe results in, controller decisions out, provider
//! calls run one at a time, every step journaled.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rtoguard_provider_api::Provider;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

mod calls;
mod commands;
mod drill;
mod health;
mod incidents;
mod observe;
mod status;
mod voice;
mod window;

use super::exec::{self, Done};
use crate::config::Service;
use crate::config::specs;
use crate::control::Reply;
use crate::controller::{Action, AlertLevel, Change, Command, Controller, Event};
use crate::journal::{self, Journal};
use crate::probe::{PoolEndpoints, ProbeResult};

/// What a service task is told.
#[derive(Debug)]
pub enum Input {
    /// A probe's result for one target (the scheduler's own, shared).
    Probe {
        target: Arc<crate::probe::Target>,
        result: ProbeResult,
    },
    Command {
        command: Command,
        actor: String,
        reply: oneshot::Sender<Reply>,
    },
    /// What `command` would do, from a clone of the controller; nothing changes.
    DryRun {
        command: Command,
        reply: oneshot::Sender<Reply>,
    },
    Status {
        reply: oneshot::Sender<crate::control::DaemonService>,
    },
    /// Start a drill.
    Drill {
        drill: crate::control::DrillRequest,
        actor: String,
        reply: oneshot::Sender<Reply>,
    },
    /// A propagation watch finished.
    Watched {
        incident: Option<String>,
        outcome: Box<crate::propagation::WatchOutcome>,
    },
}

/// A provider call in flight, with the intent journaled for it.
struct Inflight {
    handle: JoinHandle<Done>,
    action: Action,
    intent: Option<i64>,
    what: String,
    actor: String,
}

/// The task state of one service.
pub struct ServiceTask {
    svc: Service,
    provider: Result<Arc<dyn Provider>, String>,
    journal: Arc<Journal>,
    controller: Controller,
    pools: BTreeMap<String, PoolEndpoints>,
    started: bool,
    inflight: Option<Inflight>,
    /// Who asked for the move now under way (journaled as the actor).
    actor: String,
    links: Links,
    /// The propagation watch running now.
    watching: Option<CancellationToken>,
    /// The daemon's stop token (watches are its children).
    stop: CancellationToken,
    /// When the provider last accepted a change.
    last_accept: Option<Instant>,
    /// The health last handed to the controller, and the quorum behind it.
    reported: BTreeMap<
        String,
        (
            crate::controller::PoolHealth,
            Option<crate::peers::QuorumVerdict>,
        ),
    >,
    /// A warning about too few fresh vantages is out (raised once per episode).
    short_of_quorum: bool,
    /// Why the last intent could not be journaled (no provider call until it can).
    journal_fault: Option<String>,
    /// The last flip this controller wrote, published to its peers.
    last_write: Option<crate::peers::LastWrite>,
    /// The peers' published writes handed to the controller (by peer: its `at_ms`).
    peer_writes: BTreeMap<String, i64>,
    /// The peers' published decisions handed to the controller (by peer:
    /// its writer and `at_ms`; see `controller::Decision`).
    peer_decisions: BTreeMap<String, (String, i64)>,
    /// Each pool's last successful and first failed probe (the fault window).
    windows: window::Windows,
    /// The pool the last flip moved away from (the old pool its watch sees).
    flipped_from: Option<String>,
    /// The endpoints peers doubted at their last news (see `peers::doubted`).
    doubted: std::collections::BTreeSet<crate::peers::Doubt>,
}

/// What a service task needs from the daemon around it.
#[derive(Clone)]
pub struct Links {
    /// The task's own input, for results of background work.
    pub tx: mpsc::Sender<Input>,
    /// Peers, quorum and the writer rule.
    pub vantages: super::vantages::Vantages,
    pub metrics: crate::metrics::Metrics,
    pub notify: crate::notify::Notifier,
    /// The RFC 2136 primary, watched when nothing else is configured.
    pub primary: Option<std::net::SocketAddr>,
    /// `controller.intent_max_age`: older unfinished operator flips are dropped.
    pub intent_max_age: Duration,
    /// Beaten on every turn of the task's loop (the watchdog checks it).
    pub heartbeat: super::heartbeat::Heartbeat,
    /// Incident news between services (shared risk).
    pub risk_news: super::risk_news::RiskBus,
    /// Moves an endpoint's next probe to now (a peer doubts it).
    pub probe_now: crate::probe::ProbeNow,
}

impl ServiceTask {
    pub fn new(
        svc: Service,
        provider: Result<Arc<dyn Provider>, String>,
        journal: Arc<Journal>,
        links: Links,
    ) -> Self {
        let rules = specs::hysteresis(&svc);
        let pools = svc
            .pools
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    PoolEndpoints::new(p.endpoints.clone(), rules, svc.health.min_healthy as usize),
                )
            })
            .collect();
        // The provider's own floor, so the controller asks for a TTL it can get.
        let floor = provider.as_ref().map_or(1, |p| p.capabilities().ttl_floor);
        let mut policy = specs::policy(&svc).with_ttl_floor(floor);
        // The writer rule (see `runtime::vantages`) by the pool a write
        // serves; the controller decides when to write.
        for p in &svc.pools {
            let delay = links.vantages.writer_delay(Some(&p.region));
            policy.local.writer_delay.insert(p.name.clone(), delay);
        }
        policy.local.writer_delay_otherwise = links.vantages.writer_delay(None);
        voice::set_up(&mut policy.local, &svc, &links.vantages);
        policy.local.served_here = provider
            .as_ref()
            .is_ok_and(|p| p.capabilities().served_here);
        let controller = Controller::new(policy);
        Self {
            svc,
            provider,
            journal,
            controller,
            pools,
            started: false,
            inflight: None,
            actor: "rtoguard".into(),
            links,
            watching: None,
            stop: CancellationToken::new(),
            last_accept: None,
            reported: BTreeMap::new(),
            short_of_quorum: false,
            journal_fault: None,
            last_write: None,
            peer_writes: BTreeMap::new(),
            peer_decisions: BTreeMap::new(),
            windows: window::Windows::default(),
            flipped_from: None,
            doubted: std::collections::BTreeSet::new(),
        }
    }

    /// Run until `cancel` fires and no provider call is in flight.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Input>, cancel: CancellationToken) {
        self.stop = cancel.clone();
        let mut every = tokio::time::interval(self.svc.health.interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.try_start().await;
        let mut news = self.links.vantages.peers.as_ref().map(|p| p.news());
        let mut risk_news = self.links.risk_news.listen();
        let me = self.svc.name.clone();
        loop {
            self.links.heartbeat.beat().await;
            let deadline = self.controller.next_deadline();
            tokio::select! {
                biased;
                done = async { (&mut self.inflight.as_mut().expect("guarded").handle).await }, if self.inflight.is_some() => {
                    self.on_done(done);
                }
                _ = cancel.cancelled(), if self.inflight.is_none() => break,
                input = rx.recv() => match input {
                    Some(i) => self.on_input(i).await,
                    None => break,
                },
                _ = sleep_until(deadline), if deadline.is_some() && self.started => self.feed(Event::Tick),
                _ = every.tick() => self.reevaluate(None),
                _ = peer_news(&mut news) => {
                    // Votes are judged as they arrive, not at the next tick;
                    // a peer's flip is adopted (or named) at once; what a
                    // peer doubts is probed here now.
                    self.probe_doubted();
                    self.reevaluate(None);
                    self.hear_peers();
                }
                _ = tokio::time::sleep(Duration::from_secs(10)), if !self.started => self.try_start().await,
                n = super::risk_news::next(&mut risk_news, &me) => self.feed(Event::RiskNews(n)),
            }
        }
        info!(service = %self.svc.name, "Service stopped.");
    }

    fn name(&self) -> &str {
        &self.svc.name
    }

    /// The id of the incident under way (the controller's).
    fn incident_id(&self) -> Option<&str> {
        self.controller.incident().map(|i| i.id.as_str())
    }

    /// Read the provider and the journal's unfinished intent, then start the controller.
    async fn try_start(&mut self) {
        let p = match &self.provider {
            Ok(p) => p.clone(),
            Err(e) => {
                warn!(service = %self.svc.name, error = %e, "Provider unavailable; watching only.");
                return;
            }
        };
        let Done { event, error, .. } = exec::reread(&self.svc, &p).await;
        let Event::ProviderState { active, ttl } = event else {
            warn!(service = %self.svc.name, error = %error.map(|e| e.to_string()).unwrap_or_default(), "Cannot read the provider; will retry.");
            return;
        };
        let intent = self.take_open_intent();
        let restored = self.restore_durable();
        self.started = true;
        let pools: Vec<&str> = self.svc.pools.iter().map(|p| p.name.as_str()).collect();
        self.links
            .metrics
            .set_active_pool(&self.svc.name, active.as_deref(), &pools);
        self.links.metrics.set_ttl(&self.svc.name, ttl);
        if let Some(e) = &restored.evacuation {
            let metrics = &self.links.metrics;
            metrics.evacuation_started(&self.svc.name, &e.region, e.until);
        }
        info!(service = %self.svc.name, active = active.as_deref().unwrap_or("none"), ttl, "Service started.");
        self.feed(Event::Started {
            active,
            ttl,
            intent,
            wall: std::time::SystemTime::now(),
            restored: Box::new(restored),
        });
        let health: Vec<_> = self
            .pools
            .iter()
            .map(|(n, v)| (n.clone(), v.health()))
            .collect();
        for (pool, health) in health {
            self.feed(Event::PoolHealth { pool, health });
        }
    }

    async fn on_input(&mut self, input: Input) {
        match input {
            Input::Probe { target, result } => {
                self.on_probe(&target.pool, &target.endpoint, result)
            }
            Input::Command {
                command,
                actor,
                reply,
            } => self.on_command(command, actor, reply),
            Input::DryRun { command, reply } => self.dry_run(command, reply),
            Input::Status { reply } => {
                let _ = reply.send(self.status());
            }
            Input::Watched { incident, outcome } => self.on_watched(incident, *outcome),
            Input::Drill {
                drill,
                actor,
                reply,
            } => self.on_drill(drill, actor, reply),
        }
    }

    /// Hand one event to the controller and carry out what it returns.
    fn feed(&mut self, event: Event) {
        self.feed_noting(event, |_| {});
    }

    /// The same, with `note` run right after an incident the decision
    /// opened is journaled and before the rest (so it lands in it).
    fn feed_noting(&mut self, event: Event, note: impl FnOnce(&Self)) {
        let simulated = self.controller.simulated_down().map(str::to_owned);
        let mut actions = self.controller.handle(Instant::now(), event);
        let split = actions
            .iter()
            .position(|a| matches!(a, Action::IncidentOpened { .. }))
            .map_or(0, |i| i + 1);
        let rest = actions.split_off(split);
        self.run_actions(actions);
        note(self);
        self.run_actions(rest);
        let risk_end = self.controller.risk().map(|w| w.until);
        self.links.metrics.set_risk_end(&self.svc.name, risk_end);
        if simulated.is_some() && self.controller.simulated_down().is_none() {
            // The drill's dwell is over: judge the pool by its probes again
            // before the controller decides the failback.
            self.reevaluate(Some("drill: simulated fault lifted"));
        }
    }

    fn run_actions(&mut self, actions: Vec<Action>) {
        for a in actions {
            self.run_action(a);
        }
    }

    fn run_action(&mut self, a: Action) {
        match a {
            Action::Journal(e) => {
                self.meter_evacuation(e.change.as_ref());
                // What the controller decided itself is its own act; a pin,
                // unpin, resume or evacuation is the operator's.
                let actor = match e.change {
                    Some(
                        Change::Pinned { .. }
                        | Change::Unpinned { .. }
                        | Change::Resumed
                        | Change::EvacuationStarted { .. }
                        | Change::EvacuationEnded { by: Some(_), .. }
                        | Change::RiskOpened { .. }
                        | Change::RiskEnded { by: Some(_) },
                    ) => self.actor.clone(),
                    Some(_) => "rtoguard".to_owned(),
                    None => self.actor.clone(),
                };
                let event = journal::Event::Decision {
                    decision: e.kind,
                    pool: e.pool,
                    reason: e.reason,
                    note: e.detail,
                    change: e.change,
                };
                self.journal_event_as(&actor, event);
            }
            Action::Alert { level, message } => {
                match level {
                    AlertLevel::Critical => error!(service = %self.svc.name, "{message}"),
                    AlertLevel::Warning => warn!(service = %self.svc.name, "{message}"),
                    AlertLevel::Info => info!(service = %self.svc.name, "{message}"),
                }
                self.journal_event(journal::Event::Alert { level, message });
            }
            Action::Refused { message, .. } => {
                warn!(service = %self.svc.name, "{message}");
                self.journal_event(journal::Event::Refused { message });
            }
            Action::StartWatch { to, old_ttl } => self.start_watch(&to, old_ttl),
            Action::ShareRisk(news) => self.links.risk_news.tell(news),
            Action::Speaks { incident, pool } => {
                let health = pool.as_ref().map(|_| crate::controller::PoolHealth::Down);
                self.observe_incident_start(&incident, pool.as_deref(), health);
            }
            Action::IncidentOpened { .. }
            | Action::IncidentClosed { .. }
            | Action::RtoMissed { .. } => self.on_incident_action(a),
            Action::SetTtl { .. }
            | Action::Flip { .. }
            | Action::Adopt { .. }
            | Action::Weigh { .. }
            | Action::Reread => self.call_provider(a),
        }
    }
}

/// A peer's observations arrived (never, without peers or once the peer
/// machinery was replaced).
async fn peer_news(news: &mut Option<tokio::sync::watch::Receiver<u64>>) {
    let heard = match news {
        Some(rx) => rx.changed().await.is_ok(),
        None => false,
    };
    if !heard {
        std::future::pending::<()>().await;
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
