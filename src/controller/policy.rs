//! The per-service policy the controller applies: pools, TTLs, failback and damping.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the service returns to its preferred (first) pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailbackMode {
    /// Only an operator's `Failback` command moves the service back.
    #[default]
    Manual,
    /// Move back, as a planned move, once the preferred pool has been `Up`
    /// continuously for `stable_for`.
    Auto,
}

impl std::fmt::Display for FailbackMode {
    /// The config word: `manual` or `auto`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Manual => "manual",
            Self::Auto => "auto",
        })
    }
}

/// The rules for one service. Build it from the validated config; check it
/// with [`Policy::validate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Pool names in preference order; the first is the preferred pool.
    pub pools: Vec<String>,
    /// The TTL published in steady state, in seconds.
    pub ttl_normal: u32,
    /// The TTL published ahead of (and right after) a switch, in seconds.
    pub ttl_lowered: u32,
    /// Quiet time (active pool `Up`, no flip) before the normal TTL returns.
    pub restore_after: Duration,
    /// Manual or automatic failback.
    pub failback_mode: FailbackMode,
    /// How long the preferred pool must stay `Up` before an automatic failback.
    pub stable_for: Duration,
    /// No automatic flip within this time after any flip.
    pub hold_down: Duration,
    /// At most this many automatic flips in any sliding `flip_window`.
    pub max_flips: u32,
    /// The window of the flip cap.
    pub flip_window: Duration,
    /// Wait after a retryable provider failure before trying again.
    pub retry_after: Duration,
    /// The lowest TTL the provider accepts (its `Capabilities`); TTLs asked
    /// for are raised to it, so a provider that rounds up is asked once.
    #[serde(default = "default_ttl_floor")]
    pub ttl_floor: u32,
    /// The service's name, RTO and this controller's writer delays.
    #[serde(default)]
    pub local: super::writer::Local,
    /// A gradual failback (providers with weights): percent of weight on
    /// the preferred pool per step, ending at 100 (see `gradual`); empty:
    /// the failback is one flip.
    #[serde(default)]
    pub steps: Vec<u8>,
    /// How long each step of a gradual failback holds.
    #[serde(default = "default_step_hold")]
    pub step_hold: Duration,
    /// Each pool's region, in the order of `pools` (empty: regions unknown;
    /// an evacuation then finds no pool in the region it empties).
    #[serde(default)]
    pub regions: Vec<String>,
    /// The scheduled risk windows that name this service (`[[risk_windows]]`).
    #[serde(default)]
    pub schedule: Vec<super::schedule::ScheduledRisk>,
    /// Which other services' incidents open a risk window here (see `shared_risk`).
    #[serde(default)]
    pub shared_risk: super::risk_news::SharedRisk,
}

fn default_step_hold() -> Duration {
    Duration::from_secs(120)
}

fn default_ttl_floor() -> u32 {
    1
}

/// Why a policy cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("a service needs at least two pools to fail over, found {0}")]
    TooFewPools(usize),
    #[error("pool {0:?} is listed twice")]
    DuplicatePool(String),
    #[error("pool names must not be empty")]
    EmptyPoolName,
    #[error("the lowered TTL ({lowered}s) must be above 0 and at most the normal TTL ({normal}s)")]
    BadTtl { lowered: u32, normal: u32 },
    #[error("max_flips must be at least 1")]
    NoFlipsAllowed,
}

impl Policy {
    /// The house defaults for the given pools: TTL 300s/30s, restore after
    /// 10m, manual failback, stable for 5m, hold-down 2m, 3 flips per hour,
    /// retry after 30s.
    pub fn with_defaults(pools: Vec<String>) -> Self {
        Self {
            pools,
            ttl_normal: 300,
            ttl_lowered: 30,
            restore_after: Duration::from_secs(600),
            failback_mode: FailbackMode::Manual,
            stable_for: Duration::from_secs(300),
            hold_down: Duration::from_secs(120),
            max_flips: 3,
            flip_window: Duration::from_secs(3600),
            retry_after: Duration::from_secs(30),
            ttl_floor: default_ttl_floor(),
            local: super::writer::Local::default(),
            steps: Vec::new(),
            step_hold: default_step_hold(),
            regions: Vec::new(),
            schedule: Vec::new(),
            shared_risk: Default::default(),
        }
    }

    /// The region of `pool`, when the policy knows it.
    pub fn region_of(&self, pool: &str) -> Option<&str> {
        let i = self.pools.iter().position(|p| p == pool)?;
        self.regions.get(i).map(String::as_str)
    }

    /// This policy for a provider whose lowest TTL is `floor`.
    pub fn with_ttl_floor(mut self, floor: u32) -> Self {
        self.ttl_floor = floor.max(1);
        self
    }

    /// The TTL asked for while a pool is suspect or before a planned move:
    /// `ttl_lowered` raised to the provider's floor, never above
    /// [`Policy::normal_ttl`].
    pub fn lowered_ttl(&self) -> u32 {
        self.ttl_lowered.max(self.ttl_floor).min(self.normal_ttl())
    }

    /// The TTL asked for in steady state: `ttl_normal` raised to the floor.
    pub fn normal_ttl(&self) -> u32 {
        self.ttl_normal.max(self.ttl_floor)
    }

    /// Checks what the state machine relies on. The controller still runs
    /// with an invalid policy (it never panics), but it may never move.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.pools.len() < 2 {
            return Err(PolicyError::TooFewPools(self.pools.len()));
        }
        for (i, name) in self.pools.iter().enumerate() {
            if name.is_empty() {
                return Err(PolicyError::EmptyPoolName);
            }
            if self.pools[..i].contains(name) {
                return Err(PolicyError::DuplicatePool(name.clone()));
            }
        }
        if self.ttl_lowered == 0 || self.ttl_lowered > self.ttl_normal {
            return Err(PolicyError::BadTtl {
                lowered: self.ttl_lowered,
                normal: self.ttl_normal,
            });
        }
        if self.max_flips == 0 {
            return Err(PolicyError::NoFlipsAllowed);
        }
        Ok(())
    }

    /// The preferred pool, if any pool is configured.
    pub fn preferred(&self) -> Option<&str> {
        self.pools.first().map(String::as_str)
    }

    /// Whether `pool` is one of this service's pools.
    pub fn has_pool(&self, pool: &str) -> bool {
        self.pools.iter().any(|p| p == pool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pools() -> Vec<String> {
        vec!["primary".into(), "standby".into()]
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(Policy::with_defaults(pools()).validate(), Ok(()));
    }

    #[test]
    fn rejects_bad_policies() {
        let one = Policy::with_defaults(vec!["a".into()]);
        assert_eq!(one.validate(), Err(PolicyError::TooFewPools(1)));
        let dup = Policy::with_defaults(vec!["a".into(), "a".into()]);
        assert_eq!(dup.validate(), Err(PolicyError::DuplicatePool("a".into())));
        let mut ttl = Policy::with_defaults(pools());
        ttl.ttl_lowered = 600;
        assert!(matches!(ttl.validate(), Err(PolicyError::BadTtl { .. })));
        let mut cap = Policy::with_defaults(pools());
        cap.max_flips = 0;
        assert_eq!(cap.validate(), Err(PolicyError::NoFlipsAllowed));
    }
}
