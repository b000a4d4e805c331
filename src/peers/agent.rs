//! A probe-only vantage (`rtoguard agent`): probes, hysteresis and the peer API; no providers.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::{Observations, config_digest, serve_with, service_obs};
use crate::config::specs;
use crate::config::{Config, Service};
use crate::probe::{PoolEndpoints, ProbeResult, Scheduler};

/// The pools of every service, as this vantage sees them.
pub(super) type Views = BTreeMap<String, BTreeMap<String, PoolEndpoints>>;

/// Probe every endpoint of `cfg` and serve the observations on
/// `controller.peer_listen` until `cancel` fires. Providers are never built.
pub async fn run_agent(cfg: &Config, cancel: CancellationToken) -> anyhow::Result<()> {
    let c = &cfg.controller;
    let listen = c
        .peer_listen
        .context("an agent serves its observations: set controller.peer_listen")?;
    let token = c
        .peer_token
        .as_ref()
        .context("controller.peer_token_file or peer_token_env is required")?
        .read()
        .map_err(anyhow::Error::msg)?;
    super::skew::test_hook::init(&c.id);
    let digest = config_digest(cfg);
    let mut views = views(&cfg.services);
    let (tx, rx) = watch::channel(publish(&c.id, &digest, &views));
    let stop = cancel.child_token();
    let limits = super::limits_for(cfg);
    let (addr, server) = serve_with(listen, c.peer_tls.clone(), token, rx, limits, stop.clone())
        .await
        .with_context(|| format!("peer API on {listen}"))?;
    let targets = cfg
        .services
        .iter()
        .flat_map(|s| specs::targets(s, c.probe_source))
        .collect();
    let (mut results, probes) = Scheduler::spawn(targets, specs::limits(cfg), stop.clone());
    info!(agent = %c.id, listen = %addr, services = cfg.services.len(), "Agent started.");
    let mut tick = tokio::time::interval(publish_every(cfg));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            got = results.recv() => match got {
                // A vote that moved goes out at once (a held long-poll
                // answers it); the tick refreshes the times.
                Some((t, r)) => if observe(&mut views, &t.service, &t.pool, &t.endpoint, &r) {
                    debug!(service = %t.service, pool = %t.pool, endpoint = %t.endpoint, "Observations published.");
                    tx.send_replace(publish(&c.id, &digest, &views));
                },
                None => break,
            },
            _ = tick.tick() => {
                tx.send_replace(publish(&c.id, &digest, &views));
            }
        }
    }
    stop.cancel();
    probes.stopped().await;
    let _ = server.await;
    info!(agent = %c.id, "Agent stopped.");
    Ok(())
}

/// Every pool of every service, all endpoints Unknown.
pub(super) fn views(services: &[Service]) -> Views {
    services
        .iter()
        .map(|svc| {
            let rules = specs::hysteresis(svc);
            let min = svc.health.min_healthy as usize;
            let pools = svc
                .pools
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        PoolEndpoints::new(p.endpoints.clone(), rules, min),
                    )
                })
                .collect();
            (svc.name.clone(), pools)
        })
        .collect()
}

/// Take one probe result; true when the vote it changes (an endpoint's
/// state or failing flag) moved, so peers must hear it now.
pub(super) fn observe(
    views: &mut Views,
    service: &str,
    pool: &str,
    endpoint: &str,
    r: &ProbeResult,
) -> bool {
    let was = impairment(views).is_some();
    let Some(view) = views.get_mut(service).and_then(|s| s.get_mut(pool)) else {
        return false;
    };
    let vote = |v: &PoolEndpoints| v.endpoint(endpoint).map(|e| (e.state(), e.failing()));
    let before = vote(view);
    if let Some(state) = view.observe(endpoint, r) {
        info!(service, pool, endpoint, %state, detail = %r.detail, "Endpoint state changed.");
    } else if !r.ok {
        debug!(service, pool, endpoint, detail = %r.detail, "Probe failed.");
    }
    let moved = vote(view) != before;
    match (was, impairment(views)) {
        (false, Some(reason)) => {
            tracing::warn!(
                reason,
                "Vantage impaired: probes cannot run here; its endpoints count as unknown, never down."
            );
        }
        (true, None) => info!("Vantage recovered: probes run again."),
        _ => {}
    }
    moved
}

/// Why this agent cannot probe some endpoint now, if it cannot.
fn impairment(views: &Views) -> Option<&str> {
    views
        .values()
        .flat_map(|pools| pools.values())
        .find_map(PoolEndpoints::local)
}

/// The observations of every service now.
fn publish(vantage: &str, digest: &str, views: &Views) -> Observations {
    let (now, now_ms) = (Instant::now(), super::skew::wall_ms());
    let mut obs = Observations::empty(vantage, digest, now_ms);
    for (service, pools) in views {
        obs.upsert(service_obs(service, pools, now, now_ms));
    }
    obs
}

/// Publish twice per smallest probe interval, at most every 100ms.
fn publish_every(cfg: &Config) -> Duration {
    (super::PeerSet::interval_for(cfg) / 2).max(Duration::from_millis(100))
}
