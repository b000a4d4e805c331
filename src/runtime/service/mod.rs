//! One service's task: probe results in, controller decisions out, provider
//! calls run one at a time, every step journaled.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rtoguard_provider_api::Provider;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

mod drill;
mod health;
mod observe;

use super::exec::{self, Done};
use super::specs;
use crate::config::Service;
use crate::control::Reply;
use crate::controller::{Action, AlertLevel, Command, Controller, Event, Intent};
use crate::journal::{Journal, NewEntry};
use crate::probe::{PoolView, ProbeResult};

/// What a service task is told.
#[derive(Debug)]
pub enum Input {
    Probe {
        pool: String,
        endpoint: String,
        result: ProbeResult,
    },
    Command {
        command: Command,
        actor: String,
        reply: oneshot::Sender<Reply>,
    },
    DryRun {
        to: String,
        planned: bool,
        reply: oneshot::Sender<Reply>,
    },
    Status {
        reply: oneshot::Sender<Value>,
    },
    /// Start a drill.
    Drill {
        drill: crate::control::DrillRequest,
        actor: String,
        reply: oneshot::Sender<Reply>,
    },
    /// A drill's dwell is over.
    DrillEnd,
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
    pools: BTreeMap<String, PoolView>,
    seen: BTreeSet<(String, String)>,
    started: bool,
    inflight: Option<Inflight>,
    incident: Option<String>,
    ready: Option<oneshot::Sender<()>>,
    /// Who asked for the move now under way (journaled as the actor).
    actor: String,
    links: Links,
    /// The propagation watch running now.
    watching: Option<CancellationToken>,
    /// The daemon's stop token (watches are its children).
    stop: CancellationToken,
    /// When the current incident began (offsets in its report are from here).
    incident_start: Option<Instant>,
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
    /// The open incident outlived the RTO and that was said.
    rto_missed_sent: bool,
    /// A drill is under way; the pool to come back to.
    drill: Option<String>,
    /// A drill treats this pool as down whatever its probes say.
    simulated_down: Option<String>,
    /// The incident in which this controller first waited its writer delay,
    /// and since when: later writes in it wait only what is left.
    waiting_since: Option<(String, Instant)>,
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
}

impl ServiceTask {
    pub fn new(
        svc: Service,
        provider: Result<Arc<dyn Provider>, String>,
        journal: Arc<Journal>,
        ready: oneshot::Sender<()>,
        links: Links,
    ) -> Self {
        let rules = specs::hysteresis(&svc);
        let pools = svc
            .pools
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    PoolView::new(p.endpoints.clone(), rules, svc.health.min_healthy as usize),
                )
            })
            .collect();
        let controller = Controller::new(specs::policy(&svc));
        Self {
            svc,
            provider,
            journal,
            controller,
            pools,
            seen: BTreeSet::new(),
            started: false,
            inflight: None,
            incident: None,
            ready: Some(ready),
            actor: "rtoguard".into(),
            links,
            watching: None,
            stop: CancellationToken::new(),
            incident_start: None,
            last_accept: None,
            reported: BTreeMap::new(),
            short_of_quorum: false,
            rto_missed_sent: false,
            drill: None,
            simulated_down: None,
            waiting_since: None,
        }
    }

    /// Run until `cancel` fires and no provider call is in flight.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Input>, cancel: CancellationToken) {
        self.stop = cancel.clone();
        let mut every = tokio::time::interval(self.svc.health.interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.try_start().await;
        loop {
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
                _ = tokio::time::sleep(Duration::from_secs(10)), if !self.started => self.try_start().await,
            }
        }
        info!(service = %self.svc.name, "Service stopped.");
    }

    fn name(&self) -> &str {
        &self.svc.name
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
        self.started = true;
        let pools: Vec<&str> = self.svc.pools.iter().map(|p| p.name.as_str()).collect();
        self.links
            .metrics
            .set_active_pool(&self.svc.name, active.as_deref(), &pools);
        self.links.metrics.set_ttl(&self.svc.name, ttl);
        info!(service = %self.svc.name, active = active.as_deref().unwrap_or("none"), ttl, "Service started.");
        self.feed(Event::Started {
            active,
            ttl,
            intent,
        });
        let health: Vec<_> = self
            .pools
            .iter()
            .map(|(n, v)| (n.clone(), specs::health(v.health())))
            .collect();
        for (pool, health) in health {
            self.feed(Event::PoolHealth { pool, health });
        }
    }

    /// The last unfinished intent from the journal (closing older ones).
    fn take_open_intent(&mut self) -> Option<Intent> {
        let open = self
            .journal
            .open_intents(&self.svc.name)
            .unwrap_or_default();
        let last = open
            .last()
            .and_then(|i| serde_json::from_value::<Intent>(i.payload.clone()).ok());
        for i in &open {
            let _ = self.journal.close_intent(
                i.id,
                "interrupted",
                "the controller restarted before this call's result was journaled".into(),
                json!(null),
            );
        }
        last
    }

    async fn on_input(&mut self, input: Input) {
        match input {
            Input::Probe {
                pool,
                endpoint,
                result,
            } => self.on_probe(pool, endpoint, result),
            Input::Command {
                command,
                actor,
                reply,
            } => self.on_command(command, actor, reply),
            Input::DryRun { to, planned, reply } => self.dry_run(to, planned, reply),
            Input::Status { reply } => {
                let _ = reply.send(self.status());
            }
            Input::Watched { incident, outcome } => self.on_watched(incident, *outcome),
            Input::Drill {
                drill,
                actor,
                reply,
            } => self.on_drill(drill, actor, reply),
            Input::DrillEnd => self.on_drill_end(),
        }
    }

    fn on_command(&mut self, command: Command, actor: String, reply: oneshot::Sender<Reply>) {
        if !self.started {
            let _ = reply.send(Reply::error(
                503,
                format!(
                    "service {} cannot act: its provider has not been read yet ({})",
                    self.svc.name,
                    self.provider_error()
                ),
            ));
            return;
        }
        if self.incident.is_none()
            && matches!(command, Command::Failover { .. } | Command::Failback { .. })
        {
            self.incident = Some(format!("{}-{}", self.svc.name, crate::journal::now_ms()));
            self.incident_start = Some(Instant::now());
        }
        self.actor = actor.clone();
        self.journal_entry(
            "command",
            &format!("{actor} asked: {command:?}"),
            json!({ "command": command, "actor": actor }),
        );
        let actions = self
            .controller
            .handle(Instant::now(), Event::Command(command));
        let refused = actions.iter().find_map(|a| match a {
            Action::Refused { message, .. } => Some(message.clone()),
            _ => None,
        });
        let summary: Vec<String> = actions
            .iter()
            .filter(|a| !matches!(a, Action::Journal(_)))
            .map(|a| format!("{a:?}"))
            .collect();
        self.run_actions(actions);
        let _ = reply.send(match refused {
            Some(m) => Reply::error(409, m),
            None => Reply {
                status: 202,
                body: json!({ "accepted": true, "service": self.svc.name, "actions": summary }),
            },
        });
    }

    fn dry_run(&self, to: String, planned: bool, reply: oneshot::Sender<Reply>) {
        let (svc, provider) = (self.svc.clone(), self.provider.clone());
        tokio::spawn(async move {
            let r = match provider {
                Err(e) => Reply::error(503, e),
                Ok(p) => match p.read(&svc.zone, &svc.record, svc.rtype).await {
                    Err(e) => Reply::error(502, e.to_string()),
                    Ok(cur) => match crate::plan::build(
                        crate::plan::Request {
                            service: &svc,
                            to: &to,
                            planned,
                        },
                        &p.capabilities(),
                        &cur,
                    ) {
                        Ok(plan) => Reply::ok(
                            json!({ "dry_run": true, "text": plan.to_string(), "plan": plan }),
                        ),
                        Err(e) => Reply::error(400, e.to_string()),
                    },
                },
            };
            let _ = reply.send(r);
        });
    }

    /// Hand one event to the controller and carry out what it returns.
    fn feed(&mut self, event: Event) {
        let actions = self.controller.handle(Instant::now(), event);
        self.run_actions(actions);
    }

    fn run_actions(&mut self, actions: Vec<Action>) {
        for a in actions {
            self.run_action(a);
        }
    }

    fn run_action(&mut self, a: Action) {
        match a {
            Action::Journal(e) => {
                let kind = serde_json::to_value(e.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{:?}", e.kind));
                self.journal_entry(
                    &kind,
                    &e.detail,
                    json!({ "pool": e.pool, "reason": e.reason }),
                );
            }
            Action::Alert { level, message } => {
                match level {
                    AlertLevel::Critical => error!(service = %self.svc.name, "{message}"),
                    AlertLevel::Warning => warn!(service = %self.svc.name, "{message}"),
                    AlertLevel::Info => info!(service = %self.svc.name, "{message}"),
                }
                self.journal_entry("alert", &message, json!({ "level": format!("{level:?}") }));
            }
            Action::Refused { message, .. } => {
                warn!(service = %self.svc.name, "{message}");
                self.journal_entry("refused", &message, json!({}));
            }
            Action::StartWatch { to, old_ttl } => self.start_watch(&to, old_ttl),
            Action::SetTtl { .. } | Action::Flip { .. } | Action::Reread => self.call_provider(a),
        }
    }

    fn call_provider(&mut self, a: Action) {
        let Ok(p) = self.provider.clone() else {
            warn!(service = %self.svc.name, "No provider: cannot carry out {a:?}.");
            return;
        };
        if self.inflight.is_some() {
            warn!(service = %self.svc.name, action = ?a, "A provider call is already in flight; the controller should not ask for two.");
            return;
        }
        let actor = self.actor_of(&a);
        let intent = a.intent(SystemTime::now()).and_then(|i| {
            let msg = format!("about to {a:?}");
            let mut payload = serde_json::to_value(&i).ok()?;
            payload["vantages"] = self.vantages_behind(&a);
            self.journal
                .open_intent(
                    &self.svc.name,
                    self.incident.as_deref(),
                    &actor,
                    msg,
                    payload,
                )
                .ok()
        });
        let svc = self.svc.clone();
        let what = format!("{a:?}");
        let action_copy = a.clone();
        let delay = self.remaining_delay(self.writer_delay(&a));
        if !delay.is_zero() {
            info!(service = %self.svc.name, delay_s = delay.as_secs_f64(), "Another controller writes first; waiting before writing (compare-and-set) if it has not.");
        }
        let handle = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            match a {
                Action::SetTtl { ttl, .. } => exec::set_ttl(&svc, &p, ttl).await,
                Action::Flip { from, to, ttl, .. } => {
                    exec::flip(&svc, &p, from.as_deref(), &to, ttl).await
                }
                _ => exec::reread(&svc, &p).await,
            }
        });
        self.inflight = Some(Inflight {
            handle,
            action: action_copy,
            intent,
            what,
            actor,
        });
    }

    /// Who asked for this provider call: the operator behind the last
    /// command, or the rule that fired (`rule:active_down`, `rule:suspect`).
    fn actor_of(&self, a: &Action) -> String {
        use crate::controller::{Initiator, TtlReason};
        let word = |v: serde_json::Value| v.as_str().map(str::to_string).unwrap_or_default();
        match a {
            Action::Flip {
                reason,
                by: Initiator::Automation,
                ..
            } => format!("rule:{}", word(json!(reason))),
            Action::SetTtl {
                reason: r @ (TtlReason::Suspect | TtlReason::Restore),
                ..
            } => format!("rule:{}", word(json!(r))),
            Action::Reread => "rtoguard".into(),
            _ => self.actor.clone(),
        }
    }

    /// The vantages whose votes made the active pool's health what it is.
    fn vantages_behind(&self, a: &Action) -> Value {
        let pool = match a {
            Action::Flip { from: Some(f), .. } => f.clone(),
            _ => self.controller.status().active.unwrap_or_default(),
        };
        match self.reported.get(&pool).and_then(|r| r.1.as_ref()) {
            Some(v) => {
                json!({ "down": v.down, "suspect": v.suspect, "up": v.up, "stale": v.stale })
            }
            None => json!({ "local": self.links.vantages.id }),
        }
    }

    /// Automatic writes follow the writer rule (see `runtime::vantages`);
    /// an operator's command writes at once.
    fn writer_delay(&self, a: &Action) -> Duration {
        use crate::controller::{Initiator, TtlReason};
        match a {
            Action::Flip {
                to,
                by: Initiator::Automation,
                ..
            } => self
                .links
                .vantages
                .writer_delay(self.svc.pool(to).map(|p| p.region.as_str())),
            // The TTL is written by the controller that will (or did) write
            // the flip, so its flip is not held behind a TTL write's delay.
            Action::SetTtl {
                reason: TtlReason::Suspect | TtlReason::Restore,
                ..
            } => self.links.vantages.writer_delay(self.ttl_writer_region()),
            _ => Duration::ZERO,
        }
    }

    /// A later writer waits `rank × grace` once per incident, counted from
    /// its first delayed write: a TTL write's wait counts toward the flip's,
    /// so a flip left to it by a dead writer comes one grace period late,
    /// not two.
    fn remaining_delay(&mut self, delay: Duration) -> Duration {
        let (Some(id), false) = (self.incident.as_ref(), delay.is_zero()) else {
            return delay;
        };
        let now = Instant::now();
        let since = match &self.waiting_since {
            Some((w, at)) if w == id => *at,
            _ => {
                self.waiting_since = Some((id.clone(), now));
                now
            }
        };
        delay.saturating_sub(now.saturating_duration_since(since))
    }

    /// The region that writes TTL changes: while the active pool is in
    /// trouble, the first healthy pool's (the coming flip's target); else
    /// the active pool's.
    fn ttl_writer_region(&self) -> Option<&str> {
        use crate::controller::PoolHealth;
        let active = self.controller.status().active;
        let health = |p: &str| self.reported.get(p).map(|r| r.0);
        let pool = match active.as_deref() {
            Some(a) if health(a) == Some(PoolHealth::Up) => Some(a.to_string()),
            a => self
                .svc
                .pools
                .iter()
                .find(|p| Some(p.name.as_str()) != a && health(&p.name) == Some(PoolHealth::Up))
                .map(|p| p.name.clone()),
        };
        pool.and_then(|p| self.svc.pool(&p).map(|p| p.region.as_str()))
    }

    fn on_done(&mut self, done: Result<Done, tokio::task::JoinError>) {
        // Present: this branch runs only while a call is in flight.
        let fl = self.inflight.take().expect("in flight");
        let done = done.unwrap_or_else(|e| Done {
            event: Event::ProviderFailed {
                op: crate::controller::ProviderOp::Read,
                retryable: true,
                conflict: false,
            },
            change: None,
            error: Some(rtoguard_provider_api::ProviderError::Refused(format!(
                "provider task failed: {e}"
            ))),
            timing: None,
        });
        if let Some(t) = &done.timing {
            let ago = Duration::from_millis(
                crate::journal::now_ms()
                    .saturating_sub(t.accepted_ms)
                    .max(0) as u64,
            );
            self.last_accept = Instant::now().checked_sub(ago);
        }
        let outcome = if done.error.is_some() {
            "failed"
        } else {
            "done"
        };
        let diff = json!({ "expected": done.change.as_ref().map(|c| c.expected()), "desired": done.change.as_ref().map(|c| c.desired()), "error": done.error.as_ref().map(|e| e.to_string()) });
        let msg = match &done.error {
            Some(e) => format!("{}: failed: {e}", fl.what),
            None => format!("{}: done", fl.what),
        };
        let t = done.timing.as_ref();
        let detail = json!({
            "actor": fl.actor,
            "diff": diff,
            "accepted_ms": t.map(|t| t.accepted_ms),
            "in_sync_ms": t.and_then(|t| t.in_sync_ms),
            "receipt": t.and_then(|t| t.receipt.clone()),
        });
        self.journal_entry("provider-result", &msg, detail);
        if let Some(id) = fl.intent {
            let _ = self.journal.close_intent(id, outcome, msg, json!(null));
        }
        self.observe_done(&fl.action, &done.event);
        self.feed(done.event);
        self.maybe_close_incident();
    }

    /// Time the propagation of the flip just made.
    fn start_watch(&mut self, to: &str, old_ttl: u32) {
        if let Some(old) = self.watching.take() {
            old.cancel();
        }
        let start = self.incident_start.unwrap_or_else(Instant::now);
        let mv = super::watch::Move {
            to,
            from: None,
            old_ttl,
            start,
            changed_at: self.last_accept,
        };
        let spec = super::watch::spec(&self.svc, self.links.primary, &mv);
        self.journal_entry(
            "watch-start",
            &format!("watching propagation of pool {to} (old TTL {old_ttl}s)"),
            json!({ "to": to, "old_ttl": old_ttl, "expected": spec.expected }),
        );
        let cancel = self.stop.child_token();
        self.watching = Some(cancel.clone());
        let incident = self.incident.clone();
        super::watch::spawn(spec, cancel, self.links.tx.clone(), move |o| {
            Input::Watched {
                incident,
                outcome: Box::new(o),
            }
        });
    }

    fn on_watched(&mut self, incident: Option<String>, outcome: crate::propagation::WatchOutcome) {
        self.watching = None;
        let msg = format!(
            "propagation {}: {} outstanding",
            outcome.end,
            outcome.outstanding.len()
        );
        info!(service = %self.svc.name, end = %outcome.end, outstanding = ?outcome.outstanding, "Propagation watch ended.");
        let e = NewEntry {
            service: &self.svc.name,
            incident: incident.as_deref(),
            kind: "watch-result",
            actor: "rtoguard",
            message: msg,
            detail: serde_json::to_value(&outcome).unwrap_or(Value::Null),
        };
        if let Err(err) = self.journal.append(e) {
            error!(service = %self.svc.name, error = %err, "Journal write failed.");
        }
        if let Some(id) = &incident
            && let Some(r) = super::reports::save(&self.journal, id, &self.svc, Some(&outcome))
        {
            self.observe_phases(&r);
        }
        self.maybe_close_incident();
    }

    fn maybe_close_incident(&mut self) {
        if self.watching.is_some() {
            return;
        }
        let st = self.controller.status();
        // A move under way (a planned one drains first) keeps the incident open.
        if st.moving_to.is_some() || st.phase != "idle" || st.queued_command.is_some() {
            return;
        }
        let Some(active) = st.active.clone() else {
            return;
        };
        let healthy = self
            .pools
            .get(&active)
            .is_some_and(|v| v.health() == crate::probe::PoolHealth::Up);
        if healthy && self.inflight.is_none() && self.incident.is_some() {
            self.journal_entry(
                "incident-end",
                &format!("pool {active} serves and is healthy"),
                json!({ "pool": active }),
            );
            let took = self.incident_start.map(|s| s.elapsed()).unwrap_or_default();
            self.observe_recovery(self.incident.as_deref().unwrap_or_default(), &active, took);
            self.rto_missed_sent = false;
            self.incident = None;
            self.incident_start = None;
        }
    }

    fn journal_entry(&self, kind: &str, message: &str, detail: Value) {
        let e = NewEntry {
            service: &self.svc.name,
            incident: self.incident.as_deref(),
            kind,
            actor: &self.actor,
            message: message.to_string(),
            detail,
        };
        if let Err(err) = self.journal.append(e) {
            error!(service = %self.svc.name, error = %err, "Journal write failed.");
        }
    }

    fn provider_error(&self) -> String {
        match &self.provider {
            Ok(_) => "provider unreachable".into(),
            Err(e) => e.clone(),
        }
    }

    /// The service as `rtoguard status` shows it.
    pub fn status(&self) -> Value {
        let pools: Vec<Value> = self
            .pools
            .iter()
            .map(|(name, v)| {
                let eps: Vec<Value> = v.endpoints().map(|(e, h)| json!({ "endpoint": e, "state": format!("{:?}", h.state()).to_lowercase(), "failing": h.failing(), "last": h.last_detail() })).collect();
                let (health, quorum) = self.reported.get(name).cloned().unwrap_or((crate::controller::PoolHealth::Unknown, None));
                json!({ "name": name, "health": health.to_string(), "local": format!("{:?}", v.health()).to_lowercase(), "quorum": quorum, "endpoints": eps })
            })
            .collect();
        json!({
            "service": self.name(),
            "record": self.svc.record,
            "provider": self.svc.provider,
            "provider_error": (!self.started).then(|| self.provider_error()),
            "controller": self.controller.status(),
            "pools": pools,
            "busy": self.inflight.as_ref().map(|f| f.what.clone()),
            "incident": self.incident,
            "peers": self.links.vantages.peers.as_ref().map(|p| p.snapshot().iter().map(|v| v.status(Instant::now())).collect::<Vec<_>>()),
            "short_of_quorum": self.short_of_quorum,
        })
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
