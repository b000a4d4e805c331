//! Typed, versioned journal events: what every entry records, and the
//! changes of the core's durable state among them.
//!
//! An event is stored as the entry's `detail` (`{"v": "2", "kind":
//! "observation", ...}`); its `Display` is the entry's message and its
//! kind the `kind` column, so the table stays readable with `sqlite3`. A
//! decision that changes the durable state is also written to
//! `core_events`, in the same transaction, and read back at start-up to
//! rebuild that state. Version 1 rows of `core_events` (a bare [`Change`])
//! still read; entries written before version 2 decode to `None`.

use rusqlite::params;
use serde::{Deserialize, Serialize};

pub use super::kinds::Event;
use super::{Entry, Journal, JournalError, now_ms};
use crate::controller::Change;

/// A stored event, tagged with its format version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "v")]
pub enum JournalEvent {
    /// Version 1: the controller's [`Change`] alone (`core_events` only).
    #[serde(rename = "1")]
    V1(Change),
    /// Version 2: any [`Event`].
    #[serde(rename = "2")]
    V2(Event),
}

impl JournalEvent {
    /// The change of the durable state this event records, if any.
    pub fn into_change(self) -> Option<Change> {
        match self {
            JournalEvent::V1(change) => Some(change),
            JournalEvent::V2(event) => event.change().cloned(),
        }
    }
}

impl Entry {
    /// The entry that records `event`, as the journal stores it: the
    /// event's kind, its sentence as the message, the versioned event as
    /// the detail.
    pub fn from_event(seq: i64, at_ms: i64, src: Source<'_>, event: &Event) -> Self {
        Entry {
            seq,
            at_ms,
            service: src.service.to_owned(),
            incident: src.incident.map(str::to_owned),
            kind: event.kind(),
            actor: src.actor.to_owned(),
            message: event.to_string(),
            // Every field of an event serializes to JSON (no maps with non-string keys).
            detail: serde_json::to_value(JournalEvent::V2(event.clone()))
                .unwrap_or(serde_json::Value::Null),
        }
    }

    /// The typed event of this entry; `None` for an entry written before
    /// events were typed, or by a newer rtoguard.
    pub fn event(&self) -> Option<Event> {
        match serde_json::from_value(self.detail.clone()) {
            Ok(JournalEvent::V2(e)) => Some(e),
            _ => None,
        }
    }
}

/// Who records an event: the service, its incident (if any) and the actor.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    pub service: &'a str,
    pub incident: Option<&'a str>,
    pub actor: &'a str,
}

impl Journal {
    /// Append one event (and, for a decision that changes the durable
    /// state, that change) in one transaction; durable when this returns.
    /// Returns the entry's sequence number.
    pub fn record(&self, src: Source<'_>, event: &Event) -> Result<i64, JournalError> {
        let detail = serde_json::to_string(&JournalEvent::V2(event.clone())).map_err(|e| {
            JournalError::Encode {
                path: self.path.clone(),
                source: e,
            }
        })?;
        let (kind, message) = (event.kind(), event.to_string());
        let durable = event.change().is_some();
        self.with(|c| {
            let tx = c.unchecked_transaction()?;
            tx.execute(
                "INSERT INTO entries (at_ms, service, incident, kind, actor, message, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![now_ms(), src.service, src.incident, kind, src.actor, message, detail],
            )?;
            let seq = tx.last_insert_rowid();
            if durable {
                tx.execute(
                    "INSERT INTO core_events (entry_seq, service, event) VALUES (?1, ?2, ?3)",
                    params![seq, src.service, detail],
                )?;
            }
            tx.commit()?;
            Ok(seq)
        })
    }

    /// The durable-state changes of `service`, oldest first. An event this
    /// version cannot read is skipped with a warning (it comes from a newer one).
    pub fn core_events(&self, service: &str) -> Result<Vec<Change>, JournalError> {
        let rows: Vec<(i64, String)> = self.with(|c| {
            let mut st =
                c.prepare("SELECT id, event FROM core_events WHERE service = ?1 ORDER BY id")?;
            let rows = st.query_map([service], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, text) in rows {
            match serde_json::from_str::<JournalEvent>(&text) {
                Ok(ev) => out.extend(ev.into_change()),
                Err(error) => {
                    tracing::warn!(service, id, %error, "Journal event not understood; skipped.")
                }
            }
        }
        Ok(out)
    }
}
