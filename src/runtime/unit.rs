//! One service's running task (its input, stop token, heartbeat and the
//! config it runs with), started and stopped on its own so a reload can keep
//! the services whose settings did not change.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::error;

use super::heartbeat::Heartbeats;
use super::peering::Peering;
use super::service::{self, Input, ServiceTask};
use super::{Observability, vantages, watch};
use crate::config::{Config, Service};
use crate::journal::Journal;

/// What every service task shares with the daemon around it.
#[derive(Clone)]
pub(super) struct Shared {
    pub journal: Arc<Journal>,
    pub obs: Observability,
    pub heartbeats: Heartbeats,
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
    /// Start the task of `svc`.
    pub fn spawn(cfg: &Config, svc: &Service, shared: &Shared, peering: &Peering) -> Self {
        let (tx, rx) = mpsc::channel(256);
        // The first probe round is not what readiness waits for (see readiness).
        let (rtx, _) = oneshot::channel();
        let (state, readiness) = tokio::sync::watch::channel(vec!["starting".to_string()]);
        let cancel = CancellationToken::new();
        let heartbeat = shared.heartbeats.register(&svc.name, stale_after(cfg, svc));
        shared.obs.metrics.init_service(&svc.name, svc.rto);
        let links = service::Links {
            tx: tx.clone(),
            primary: watch::provider_primary(cfg, svc),
            metrics: shared.obs.metrics.clone(),
            notify: shared.obs.notify.clone(),
            vantages: vantages::Vantages::new(
                cfg,
                svc,
                &peering.digest(),
                peering.peers.clone(),
                peering.publish.clone(),
            ),
            heartbeat: heartbeat.clone(),
        };
        let (cfg2, svc2, j, c) = (
            cfg.clone(),
            svc.clone(),
            shared.journal.clone(),
            cancel.clone(),
        );
        let metrics = shared.obs.metrics.clone();
        let ready_tx = tx.clone();
        let task = tokio::spawn(async move {
            let provider = crate::providers::build(&cfg2, &svc2.provider)
                .await
                .map(|p| crate::metrics::Metered::wrap(p, metrics.clone()))
                .map_err(|e| e.to_string());
            tokio::spawn(super::readiness::watch_service(
                svc2.clone(),
                provider.clone(),
                ready_tx,
                state,
                metrics,
                c.child_token(),
            ));
            ServiceTask::new(svc2, provider, j, rtx, links)
                .run(rx, c)
                .await;
            heartbeat.retire();
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
