//! The controller's shared words: why and by whom a move happens and how
//! healthy a pool is, named alike by its inputs, its outputs and its state
//! (a leaf module, so those import one way).

use serde::{Deserialize, Serialize};

/// Why a flip happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The active pool is down (confirmed by quorum): automatic, unplanned.
    ActiveDown,
    /// An operator's unplanned failover.
    Manual,
    /// A move back to the preferred pool (automatic or by command).
    Failback,
    /// An operator's planned failover (lower TTL, drain, flip).
    Planned,
    /// Finishing an intent left unfinished by a restart.
    Reconcile,
}

/// Who asked for a change: automation counts towards the flip cap and stops
/// when the service is pinned; an operator's commands always run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Initiator {
    Automation,
    Operator,
}

/// A pool's health as the probe layer aggregated it (hysteresis and quorum
/// happen outside; the controller trusts `Down` as confirmed by quorum).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolHealth {
    /// Not enough fresh observations to say anything.
    Unknown,
    /// Healthy.
    Up,
    /// Up, but some probes are failing: the moment to lower the TTL.
    Suspect,
    /// Down, confirmed by quorum.
    Down,
}

impl std::fmt::Display for PoolHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PoolHealth::Unknown => "unknown",
            PoolHealth::Up => "up",
            PoolHealth::Suspect => "suspect",
            PoolHealth::Down => "down",
        })
    }
}
