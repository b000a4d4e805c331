//! Provider calls for the controller's actions; each ends in the event that
//! answers it (`TtlApplied`, `Flipped`, `ProviderState` or `ProviderFailed`).

use std::sync::Arc;
use std::time::Duration;

use rtoguard_provider_api::{ChangeSet, Provider, ProviderError, RecordSet};
use tracing::{debug, info, warn};

pub use crate::engine::Timing;
use crate::engine::{self, Outcome, Prepared};

use crate::config::Service;
use crate::controller::gradual::Weights;
use crate::controller::{Event, ProviderOp};
use crate::plan::classify;

/// How long to wait for the provider to report a flip in sync.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// A TTL change is checked for sync once, not waited for: a flip the
/// controller decides meanwhile waits for this call, and must not wait
/// longer than the change's own round trip.
const TTL_SYNC_TIMEOUT: Duration = Duration::ZERO;

/// The answer to a provider call, and what it changed (for the journal).
#[derive(Debug)]
pub struct Done {
    pub event: Event,
    pub change: Option<ChangeSet>,
    pub error: Option<ProviderError>,
    /// When the provider accepted the change and reported it in sync (wall ms).
    pub timing: Option<Timing>,
    /// The change is served but another writer made it: no report of ours.
    pub by_other: bool,
}

fn failed(op: ProviderOp, e: ProviderError, change: Option<ChangeSet>) -> Done {
    let conflict = matches!(e, ProviderError::Conflict { .. });
    Done {
        event: Event::ProviderFailed {
            op,
            retryable: e.is_retryable(),
            conflict,
        },
        change,
        error: Some(e),
        timing: None,
        by_other: false,
    }
}

/// Re-read: what pool is served now (by every record), at which TTL.
pub async fn reread(svc: &Service, p: &Arc<dyn Provider>) -> Done {
    match engine::read(svc, p).await {
        Ok(sets) => Done {
            event: state_event(svc, &sets),
            change: None,
            error: None,
            timing: None,
            by_other: false,
        },
        Err(e) => failed(ProviderOp::Read, e, None),
    }
}

/// The `ProviderState` event for what is served.
pub fn state_event(svc: &Service, sets: &[RecordSet]) -> Event {
    let ttl = sets.iter().map(|s| s.ttl).max().unwrap_or(svc.ttl.normal);
    Event::ProviderState {
        active: classify(svc, sets).pool().map(str::to_string),
        ttl,
    }
}

/// Change only the TTL of what is served.
pub async fn set_ttl(svc: &Service, p: &Arc<dyn Provider>, ttl: u32) -> Done {
    let floor = p.capabilities().ttl_floor;
    let change = match engine::ttl_change(svc, p, ttl).await {
        Ok(Prepared::Change(c)) => c,
        Ok(Prepared::Served) => {
            info!(service = %svc.name, ttl, "TTL already published (another writer, or an earlier attempt).");
            return unchanged(
                Event::TtlApplied {
                    ttl: ttl.max(floor),
                },
                false,
            );
        }
        Err(e) => return failed(ProviderOp::SetTtl, e, None),
    };
    let ttl = ttl.max(floor);
    let progress = Logged { svc, waited: false };
    match engine::apply(svc, p, &change, TTL_SYNC_TIMEOUT, &progress).await {
        Ok(outcome) => {
            info!(service = %svc.name, ttl, outcome = outcome.word(), "TTL changed.");
            done(Event::TtlApplied { ttl }, change, outcome)
        }
        Err(e) => failed(ProviderOp::SetTtl, e, Some(change)),
    }
}

/// Flip to pool `to`, compare-and-set against what is served, which must be `from`.
/// `adopted`: the write serves a peer's decision here (the embedded
/// provider), not one this controller made; only the log line differs.
pub async fn flip(
    svc: &Service,
    p: &Arc<dyn Provider>,
    from: Option<&str>,
    to: &str,
    ttl: u32,
    adopted: bool,
) -> Done {
    let change = match engine::flip_change(svc, p, from, to, ttl).await {
        Ok(Prepared::Change(c)) => c,
        Ok(Prepared::Served) => {
            info!(service = %svc.name, pool = to, "Already served: another writer made this flip.");
            return unchanged(Event::Flipped { to: to.to_string() }, true);
        }
        Err(e) => return failed(ProviderOp::Flip, e, None),
    };
    let progress = Logged { svc, waited: true };
    match engine::apply(svc, p, &change, SYNC_TIMEOUT, &progress).await {
        Ok(outcome) => {
            let from = from.unwrap_or("-");
            if adopted {
                info!(service = %svc.name, from, to, outcome = outcome.word(), "Adopted the peers' decision: serving the new pool here.");
            } else {
                info!(service = %svc.name, from, to, outcome = outcome.word(), "Flipped.");
            }
            done(Event::Flipped { to: to.to_string() }, change, outcome)
        }
        Err(e) => failed(ProviderOp::Flip, e, Some(change)),
    }
}

/// Write one step of a gradual failback: `w`'s weights at `ttl`,
/// refused as a conflict unless the two pools hold `expect` (when given).
/// Weights found served already answer as written: a step is the same
/// whoever wrote it (a restart resumes at the step it left unfinished).
pub async fn weigh(
    svc: &Service,
    p: &Arc<dyn Provider>,
    w: &Weights,
    expect: Option<&Weights>,
    ttl: u32,
) -> Done {
    let shares = [(w.from.0.as_str(), w.from.1), (w.to.0.as_str(), w.to.1)];
    let expect = expect.map(|e| [e.from.1, e.to.1]);
    let event = Event::Weighed {
        to: w.to.0.clone(),
        weight: w.to.1,
    };
    let change = match engine::weights_change(svc, p, shares, expect, ttl).await {
        Ok(Prepared::Change(c)) => c,
        Ok(Prepared::Served) => {
            info!(service = %svc.name, to = w.to.0, weight = w.to.1, "Weights already served.");
            return unchanged(event, false);
        }
        Err(e) => return failed(ProviderOp::Weigh, e, None),
    };
    let progress = Logged { svc, waited: true };
    match engine::apply(svc, p, &change, SYNC_TIMEOUT, &progress).await {
        Ok(outcome) => {
            info!(service = %svc.name, from = w.from.0, to = w.to.0, weight = w.to.1, outcome = outcome.word(), "Weights written.");
            Done {
                by_other: false,
                ..done(event, change, outcome)
            }
        }
        Err(e) => failed(ProviderOp::Weigh, e, Some(change)),
    }
}

/// Nothing was written: what was asked is served already.
fn unchanged(event: Event, by_other: bool) -> Done {
    Done {
        event,
        change: None,
        error: None,
        timing: None,
        by_other,
    }
}

fn done(event: Event, change: ChangeSet, outcome: Outcome) -> Done {
    Done {
        event,
        change: Some(change),
        error: None,
        by_other: matches!(outcome, Outcome::DoneByOther { .. }),
        timing: outcome.timing().cloned(),
    }
}

/// The daemon's progress: a warning when a change it waited for is not
/// confirmed in sync (a change checked once only is noted at DEBUG).
struct Logged<'a> {
    svc: &'a Service,
    waited: bool,
}

impl engine::Progress for Logged<'_> {
    fn pending(&self, error: Option<&ProviderError>) {
        let service = &self.svc.name;
        match (error, self.waited) {
            (None, true) => {
                warn!(%service, "The provider has not reported the change in sync yet.")
            }
            (None, false) => {
                debug!(%service, "The provider has not reported the TTL change in sync yet; not waiting.")
            }
            (Some(e), _) => {
                warn!(%service, error = %e, "Could not confirm the change is in sync.")
            }
        }
    }
}
