//! Several vantages: the observations this controller publishes to its
//! peers, the peers' observations it pulls, the quorum verdict on each pool,
//! and the rule for which controller writes.
//!
//! The writer rule: every controller computes the same decision, but the
//! controller whose `controller.id` equals the target pool's `region` writes
//! at once; every other waits `rank × grace` (rank in the fixed order of
//! controller ids) and then writes only if the provider does not already
//! serve the target. Every write is compare-and-set, so a second writer's
//! change fails and it re-reads instead of fighting.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::{Config, Service};
use crate::controller::PoolHealth;
use crate::peers::{Local, Observations, PeerSet, QuorumVerdict, Rules};

/// What a service task needs to decide with its peers.
#[derive(Clone)]
pub struct Vantages {
    pub id: String,
    pub digest: String,
    pub rules: Rules,
    pub peers: Option<PeerSet>,
    pub publish: watch::Sender<Observations>,
    /// Every controller id, sorted: the fixed order of writers.
    pub writers: Vec<String>,
    /// How long a later writer waits per rank.
    pub grace: Duration,
}

impl Vantages {
    pub fn new(
        cfg: &Config,
        svc: &Service,
        digest: &str,
        peers: Option<PeerSet>,
        publish: watch::Sender<Observations>,
    ) -> Self {
        let mut writers: Vec<String> = std::iter::once(cfg.controller.id.clone())
            .chain(cfg.peers.iter().map(|p| p.id.clone()))
            .collect();
        writers.sort();
        writers.dedup();
        Self {
            id: cfg.controller.id.clone(),
            digest: digest.to_string(),
            rules: crate::peers::rules_for(cfg, svc),
            peers,
            publish,
            writers,
            grace: svc
                .health
                .interval
                .saturating_mul(3)
                .max(Duration::from_secs(5)),
        }
    }

    /// The pool's health: the local view alone when there are no peers,
    /// else the quorum's verdict.
    pub fn verdict(
        &self,
        service: &str,
        pool: &str,
        local: PoolHealth,
        now: Instant,
    ) -> (PoolHealth, Option<QuorumVerdict>) {
        let Some(peers) = &self.peers else {
            return (local, None);
        };
        let snap = peers.snapshot();
        let v = crate::peers::decide(
            service,
            pool,
            Local {
                vantage: &self.id,
                digest: &self.digest,
                health: local,
            },
            &snap,
            now,
            self.rules,
        );
        (v.health, Some(v))
    }

    /// How long this controller waits before an automatic write that moves
    /// traffic to a pool in `region`.
    pub fn writer_delay(&self, region: Option<&str>) -> Duration {
        if crate::test_hooks::no_writer_delay() {
            return Duration::ZERO;
        }
        let rank = self.rank(region);
        self.grace
            .saturating_mul(u32::try_from(rank).unwrap_or(u32::MAX))
    }

    /// The first in the writer order for a pool in `region`: it speaks for
    /// an incident nobody had to write in (see `controller::Voice`).
    pub fn first_writer(&self, region: Option<&str>) -> Option<String> {
        self.order(region).first().map(|w| (*w).to_owned())
    }

    /// This controller's rank in the writer order for a pool in `region`.
    fn rank(&self, region: Option<&str>) -> usize {
        let order = self.order(region);
        order.iter().position(|w| *w == self.id).unwrap_or(0)
    }

    /// The writer order for a pool in `region`: its controller first, then
    /// every controller id in sorted order.
    fn order(&self, region: Option<&str>) -> Vec<&str> {
        let mut order: Vec<&str> = self.writers.iter().map(String::as_str).collect();
        if let Some(r) = region
            && let Some(i) = order.iter().position(|w| *w == r)
        {
            let first = order.remove(i);
            order.insert(0, first);
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str) -> Vantages {
        let (publish, _) = watch::channel(Observations::empty(id, "d", 0));
        Vantages {
            id: id.into(),
            digest: "d".into(),
            rules: Rules {
                quorum: 2,
                vantages: 3,
                max_age: Duration::from_secs(3),
            },
            peers: None,
            publish,
            writers: vec!["a".into(), "b".into(), "c".into()],
            grace: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_target_region_writes_first_then_the_fixed_order() {
        assert_eq!(v("b").writer_delay(Some("b")), Duration::ZERO);
        assert_eq!(v("a").writer_delay(Some("b")), Duration::from_secs(5));
        assert_eq!(v("c").writer_delay(Some("b")), Duration::from_secs(10));
        // A region with no controller: plain id order.
        assert_eq!(v("a").writer_delay(Some("mars")), Duration::ZERO);
        assert_eq!(v("c").writer_delay(None), Duration::from_secs(10));
    }

    #[test]
    fn the_first_writer_speaks_for_a_pool_in_its_region_or_the_first_id() {
        assert_eq!(v("a").first_writer(Some("b")).as_deref(), Some("b"));
        assert_eq!(v("c").first_writer(Some("mars")).as_deref(), Some("a"));
        assert_eq!(v("c").first_writer(None).as_deref(), Some("a"));
    }

    #[test]
    fn without_peers_the_local_view_decides() {
        assert_eq!(
            v("a").verdict("s", "p", PoolHealth::Down, Instant::now()),
            (PoolHealth::Down, None)
        );
    }
}
