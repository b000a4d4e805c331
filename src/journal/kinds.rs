//! The typed journal event: one variant per kind of entry, each with its fields.

use rtoguard_provider_api::{Receipt, RecordSet};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::controller::evacuation_resume::{EvacuationRun, Outcomes};
use crate::controller::{
    Action, AlertLevel, Change, Command, EntryKind, Intent, IntentKind, PoolHealth, Reason,
};

/// What one journal entry records. Stored as the entry's `detail` (inside a
/// versioned [`super::JournalEvent`]); its `Display` is the entry's message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// An incident opened: the served pool turned unhealthy, a drill began,
    /// or an operator moved traffic by hand.
    IncidentStart {
        pool: Option<String>,
        cause: Opened,
        /// The fault window this vantage's probes saw (an outage only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window: Option<FaultWindow>,
        /// The core's durable record of the incident (the daemon's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<Change>,
    },
    /// The incident is over: `pool` serves.
    IncidentEnd {
        pool: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<Change>,
    },
    /// The incident outlived the RTO (said once per incident).
    RtoMissed {
        elapsed_s: u64,
        rto_s: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<Change>,
    },
    /// A pool's health changed, with the vantages behind the verdict.
    Observation {
        pool: String,
        health: PoolHealth,
        was: PoolHealth,
        /// The last probe's words, when this vantage judged alone.
        detail: Option<String>,
        /// The vantages that back this verdict (the report names them).
        vantages: Option<Vec<String>>,
        tally: Option<Tally>,
    },
    /// An operator's command, as given.
    Command { actor: String, command: Command },
    /// About to call the provider (closed by `intent-closed`).
    Intent {
        intent: Intent,
        /// Whose votes made the active pool's health what it is.
        behind: Option<Behind>,
        /// Every record the change covers (`name TYPE`), in the order they
        /// are changed: a change stopped half-way is resumed from these.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        records: Vec<String>,
    },
    /// An intent's outcome.
    IntentClosed {
        intent: i64,
        outcome: Outcome,
        note: String,
    },
    /// What the provider answered to one call.
    ProviderResult {
        call: ProviderCall,
        actor: String,
        outcome: Outcome,
        diff: Diff,
        /// When the provider accepted the change, and reported it in sync
        /// (epoch milliseconds).
        accepted_ms: Option<i64>,
        in_sync_ms: Option<i64>,
        /// When another writer's change was seen served.
        seen_ms: Option<i64>,
        /// The provider's own receipt for the change.
        receipt: Option<Receipt>,
    },
    /// The propagation watch of a flip started.
    WatchStart {
        to: String,
        old_ttl: u32,
        expected: Vec<String>,
    },
    /// The propagation watch ended. `watch` is the watch's own report
    /// (`propagation::WatchOutcome`), read back by `report::View`.
    WatchResult {
        end: String,
        outstanding: Vec<String>,
        watch: Value,
    },
    /// People were told.
    Alert { level: AlertLevel, message: String },
    /// An operator command was refused.
    Refused { message: String },
    /// A decision of the controller (or of a manual move), with the change
    /// of the core's durable state it makes.
    Decision {
        decision: EntryKind,
        pool: Option<String>,
        reason: Option<Reason>,
        note: String,
        change: Option<Change>,
    },
    /// A call left unfinished by a restart belonged to no incident.
    Orphaned { intent: Intent },
    /// An operator's unfinished flip, too old to be replayed: dropped.
    Abandoned {
        intent: Intent,
        age_s: u64,
        max_age_s: u64,
    },
    /// This vantage cannot run its probes.
    VantageImpaired { vantage: String, reason: String },
    /// This vantage runs its probes again.
    VantageRecovered { vantage: String },
    /// A region's evacuation began: its plan, so a restart goes on with it.
    EvacuationPlanned {
        run: EvacuationRun,
        /// Journaled again by a restart that goes on with it.
        #[serde(default)]
        resumed: bool,
    },
    /// One wave of an evacuation ended (0: the services that stay or are
    /// refused were told), with how each of its moves ended.
    EvacuationWave {
        evacuation: String,
        wave: usize,
        outcomes: Outcomes,
    },
}

/// When a pool was last seen serving and first seen failing: the start
/// of the last successful probe before the incident and of the first failed
/// one after it (epoch milliseconds). The fault lies between the two.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    pub last_ok_ms: Option<i64>,
    pub first_failed_ms: Option<i64>,
}

/// Why an incident opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Opened {
    /// The served pool turned suspect or down.
    Health { health: PoolHealth },
    /// A drill asked by `actor`: to `to`, or with the active pool's fault simulated.
    Drill {
        actor: String,
        to: String,
        simulate_fault: bool,
    },
    /// A manual move by `actor` (the CLI without a daemon).
    Manual { actor: String, to: String },
    /// The daemon's controller opened it (an outage, an operator's move or
    /// a drill); `note` says why in its words.
    Controller {
        kind: crate::controller::IncidentKind,
        actor: String,
        note: String,
    },
}

/// Every vantage's vote on a pool.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub down: Vec<String>,
    pub up: Vec<String>,
    pub suspect: Vec<String>,
    pub stale: Vec<String>,
    pub fresh: usize,
    pub quorum: usize,
}

/// Who stands behind a provider call: a quorum of vantages, or this one alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Behind {
    Quorum { tally: Tally },
    Local { vantage: String },
}

/// How a provider call (and its intent) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Done,
    Failed,
    /// The change was found served, made by another writer.
    DoneByOther,
    /// The controller restarted before the result was journaled.
    Interrupted,
}

/// One provider call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum ProviderCall {
    Flip {
        from: Option<String>,
        to: String,
    },
    SetTtl {
        ttl: u32,
    },
    Read,
    /// A step of a gradual failback: `weight` percent on `to`, the rest on `from`.
    Weigh {
        from: String,
        to: String,
        weight: u8,
    },
}

impl ProviderCall {
    /// The call an action makes (a read for anything but a write).
    pub fn of(a: &Action) -> Self {
        match a {
            Action::Flip { from, to, .. } | Action::Adopt { from, to, .. } => ProviderCall::Flip {
                from: from.clone(),
                to: to.clone(),
            },
            Action::SetTtl { ttl, .. } => ProviderCall::SetTtl { ttl: *ttl },
            Action::Weigh { weights, .. } => ProviderCall::Weigh {
                from: weights.from.0.clone(),
                to: weights.to.0.clone(),
                weight: weights.to.1,
            },
            _ => ProviderCall::Read,
        }
    }
}

impl From<&IntentKind> for ProviderCall {
    fn from(k: &IntentKind) -> Self {
        match k {
            IntentKind::Flip { from, to } => ProviderCall::Flip {
                from: from.clone(),
                to: to.clone(),
            },
            IntentKind::SetTtl { ttl } => ProviderCall::SetTtl { ttl: *ttl },
            IntentKind::Weigh { from, to, weight } => ProviderCall::Weigh {
                from: from.clone(),
                to: to.clone(),
                weight: *weight,
            },
        }
    }
}

/// The record sets a write expected and desired (none for a change another
/// writer made), and the provider's error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    pub expected: Option<Vec<RecordSet>>,
    pub desired: Option<Vec<RecordSet>>,
    pub error: Option<String>,
}

impl Diff {
    /// The diff of `change` (when it is ours) and the error, if any.
    pub fn of(change: Option<&rtoguard_provider_api::ChangeSet>, error: Option<String>) -> Self {
        Diff {
            expected: change.map(|c| c.expected()),
            desired: change.map(|c| c.desired()),
            error,
        }
    }
}

impl Event {
    /// The entry's `kind` column: the variant's tag, or for a decision its
    /// own kind (`flipped`, `ttl_changed`, ...), as `sqlite3` readers know them.
    pub fn kind(&self) -> String {
        let tagged = match self {
            Event::Decision { decision, .. } => serde_json::to_value(decision),
            other => serde_json::to_value(other).map(|v| v["kind"].clone()),
        };
        // Serializing a unit enum or a tagged struct to a `Value` cannot fail.
        tagged
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into())
    }

    /// The change of the core's durable state this event records, if any.
    pub fn change(&self) -> Option<&Change> {
        match self {
            Event::Decision { change, .. }
            | Event::IncidentStart { change, .. }
            | Event::IncidentEnd { change, .. }
            | Event::RtoMissed { change, .. } => change.as_ref(),
            _ => None,
        }
    }
}
