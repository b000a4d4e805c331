//! Journaling an intent before the provider is called, and closing it after.

use crate::controller::Intent;
use crate::journal::{Behind, Journal, Outcome, Source};

/// The intent could not be journaled, so the provider must not be called.
#[derive(Debug, thiserror::Error)]
pub enum IntentError {
    #[error("cannot journal the intent: {0}")]
    Journal(#[from] crate::journal::JournalError),
    #[error("cannot journal the intent: the journal is failing on purpose (test hook)")]
    TestHook,
}

/// What an intent says, before the change is made.
pub struct IntentRecord<'a> {
    pub service: &'a str,
    pub incident: Option<&'a str>,
    pub actor: &'a str,
    pub intent: &'a Intent,
    /// Whose votes stand behind the call, when a quorum or a vantage decided it.
    pub behind: Option<Behind>,
    /// Every record the change covers (the service's records).
    pub records: Vec<String>,
}

/// The records of `svc` as an intent names them (`name TYPE`).
pub fn records_of(svc: &crate::config::Service) -> Vec<String> {
    svc.records.iter().map(ToString::to_string).collect()
}

/// Journal the intent; an error means: do not call the provider.
pub fn journal_intent(journal: &Journal, r: IntentRecord<'_>) -> Result<i64, IntentError> {
    if crate::test_hooks::journal_fails() {
        return Err(IntentError::TestHook);
    }
    let src = Source {
        service: r.service,
        incident: r.incident,
        actor: r.actor,
    };
    Ok(journal.open_intent_for(src, r.intent, r.behind, r.records)?)
}

/// Close an intent with its outcome; a failure is logged (the intent
/// stays open and is settled at the next start).
pub fn close_intent(journal: &Journal, id: i64, outcome: Outcome, note: String) {
    if let Err(e) = journal.close_intent(id, outcome, note) {
        tracing::error!(intent = id, error = %e, "Cannot close the intent in the journal; it is settled at the next start.");
    }
}
