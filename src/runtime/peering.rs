//! The peer API (when `peer_listen` is set), the peer puller (when peers are
//! configured), and the channel our observations are published on: one per
//! daemon, replaced by a reload only when their settings change.

use anyhow::Context;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::info;

use crate::config::Config;
use crate::peers::{Observations, PeerSet, PeerSpec, config_digest};

/// The running peer machinery.
pub(super) struct Peering {
    pub peers: Option<PeerSet>,
    pub publish: watch::Sender<Observations>,
    pub fingerprint: String,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

/// Everything of `cfg` the peer machinery and every service's vantages are
/// built from; a change restarts them all. The config digest counts only
/// when there are peers to compare it with.
pub(super) fn fingerprint(cfg: &Config) -> String {
    let c = &cfg.controller;
    let peered = !cfg.peers.is_empty() || c.peer_listen.is_some();
    // Debug of the validated types: compared, never shown to anyone.
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        c.id,
        c.peer_listen,
        c.peer_token,
        c.peer_tls,
        cfg.peers,
        peered.then(|| config_digest(cfg)),
    )
}

impl Peering {
    pub async fn start(cfg: &Config) -> anyhow::Result<Self> {
        // Every fallible step before anything is spawned.
        let specs = (!cfg.peers.is_empty())
            .then(|| {
                cfg.peers
                    .iter()
                    .map(PeerSpec::from_config)
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let digest = config_digest(cfg);
        let (publish, rx) = watch::channel(Observations::empty(
            &cfg.controller.id,
            &digest,
            crate::journal::now_ms(),
        ));
        if let Some(listen) = cfg.controller.peer_listen {
            let token = cfg
                .controller
                .peer_token
                .as_ref()
                .context(
                    "controller.peer_token_file or peer_token_env is required with peer_listen",
                )?
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
        tracker.close();
        let peers = specs.map(|specs| {
            let interval = crate::test_hooks::peer_pull_interval()
                .unwrap_or_else(|| PeerSet::interval_for(cfg));
            PeerSet::spawn(specs, interval, cancel.child_token())
        });
        Ok(Self {
            peers,
            publish,
            fingerprint: fingerprint(cfg),
            cancel,
            tracker,
        })
    }

    /// Nothing running: held only while one peer machinery replaces another.
    pub fn placeholder(cfg: &Config) -> Self {
        let (publish, _) = watch::channel(Observations::empty(&cfg.controller.id, "", 0));
        let tracker = TaskTracker::new();
        tracker.close();
        Self {
            peers: None,
            publish,
            fingerprint: String::new(),
            cancel: CancellationToken::new(),
            tracker,
        }
    }

    /// The digest our observations carry.
    pub fn digest(&self) -> String {
        self.publish.borrow().config_digest.clone()
    }

    /// Stop the peer API and the puller, and wait for the API to close.
    pub async fn stop(self) {
        self.cancel.cancel();
        self.tracker.wait().await;
    }
}
