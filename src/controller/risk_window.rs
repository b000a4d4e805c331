//! A risk window as the journal records it and a restart restores it
//! (data only; the `risk` module decides when one opens and ends).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::wall::serde_wall as wall;

/// A risk window: the TTL stays lowered until `until` (see `risk`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskWindow {
    /// Who opened it (`user:alice`, `schedule:NAME`, `incident:SERVICE`).
    pub by: String,
    /// Why, in the words of whoever opened it.
    pub reason: String,
    /// When it opened.
    #[serde(with = "wall")]
    pub since: SystemTime,
    /// When it ends by itself.
    #[serde(with = "wall")]
    pub until: SystemTime,
    /// When the lowered TTL was first published inside it (`None`: not yet).
    #[serde(with = "wall::opt", default)]
    pub lowered_at: Option<SystemTime>,
    /// The service whose incident opened it (see `shared_risk`): it ends
    /// one normal TTL after that incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_with: Option<String>,
}
