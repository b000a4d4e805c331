//! The move engine: one way to carry out a provider change, for the daemon
//! and the direct CLI alike. Journal the intent (no journal, no write),
//! apply with compare-and-set, confirm in sync, re-read after a retryable
//! error or a lost compare-and-set, and say honestly who made the change.

mod intent;

use std::sync::Arc;
use std::time::Duration;

use rtoguard_provider_api::{Change, Provider, ProviderError, Receipt, RecordSet, SyncState};

use crate::config::Service;
use crate::plan::classify;

pub use intent::{IntentError, IntentRecord, close_intent, journal_intent};

/// Wall-clock milestones of one applied change.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Timing {
    pub accepted_ms: i64,
    pub in_sync_ms: Option<i64>,
    pub receipt: Option<Receipt>,
}

/// What became of a change the engine was asked to make.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// This writer's change was accepted.
    Applied(Timing),
    /// The desired state is served, but this writer did not write it:
    /// another writer did (it lost the compare-and-set, or found it done).
    DoneByOther { seen_ms: i64 },
}

impl Outcome {
    /// The word closing the intent: `done` or `done-by-other`.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Applied(_) => "done",
            Self::DoneByOther { .. } => "done-by-other",
        }
    }

    pub fn timing(&self) -> Option<&Timing> {
        match self {
            Self::Applied(t) => Some(t),
            Self::DoneByOther { .. } => None,
        }
    }
}

/// Steps the CLI shows as they happen; the daemon logs them instead.
pub trait Progress: Sync {
    /// The provider accepted the change.
    fn applied(&self, _receipt: &Receipt) {}
    /// The provider reports the change in sync.
    fn in_sync(&self) {}
    /// Not confirmed in sync within the timeout (or the check failed).
    fn pending(&self, _error: Option<&ProviderError>) {}
}

/// A [`Progress`] that shows nothing.
pub struct Quiet;

impl Progress for Quiet {}

/// Apply `change` to `svc`'s zone and wait up to `sync_timeout` for it to
/// be in sync. After a retryable error or a lost compare-and-set, re-read:
/// if what `change` wanted is served, it was made (by another writer when
/// the provider refused ours as a conflict).
pub async fn apply(
    svc: &Service,
    p: &Arc<dyn Provider>,
    change: &Change,
    sync_timeout: Duration,
    progress: &dyn Progress,
) -> Result<Outcome, ProviderError> {
    match p.apply(&svc.zone, change).await {
        Ok(receipt) => {
            let accepted_ms = crate::journal::now_ms();
            progress.applied(&receipt);
            crate::runtime::test_hooks::pause_after_apply().await;
            let in_sync_ms = match p
                .wait_in_sync(&svc.zone, change, &receipt, sync_timeout)
                .await
            {
                Ok(SyncState::InSync) => {
                    progress.in_sync();
                    Some(crate::journal::now_ms())
                }
                Ok(SyncState::Pending) => {
                    progress.pending(None);
                    None
                }
                Err(e) => {
                    progress.pending(Some(&e));
                    None
                }
            };
            Ok(Outcome::Applied(Timing {
                accepted_ms,
                in_sync_ms,
                receipt: Some(receipt),
            }))
        }
        Err(e) if matches!(e, ProviderError::Conflict { .. }) || e.is_retryable() => {
            let conflict = matches!(e, ProviderError::Conflict { .. });
            let now = p.read(&svc.zone, &svc.record, svc.rtype).await?;
            let at = crate::journal::now_ms();
            if !served(svc, change, &now) {
                return Err(e);
            }
            // A retryable error may hide our own accepted write; a conflict cannot.
            Ok(if conflict {
                Outcome::DoneByOther { seen_ms: at }
            } else {
                Outcome::Applied(Timing {
                    accepted_ms: at,
                    in_sync_ms: Some(at),
                    receipt: None,
                })
            })
        }
        Err(e) => Err(e),
    }
}

/// Whether what `change` wanted is what `now` serves: the same records, or
/// (for a flip) the same target pool, whatever TTL its writer chose.
pub fn served(svc: &Service, change: &Change, now: &[RecordSet]) -> bool {
    use rtoguard_provider_api::sorted;
    if sorted(now) == sorted(change.desired()) {
        return true;
    }
    let to = classify(svc, change.desired());
    let from = classify(svc, change.expected());
    to.pool().is_some() && to.pool() != from.pool() && classify(svc, now).pool() == to.pool()
}

/// Whether `to` is the pool served by `sets`.
pub fn serves(svc: &Service, sets: &[RecordSet], to: &str) -> bool {
    classify(svc, sets).pool() == Some(to)
}
