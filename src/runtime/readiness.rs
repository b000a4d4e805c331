//! Readiness: a service is ready once its provider answered an authenticated
//! read and every pool's health is known; until then it says what is
//! missing. The daemon reports READY when every service is, or at the
//! readiness limit as "ready, degraded" with the reasons.

use std::sync::Arc;
use std::time::Duration;

use rtoguard_provider_api::Provider;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::service::Input;
use super::systemd;
use crate::config::{Config, Service};

/// What a service still waits for; empty when ready.
pub(super) type Missing = Vec<String>;

/// How long an access check may take before it counts as unanswered.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a failed access check is tried again.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// Watch one service until it is ready (or `cancel`), publishing what is missing.
pub(super) async fn watch_service(
    svc: Service,
    provider: Result<Arc<dyn Provider>, String>,
    tx: mpsc::Sender<Input>,
    state: watch::Sender<Missing>,
    metrics: crate::metrics::Metrics,
    cancel: CancellationToken,
) {
    metrics.set_service_ready(&svc.name, false);
    let mut access: Option<String> = Some("provider: not read yet".into());
    let mut next_check = Instant::now();
    loop {
        if access.is_some() && Instant::now() >= next_check {
            access = check_provider(&svc, &provider).await;
            next_check = Instant::now() + CHECK_EVERY;
        }
        let mut missing: Missing = access.iter().cloned().collect();
        missing.extend(unknown_pools(&tx).await);
        let ready = missing.is_empty();
        state.send_replace(missing);
        if ready {
            metrics.set_service_ready(&svc.name, true);
            info!(service = %svc.name, "Service ready: provider read and every pool's health known.");
            return;
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

/// `None` when the provider answered an authenticated read, else why not.
async fn check_provider(
    svc: &Service,
    provider: &Result<Arc<dyn Provider>, String>,
) -> Option<String> {
    let p = match provider {
        Ok(p) => p,
        Err(e) => return Some(format!("provider {}: {e}", svc.provider)),
    };
    let check = p.check_access(&svc.zone, &svc.record, svc.rtype);
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            warn!(service = %svc.name, error = %e, "The provider refused an authenticated read.");
            Some(format!("provider {e}"))
        }
        Err(_) => Some(format!(
            "provider {}: no answer to an authenticated read within {}s",
            svc.provider,
            CHECK_TIMEOUT.as_secs()
        )),
    }
}

/// The pools whose health the service task does not know yet.
async fn unknown_pools(tx: &mpsc::Sender<Input>) -> Vec<String> {
    let (reply, rx) = oneshot::channel();
    if tx.send(Input::Status { reply }).await.is_err() {
        return vec!["service task stopped".into()];
    }
    let Ok(status) = rx.await else {
        return vec!["service task stopped".into()];
    };
    status
        .pools
        .iter()
        .filter(|p| p.health == crate::controller::PoolHealth::Unknown)
        .map(|p| format!("pool {}: health unknown", p.name))
        .collect()
}

/// How long the daemon waits for every service before "ready, degraded":
/// enough for the slowest service to settle its rise/fall rules twice.
pub(super) fn limit(cfg: &Config) -> Duration {
    cfg.services
        .iter()
        .map(|s| {
            let probes = s.health.rise.max(s.health.fall).saturating_add(1);
            s.health
                .interval
                .saturating_mul(probes)
                .saturating_add(s.probe.timeout)
                .saturating_mul(2)
        })
        .max()
        .unwrap_or_default()
        .saturating_add(Duration::from_secs(10))
}

/// "service: reason" for every service not ready yet.
fn missing(services: &[(String, watch::Receiver<Missing>)]) -> Vec<String> {
    services
        .iter()
        .flat_map(|(name, rx)| {
            rx.borrow()
                .iter()
                .map(|m| format!("{name}: {m}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Tell systemd what is missing until every service is ready, then READY;
/// at `limit` READY anyway as "ready, degraded" with the reasons (kept up to
/// date until every service is ready). `done` is told when READY was sent;
/// without it (after a reload, READY already sent) only `STATUS=` changes.
pub(super) async fn report(
    services: Vec<(String, watch::Receiver<Missing>)>,
    limit: Duration,
    mut done: Option<oneshot::Sender<()>>,
    cancel: CancellationToken,
) {
    let deadline = Instant::now() + limit;
    let mut said = String::new();
    loop {
        let now_missing = missing(&services);
        if now_missing.is_empty() {
            systemd::ready_with("Ready.");
            info!(
                "Ready: every provider answered an authenticated read and every pool's health is known."
            );
            let _ = done.map(|d| d.send(()));
            return;
        }
        // One line: systemd's STATUS= ends at a newline.
        let reasons = now_missing.join("; ").replace('\n', " ");
        if done.is_some() && Instant::now() >= deadline {
            systemd::ready_with(&format!("Ready, degraded: {reasons}"));
            warn!(reasons = %reasons, "Ready, degraded: not every service became ready in time.");
            let _ = done.take().map(|d| d.send(()));
        }
        let text = match done {
            Some(_) => format!("Not ready: {reasons}"),
            None => format!("Ready, degraded: {reasons}"),
        };
        if text != said {
            systemd::status(&text);
            said = text;
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}
