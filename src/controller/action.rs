//! What comes out of the controller: provider calls, journal entries and alerts.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::durable::Change;
use super::event::{Command, Intent, IntentKind};
use super::gradual::Weights;
use super::incident_record::Incident;
use super::speaker::Voice;
use super::vocab::{Initiator, PoolHealth, Reason};
use tokio::time::Instant;

/// Why the TTL changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TtlReason {
    /// The active pool turned suspect: lower ahead of a possible flip.
    Suspect,
    /// A planned move: lower, then drain the old TTL before the flip.
    Drain,
    /// Quiet again: back to the normal TTL.
    Restore,
    /// A risk window is open: lowered ahead of a possible flip.
    Risk,
}

/// How loud an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertLevel {
    Info,
    Warning,
    /// A person must act.
    Critical,
}

/// The kind of a journal entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Started,
    Decision,
    TtlChanged,
    Flipped,
    Draining,
    Aborted,
    Refused,
    Conflict,
    DoneByOtherWriter,
    ChangedOutside,
    ProviderError,
    Reconciled,
    Abandoned,
    NoHealthyPool,
    Halted,
    Pinned,
    Unpinned,
    PinExpired,
    DrillStarted,
    DrillEnded,
    /// A completed flip, recorded for flap damping.
    Damping,
    Resumed,
    Queued,
    /// Durable state (pin, halt, damping, drill) taken from the journal at start-up.
    Restored,
    /// This controller began waiting its writer delay in an incident.
    WriterWait,
    /// Another controller speaks for the incident: this journal is a view of it.
    View,
    /// This controller adopted a peer's flip into its own copy of the
    /// records (records served here; not a flip of its own).
    Adopted,
    /// A region's evacuation began for this service (its pools are no targets).
    Evacuating,
    /// The evacuation ended: the region's pools are targets again.
    EvacuationEnded,
    /// A risk window opened or was extended (the TTL stays lowered).
    RiskOpened,
    /// A risk window ended (by a person, or at its end).
    RiskEnded,
    /// A step of a gradual failback is being written.
    GradualStep,
    /// A step of a gradual failback is served and holds.
    GradualHold,
    /// The target of a gradual failback turned unhealthy: rolling back.
    GradualRollback,
    /// The rollback is served: all weight on the pool the failback left.
    GradualRolledBack,
    /// The last step is served: the gradual failback is complete.
    GradualCompleted,
    /// A gradual failback stopped where it stood (a write failed, or an
    /// operator command superseded it).
    GradualStopped,
}

/// A structured decision record for the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    pub pool: Option<String>,
    pub reason: Option<Reason>,
    pub detail: String,
    /// The change of the durable state this decision makes, journaled with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// One thing the runtime must do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Change the TTL of the active record set (answer: `TtlApplied` or
    /// `ProviderFailed`), not before `not_before` (the writer delay).
    SetTtl {
        ttl: u32,
        reason: TtlReason,
        not_before: Option<Instant>,
    },
    /// Move traffic with a compare-and-set against `from` (answer: `Flipped`
    /// or `ProviderFailed`). `to` is never empty. Not before `not_before`
    /// (the writer delay: another controller may write first).
    Flip {
        from: Option<String>,
        to: String,
        ttl: u32,
        reason: Reason,
        by: Initiator,
        not_before: Option<Instant>,
    },
    /// Write a peer's decision into this controller's own copy of the
    /// records: the same write as a flip to `to`, compare-and-set against
    /// `from` (answer: `Flipped` or `ProviderFailed`), but not a flip of
    /// its own: `writer` decided it, in its incident `incident`.
    Adopt {
        from: Option<String>,
        to: String,
        ttl: u32,
        writer: String,
        incident: Option<String>,
    },
    /// Write one step of a gradual failback (see `gradual`): `weights`
    /// (percent, summing to 100) at `ttl`, refused as a conflict unless the
    /// two pools hold `expect` (the weights before, when known) (answer:
    /// `Weighed` or `ProviderFailed`). Not before `not_before`.
    Weigh {
        weights: Weights,
        expect: Option<Weights>,
        ttl: u32,
        reason: Reason,
        by: Initiator,
        not_before: Option<Instant>,
    },
    /// Read the provider's real state (answer: `ProviderState` or `ProviderFailed`).
    Reread,
    /// Time the propagation of a completed flip; caches may hold the old
    /// answer for `old_ttl` seconds.
    StartWatch { to: String, old_ttl: u32 },
    /// Commit this decision record to the journal.
    Journal(Entry),
    /// Tell people.
    Alert { level: AlertLevel, message: String },
    /// An operator command was refused; `message` says why, naming the pool.
    Refused { command: Command, message: String },
    /// An incident opened: journal it (with [`Action::change`]), count it,
    /// tell people. `pool`: the active pool; `health`: its health, for an outage.
    IncidentOpened {
        incident: Incident,
        pool: Option<String>,
        health: Option<PoolHealth>,
        detail: String,
        /// Who tells people (webhooks, the incident metrics).
        voice: Voice,
    },
    /// The incident ended after `took`, with `pool` serving and healthy:
    /// journal it, measure the recovery, tell people.
    IncidentClosed {
        incident: Incident,
        pool: String,
        took: Duration,
        /// Who tells people and stores the report; a view is journaled as one.
        voice: Voice,
    },
    /// This controller came to speak for an incident it did not announce
    /// (it wrote the flip after the first by rank did not): tell people it
    /// opened, and count it. `pool`: the pool the traffic left, `Down`.
    Speaks {
        incident: Incident,
        pool: Option<String>,
    },
    /// Tell the other services this one's incident opened or ended (see `shared_risk`).
    ShareRisk(super::risk_news::RiskNews),
    /// The incident outlived the RTO (said once per incident; told by its voice).
    RtoMissed {
        id: String,
        elapsed: Duration,
        rto: Duration,
        voice: Voice,
    },
}

impl Action {
    /// The durable change an incident action records, journaled with it.
    pub fn change(&self) -> Option<Change> {
        match self {
            Action::IncidentOpened { incident, .. } => Some(Change::IncidentOpened {
                incident: incident.clone(),
            }),
            Action::IncidentClosed { incident, .. } => Some(Change::IncidentClosed {
                id: incident.id.clone(),
            }),
            Action::RtoMissed { id, .. } => Some(Change::RtoMissed { id: id.clone() }),
            _ => None,
        }
    }

    /// The intent to journal before running this action, for provider calls.
    pub fn intent(&self, requested_at: SystemTime) -> Option<Intent> {
        let (kind, reason, by) = match self {
            Action::Flip {
                from,
                to,
                reason,
                by,
                ..
            } => {
                let kind = IntentKind::Flip {
                    from: from.clone(),
                    to: to.clone(),
                };
                (kind, *reason, *by)
            }
            Action::SetTtl { ttl, .. } => {
                let kind = IntentKind::SetTtl { ttl: *ttl };
                (kind, Reason::Reconcile, Initiator::Automation)
            }
            Action::Weigh {
                weights,
                reason,
                by,
                ..
            } => {
                let kind = IntentKind::Weigh {
                    from: weights.from.0.clone(),
                    to: weights.to.0.clone(),
                    weight: weights.to.1,
                };
                (kind, *reason, *by)
            }
            _ => return None,
        };
        Some(Intent {
            kind,
            reason,
            by,
            requested_at,
        })
    }
}

/// Builds a journal entry.
pub(crate) fn entry(
    kind: EntryKind,
    pool: Option<&str>,
    reason: Option<Reason>,
    detail: impl Into<String>,
) -> Action {
    Action::Journal(Entry {
        kind,
        pool: pool.map(str::to_owned),
        reason,
        detail: detail.into(),
        change: None,
    })
}

/// Builds a journal entry that changes the durable state.
pub(crate) fn durable_entry(kind: EntryKind, detail: impl Into<String>, change: Change) -> Action {
    Action::Journal(Entry {
        kind,
        pool: None,
        reason: None,
        detail: detail.into(),
        change: Some(change),
    })
}

/// Builds an alert.
pub(crate) fn alert(level: AlertLevel, message: impl Into<String>) -> Action {
    Action::Alert {
        level,
        message: message.into(),
    }
}
