//! Metrics (served on `controller.metrics_listen` when set) and webhook
//! notifications: both live as long as the daemon and are re-read on reload.

use std::net::SocketAddr;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::config::Config;

/// What service tasks report to: cheap to clone, the same across reloads.
#[derive(Clone)]
pub(super) struct Observability {
    pub metrics: crate::metrics::Metrics,
    pub notify: crate::notify::Notifier,
}

/// The metrics server and the webhook workers behind [`Observability`].
pub(super) struct Outputs {
    pub obs: Observability,
    listen: Option<SocketAddr>,
    /// Stops the metrics server.
    server: CancellationToken,
    /// The daemon's lifetime: webhook workers end with it.
    daemon: CancellationToken,
}

impl Outputs {
    pub async fn start(cfg: &Config, daemon: &CancellationToken) -> anyhow::Result<Self> {
        let metrics = crate::metrics::Metrics::new();
        let server = daemon.child_token();
        serve_metrics(cfg.controller.metrics_listen, &metrics, &server).await?;
        let (notify, _task) =
            crate::notify::Notifier::start(&cfg.notify, &cfg.controller.id, daemon.clone())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self {
            obs: Observability { metrics, notify },
            listen: cfg.controller.metrics_listen,
            server,
            daemon: daemon.clone(),
        })
    }

    /// Re-read `[notify]` and `metrics_listen` from a reloaded config. What
    /// cannot start is logged and the old one stays.
    pub async fn reload(&mut self, cfg: &Config) {
        match crate::notify::Notifier::start(&cfg.notify, &cfg.controller.id, self.daemon.clone()) {
            Ok((fresh, _task)) => self.obs.notify.replace_with(&fresh),
            Err(e) => {
                error!(error = %e, "The new [notify] section failed to start; the old webhooks stay.")
            }
        }
        if cfg.controller.metrics_listen == self.listen {
            return;
        }
        // The new address first: when it fails, the old server still runs.
        let server = self.daemon.child_token();
        match serve_metrics(cfg.controller.metrics_listen, &self.obs.metrics, &server).await {
            Ok(()) => {
                self.server.cancel();
                self.server = server;
                self.listen = cfg.controller.metrics_listen;
            }
            Err(e) => {
                error!(error = %format!("{e:#}"), "The new metrics_listen failed; metrics stay where they were.");
            }
        }
    }
}

async fn serve_metrics(
    listen: Option<SocketAddr>,
    metrics: &crate::metrics::Metrics,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    if let Some(addr) = listen {
        let (bound, _task) = crate::metrics::serve(addr, metrics.clone(), cancel.clone())
            .await
            .with_context(|| format!("metrics on {addr}"))?;
        info!(listen = %bound, "Serving Prometheus metrics at /metrics.");
    }
    Ok(())
}
