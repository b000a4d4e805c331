//! Rise/fall hysteresis per endpoint and vantage, and a pool's aggregate health.
//!
//! Pure: results and their times go in, states come out; no clock is read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::ProbeResult;
use crate::controller::PoolHealth;

/// Consecutive results that change a verdict (HAProxy's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hysteresis {
    /// Consecutive successes that make an endpoint Up (at least 1).
    pub rise: u32,
    /// Consecutive failures that make an endpoint Down (at least 1).
    pub fall: u32,
}

/// One vantage's verdict on one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointState {
    /// Neither `rise` successes nor `fall` failures in a row yet.
    Unknown,
    Up,
    Down,
}

impl std::fmt::Display for EndpointState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unknown => "unknown",
            Self::Up => "up",
            Self::Down => "down",
        })
    }
}

/// Hysteresis for one endpoint as seen from one vantage.
///
/// Transitions: `Unknown → Up` after `rise` successes in a row, `Unknown → Down`
/// after `fall` failures in a row, `Up → Down` after `fall` failures in a row,
/// `Down → Up` after `rise` successes in a row. Any other result only moves
/// the counters and [`EndpointHealth::failing`].
///
/// A local failure (this host could not probe) moves nothing: the endpoint
/// is only [`EndpointState::Unknown`] from this vantage until the next real
/// result, when its hysteresis, untouched, shows again.
#[derive(Debug, Clone)]
pub struct EndpointHealth {
    rules: Hysteresis,
    state: EndpointState,
    /// Why the last result was a local failure (None: it was real).
    local: Option<String>,
    failing: bool,
    successes: u32,
    failures: u32,
    changed_at: Option<Instant>,
    last_at: Option<Instant>,
    last_detail: String,
}

impl EndpointHealth {
    pub fn new(rules: Hysteresis) -> Self {
        Self {
            rules: Hysteresis {
                rise: rules.rise.max(1),
                fall: rules.fall.max(1),
            },
            state: EndpointState::Unknown,
            local: None,
            failing: false,
            successes: 0,
            failures: 0,
            changed_at: None,
            last_at: None,
            last_detail: String::new(),
        }
    }

    /// Take one real probe outcome at `at`; returns the new [`state`] when it
    /// changed.
    ///
    /// [`state`]: EndpointHealth::state
    pub fn record(&mut self, ok: bool, at: Instant, detail: &str) -> Option<EndpointState> {
        let shown = self.state();
        self.local = None;
        self.failing = !ok;
        self.last_at = Some(at);
        detail.clone_into(&mut self.last_detail);
        if ok {
            self.successes = self.successes.saturating_add(1);
            self.failures = 0;
        } else {
            self.failures = self.failures.saturating_add(1);
            self.successes = 0;
        }
        let next = if self.successes >= self.rules.rise {
            EndpointState::Up
        } else if self.failures >= self.rules.fall {
            EndpointState::Down
        } else {
            self.state
        };
        if next != self.state {
            self.state = next;
            self.changed_at = Some(at);
        }
        (next != shown).then_some(next)
    }

    /// Take a local failure (`reason`: what kept this host from probing): no
    /// counter moves; the endpoint shows Unknown until the next real result.
    /// Returns the new [`state`] when it changed.
    ///
    /// [`state`]: EndpointHealth::state
    pub fn record_local(&mut self, reason: &str) -> Option<EndpointState> {
        let shown = self.state();
        self.local = Some(reason.to_string());
        (shown != EndpointState::Unknown).then_some(EndpointState::Unknown)
    }

    /// [`EndpointHealth::record`] or [`EndpointHealth::record_local`] for a
    /// probe result.
    pub fn observe(&mut self, r: &ProbeResult) -> Option<EndpointState> {
        match &r.local {
            Some(l) => self.record_local(&l.to_string()),
            None => self.record(r.ok, r.at, &r.detail),
        }
    }

    /// The verdict from this vantage: the hysteresis state, or Unknown while
    /// the last result was a local failure.
    pub fn state(&self) -> EndpointState {
        if self.local.is_some() {
            EndpointState::Unknown
        } else {
            self.state
        }
    }

    /// The hysteresis state alone, whatever local failures came since.
    pub fn settled(&self) -> EndpointState {
        self.state
    }

    /// Why the last result was a local failure (None when it was real).
    pub fn local(&self) -> Option<&str> {
        self.local.as_deref()
    }

    /// True when the last probe failed (whatever the state).
    pub fn failing(&self) -> bool {
        self.failing
    }

    /// When the state last changed (None while it never has).
    pub fn changed_at(&self) -> Option<Instant> {
        self.changed_at
    }

    /// When the last result was recorded.
    pub fn last_at(&self) -> Option<Instant> {
        self.last_at
    }

    /// What the last probe saw (`"status 503"`).
    pub fn last_detail(&self) -> &str {
        &self.last_detail
    }
}

/// The endpoints of one pool, from one vantage.
#[derive(Debug, Clone)]
pub struct PoolEndpoints {
    min_healthy: usize,
    endpoints: BTreeMap<String, EndpointHealth>,
}

impl PoolEndpoints {
    /// A view of `endpoints`, all Unknown; `min_healthy` is at least 1.
    pub fn new<I, S>(endpoints: I, rules: Hysteresis, min_healthy: usize) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            min_healthy: min_healthy.max(1),
            endpoints: endpoints
                .into_iter()
                .map(|e| (e.into(), EndpointHealth::new(rules)))
                .collect(),
        }
    }

    /// Record a result for `endpoint`; returns its new state when it changed.
    /// Results for endpoints not in the pool are ignored.
    pub fn record(
        &mut self,
        endpoint: &str,
        ok: bool,
        at: Instant,
        detail: &str,
    ) -> Option<EndpointState> {
        self.endpoints.get_mut(endpoint)?.record(ok, at, detail)
    }

    /// [`EndpointHealth::observe`] for `endpoint` (real or local results).
    pub fn observe(&mut self, endpoint: &str, r: &ProbeResult) -> Option<EndpointState> {
        self.endpoints.get_mut(endpoint)?.observe(r)
    }

    pub fn endpoint(&self, endpoint: &str) -> Option<&EndpointHealth> {
        self.endpoints.get(endpoint)
    }

    pub fn endpoints(&self) -> impl Iterator<Item = (&str, &EndpointHealth)> {
        self.endpoints.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Why some endpoint's last result was a local failure (None: none was).
    pub fn local(&self) -> Option<&str> {
        self.endpoints.values().find_map(EndpointHealth::local)
    }

    /// The pool's health as this vantage sees it: `Up` when at least
    /// `min_healthy` endpoints are Up and none is failing; `Suspect` when at
    /// least `min_healthy` are Up but some endpoint is failing or Down;
    /// `Down` when fewer than `min_healthy` are Up and every endpoint's state
    /// is known; else `Unknown`.
    pub fn health(&self) -> PoolHealth {
        let all = self.endpoints.values();
        let up = all
            .clone()
            .filter(|e| e.state() == EndpointState::Up)
            .count();
        let troubled = all
            .clone()
            .any(|e| e.failing || e.state() == EndpointState::Down);
        // An endpoint we cannot probe is unknown, so never a reason for Down.
        let all_known = all.clone().all(|e| e.state() != EndpointState::Unknown);
        if up >= self.min_healthy {
            if troubled {
                PoolHealth::Suspect
            } else {
                PoolHealth::Up
            }
        } else if all_known {
            PoolHealth::Down
        } else {
            PoolHealth::Unknown
        }
    }
}
