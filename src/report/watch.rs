//! The propagation watch's outcome as the report reads it, from the typed
//! outcome or from a journaled `watch-result`, with offsets made absolute.

use serde::Deserialize;
use serde_json::Value;

use super::clock;
use crate::propagation::WatchOutcome;

/// The parts of a `WatchOutcome` the report uses. It is read from JSON so a
/// journaled outcome and a live one go through the same path, and so a field
/// added to or missing from an old journal does not break the report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct View {
    pub end: Option<String>,
    pub started_at: String,
    pub changed_ms: Option<u64>,
    pub ended_ms: u64,
    pub authoritatives: Vec<Auth>,
    pub resolvers: Vec<Resolver>,
    pub clients: Vec<Client>,
    pub outstanding: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Auth {
    pub name: String,
    pub addr: String,
    pub state: String,
    pub converged_ms: Option<u64>,
    pub serial: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Resolver {
    pub name: String,
    pub addr: String,
    pub state: String,
    pub switched_ms: Option<u64>,
    pub first_old_ttl: Option<u32>,
    pub predicted_ms: Option<u64>,
    pub prediction_basis: Option<String>,
    pub kept_past_prediction: bool,
    pub overstay_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Client {
    pub resolver: String,
    pub reached_ms: Option<u64>,
    pub requests: u32,
    pub failed: u32,
    pub old_pool: u32,
}

impl View {
    /// Read an outcome; `None` if it is not one.
    pub fn from_value(v: &Value) -> Option<Self> {
        serde_json::from_value(v.clone()).ok()
    }

    /// A typed outcome (serialising it cannot fail: plain data, string keys).
    pub fn from_outcome(w: &WatchOutcome) -> Option<Self> {
        Self::from_value(&serde_json::to_value(w).ok()?)
    }

    /// The epoch milliseconds its offsets count from: its `started_at`, or
    /// (unreadable) the incident start.
    pub fn anchor(&self, incident_start_ms: i64) -> i64 {
        clock::parse_rfc3339(&self.started_at).unwrap_or(incident_start_ms)
    }
}

/// An offset of the outcome as epoch milliseconds.
pub fn abs(anchor: i64, offset: Option<u64>) -> Option<i64> {
    offset.map(|o| anchor.saturating_add(i64::try_from(o).unwrap_or(i64::MAX)))
}
