//! One change of a manual move, carried out by the move engine: its
//! intent journaled first, its steps shown, its result journaled.

use rtoguard_provider_api::{ChangeSet, ProviderError, Receipt};
use serde_json::json;
use tokio::time::Instant;

use super::context::Run;
use super::{OpError, Output};
use crate::controller::{Initiator, Intent, IntentKind};
use crate::engine::{self, Outcome};
use crate::journal::{Diff, Event, Outcome as Done, ProviderCall};

impl Run<'_, '_> {
    /// Apply one change through the move engine: journaled as an intent
    /// first (a journal that cannot take it stops the move before the
    /// provider is called), then its result with the times the provider
    /// accepted it and reported it in sync. A change found served after a
    /// lost compare-and-set or a retryable error is success; one made by
    /// another writer says so. Returns when the provider accepted it.
    pub(super) async fn apply(&self, change: &ChangeSet, done: &str) -> Result<Instant, OpError> {
        let (svc, p, out) = (self.cx.service, &self.cx.provider, self.cx.out);
        let call = ProviderCall::from(&self.intent_kind(change));
        let intent = self.open_intent(change)?;
        let shown = Shown {
            out,
            done,
            provider: p.name(),
        };
        let result = engine::apply(svc, p, change, self.cx.opts.sync_timeout, &shown).await;
        let accepted = Instant::now();
        match result {
            Ok(Outcome::Applied(t)) => {
                self.close(
                    intent,
                    Event::ProviderResult {
                        call,
                        actor: self.cx.actor.to_string(),
                        outcome: Done::Done,
                        diff: Diff::of(Some(change), None),
                        accepted_ms: Some(t.accepted_ms),
                        in_sync_ms: t.in_sync_ms,
                        seen_ms: None,
                        receipt: t.receipt,
                    },
                );
                Ok(accepted)
            }
            Ok(Outcome::DoneByOther { seen_ms }) => {
                out.step(
                    "already-applied",
                    &format!("{done}: already served (another writer made this change)"),
                    json!({}),
                );
                self.close(
                    intent,
                    Event::ProviderResult {
                        call,
                        actor: self.cx.actor.to_string(),
                        outcome: Done::DoneByOther,
                        diff: Diff::default(),
                        accepted_ms: None,
                        in_sync_ms: None,
                        seen_ms: Some(seen_ms),
                        receipt: None,
                    },
                );
                Ok(accepted)
            }
            Err(e) => {
                self.close(
                    intent,
                    Event::ProviderResult {
                        call,
                        actor: self.cx.actor.to_string(),
                        outcome: Done::Failed,
                        diff: Diff::of(Some(change), Some(e.to_string())),
                        accepted_ms: None,
                        in_sync_ms: None,
                        seen_ms: None,
                        receipt: None,
                    },
                );
                Err(e.into())
            }
        }
    }

    /// What a change does, in the daemon controller's own type.
    fn intent_kind(&self, change: &ChangeSet) -> IntentKind {
        let svc = self.cx.service;
        let (expected, desired) = (change.expected(), change.desired());
        let ttl_only = expected
            .iter()
            .map(|s| &s.values)
            .eq(desired.iter().map(|s| &s.values))
            && !expected.is_empty();
        if ttl_only {
            IntentKind::SetTtl {
                ttl: desired.first().map_or(0, |s| s.ttl),
            }
        } else {
            // Judged on the first record changed: a group change resumed
            // half-way holds only the records still to change.
            let each = |sets: &[_]| match change.changes().first() {
                Some(c) => crate::plan::classify_record(
                    svc,
                    c.rtype(),
                    &crate::plan::group::sets_of(&member(c), sets),
                ),
                None => crate::plan::Active::Empty,
            };
            let (from, to) = (each(&expected), each(&desired));
            IntentKind::Flip {
                from: from.pool().map(str::to_string),
                to: to.pool().unwrap_or_default().to_string(),
            }
        }
    }

    /// The intent of a change, journaled before the provider is called.
    fn open_intent(&self, change: &ChangeSet) -> Result<Option<i64>, OpError> {
        let Some(j) = self.cx.journal else {
            return Ok(None);
        };
        let svc = self.cx.service;
        let kind = self.intent_kind(change);
        let reason = self.cx.reason();
        let intent = Intent {
            kind,
            reason,
            by: Initiator::Operator,
            requested_at: std::time::SystemTime::now(),
        };
        let record = engine::IntentRecord {
            service: &svc.name,
            incident: self.incident.as_deref(),
            actor: self.cx.actor,
            intent: &intent,
            behind: None,
            records: engine::records_of(svc),
        };
        match engine::journal_intent(j, record) {
            Ok(id) => Ok(Some(id)),
            Err(e) => {
                tracing::error!(service = %svc.name, error = %e, "Journal write failed: not calling the provider.");
                Err(OpError::Journal(e))
            }
        }
    }

    /// Journal the provider's result, then close the intent with it.
    fn close(&self, intent: Option<i64>, result: Event) {
        let outcome = match &result {
            Event::ProviderResult { outcome, .. } => *outcome,
            _ => Done::Failed,
        };
        let note = result.to_string();
        self.journal(result);
        if let (Some(j), Some(id)) = (self.cx.journal, intent) {
            engine::close_intent(j, id, outcome, note);
        }
    }
}

/// The CLI's view of the engine's steps: one line (or JSON object) each.
struct Shown<'a> {
    out: &'a Output,
    done: &'a str,
    provider: &'a str,
}

impl engine::Progress for Shown<'_> {
    fn applied(&self, receipt: &Receipt) {
        self.out.step(
            "applied",
            &format!(
                "{}; provider {} accepted it ({}, change {})",
                self.done, self.provider, receipt.status, receipt.id
            ),
            json!({ "receipt": receipt }),
        );
    }

    fn in_sync(&self) {
        self.out
            .step("in-sync", "provider reports the change in sync", json!({}));
    }

    fn pending(&self, error: Option<&ProviderError>) {
        match error {
            None => self.out.step(
                "pending",
                "provider has not reported the change in sync yet; going on",
                json!({}),
            ),
            Some(e) => self.out.step(
                "pending",
                &format!("could not confirm the change is in sync: {e}"),
                json!({ "error": e.to_string() }),
            ),
        }
    }
}

/// The record a change is about.
fn member(c: &rtoguard_provider_api::Change) -> crate::config::Member {
    crate::config::Member {
        name: c.name().to_string(),
        rtype: c.rtype(),
    }
}
