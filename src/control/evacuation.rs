//! An evacuation asked through the socket (`POST /v1/evacuations`), and the
//! plan the daemon answers with.

use serde::{Deserialize, Serialize};

use crate::controller::evacuation::EvacuationPlan;

/// `rtoguard evacuate` as a request: which region, which services, how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvacuateRequest {
    pub region: String,
    /// Only the services of this group (default: every service).
    #[serde(default)]
    pub group: Option<String>,
    /// How long the region stays evacuated (default: until `end`).
    #[serde(default)]
    pub for_secs: Option<u64>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Lower the TTL and drain before each move.
    #[serde(default)]
    pub planned: bool,
    /// Show the plan; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// End the evacuation of the region instead.
    #[serde(default)]
    pub end: bool,
}

/// What the daemon did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvacuationReply {
    /// The evacuation's id (its report's name).
    pub evacuation: String,
    pub dry_run: bool,
    /// The plan as people read it.
    pub text: String,
    pub plan: EvacuationPlan,
}
