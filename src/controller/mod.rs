//! The sans-IO failover state machine, one per service.
//!
//! [`Controller::handle`] takes an [`Event`] and the current time and returns
//! the [`Action`]s the runtime must carry out, in order. Nothing inside reads
//! a clock, sleeps or does I/O: time only enters through `now`, and the
//! runtime sends [`Event::Tick`] at [`Controller::next_deadline`].
//!
//! The rules, in short (see [`state`] for every phase transition):
//!
//! - *Suspect*: the active pool turning `Suspect` lowers the TTL at once;
//!   once it is `Up` again and quiet for `restore_after`, the normal TTL
//!   returns.
//! - *Failover*: the active pool `Down` flips at once to the first pool in
//!   order that is `Up`. `Suspect` and `Unknown` pools are never targets: a
//!   suspect pool is already failing probes, and moving traffic onto it
//!   trades a known outage for a likely one. With no `Up` pool the records
//!   stay as they are (fail-static) and one alert is raised per episode.
//!   Nothing happens while the active pool is `Unknown`.
//! - *Planned moves* (planned failover, failback): lower the TTL, wait the
//!   old TTL out, flip, restore the TTL after `restore_after`.
//! - *Gradual failback* (see `stepping`): with `failback.steps`, a
//!   failback moves the weight step by step (`Weigh`), each step held
//!   `step_hold` while the target stays up; the target not up rolls all
//!   the weight back; the last step ends as a flip does.
//! - *Damping*: no automatic flip within `hold_down` of any flip; past
//!   `max_flips` automatic flips in `flip_window`, automation halts until an
//!   operator command.
//! - *One operation at a time*: while a provider call is outstanding,
//!   automation waits and commands queue (the latest wins); everything is
//!   decided afresh when the answer arrives.
//! - *Pinned*: observe only (no automatic flip or TTL change); operator
//!   commands still run. A pin names who set it and why, and may carry a
//!   wall-clock end: at that deadline the pin lifts itself ("pin expired").
//!   `Unpin` or an accepted failover/failback also lifts a halt.
//! - *Evacuation* (see `evacuate`, `evacuation`): a region kept empty: the
//!   service moves to the first `Up` pool outside it (refused, changing
//!   nothing, when there is none), and no pool in the region is a target
//!   (automatic, failback, or an unforced command) until it ends, by
//!   command or at its wall-clock end; then the failback rules apply.
//! - *Drills*: a planned failover (or a simulated fault: the active pool is
//!   `Down` for the controller whatever is reported), a dwell ending at a
//!   wall-clock deadline, then a planned failback to the pool the drill
//!   left; aborted, with why, when that pool is not `Up` (see `drill`).
//! - *Conflicts*: a lost compare-and-set re-reads the provider; if the
//!   target is already active the flip is journaled as done by another
//!   writer and never repeated. Nothing is decided on a doubtful view.
//! - *Restart*: `Started` carries the journal's unfinished intent; a flip
//!   is never done twice (see `reconcile`).
//! - *Incidents* (see `incident`): opened by the active pool turning
//!   `Suspect`/`Down`, an accepted failover/failback, or a drill; closed
//!   when the active pool is `Up` and nothing is under way (no call, drain,
//!   backoff, queued command, unjudged intent or propagation watch, which
//!   ends with `WatchEnded`); "RTO missed" said once, at a deadline.
//! - *One voice* (see `voice`): one controller speaks for an incident (the
//!   one that wrote its flip, was asked, or comes first by rank); the
//!   others journal a view of it, naming the speaker from its published write.
//! - *Adoption* (see `adopt`): when the records live in every controller
//!   (`Local::served_here`), a peer's newer published decision is written
//!   into this controller's own copy and journaled as adopted: not a flip
//!   (no damping, watch, incident or report of its own).
//! - *Writer delay* (see `writer`): an automatic write carries `not_before`,
//!   this controller's rank × grace for the pool it serves (from the
//!   policy's `local`), counted once per incident from its first delayed write.
//! - *Risk windows* (see `risk`): while one is open the TTL is lowered
//!   and not restored; a planned move inside it drains only what is left
//!   of the normal TTL since the lowering (often nothing).
//! - *Durable state* ([`durable`]): the pin, the risk window, the halt, the damping history
//!   (completed flips as wall times), the drill and the incident (its id,
//!   start, "RTO missed" said, and the start of the writer wait). Every change of it is
//!   a [`Change`] on the journal entry of the decision, written in the same
//!   transaction; `Started` carries the wall time and the state rebuilt from
//!   the journal, and journaled times become `Instant`s relative to `now`.
//!
//! The durable state and what changes it:
//!
//! ```text
//! pin:     none --Pin{by,reason,until}--> pinned --Unpin / until passed--> none
//! evacuation: none --Evacuate{region,until}--> evacuating
//!          --EndEvacuation / until passed--> none
//! halt:    none --flip cap, provider refusal, conflicts--> halted
//!               --Unpin, accepted failover/failback--> none
//! damping: each completed flip appends its wall time (automatic ones count
//!          towards max_flips within flip_window; any starts a hold-down)
//! drill:   none --Drill--> under way (simulated fault?) --dwell deadline-->
//!          fault lifted --next event, home Up--> failback, none
//!                       --next event, home not Up--> aborted, none
//! incident: none --active Suspect/Down | accepted move | drill--> open
//!          open --first delayed write--> open, writer wait started
//!          open --older than the RTO--> open, RTO missed (once)
//!          open --active Up, Idle, no watch, nothing queued--> none
//! ```
//!
//! The runtime journals `action.intent(now)` before each provider call and
//! answers every `SetTtl`, `Flip`, `Weigh` and `Reread` with exactly one result event.

mod action;
mod adopt;
mod command;
mod damping;
mod decide;
mod decision;
mod drill;
pub mod durable;
mod evacuate;
pub mod evacuation;
pub mod evacuation_resume;
mod event;
pub mod gradual;
mod incident;
mod incident_record;
mod moves;
mod pinning;
mod policy;
mod provider;
mod reconcile;
pub mod risk;
mod risk_news;
mod risk_window;
mod schedule;
mod shared_risk;
mod speaker;
pub mod state;
mod status;
mod stepping;
mod stepping_restart;
mod vocab;
mod voice;
mod wall;
mod writer;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use tokio::time::Instant;

pub use action::{Action, AlertLevel, Entry, EntryKind, TtlReason};
pub use decision::Decision;
pub use durable::{Change, Drill, Durable, Evacuation, Pin, RiskWindow};
pub use event::{Command, Event, Intent, IntentKind, ProviderOp};
pub use incident::{Incident, IncidentKind};
pub use policy::{FailbackMode, Policy, PolicyError};
pub use risk_news::{RiskNews, SharedRisk};
pub use schedule::{RiskStart, ScheduledRisk};
pub use speaker::{Because, PeerWrite, Voice};
pub use state::Halt;
pub use status::{PoolStatus, Status};
pub use stepping::GradualStatus;
pub use vocab::{Initiator, PoolHealth, Reason};
pub use wall::format_wall;
pub use writer::Local;

use damping::Damping;
use durable::WallAnchor;
use incident::Open;
use state::{Phase, PoolView, ProviderView, Raised};

/// The failover state machine of one service.
#[derive(Clone, Debug)]
pub struct Controller {
    policy: Policy,
    pools: Vec<PoolView>,
    /// What the provider serves; `None` until `Started`.
    view: Option<ProviderView>,
    phase: Phase,
    damping: Damping,
    /// The operator's pin, if any (observe only).
    pin: Option<Pin>,
    halted: Option<Halt>,
    /// Maps wall-clock times (pins, journaled history) to `Instant`s; set by `Started`.
    anchor: Option<WallAnchor>,
    /// A drill under way (the failback at the end of its dwell).
    drill: Option<Drill>,
    /// A region being evacuated: no pool in it is a target (see `evacuate`).
    evacuation: Option<Evacuation>,
    raised: Raised,
    /// An operator command waiting for the outstanding call to finish.
    queued: Option<Command>,
    /// An automatic flip left unfinished by a restart, judged once health is known.
    pending_intent: Option<Intent>,
    /// Until when caches may still hold an answer with the TTL before the last lowering.
    drain_until: Option<Instant>,
    /// The last flip or TTL change (start of the quiet period).
    last_change: Option<Instant>,
    /// A conflict made our view of the provider doubtful: re-read before deciding.
    stale: bool,
    /// Conflicts in a row; automation halts past a few.
    conflict_streak: u32,
    /// The re-read under way checks what is served after an incident
    /// (see `incident`), not a conflict.
    checking: bool,
    /// The latest `now` seen (time never goes backwards inside).
    now: Option<Instant>,
    /// The incident under way (see `incident`).
    incident: Option<Open>,
    /// A propagation watch runs (the incident stays open until it ends).
    watching: bool,
    /// The latest incident's id (a new one never reuses it).
    last_incident: Option<String>,
    /// The latest flip a peer controller published (see `voice`).
    peer_write: Option<PeerWrite>,
    /// The decision this controller serves, when its records live here (see `adopt`).
    served: Option<Decision>,
    /// The newest decision a peer published that it serves (see `adopt`).
    heard: Option<Decision>,
    /// The risk window open (see `risk`).
    risk: Option<RiskWindow>,
    /// The start of each scheduled window's occurrence already opened (see `schedule`).
    scheduled_seen: std::collections::BTreeMap<String, std::time::SystemTime>,
}

impl Controller {
    /// A controller that waits for `Event::Started` before it decides anything.
    pub fn new(policy: Policy) -> Self {
        let pools = policy
            .pools
            .iter()
            .map(|name| PoolView {
                name: name.clone(),
                health: PoolHealth::Unknown,
                up_since: None,
            })
            .collect();
        Self {
            policy,
            pools,
            view: None,
            phase: Phase::Idle,
            damping: Damping::default(),
            pin: None,
            halted: None,
            anchor: None,
            drill: None,
            evacuation: None,
            raised: Raised::default(),
            queued: None,
            pending_intent: None,
            drain_until: None,
            last_change: None,
            stale: false,
            conflict_streak: 0,
            checking: false,
            now: None,
            incident: None,
            watching: false,
            last_incident: None,
            peer_write: None,
            served: None,
            heard: None,
            risk: None,
            scheduled_seen: Default::default(),
        }
    }

    /// Takes one event at `now` and returns what the runtime must do, in order.
    pub fn handle(&mut self, now: Instant, event: Event) -> Vec<Action> {
        let now = self.now.map_or(now, |last| last.max(now));
        self.now = Some(now);
        let mut out = Vec::new();
        let started = matches!(event, Event::Started { .. });
        self.expire_pin(now, &mut out);
        self.expire_evacuation(now, &mut out);
        self.expire_risk(now, &mut out);
        match event {
            Event::Started {
                active,
                ttl,
                intent,
                wall,
                restored,
            } => {
                let held = restored.gradual.clone();
                self.restore(now, wall, *restored, &mut out);
                self.restore_shared(wall);
                self.on_started(now, active, ttl, intent, &mut out);
                self.resume_held(now, held, &mut out);
            }
            Event::PoolHealth { pool, health } => self.on_health(now, &pool, health),
            Event::Tick => {}
            Event::Command(command) => {
                let from = out.len();
                self.on_command(now, command.clone(), &mut out);
                self.open_for_command(now, &command, &mut out, from);
            }
            Event::TtlApplied { ttl } => self.on_ttl_applied(now, ttl, &mut out),
            Event::Flipped { to } => self.on_flipped(now, to, &mut out),
            Event::Weighed { .. } => self.on_weighed(now, &mut out),
            Event::ProviderFailed {
                op,
                retryable,
                conflict,
            } => self.on_failed(now, op, retryable, conflict, &mut out),
            Event::ProviderState { active, ttl } => {
                self.on_provider_state(now, active, ttl, &mut out)
            }
            Event::WatchEnded => self.on_watch_ended(),
            Event::PeerWrite(w) => self.on_peer_write(w, &mut out),
            Event::PeerDecision(d) => self.on_peer_decision(d),
            Event::RiskNews(news) => self.on_news(now, news, &mut out),
        }
        self.open_scheduled(now, &mut out);
        self.open_outage(now, &mut out);
        self.settle(now, &mut out);
        self.follow_incident(now, &mut out);
        self.tell_news(started, &mut out);
        out
    }

    /// When the runtime must send `Event::Tick` next; `None` while a
    /// provider call is outstanding or nothing is scheduled.
    pub fn next_deadline(&self) -> Option<Instant> {
        let phase = match &self.phase {
            Phase::Backoff { until, .. }
            | Phase::Draining { until, .. }
            | Phase::WriterWait { until } => Some(*until),
            Phase::Idle => self.now.and_then(|now| self.want(now)).map(|(at, _)| at),
            Phase::Gradual(s) => s.g.deadline(),
            _ => None,
        };
        [
            phase,
            self.pin_deadline(),
            self.evacuation_deadline(),
            self.drill_deadline(),
            self.rto_deadline(),
            self.name_deadline(),
            self.risk_deadline(),
            self.schedule_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn pinned(&self) -> bool {
        self.pin.is_some()
    }

    /// The policy this controller applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn on_health(&mut self, now: Instant, pool: &str, health: PoolHealth) {
        let Some(view) = self.pools.iter_mut().find(|p| p.name == pool) else {
            tracing::debug!(
                pool,
                "Health for a pool this service does not have; ignored."
            );
            return;
        };
        if view.health == health {
            return;
        }
        let was = view.health;
        view.health = health;
        view.up_since = match (health, view.up_since) {
            (PoolHealth::Up, Some(since)) => Some(since),
            (PoolHealth::Up, None) => Some(now),
            _ => None,
        };
        tracing::info!(pool, %was, %health, "Pool health changed.");
        if self.active() == Some(pool) && health != PoolHealth::Down {
            self.raised.no_target = false;
        }
    }

    /// A pool's health; a drill's simulated fault is `Down` whatever was reported.
    fn health(&self, pool: &str) -> PoolHealth {
        if self.simulated_down() == Some(pool) {
            return PoolHealth::Down;
        }
        self.pools
            .iter()
            .find(|p| p.name == pool)
            .map_or(PoolHealth::Unknown, |p| p.health)
    }

    fn up_since(&self, pool: &str) -> Option<Instant> {
        self.pools
            .iter()
            .find(|p| p.name == pool)
            .and_then(|p| p.up_since)
    }

    fn active(&self) -> Option<&str> {
        self.view.as_ref().and_then(|v| v.active.as_deref())
    }

    fn ttl(&self) -> u32 {
        self.view.as_ref().map_or(self.policy.ttl_normal, |v| v.ttl)
    }
}
