//! Intents: what rtoguard is about to do at a provider, written before the
//! call and closed with its outcome after it.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Behind, Event, Journal, JournalError, Outcome, Source};

/// An intent: something rtoguard is about to do at the provider, written
/// before the request and closed after the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub id: i64,
    pub service: String,
    pub incident: Option<String>,
    pub payload: serde_json::Value,
    pub opened_seq: i64,
}

impl Journal {
    /// Write an intent (and an `intent` entry) before acting on it.
    pub fn open_intent(
        &self,
        src: Source<'_>,
        intent: &crate::controller::Intent,
        behind: Option<Behind>,
    ) -> Result<i64, JournalError> {
        self.open_intent_for(src, intent, behind, Vec::new())
    }

    /// [`Journal::open_intent`] naming every record the change covers.
    pub fn open_intent_for(
        &self,
        src: Source<'_>,
        intent: &crate::controller::Intent,
        behind: Option<Behind>,
        records: Vec<String>,
    ) -> Result<i64, JournalError> {
        let payload = serde_json::to_string(intent).map_err(|e| JournalError::Encode {
            path: self.path.clone(),
            source: e,
        })?;
        let event = Event::Intent {
            intent: intent.clone(),
            behind,
            records,
        };
        let seq = self.record(src, &event)?;
        self.with(|c| {
            c.execute(
                "INSERT INTO intents (service, incident, payload, opened_seq) VALUES (?1, ?2, ?3, ?4)",
                params![src.service, src.incident, payload, seq],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Close an intent with its outcome and a note on it.
    pub fn close_intent(
        &self,
        id: i64,
        outcome: Outcome,
        note: String,
    ) -> Result<(), JournalError> {
        let (service, incident): (String, Option<String>) = self.with(|c| {
            c.query_row(
                "SELECT service, incident FROM intents WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })?;
        let src = Source {
            service: &service,
            incident: incident.as_deref(),
            actor: "rtoguard",
        };
        let event = Event::IntentClosed {
            intent: id,
            outcome,
            note,
        };
        let seq = self.record(src, &event)?;
        let word = event_word(outcome);
        self.with(|c| {
            c.execute(
                "UPDATE intents SET outcome = ?1, closed_seq = ?2 WHERE id = ?3",
                params![word, seq, id],
            )
            .map(|_| ())
        })
    }

    /// The newest intent of `service` that was opened and never closed.
    pub fn open_intents(&self, service: &str) -> Result<Vec<Intent>, JournalError> {
        self.with(|c| {
            let mut st = c.prepare("SELECT id, service, incident, payload, opened_seq FROM intents WHERE service = ?1 AND closed_seq IS NULL ORDER BY id")?;
            let rows = st.query_map([service], |r| {
                let payload: String = r.get(3)?;
                Ok(Intent { id: r.get(0)?, service: r.get(1)?, incident: r.get(2)?, payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null), opened_seq: r.get(4)? })
            })?;
            rows.collect()
        })
    }
}

/// An outcome as the `intents` table stores it (`done`, `done-by-other`, ...).
fn event_word(o: Outcome) -> String {
    // A unit variant always serializes to a string.
    serde_json::to_value(o)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
