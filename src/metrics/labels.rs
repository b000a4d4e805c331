//! The label sets of the metric families, and the words their values take.

use prometheus_client::encoding::EncodeLabelSet;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ServiceL {
    pub service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct EndpointL {
    pub service: String,
    pub pool: String,
    pub endpoint: String,
    pub vantage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ProbeResultL {
    pub service: String,
    pub pool: String,
    pub endpoint: String,
    pub vantage: String,
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ObservationL {
    pub service: String,
    pub pool: String,
    pub endpoint: String,
    pub vantage: String,
    pub state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct PoolHealthL {
    pub service: String,
    pub pool: String,
    pub health: &'static str,
}

/// A service and a region (an evacuation).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RegionL {
    pub service: String,
    pub region: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct PoolL {
    pub service: String,
    pub pool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct FlipL {
    pub service: String,
    pub reason: String,
    pub trigger: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct IncidentL {
    pub service: String,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ProviderResultL {
    pub provider: String,
    pub op: &'static str,
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ProviderOpL {
    pub provider: String,
    pub op: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct PhaseL {
    pub service: String,
    pub phase: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct VantageL {
    pub vantage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct PeerL {
    pub peer: String,
}

/// How a provider call ended, as the `result` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestResult {
    Ok,
    /// Any error but the two below.
    Error,
    /// The provider asked us to slow down.
    Throttled,
    /// Compare-and-set refused: the records changed since they were read.
    Conflict,
}

impl RequestResult {
    /// The result of a provider call, from its error kind.
    pub fn of<T>(r: &Result<T, rtoguard_provider_api::ProviderError>) -> Self {
        use rtoguard_provider_api::ProviderError as E;
        match r {
            Ok(_) => Self::Ok,
            Err(E::Throttled { .. }) => Self::Throttled,
            Err(E::Conflict { .. }) => Self::Conflict,
            Err(_) => Self::Error,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Throttled => "throttled",
            Self::Conflict => "conflict",
        }
    }
}

/// What started an incident, as the `kind` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncidentKind {
    /// A real fault seen by the probes.
    Incident,
    /// A rehearsal (planned failover to test the path).
    Drill,
    /// A person moved traffic without a fault.
    Manual,
}

impl IncidentKind {
    pub const ALL: [Self; 3] = [Self::Incident, Self::Drill, Self::Manual];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Drill => "drill",
            Self::Manual => "manual",
        }
    }
}

/// One phase of a propagation watch, as the `phase` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// From the provider accepting the change to its own servers serving it.
    ProviderSync,
    /// Until every authoritative server answers with the new records.
    Authoritative,
    /// Until each watched recursive resolver answers with them.
    Resolver,
    /// Until a real client request reaches the new pool.
    Client,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProviderSync => "provider_sync",
            Self::Authoritative => "authoritative",
            Self::Resolver => "resolver",
            Self::Client => "client",
        }
    }
}

/// The `op` label of provider calls.
pub const OPS: [&str; 3] = ["read", "apply", "wait_in_sync"];

/// The `state` words of `observation_state`.
pub(super) const OBSERVATION_STATES: [&str; 3] = ["unknown", "up", "down"];

/// The `health` words of `pool_health`.
pub(super) const POOL_HEALTHS: [&str; 4] = ["unknown", "up", "suspect", "down"];

/// The `reason` words a flip can carry (the controller's `Reason`).
pub(super) const FLIP_REASONS: [&str; 5] =
    ["active_down", "manual", "failback", "planned", "reconcile"];
