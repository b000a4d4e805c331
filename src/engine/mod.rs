//! The move engine: one way to carry out a provider change, for the daemon
//! and the direct CLI alike. Build the change from the intent and what is
//! served, journal the intent (no journal, no write), apply with
//! compare-and-set, confirm in sync, re-read after a retryable error or a
//! lost compare-and-set, and say honestly who made the change. After a
//! flip, [`watch`] times its propagation.

mod change;
mod intent;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use rtoguard_provider_api::{
    Change, ChangeSet, Provider, ProviderError, Receipt, RecordSet, SyncState,
};

use crate::config::Service;
use crate::plan::{classify, classify_record, group};

pub use change::{Prepared, flip_change, from_or_to, read, ttl_change, weights_change};
pub use intent::{IntentError, IntentRecord, close_intent, journal_intent, records_of};

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

/// Apply the group change `change` to `svc`'s zone (as one provider
/// change where the provider can, else record by record in order) and wait
/// up to `sync_timeout` for it to be in sync. After a retryable error or a lost compare-and-set, re-read:
/// if what `change` wanted is served, it was made (by another writer when
/// the provider refused ours as a conflict).
pub async fn apply(
    svc: &Service,
    p: &Arc<dyn Provider>,
    change: &ChangeSet,
    sync_timeout: Duration,
    progress: &dyn Progress,
) -> Result<Outcome, ProviderError> {
    match p.apply_all(&svc.zone, change).await {
        Ok(receipt) => {
            let accepted_ms = crate::journal::now_ms();
            progress.applied(&receipt);
            crate::test_hooks::pause_after_apply().await;
            let in_sync_ms = match p
                .wait_in_sync_all(&svc.zone, change, &receipt, sync_timeout)
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
            let now = read(svc, p).await?;
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

/// Whether what every change of `set` wanted is what `now` serves.
pub fn served(svc: &Service, set: &ChangeSet, now: &[RecordSet]) -> bool {
    set.changes().iter().all(|c| served_record(svc, c, now))
}

/// Whether what `change` wanted is what `now` serves for its record: the
/// same sets, or (for a flip) the same target pool, whatever TTL its
/// writer chose.
fn served_record(svc: &Service, change: &Change, now: &[RecordSet]) -> bool {
    use rtoguard_provider_api::sorted;
    let m = crate::config::Member {
        name: change.name().to_string(),
        rtype: change.rtype(),
    };
    let now = group::sets_of(&m, now);
    if sorted(&now) == sorted(change.desired()) {
        return true;
    }
    let to = classify_record(svc, m.rtype, change.desired());
    let from = classify_record(svc, m.rtype, change.expected());
    to.pool().is_some()
        && to.pool() != from.pool()
        && classify_record(svc, m.rtype, &now).pool() == to.pool()
}

/// Whether `to` is the pool served by `sets`.
pub fn serves(svc: &Service, sets: &[RecordSet], to: &str) -> bool {
    classify(svc, sets).pool() == Some(to)
}

#[cfg(test)]
mod tests_group;

#[cfg(test)]
mod tests {
    use rtoguard_provider_api::RecordType;

    use super::*;

    const NAME: &str = "checkout.example.test.";

    fn set(ip: &str, ttl: u32) -> Vec<RecordSet> {
        vec![RecordSet::new(NAME, RecordType::A, ttl, [ip])]
    }

    fn flip(ttl: u32) -> ChangeSet {
        // Fixed, valid records: building the change cannot fail.
        ChangeSet::one(
            Change::new(
                NAME,
                RecordType::A,
                set("127.0.0.2", 300),
                set("127.0.0.3", ttl),
            )
            .expect("a valid change"),
        )
    }

    #[test]
    fn the_desired_records_are_served() {
        let svc = crate::test_support::service();
        assert!(served(&svc, &flip(30), &set("127.0.0.3", 30)));
    }

    #[test]
    fn a_flip_to_the_same_pool_at_another_ttl_is_served() {
        let svc = crate::test_support::service();
        assert!(served(&svc, &flip(30), &set("127.0.0.3", 300)));
    }

    #[test]
    fn the_old_pool_or_a_mix_is_not_served() {
        let svc = crate::test_support::service();
        assert!(!served(&svc, &flip(30), &set("127.0.0.2", 300)));
        let mix = vec![RecordSet::new(
            NAME,
            RecordType::A,
            30,
            ["127.0.0.2", "127.0.0.3"],
        )];
        assert!(!served(&svc, &flip(30), &mix));
    }

    #[test]
    fn a_ttl_change_is_served_only_at_its_ttl() {
        let svc = crate::test_support::service();
        let ttl = ChangeSet::one(
            Change::new(
                NAME,
                RecordType::A,
                set("127.0.0.2", 300),
                set("127.0.0.2", 30),
            )
            .expect("a valid change"),
        );
        assert!(served(&svc, &ttl, &set("127.0.0.2", 30)));
        assert!(!served(&svc, &ttl, &set("127.0.0.2", 300)));
    }

    #[test]
    fn outcome_words_close_the_intent() {
        assert_eq!(Outcome::DoneByOther { seen_ms: 0 }.word(), "done-by-other");
        let t = Timing {
            accepted_ms: 1,
            in_sync_ms: None,
            receipt: None,
        };
        assert_eq!(Outcome::Applied(t).word(), "done");
    }
}
