//! An incident as the journal records it and a restart restores it (data
//! only; the `incident` module decides when one opens and closes).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::wall::serde_wall as wall;

/// What opened an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// The active pool turned suspect or down.
    Outage,
    /// An operator moved traffic without a fault.
    Operator,
    /// A drill (game day).
    Drill,
}

impl std::fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IncidentKind::Outage => "outage",
            IncidentKind::Operator => "operator move",
            IncidentKind::Drill => "drill",
        })
    }
}

/// One incident, as journaled and restored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// `SERVICE-MILLIS` (a drill's: `drill-SERVICE-MILLIS`); journal entries carry it.
    pub id: String,
    pub kind: IncidentKind,
    /// When it opened (offsets in its report are from here).
    #[serde(with = "wall")]
    pub since: SystemTime,
    /// "RTO missed" was said.
    #[serde(default)]
    pub rto_missed: bool,
    /// Since when this controller waits its writer delay in this incident.
    #[serde(with = "wall::opt", default, skip_serializing_if = "Option::is_none")]
    pub writer_wait_from: Option<SystemTime>,
    /// The TTL the provider published when it opened (the TTL at the fault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// The risk window open when it opened (see `risk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<super::risk_window::RiskWindow>,
}
