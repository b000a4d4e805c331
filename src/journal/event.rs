//! Typed, versioned journal events: the changes of the core's durable state.
//!
//! Each is stored as JSON (`{"v": "1", "event": "pinned", ...}`) in the
//! `core_events` table, written in the same transaction as the entry that
//! records the decision, and read back at start-up to rebuild the state.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError, NewEntry, now_ms};
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

impl Journal {
    /// Append one entry and the change of the core's durable state it
    /// records, in one transaction. Returns the entry's sequence number.
    pub fn append_with_event(
        &self,
        e: NewEntry<'_>,
        event: &JournalEvent,
    ) -> Result<i64, JournalError> {
        let text = serde_json::to_string(event).map_err(|e| JournalError::Encode {
            path: self.path.clone(),
            source: e,
        })?;
        self.with(|c| {
            let tx = c.unchecked_transaction()?;
            tx.execute(
                "INSERT INTO entries (at_ms, service, incident, kind, actor, message, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![now_ms(), e.service, e.incident, e.kind, e.actor, e.message, e.detail.to_string()],
            )?;
            let seq = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO core_events (entry_seq, service, event) VALUES (?1, ?2, ?3)",
                params![seq, e.service, text],
            )?;
            tx.commit()?;
            Ok(seq)
        })
    }

    /// The durable-state changes of `service`, oldest first. An event this
    /// version cannot read is skipped with a warning (it comes from a newer one).
    pub fn core_events(&self, service: &str) -> Result<Vec<JournalEvent>, JournalError> {
        let rows: Vec<(i64, String)> = self.with(|c| {
            let mut st =
                c.prepare("SELECT id, event FROM core_events WHERE service = ?1 ORDER BY id")?;
            let rows = st.query_map([service], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, text) in rows {
            match serde_json::from_str(&text) {
                Ok(ev) => out.push(ev),
                Err(error) => {
                    tracing::warn!(service, id, %error, "Journal event not understood; skipped.")
                }
            }
        }
        Ok(out)
    }
}
