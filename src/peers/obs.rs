//! Observations: one vantage's verdict on every pool and endpoint, and the config digest.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::config::Config;
use crate::controller::PoolHealth;
use crate::probe::{EndpointState, PoolEndpoints};

/// Everything one vantage observes, as served on `GET /v1/observations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observations {
    /// The vantage's id (`controller.id`).
    pub vantage: String,
    /// Wall-clock milliseconds since the epoch when this was built (the
    /// vantage's clock at publishing).
    pub generated_at_ms: i64,
    /// The vantage's wall clock when it answered this pull (set by the peer
    /// API on each answer): what clock skew is measured against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_at_ms: Option<i64>,
    /// [`config_digest`] of the vantage's config.
    pub config_digest: String,
    pub services: Vec<ServiceObs>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceObs {
    pub service: String,
    pub pools: Vec<PoolObs>,
    /// The last flip this vantage wrote for the service since it started
    /// (absent: none, an agent, or a vantage older than this field): how
    /// the other controllers name the writer and share its incident id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_write: Option<LastWrite>,
    /// The decision this controller serves, when the service's records
    /// live in every controller (a provider that serves here): its own
    /// flip or one it adopted, naming who wrote it. Absent otherwise, from
    /// agents, and from vantages older than this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served: Option<Served>,
}

/// The decision a controller serves, as it publishes it to its peers;
/// ordered by `at_ms`, then `by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Served {
    /// The pool served.
    pub pool: String,
    /// When the writer's provider accepted the flip (wall-clock ms, the writer's clock).
    pub at_ms: i64,
    /// The controller that wrote the flip.
    pub by: String,
    /// The writer's incident id for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

/// A flip a controller wrote, as it publishes it to its peers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastWrite {
    /// The pool it flipped to.
    pub pool: String,
    /// When the provider accepted it (wall-clock ms, the writer's clock).
    pub at_ms: i64,
    /// The writer's incident id for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolObs {
    pub pool: String,
    /// This vantage's own view (its hysteresis, no quorum).
    pub health: PoolHealth,
    pub endpoints: Vec<EndpointObs>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointObs {
    pub endpoint: String,
    pub state: EndpointObsState,
    /// Wall-clock ms of the last state change (None: never changed).
    pub since_ms: Option<i64>,
    /// True when the last probe failed.
    pub failing: bool,
    pub last_detail: String,
    /// Wall-clock ms of the last probe result.
    pub last_at_ms: Option<i64>,
    /// Why this vantage cannot probe the endpoint now (then `state` is
    /// unknown, whatever its hysteresis said before); absent when it can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
}

/// An endpoint's state after hysteresis, as it travels between vantages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointObsState {
    Up,
    Down,
    Unknown,
}

impl From<EndpointState> for EndpointObsState {
    fn from(s: EndpointState) -> Self {
        match s {
            EndpointState::Up => Self::Up,
            EndpointState::Down => Self::Down,
            EndpointState::Unknown => Self::Unknown,
        }
    }
}

impl Observations {
    /// No services yet.
    pub fn empty(vantage: &str, config_digest: &str, generated_at_ms: i64) -> Self {
        Self {
            vantage: vantage.to_string(),
            generated_at_ms,
            served_at_ms: None,
            config_digest: config_digest.to_string(),
            services: Vec::new(),
        }
    }

    /// Replace (or add) one service's observations.
    pub fn upsert(&mut self, obs: ServiceObs) {
        match self.services.iter_mut().find(|s| s.service == obs.service) {
            Some(slot) => *slot = obs,
            None => self.services.push(obs),
        }
    }

    /// What this vantage says about `pool` of `service`.
    pub fn pool(&self, service: &str, pool: &str) -> Option<&PoolObs> {
        let svc = self.services.iter().find(|s| s.service == service)?;
        svc.pools.iter().find(|p| p.pool == pool)
    }

    /// The vantage's clock when it answered (or, from an older vantage
    /// that does not say, when it published).
    pub fn peer_clock_ms(&self) -> i64 {
        self.served_at_ms.unwrap_or(self.generated_at_ms)
    }

    /// How old `pool`'s observation was when the vantage answered, on its
    /// own clock (so no skew enters): its clock then minus its oldest
    /// probe of the pool. None when no endpoint has been probed yet.
    pub fn age_when_served(&self, pool: &PoolObs) -> Option<std::time::Duration> {
        let probed = pool.endpoints.iter().filter_map(|e| e.last_at_ms).min()?;
        let ms = self.peer_clock_ms().saturating_sub(probed).max(0);
        Some(std::time::Duration::from_millis(
            u64::try_from(ms).unwrap_or(0),
        ))
    }
}

/// The observations of one service from its pools' views; `now` and
/// `now_ms` are the same moment on the monotonic and the wall clock. An
/// endpoint this vantage cannot probe (a local failure) is published unknown,
/// and its pool never down because of it, so peers count no vote from us.
pub fn service_obs(
    service: &str,
    pools: &BTreeMap<String, PoolEndpoints>,
    now: Instant,
    now_ms: i64,
) -> ServiceObs {
    let wall = |at: Option<Instant>| {
        at.map(|at| {
            let ago = now.saturating_duration_since(at).as_millis();
            now_ms.saturating_sub(i64::try_from(ago).unwrap_or(i64::MAX))
        })
    };
    let pools = pools
        .iter()
        .map(|(name, view)| PoolObs {
            pool: name.clone(),
            health: view.health(),
            endpoints: view
                .endpoints()
                .map(|(e, h)| EndpointObs {
                    endpoint: e.to_string(),
                    state: h.state().into(),
                    since_ms: wall(h.changed_at()),
                    failing: h.failing(),
                    last_detail: h.last_detail().to_string(),
                    last_at_ms: wall(h.last_at()),
                    local: h.local().map(str::to_string),
                })
                .collect(),
        })
        .collect();
    ServiceObs {
        service: service.to_string(),
        pools,
        last_write: None,
        served: None,
    }
}

/// A digest of what must agree between vantages: each service's name,
/// record, probe and health rules, and its pools with their endpoints.
/// Services are taken in name order, so reordering them changes nothing.
/// The form is `fnv1a64:` and 16 hex digits, the same on every run.
pub fn config_digest(cfg: &Config) -> String {
    let mut services: Vec<_> = cfg.services.iter().collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    let mut canon = String::new();
    for s in services {
        let h = &s.health;
        // Writing to a String cannot fail.
        let _ = write!(
            canon,
            "service {:?} {:?} {:?} probe {:?} timeout {:?} health {:?} {} {} {:?} {} {:?};",
            s.name,
            s.record,
            s.rtype.to_string(),
            s.probe.kind,
            s.probe.timeout,
            h.interval,
            h.rise,
            h.fall,
            h.quorum,
            h.min_healthy,
            h.max_age,
        );
        for p in &s.pools {
            let _ = write!(canon, "pool {:?} {:?};", p.name, p.endpoints);
        }
    }
    format!("fnv1a64:{:016x}", fnv1a64(canon.as_bytes()))
}

/// FNV-1a, 64 bits: a fingerprint, not a defence against forgery.
fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, b| (h ^ u64::from(*b)).wrapping_mul(PRIME))
}

#[cfg(test)]
pub(super) fn fnv_for_tests(bytes: &[u8]) -> u64 {
    fnv1a64(bytes)
}
