//! The quorum verdict on one pool: pure, the time passed in.
//!
//! Rules, in order:
//! 1. Each vantage counts once: this one (always fresh) and every peer whose
//!    last good observations arrived within `max_age`, whose clock is within
//!    its `max_clock_skew` of ours, and whose observation of the pool is
//!    itself within `max_age`: the age of its oldest probe of the pool when
//!    it answered (its own clock) plus the time since that answer (ours). A
//!    peer whose API answers but whose probes stopped goes stale this way.
//!    Stale ones do not count.
//! 2. Fewer than `quorum` fresh vantages: **Unknown** (nothing flips; raise it).
//! 3. At least `quorum` fresh vantages say down: **Down**.
//! 4. At least `quorum` say up and this vantage sees no trouble: **Up**.
//! 5. This vantage says suspect or down, or any fresh vantage does, without a
//!    quorum for down: **Suspect** (the TTL may be lowered, nothing flips).
//! 6. Otherwise (vantages still warming up): **Unknown**.
//!
//! A peer whose observations name a vantage already counted (this one, or
//! another peer) is not counted again: one vantage is one vote.
//! A peer whose config digest differs from ours is counted but named in
//! `mismatched`, so the disagreement is visible.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::puller::PeerView;
use crate::config::{Config, Service};
use crate::controller::PoolHealth;

/// This vantage's own view of the pool.
#[derive(Debug, Clone, Copy)]
pub struct Local<'a> {
    pub vantage: &'a str,
    pub digest: &'a str,
    pub health: PoolHealth,
}

/// How many must agree, out of how many, and how old is too old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub quorum: usize,
    /// This vantage and its configured peers.
    pub vantages: usize,
    pub max_age: Duration,
}

/// The [`Rules`] of `svc` under `cfg`: its quorum (or a majority), and
/// `health.max_age` (or 3 × the interval).
pub fn rules_for(cfg: &Config, svc: &Service) -> Rules {
    let vantages = cfg.vantages();
    Rules {
        quorum: usize::try_from(svc.quorum(vantages)).unwrap_or(usize::MAX),
        vantages,
        max_age: svc.health.max_age(),
    }
}

/// The pool's health by quorum, with who said what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumVerdict {
    pub health: PoolHealth,
    /// Fresh vantages, this one included.
    pub fresh: usize,
    pub quorum: usize,
    pub vantages: usize,
    /// Fresh vantages saying down.
    pub down: Vec<String>,
    /// Fresh vantages saying up.
    pub up: Vec<String>,
    /// Fresh vantages saying suspect.
    pub suspect: Vec<String>,
    /// Peers not heard from within `max_age` (or never).
    pub stale: Vec<String>,
    /// Fresh peers whose config digest differs from ours.
    pub mismatched: Vec<String>,
    /// Peers not counted because their observations come from a vantage
    /// already counted (e.g. a peer URL that points back at this controller).
    pub duplicate: Vec<String>,
    /// Every fresh vantage says the same.
    pub agreed: bool,
}

/// The verdict on `pool` of `service` at `now`.
pub fn decide(
    service: &str,
    pool: &str,
    local: Local<'_>,
    peers: &[PeerView],
    now: Instant,
    rules: Rules,
) -> QuorumVerdict {
    let Ballot {
        votes,
        stale,
        mismatched,
        duplicate,
    } = ballot(service, pool, local, peers, now, rules.max_age);
    let said = |h: PoolHealth| -> Vec<String> {
        votes
            .iter()
            .filter(|(_, v)| *v == h)
            .map(|(id, _)| id.clone())
            .collect()
    };
    let (down, up, suspect) = (
        said(PoolHealth::Down),
        said(PoolHealth::Up),
        said(PoolHealth::Suspect),
    );
    let quorum = rules.quorum.max(1);
    let local_trouble = matches!(local.health, PoolHealth::Suspect | PoolHealth::Down);
    let health = if votes.len() < quorum {
        PoolHealth::Unknown
    } else if down.len() >= quorum {
        PoolHealth::Down
    } else if up.len() >= quorum && !local_trouble {
        PoolHealth::Up
    } else if local_trouble || !down.is_empty() || !suspect.is_empty() {
        PoolHealth::Suspect
    } else {
        PoolHealth::Unknown
    };
    QuorumVerdict {
        health,
        fresh: votes.len(),
        quorum,
        vantages: rules.vantages,
        agreed: votes.iter().all(|(_, v)| *v == local.health),
        down,
        up,
        suspect,
        stale,
        mismatched,
        duplicate,
    }
}

/// Who votes what, and who does not count.
struct Ballot {
    votes: Vec<(String, PoolHealth)>,
    stale: Vec<String>,
    mismatched: Vec<String>,
    duplicate: Vec<String>,
}

fn ballot(
    service: &str,
    pool: &str,
    local: Local<'_>,
    peers: &[PeerView],
    now: Instant,
    max_age: Duration,
) -> Ballot {
    let mut b = Ballot {
        votes: vec![(local.vantage.to_string(), local.health)],
        stale: Vec::new(),
        mismatched: Vec::new(),
        duplicate: Vec::new(),
    };
    let mut seen = BTreeSet::from([local.vantage]);
    for peer in peers {
        let fresh = peer
            .last_ok
            .is_some_and(|at| now.saturating_duration_since(at) <= max_age);
        let Some(obs) = peer.obs.as_ref().filter(|_| fresh && peer.clock_ok()) else {
            b.stale.push(peer.id.clone());
            continue;
        };
        if observation_age(obs, service, pool, peer, now).is_some_and(|a| a > max_age) {
            b.stale.push(peer.id.clone());
            continue;
        }
        if seen.contains(peer.id.as_str()) || !seen.insert(obs.vantage.as_str()) {
            b.duplicate.push(peer.id.clone());
            continue;
        }
        seen.insert(peer.id.as_str());
        if obs.config_digest != local.digest {
            b.mismatched.push(peer.id.clone());
        }
        let health = obs
            .pool(service, pool)
            .map_or(PoolHealth::Unknown, |p| p.health);
        b.votes.push((peer.id.clone(), health));
    }
    b
}

/// How old `peer`'s observation of the pool is at `now`: its age when the
/// peer answered (on the peer's clock) plus the time since (on ours). None
/// when the peer has not probed the pool yet (its health says so).
pub(super) fn observation_age(
    obs: &super::Observations,
    service: &str,
    pool: &str,
    peer: &PeerView,
    now: Instant,
) -> Option<Duration> {
    let at_answer = obs.age_when_served(obs.pool(service, pool)?)?;
    let since = peer.age(now)?;
    Some(at_answer.saturating_add(since))
}

/// The tally a journal entry keeps of a verdict.
impl From<&QuorumVerdict> for crate::journal::Tally {
    fn from(v: &QuorumVerdict) -> Self {
        crate::journal::Tally {
            down: v.down.clone(),
            up: v.up.clone(),
            suspect: v.suspect.clone(),
            stale: v.stale.clone(),
            fresh: v.fresh,
            quorum: v.quorum,
        }
    }
}
