//! Journaling an intent before the provider is called, and closing it after.

use serde_json::{Value, json};

use crate::journal::Journal;

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
    pub message: String,
    pub payload: Value,
}

/// Journal the intent; an error means: do not call the provider.
pub fn journal_intent(journal: &Journal, r: IntentRecord<'_>) -> Result<i64, IntentError> {
    if crate::test_hooks::journal_fails() {
        return Err(IntentError::TestHook);
    }
    Ok(journal.open_intent(r.service, r.incident, r.actor, r.message, r.payload)?)
}

/// Close an intent with its outcome word; a failure is logged (the intent
/// stays open and is settled at the next start).
pub fn close_intent(journal: &Journal, id: i64, outcome: &str, message: String) {
    if let Err(e) = journal.close_intent(id, outcome, message, json!(null)) {
        tracing::error!(intent = id, error = %e, "Cannot close the intent in the journal; it is settled at the next start.");
    }
}
