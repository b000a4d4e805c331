//! The report's data: what happened when, the phases, the RTO verdict, per-path rows.

use serde::{Deserialize, Serialize};

/// The version of the JSON schema in `docs/report.md`.
pub const SCHEMA_VERSION: u32 = 1;

/// What kind of event the report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An unplanned incident, detected by the probes.
    Incident,
    /// A move an operator asked for.
    Manual,
    /// A rehearsal: a fault injected on purpose.
    Drill,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Manual => "manual move",
            Self::Drill => "drill",
        }
    }
}

/// One moment of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// Stable identifier (`first_failed_probe`, `suspect`, `auth_converged`, ...).
    pub key: String,
    /// What a person reads.
    pub label: String,
    /// Milliseconds from the incident start (negative: before it).
    pub offset_ms: i64,
    /// Wall-clock time, RFC 3339 in UTC with milliseconds.
    pub at: String,
    /// More words (pool, vantages, server, TTL), if any.
    pub detail: Option<String>,
}

/// The phases the recovery time is split into, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseName {
    /// Incident start until the pool was confirmed down (or the command came).
    Detection,
    /// Confirmed down until the flip was requested (waiting for the TTL to drain).
    TtlDrain,
    /// Flip requested until the provider reported the change in sync.
    ProviderApply,
    /// Provider in sync until the last authoritative server served the change.
    Authoritative,
    /// Last authoritative until the last resolver handed out the new answer.
    ResolverCaches,
    /// Last resolver until the last client reached the new pool.
    Clients,
}

impl PhaseName {
    pub fn label(self) -> &'static str {
        match self {
            Self::Detection => "detection",
            Self::TtlDrain => "TTL drain",
            Self::ProviderApply => "provider apply+sync",
            Self::Authoritative => "authoritative propagation",
            Self::ResolverCaches => "resolver caches",
            Self::Clients => "clients",
        }
    }
}

/// One phase: a contiguous stretch of the recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub name: PhaseName,
    pub start_ms: i64,
    pub end_ms: i64,
    pub duration_ms: i64,
}

/// Where the achieved recovery time was measured to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasuredTo {
    /// Every client check reached the new pool.
    AllClients,
    /// No client check: every resolver handed out the new answer.
    AllResolvers,
    /// No resolvers watched: every authoritative served the change.
    AllAuthoritatives,
    /// Nothing watched: the provider reported the change in sync.
    ProviderInSync,
    /// The end was never observed.
    NotReached,
}

impl MeasuredTo {
    pub fn label(self) -> &'static str {
        match self {
            Self::AllClients => "all clients on the new pool",
            Self::AllResolvers => "all resolvers converged (no client check)",
            Self::AllAuthoritatives => "all authoritatives converged (no resolvers watched)",
            Self::ProviderInSync => "provider in sync (no propagation watch)",
            Self::NotReached => "not reached while watched",
        }
    }
}

/// Met, missed, or not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    Missed,
    /// Recovery was not observed and the watch ended before the objective.
    Unknown,
}

/// The recovery time against the objective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtoResult {
    pub objective_ms: i64,
    /// Incident start to the end named by `measured_to`.
    pub achieved_ms: Option<i64>,
    pub measured_to: MeasuredTo,
    pub verdict: Verdict,
    /// `objective - achieved`: positive is time to spare, negative the miss.
    pub margin_ms: Option<i64>,
    /// The phase that took longest.
    pub costliest: Option<PhaseName>,
    /// The same recovery counted from the first failed probe (shorter by
    /// the fault window), when both are known.
    #[serde(default)]
    pub from_first_failure_ms: Option<i64>,
}

/// The fault window: when the pool was last seen serving and first seen
/// failing by this vantage's probes (offsets from the report's start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub last_ok_probe_ms: Option<i64>,
    pub last_ok_probe_at: Option<String>,
    pub first_failed_probe_ms: Option<i64>,
    pub first_failed_probe_at: Option<String>,
    /// `last_successful_probe` (a bound that never understates), or
    /// `first_failed_probe` when no success was recorded.
    pub measured_from: String,
}

/// Spread of the resolvers' switch times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread {
    pub watched: usize,
    pub converged: usize,
    pub p50_ms: i64,
    pub p95_ms: i64,
    pub max_ms: i64,
}

/// One authoritative server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRow {
    pub name: String,
    pub addr: String,
    pub state: String,
    pub converged_ms: Option<i64>,
    pub serial: Option<u32>,
}

/// One resolver: observed switch against the predicted deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolverRow {
    pub name: String,
    pub addr: String,
    pub state: String,
    pub switched_ms: Option<i64>,
    pub predicted_ms: Option<i64>,
    pub prediction_basis: Option<String>,
    /// Remaining TTL on the first old answer seen.
    pub first_old_ttl: Option<u32>,
    /// How long the old answer was kept past the prediction.
    pub overstay_ms: Option<i64>,
    /// Kept the old answer past the prediction (beyond the watch's tolerance).
    pub kept_past_prediction: bool,
}

/// One client path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRow {
    pub resolver: String,
    pub reached_ms: Option<i64>,
    pub requests: u32,
    pub failed: u32,
    pub old_pool: u32,
    /// The requests counted: from the flip's acceptance (the watch's
    /// start) to the first answer from the new pool, or the watch's end.
    #[serde(default)]
    pub counted_from_ms: Option<i64>,
    #[serde(default)]
    pub counted_to_ms: Option<i64>,
}

/// Who moved the traffic, and whether a person had to step in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Automation {
    /// `automation` or `operator` (from the flip intent), if there was a flip.
    pub flip_by: Option<String>,
    /// The flip intent's reason (`active_down`, `manual`, `planned`, ...).
    pub flip_reason: Option<String>,
    /// The provider accepted the flip.
    pub flip_completed: bool,
    /// Operator commands journaled during the incident.
    pub operator_commands: u32,
    /// Failed provider calls during the incident.
    pub provider_errors: u32,
}

impl Automation {
    /// An automatic flip that completed with no person stepping in.
    pub fn succeeded_alone(&self) -> bool {
        self.flip_by.as_deref() == Some("automation")
            && self.flip_completed
            && self.operator_commands == 0
    }
}

/// The RTO report of one incident, manual move or drill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub incident: String,
    pub service: String,
    pub kind: Kind,
    pub from_pool: Option<String>,
    pub to_pool: Option<String>,
    /// Incident start, wall clock (RFC 3339) and milliseconds since the epoch.
    pub started_at: String,
    pub started_at_ms: i64,
    pub rto: RtoResult,
    /// The fault window of an incident or drill (none for a manual move).
    #[serde(default)]
    pub fault_window: Option<Window>,
    pub timeline: Vec<Milestone>,
    pub phases: Vec<Phase>,
    pub authoritatives: Vec<AuthRow>,
    pub resolvers: Vec<ResolverRow>,
    pub resolver_spread: Option<Spread>,
    pub clients: Vec<ClientRow>,
    pub automation: Automation,
    /// How the propagation watch ended (`converged`, `deadline`, ...), if one ran.
    pub watch_end: Option<String>,
    pub notes: Vec<String>,
    /// Whether the flip happened inside a risk window, and the TTL published
    /// at the fault (`None`: the journal does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_window: Option<RiskAtFault>,
}

impl Report {
    /// The milestone with this key, if present (the first one).
    pub fn milestone(&self, key: &str) -> Option<&Milestone> {
        self.timeline.iter().find(|m| m.key == key)
    }

    /// The duration of one phase, if it was measured.
    pub fn phase(&self, name: PhaseName) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name == name)
    }
}

/// The risk window and the TTL at the fault (the incident's start).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAtFault {
    /// The flip (else the incident's start) fell inside a risk window.
    pub open: bool,
    /// The TTL the provider published when the incident opened, in seconds.
    pub ttl_at_fault: Option<u32>,
    /// The window: who opened it, why, and from when until when (RFC 3339).
    pub by: Option<String>,
    pub reason: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}
