//! Shared risk's data: which services share one's incident risk, and the
//! news one service tells the others (the `shared_risk` module decides).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Which services share one service's incident risk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum SharedRisk {
    /// No other service.
    #[default]
    None,
    /// The services of this one's groups, by name.
    Group { services: BTreeSet<String> },
    /// The services whose active pool is in the same region.
    Region,
}

/// One service's incident, as told to the others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskNews {
    pub service: String,
    /// The region of the pool that serves it (`None`: none known).
    pub region: Option<String>,
    /// Its outage is open (`false`: it has none).
    pub open: bool,
}
