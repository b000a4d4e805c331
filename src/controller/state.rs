//! The controller's phases and the data they carry, with every transition.

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::gradual::{Gradual, Weights};
use super::vocab::{Initiator, PoolHealth, Reason};

/// Where the controller stands. At most one provider call is outstanding,
/// and only in `SettingTtl`, `Flipping`, `Rereading` and `Adopting`.
///
/// Transitions (anything not listed leaves the phase as it is):
///
/// - `Idle` → `SettingTtl { then: None }`: active pool `Suspect` with the TTL
///   above `ttl_lowered` (lower), or quiet for `restore_after` with the TTL
///   not normal (restore).
/// - `Idle` → `SettingTtl { then: Some(move) }`: a planned move starts and
///   the TTL is above `ttl_lowered`.
/// - `Idle` → `Draining`: a planned move starts with the TTL already lowered
///   but its old TTL not yet drained.
/// - `Idle` → `Flipping`: active pool `Down` and a target `Up` (unplanned),
///   an unplanned operator failover, a planned move with nothing left to
///   drain, or finishing a journaled intent after a restart.
/// - `Idle` → `Rereading { mv: None }`: our view is doubtful (a conflict
///   was given up on, or the re-read failed and an operator lifted the halt),
///   or an incident closed where another controller may have written.
/// - `SettingTtl` → `Idle` on `TtlApplied` (no move), → `Draining` on
///   `TtlApplied` (a move), → `Rereading` on a conflict, → `Backoff` on a
///   retryable failure, → `Idle` on a final failure.
/// - `Draining` → `Flipping` once the old TTL drained (or the pool being
///   left went `Down`) and the move is still valid; → `Idle` (aborted) when
///   it is not, when the service is pinned during an automatic move, or when
///   an operator command supersedes it.
/// - `Flipping` → `Idle` on `Flipped` (start the watch), → `Rereading` on a
///   conflict, → `Backoff` on a retryable failure, → `Idle` on a final one.
/// - `Rereading` → `Idle` on `ProviderState` ("done by another writer" when
///   the target is already active; an operator's move is tried again),
///   → `Backoff` when the read fails, → `Idle` (halted) when it fails for good.
/// - `Idle` or `WriterWait` → `Adopting`: a peer's newer decision, with
///   records served here (see `adopt`); → `Idle` on `Flipped`, and as
///   `Flipping` on a failure.
/// - `Backoff` → `Idle` at its deadline, resuming an operator's move or the
///   re-read; automation decides afresh.
/// - `Idle` → `Gradual`: a failback with `failback.steps` (instead of
///   `Flipping`; see `stepping`); → `Idle` when it completes (as a flip
///   does), rolls back, fails, or an operator command supersedes it.
/// - any → `Idle` on `Started` (the provider's state is the truth).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) enum Phase {
    /// No provider call outstanding and no move under way.
    #[default]
    Idle,
    /// A `SetTtl` call is outstanding; `then` is the planned move it prepares.
    SettingTtl { ttl: u32, then: Option<Move> },
    /// A planned move waits for caches to drop the old TTL.
    Draining { mv: Move, until: Instant },
    /// A `Flip` call is outstanding.
    Flipping {
        mv: Move,
        from: Option<String>,
        old_ttl: u32,
        ttl: u32,
    },
    /// A `Reread` is outstanding after a conflict; `mv` is what was under way.
    Rereading { mv: Option<Move> },
    /// Waiting after a retryable provider failure.
    Backoff { until: Instant, resume: Resume },
    /// An automatic write waits the writer delay (another controller writes
    /// first); when it ends the write is decided afresh from the state then,
    /// so a pool that came back meanwhile is not flipped away from.
    WriterWait { until: Instant },
    /// A write of a peer's newer decision into this controller's own copy
    /// of the records is outstanding (see `adopt`).
    Adopting {
        decision: super::decision::Decision,
        from: Option<String>,
        ttl: u32,
    },
    /// A gradual failback: its step machine, and the step write
    /// outstanding, if any (see `stepping`).
    Gradual(Box<Stepping>),
}

impl Phase {
    /// Whether a provider call is outstanding.
    pub(crate) fn awaits_provider(&self) -> bool {
        matches!(
            self,
            Phase::SettingTtl { .. }
                | Phase::Flipping { .. }
                | Phase::Rereading { .. }
                | Phase::Adopting { .. }
        ) || matches!(self, Phase::Gradual(s) if s.writing.is_some())
    }

    /// A short name for status output.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::SettingTtl { .. } => "setting_ttl",
            Phase::Draining { .. } => "draining",
            Phase::Flipping { .. } => "flipping",
            Phase::Rereading { .. } => "rereading",
            Phase::Backoff { .. } => "backoff",
            Phase::WriterWait { .. } => "writer_wait",
            Phase::Adopting { .. } => "adopting",
            Phase::Gradual(_) => "gradual",
        }
    }

    /// The move under way, if any.
    pub(crate) fn current_move(&self) -> Option<&Move> {
        match self {
            Phase::SettingTtl { then, .. } => then.as_ref(),
            Phase::Draining { mv, .. } | Phase::Flipping { mv, .. } => Some(mv),
            Phase::Rereading { mv } => mv.as_ref(),
            Phase::Gradual(s) => Some(&s.mv),
            Phase::Backoff {
                resume: Resume::Move(mv),
                ..
            } => Some(mv),
            Phase::Backoff { .. }
            | Phase::WriterWait { .. }
            | Phase::Adopting { .. }
            | Phase::Idle => None,
        }
    }
}

/// A gradual failback under way: the machine, and what it wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stepping {
    pub(crate) g: Gradual,
    /// The failback (its target is `mv.to`).
    pub(crate) mv: Move,
    /// The pool the traffic leaves.
    pub(crate) from: String,
    /// The weights the last answered write left served, when known.
    pub(crate) served: Option<Weights>,
    /// The step write outstanding.
    pub(crate) writing: Option<Weights>,
    /// The TTL published before the failback (the watch predicts with it).
    pub(crate) old_ttl: u32,
    /// The TTL every step is written with.
    pub(crate) ttl: u32,
}

/// What to do when a backoff ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resume {
    /// Decide afresh from the current state.
    Evaluate,
    /// Start this (operator's) move again.
    Move(Move),
    /// Re-read the provider again, then settle `mv`.
    Reread(Option<Move>),
}

/// A move to another pool, from decision to flip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Move {
    pub(crate) to: String,
    pub(crate) reason: Reason,
    pub(crate) by: Initiator,
    /// Lower the TTL and drain before the flip.
    pub(crate) planned: bool,
    /// The operator allowed a target that is not `Up`.
    pub(crate) force: bool,
}

impl Move {
    pub(crate) fn automatic(&self) -> bool {
        self.by == Initiator::Automation
    }
}

/// Why automation stopped until an operator command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Halt {
    /// `max_flips` automatic flips within `flip_window`.
    FlipCap,
    /// The provider refused a change for good (auth, bad request).
    ProviderRejected,
    /// Compare-and-set kept losing.
    Conflicts,
}

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Halt::FlipCap => "flip cap reached",
            Halt::ProviderRejected => "provider refused a change",
            Halt::Conflicts => "compare-and-set keeps losing",
        })
    }
}

/// One pool's health and since when it has been `Up` without a break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PoolView {
    pub(crate) name: String,
    pub(crate) health: PoolHealth,
    pub(crate) up_since: Option<Instant>,
}

/// What the provider serves, as last read or changed by us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProviderView {
    pub(crate) active: Option<String>,
    pub(crate) ttl: u32,
}

/// Alerts that are raised once per episode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Raised {
    /// "No healthy pool": reset when the active pool is no longer `Down`
    /// or a flip completes.
    pub(crate) no_target: bool,
    /// "The provider serves no single pool": reset when it does again.
    pub(crate) no_single_active: bool,
}
