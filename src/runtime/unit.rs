//! One service's running task (its input, stop token, heartbeat and the
//! config it runs with), started and stopped on its own so a reload can keep
//! the services whose settings did not change.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::error;

use super::heartbeat::Heartbeats;
use super::peering::Peering;
use super::service::{self, Input, ServiceTask};
use super::{Observability, vantages};
use crate::config::{Config, Service};
use crate::journal::Journal;

/// What every service task shares with the daemon around it.
#[derive(Clone)]
pub(super) struct Shared {
    pub journal: Arc<Journal>,
    pub obs: Observability,
    pub heartbeats: Heartbeats,
    /// Each service's incident news, for the others (shared risk).
    pub risk_news: super::risk_news::RiskBus,
    /// Every probe target's wake-up (a reload's scheduler re-registers).
    pub probe_now: crate::probe::ProbeNow,
}

/// A running service task.
pub(super) struct Unit {
    pub tx: mpsc::Sender<Input>,
    /// The settings it runs with (see [`fingerprint`]).
    pub fingerprint: String,
    /// What the service still waits for before it is ready (empty: ready).
    pub readiness: tokio::sync::watch::Receiver<super::readiness::Missing>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

/// Everything of `cfg` that a service task of `svc` runs with, outside the
/// peers (a change to those restarts every service): two equal fingerprints
/// mean the task can be kept across a reload.
pub(super) fn fingerprint(cfg: &Config, svc: &Service) -> String {
    // Debug of the validated types: compared, never shown to anyone.
    format!(
        "{svc:?}\n{:?}\n{:?}",
        cfg.providers.get(&svc.provider),
        cfg.controller.probe_source
    )
}

/// How long the task of `svc` may go without a heartbeat before it counts
/// as wedged: four health intervals, and longer than its slowest provider
/// read with retries (its loop waits for one while it starts the service).
pub(super) fn stale_after(cfg: &Config, svc: &Service) -> Duration {
    use crate::config::ProviderKind;
    let read = match cfg.providers.get(&svc.provider).map(|p| &p.kind) {
        // The RFC 2136 retry deadline, and the last attempt's timeout.
        Some(ProviderKind::Rfc2136(c)) => c
            .timeout
            .saturating_mul(3)
            .max(Duration::from_secs(5))
            .saturating_add(c.timeout),
        // The API providers' retry deadline (60 s), and room for the last attempt.
        _ => Duration::from_secs(90),
    };
    svc.health
        .interval
        .saturating_mul(4)
        .max(read.saturating_add(Duration::from_secs(10)))
}

impl Unit {
    /// Start the task of `svc`; when `after` is given (the same service's
    /// old task draining), the task waits for it before it starts, so one
    /// service never has two tasks at once.
    pub fn spawn(
        cfg: &Arc<Config>,
        svc: &Service,
        shared: &Shared,
        peering: &Peering,
        after: Option<JoinHandle<bool>>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(256);
        let (state, readiness) = tokio::sync::watch::channel(vec!["starting".to_string()]);
        let cancel = CancellationToken::new();
        shared.obs.metrics.init_service(&svc.name, svc.rto);
        let vantages = vantages::Vantages::new(
            cfg,
            svc,
            &peering.digest(),
            peering.peers.clone(),
            peering.publish.clone(),
        );
        let start = Start {
            cfg: cfg.clone(),
            svc: svc.clone(),
            shared: shared.clone(),
            tx: tx.clone(),
            vantages,
            state,
        };
        let c = cancel.clone();
        let task = tokio::spawn(async move {
            if let Some(old) = after {
                let _ = old.await;
            }
            if !c.is_cancelled() {
                start.run(rx, c).await;
            }
        });
        Self {
            tx,
            fingerprint: fingerprint(cfg, svc),
            readiness,
            cancel,
            task,
        }
    }

    /// Ask the task to stop (it finishes a provider call in flight first).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Wait for the task to end, at most `limit`; false when it did not.
    pub async fn join(self, limit: Duration) -> bool {
        self.cancel.cancel();
        drop(self.tx);
        let abort = self.task.abort_handle();
        match tokio::time::timeout(limit, self.task).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                error!(error = %e, "A service task ended abnormally.");
                true
            }
            Err(_) => {
                // Never two tasks of one service: a new one may start next.
                abort.abort();
                false
            }
        }
    }
}

/// What a unit's task starts with.
struct Start {
    cfg: Arc<Config>,
    svc: Service,
    shared: Shared,
    tx: mpsc::Sender<Input>,
    vantages: vantages::Vantages,
    state: tokio::sync::watch::Sender<super::readiness::Missing>,
}

impl Start {
    /// Build the provider, watch readiness, run the service task to its end.
    async fn run(self, rx: mpsc::Receiver<Input>, cancel: CancellationToken) {
        let Self {
            cfg,
            svc,
            shared,
            tx,
            vantages,
            state,
        } = self;
        let heartbeat = shared
            .heartbeats
            .register(&svc.name, stale_after(&cfg, &svc));
        let _retire = super::heartbeat::Retire(heartbeat.clone());
        let metrics = shared.obs.metrics.clone();
        let provider = crate::providers::build(&cfg, &svc.provider)
            .await
            .map(|p| crate::metrics::Metered::wrap(p, metrics.clone()))
            .map_err(|e| e.to_string());
        tokio::spawn(super::readiness::watch_service(
            svc.clone(),
            provider.clone(),
            tx.clone(),
            state,
            metrics.clone(),
            cancel.child_token(),
        ));
        let links = service::Links {
            tx,
            primary: crate::engine::watch::provider_primary(&cfg, &svc),
            intent_max_age: cfg.controller.intent_max_age,
            metrics,
            notify: shared.obs.notify.clone(),
            vantages,
            heartbeat: heartbeat.clone(),
            risk_news: shared.risk_news.clone(),
            probe_now: shared.probe_now.clone(),
        };
        ServiceTask::new(svc, provider, shared.journal, links)
            .run(rx, cancel)
            .await;
    }
}

/// Stop `unit` in the background, at most `limit`; the handle says whether
/// it ended in time (a new task of the same service waits for it).
pub(super) fn stop_in_background(name: String, unit: Unit, limit: Duration) -> JoinHandle<bool> {
    unit.cancel();
    tokio::spawn(async move {
        let ended = unit.join(limit).await;
        if !ended {
            error!(service = %name, limit_s = limit.as_secs(), "Provider call still in flight at the stop limit; abandoned.");
        }
        ended
    })
}

/// Stop every unit at once and wait for them all, at most `limit` in total.
pub(super) async fn stop_all(units: Vec<(String, Unit)>, limit: Duration) {
    for (_, u) in &units {
        u.cancel();
    }
    let deadline = tokio::time::Instant::now() + limit;
    for (name, u) in units {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !u.join(left).await {
            error!(service = %name, limit_s = limit.as_secs(), "Provider call still in flight at the stop limit; abandoned.");
        }
    }
}
