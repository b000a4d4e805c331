//! Typed, versioned journal events: the changes of the core's durable state.
//!
//! Each is stored as JSON (`{"v": "1", "event": "pinned", ...}`) in the
//! `core_events` table, written in the same transaction as the entry that
//! records the decision, and read back at start-up to rebuild the state.

use serde::{Deserialize, Serialize};

use crate::controller::Change;

/// One stored change of the core's durable state, tagged with its format version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "v")]
pub enum JournalEvent {
    /// Version 1: the controller's [`Change`] as it is.
    #[serde(rename = "1")]
    V1(Change),
}

impl JournalEvent {
    /// The change this event records.
    pub fn into_change(self) -> Change {
        match self {
            JournalEvent::V1(change) => change,
        }
    }
}

impl From<Change> for JournalEvent {
    fn from(change: Change) -> Self {
        JournalEvent::V1(change)
    }
}
