//! What goes into the controller: events, operator commands and journaled intents.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::durable::Durable;
use super::vocab::{Initiator, PoolHealth, Reason};

/// The provider operation a result or failure refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderOp {
    SetTtl,
    Flip,
    Read,
    /// A step of a gradual failback (weights).
    Weigh,
}

/// An operator command, received through the daemon so it is serialised with
/// automation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Move to `to`. `planned` lowers the TTL and drains first; `force`
    /// allows a target that is not `Up`.
    Failover {
        to: String,
        planned: bool,
        force: bool,
    },
    /// Move back to the preferred pool, which must be `Up`.
    Failback { planned: bool },
    /// Observe only: never move (or change the TTL) automatically, until
    /// `Unpin` or the wall-clock time `until`.
    Pin {
        by: String,
        reason: String,
        #[serde(with = "super::wall::serde_wall::opt", default)]
        until: Option<SystemTime>,
    },
    /// Resume automation.
    Unpin { by: String },
    /// A drill `id`: a planned failover to `to` (or, with `simulate_fault`,
    /// the active pool treated as down), then after `dwell_secs` a planned
    /// failback to the pool it left.
    Drill {
        id: String,
        to: String,
        simulate_fault: bool,
        dwell_secs: u64,
    },
    /// Keep away from `region` (evacuation `id`): move to the first `Up`
    /// pool outside it when the active pool is in it (planned or now), and
    /// take no pool in it as a target until `EndEvacuation` or `until`.
    Evacuate {
        id: String,
        region: String,
        by: String,
        reason: String,
        #[serde(with = "super::wall::serde_wall::opt", default)]
        until: Option<SystemTime>,
        planned: bool,
    },
    /// End the evacuation of `region`: its pools are targets again, and the
    /// failback rules bring the service home.
    EndEvacuation { by: String, region: String },
    /// A risk window: lower the TTL now and keep it lowered until the
    /// wall-clock time `until` (see `risk`).
    Risk {
        by: String,
        reason: String,
        #[serde(with = "super::wall::serde_wall")]
        until: SystemTime,
    },
    /// End the risk window now.
    RiskEnd { by: String },
}

/// One input to [`Controller::handle`](super::Controller::handle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The runtime read the provider at start-up. `active` is the pool the
    /// provider serves now (`None`: none, or a mix); `intent` is the last
    /// unfinished intent from the journal; `wall` is the wall-clock time
    /// now (the controller maps journaled times to its clock with it) and
    /// `restored` the durable state rebuilt from the journal.
    Started {
        active: Option<String>,
        ttl: u32,
        intent: Option<Intent>,
        wall: SystemTime,
        restored: Box<Durable>,
    },
    /// The aggregated health of one pool changed (repeats are harmless).
    PoolHealth { pool: String, health: PoolHealth },
    /// A deadline from [`Controller::next_deadline`](super::Controller::next_deadline) passed.
    Tick,
    /// An operator command.
    Command(Command),
    /// The provider applied a `SetTtl`.
    TtlApplied { ttl: u32 },
    /// The provider applied a `Flip`.
    Flipped { to: String },
    /// The provider applied a `Weigh`: `weight` percent on `to`.
    Weighed { to: String, weight: u8 },
    /// A provider call failed. `retryable`: a later retry may help;
    /// `conflict`: the expected old state did not match (compare-and-set lost).
    ProviderFailed {
        op: ProviderOp,
        retryable: bool,
        conflict: bool,
    },
    /// The result of a `Reread`.
    ProviderState { active: Option<String>, ttl: u32 },
    /// The propagation watch of a `StartWatch` ended (an incident waits for it).
    WatchEnded,
    /// A peer controller published a flip it wrote (see `voice`).
    PeerWrite(super::speaker::PeerWrite),
    /// A peer controller published the decision it serves (records served
    /// here; see `adopt`).
    PeerDecision(super::decision::Decision),
    /// Another service's incident opened or ended (see `shared_risk`).
    RiskNews(super::risk_news::RiskNews),
}

/// What a provider call is about to do, journaled by the runtime before the
/// call and handed back in `Event::Started` if the call never finished.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub kind: IntentKind,
    pub reason: Reason,
    pub by: Initiator,
    /// Wall-clock time of the request, supplied by the runtime (informative).
    pub requested_at: SystemTime,
}

/// The provider change an [`Intent`] stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IntentKind {
    Flip {
        from: Option<String>,
        to: String,
    },
    SetTtl {
        ttl: u32,
    },
    /// A step of a gradual failback: `weight` percent of the weight on
    /// `to`, the rest on `from`.
    Weigh {
        from: String,
        to: String,
        weight: u8,
    },
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = |planned: bool| if planned { "planned" } else { "now" };
        match self {
            Command::Failover { to, planned, force } => {
                let force = if *force { ", forced" } else { "" };
                write!(f, "failover to {to} ({}{force})", how(*planned))
            }
            Command::Failback { planned } => write!(f, "failback ({})", how(*planned)),
            Command::Pin { reason, until, .. } => match until {
                Some(u) => write!(f, "pin until {}: {reason}", super::wall::format_wall(*u)),
                None => write!(f, "pin until unpinned: {reason}"),
            },
            Command::Unpin { .. } => f.write_str("unpin"),
            Command::Drill {
                id,
                to,
                simulate_fault,
                dwell_secs,
            } => {
                let mode = if *simulate_fault {
                    "simulated fault".to_owned()
                } else {
                    format!("planned failover to {to}")
                };
                write!(f, "drill {id} ({mode}, dwell {dwell_secs}s)")
            }
            Command::Evacuate {
                id,
                region,
                planned,
                ..
            } => write!(f, "evacuate region {region} ({id}, {})", how(*planned)),
            Command::EndEvacuation { region, .. } => {
                write!(f, "end the evacuation of region {region}")
            }
            Command::Risk { reason, until, .. } => write!(
                f,
                "risk window until {}: {reason}",
                super::wall::format_wall(*until)
            ),
            Command::RiskEnd { .. } => f.write_str("end the risk window"),
        }
    }
}
