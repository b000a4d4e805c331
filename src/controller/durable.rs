//! The core's durable state: what must survive a reload, a restart or a crash.
//!
//! The controller announces each change of it as a [`Change`] attached to
//! the journal entry of the decision (the runtime writes both in one
//! transaction); at start-up the runtime folds the journaled changes back
//! into a [`Durable`] with [`Durable::replay`] and hands it over in
//! `Event::Started`. Times are wall-clock (`SystemTime`) so they mean the
//! same after a restart; the controller maps them to its monotonic clock
//! relative to the wall time that `Started` carries.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::incident_record::Incident;
use super::state::Halt;
use super::wall::serde_wall as wall;

/// At most this many automatic flips are kept (far above any sane `max_flips`).
const KEEP_FLIPS: usize = 64;

/// The longest pin with an end (longer ones are refused: pin without one).
pub const MAX_PIN: Duration = Duration::from_secs(3650 * 24 * 3600);

/// The longest dwell of a drill.
pub const MAX_DWELL: Duration = Duration::from_secs(7 * 24 * 3600);

/// An operator's pin: observe only until unpinned or `until` passes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Who pinned (`user:alice`).
    pub by: String,
    /// Why, in the operator's words.
    pub reason: String,
    /// When the pin was set.
    #[serde(with = "wall")]
    pub since: SystemTime,
    /// When the pin lifts by itself; `None`: only by `unpin`.
    #[serde(with = "wall::opt", default)]
    pub until: Option<SystemTime>,
}

/// A drill under way: the pool to come back to and when the dwell ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drill {
    /// The drill's incident id.
    pub id: String,
    /// The pool to fail back to at the end of the dwell.
    pub home: String,
    /// The pool treated as down whatever its probes say, for a simulated fault.
    pub simulated_down: Option<String>,
    /// When the dwell ends.
    #[serde(with = "wall")]
    pub dwell_until: SystemTime,
}

/// A region being evacuated: no pool in it is a target (automatic or by
/// command, unless forced) until the evacuation ends or `until` passes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evacuation {
    /// The evacuation's id (one for every service it moves).
    pub id: String,
    /// The region kept empty.
    pub region: String,
    /// Who asked (`user:alice`).
    pub by: String,
    /// Why, in the operator's words.
    pub reason: String,
    /// When it began.
    #[serde(with = "wall")]
    pub since: SystemTime,
    /// When it ends by itself; `None`: only by `evacuate --end`.
    #[serde(with = "wall::opt", default)]
    pub until: Option<SystemTime>,
}
pub use super::risk_window::RiskWindow;

/// A gradual failback holding a step: a restart takes it up at that step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradualHeld {
    /// The pool the traffic leaves.
    pub from: String,
    /// The preferred pool it moves to.
    pub to: String,
    /// Percent of the weight on `to` served at this step.
    pub weight: u8,
}

/// One change of the durable state, as journaled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Change {
    Pinned {
        pin: Pin,
    },
    Unpinned {
        by: String,
    },
    PinExpired,
    Halted {
        why: Halt,
    },
    Resumed,
    /// A completed flip (any flip starts a hold-down; automatic ones count
    /// towards the flip cap).
    FlippedForDamping {
        #[serde(with = "wall")]
        at: SystemTime,
        automatic: bool,
    },
    DrillStarted {
        drill: Drill,
    },
    /// The dwell of a simulated-fault drill is over: the pool is judged by its probes again.
    DrillFaultLifted,
    /// The drill ended (`aborted`: without its failback), with why.
    DrillEnded {
        aborted: bool,
        reason: String,
    },
    /// An incident opened (the id its journal entries carry).
    IncidentOpened {
        incident: Incident,
    },
    /// "RTO missed" was said for the incident under way.
    RtoMissed {
        id: String,
    },
    /// This controller began waiting its writer delay in the incident under way.
    WriterWaitStarted {
        id: String,
        #[serde(with = "wall")]
        at: SystemTime,
    },
    /// The incident ended: the active pool is up and nothing is under way.
    IncidentClosed {
        id: String,
    },
    /// A region is being evacuated: its pools are no targets.
    EvacuationStarted {
        evacuation: Evacuation,
    },
    /// The evacuation ended (`by`: who ended it; `None`: its end came).
    EvacuationEnded {
        #[serde(default)]
        by: Option<String>,
        /// The region evacuated.
        #[serde(default)]
        region: String,
    },
    /// A risk window opened (or was extended).
    RiskOpened {
        window: RiskWindow,
    },
    /// The lowered TTL was published inside the risk window.
    RiskLowered {
        #[serde(with = "wall")]
        at: SystemTime,
    },
    /// The risk window ended: by a person (`by`), or at its end.
    RiskEnded {
        #[serde(default)]
        by: Option<String>,
    },
    /// A step of a gradual failback is served and holds.
    GradualHeld {
        held: GradualHeld,
    },
    /// The gradual failback ended (completed, rolled back or stopped).
    GradualEnded,
}

/// The core's durable state, rebuilt from the journaled [`Change`]s.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Durable {
    pub pin: Option<Pin>,
    pub halted: Option<Halt>,
    /// When the last flip completed.
    #[serde(with = "wall::opt", default)]
    pub last_flip: Option<SystemTime>,
    /// When the latest automatic flips completed, oldest first.
    #[serde(with = "wall::many", default)]
    pub automatic_flips: Vec<SystemTime>,
    pub drill: Option<Drill>,
    /// The incident under way.
    #[serde(default)]
    pub incident: Option<Incident>,
    /// The id of the latest incident the core named, open or not (a drill
    /// brings its own): a new one never reuses it.
    #[serde(default)]
    pub last_incident: Option<String>,
    /// The region being evacuated, if any.
    #[serde(default)]
    pub evacuation: Option<Evacuation>,
    /// The risk window open.
    #[serde(default)]
    pub risk: Option<RiskWindow>,
    /// The step a gradual failback holds.
    #[serde(default)]
    pub gradual: Option<GradualHeld>,
}

impl Durable {
    /// Folds changes, oldest first, into the state they leave.
    pub fn replay(changes: impl IntoIterator<Item = Change>) -> Self {
        let mut d = Self::default();
        for c in changes {
            d.apply(c);
        }
        d
    }

    /// Applies one change.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Pinned { pin } => self.pin = Some(pin),
            Change::Unpinned { .. } | Change::PinExpired => self.pin = None,
            Change::Halted { why } => self.halted = Some(why),
            Change::Resumed => self.halted = None,
            Change::FlippedForDamping { at, automatic } => {
                self.last_flip = Some(self.last_flip.map_or(at, |l| l.max(at)));
                if automatic {
                    self.automatic_flips.push(at);
                    let over = self.automatic_flips.len().saturating_sub(KEEP_FLIPS);
                    self.automatic_flips.drain(..over);
                }
            }
            Change::DrillStarted { drill } => self.drill = Some(drill),
            Change::DrillFaultLifted => {
                if let Some(d) = self.drill.as_mut() {
                    d.simulated_down = None;
                }
            }
            Change::DrillEnded { .. } => self.drill = None,
            Change::IncidentOpened { incident } => {
                if incident.kind != super::incident_record::IncidentKind::Drill {
                    self.last_incident = Some(incident.id.clone());
                }
                self.incident = Some(incident);
            }
            Change::RtoMissed { id } => {
                if let Some(i) = self.incident.as_mut().filter(|i| i.id == id) {
                    i.rto_missed = true;
                }
            }
            Change::WriterWaitStarted { id, at } => {
                if let Some(i) = self.incident.as_mut().filter(|i| i.id == id) {
                    i.writer_wait_from = Some(at);
                }
            }
            Change::IncidentClosed { id } => {
                if self.incident.as_ref().is_some_and(|i| i.id == id) {
                    self.incident = None;
                }
            }
            Change::EvacuationStarted { evacuation } => self.evacuation = Some(evacuation),
            Change::EvacuationEnded { .. } => self.evacuation = None,
            Change::RiskOpened { window } => self.risk = Some(window),
            Change::RiskLowered { at } => {
                if let Some(w) = self.risk.as_mut() {
                    w.lowered_at.get_or_insert(at);
                }
            }
            Change::RiskEnded { .. } => self.risk = None,
            Change::GradualHeld { held } => self.gradual = Some(held),
            Change::GradualEnded => self.gradual = None,
        }
    }
}

/// Maps wall-clock times to the controller's monotonic clock, from one
/// moment when both were read together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WallAnchor {
    pub(crate) mono: Instant,
    pub(crate) wall: SystemTime,
}

impl WallAnchor {
    /// The monotonic instant of `at`; `None` for a time before the
    /// monotonic clock's origin (long past).
    pub(crate) fn instant(&self, at: SystemTime) -> Option<Instant> {
        match at.duration_since(self.wall) {
            Ok(ahead) => self.mono.checked_add(ahead),
            Err(e) => self.mono.checked_sub(e.duration()),
        }
    }

    /// A deadline at `at` on the monotonic clock: one that passed before
    /// the clock's origin is due now; `None`: too far ahead to ever come.
    pub(crate) fn deadline(&self, at: SystemTime) -> Option<Instant> {
        match at.duration_since(self.wall) {
            Ok(ahead) => self.mono.checked_add(ahead),
            Err(e) => Some(self.mono.checked_sub(e.duration()).unwrap_or(self.mono)),
        }
    }

    /// The wall-clock time of `at`.
    pub(crate) fn wall(&self, at: Instant) -> SystemTime {
        match at.checked_duration_since(self.mono) {
            Some(ahead) => self.wall + ahead,
            None => self
                .wall
                .checked_sub(self.mono.duration_since(at))
                .unwrap_or(self.wall),
        }
    }
}
