//! Incidents in the core: when one opens, when it closes, and the RTO missed said once.
//!
//! An incident is controller state changed by events and announced by
//! actions the runtime carries out (journal, metrics, webhooks, report):
//!
//! ```text
//! none --active pool Suspect/Down--------------------> open (outage)
//! none --accepted failover/failback command-----------> open (operator)
//! none --accepted drill-------------------------------> open (drill, the drill's id)
//! open --older than the RTO, not said yet--> RtoMissed (once), still open
//! open --active pool Up, phase Idle, no watch, nothing queued or pending--> none
//! ```
//!
//! Where other controllers write too, an incident in which this one made
//! or found no flip closes with a re-read of the provider, so a flip made
//! by another writer meanwhile is learnt even when this one never came to
//! write it.
//!
//! Opening, closing and the RTO missed are durable [`Change`]s, so a
//! restart in the middle of an outage continues the same incident (one
//! id, one report); its start is a wall time, mapped back to `Instant`.

use std::time::{Duration, SystemTime};

/// Past the RTO by this much, "RTO missed" is said (its deadline's tick).
const PAST: Duration = Duration::from_millis(1);

use tokio::time::Instant;

use super::event::Command;
pub use super::incident_record::{Incident, IncidentKind};
use super::speaker::Voice;
use super::state::Phase;
use super::vocab::PoolHealth;
use super::{Action, Controller};

/// The incident under way, with its start on the controller's clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Open {
    pub(crate) incident: Incident,
    pub(crate) start: Instant,
    /// Since when this controller waits its writer delay in this incident
    /// (a later write waits only what is left).
    pub(crate) wait_from: Option<Instant>,
    /// Who speaks for it (see `voice`).
    pub(crate) voice: Voice,
    /// Until when it stays open for the name of the controller that wrote its flip.
    pub(crate) name_by: Option<Instant>,
    /// People were told it opened (by this controller).
    pub(crate) told: bool,
}

impl Controller {
    /// The incident under way, if any.
    pub fn incident(&self) -> Option<&Incident> {
        self.incident.as_ref().map(|o| &o.incident)
    }

    /// When the incident under way began, on the controller's clock.
    pub fn incident_start(&self) -> Option<Instant> {
        self.incident.as_ref().map(|o| o.start)
    }

    /// Opens an outage when the active pool is in trouble and none is open.
    pub(super) fn open_outage(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(active) = self.active().map(str::to_owned) else {
            return;
        };
        let health = self.health(&active);
        if self.incident.is_some() || !matches!(health, PoolHealth::Suspect | PoolHealth::Down) {
            return;
        }
        let detail = format!("pool {active} is {health}");
        self.open(now, IncidentKind::Outage, None, Some(active), detail, out);
        if let Some(Action::IncidentOpened { health: h, .. }) = out.last_mut() {
            *h = Some(health);
        }
    }

    /// Opens an operator incident for a failover or failback that was not
    /// refused; its announcement goes before the command's own actions.
    pub(super) fn open_for_command(
        &mut self,
        now: Instant,
        command: &Command,
        out: &mut Vec<Action>,
        from: usize,
    ) {
        let refused = out[from..]
            .iter()
            .any(|a| matches!(a, Action::Refused { .. }));
        let moves = match command {
            Command::Failover { .. } | Command::Failback { .. } => true,
            // An evacuation opens one only for a service it moves.
            Command::Evacuate { .. } => {
                self.phase.current_move().is_some() || self.queued.is_some()
            }
            _ => false,
        };
        if refused || !moves || self.incident.is_some() {
            return;
        }
        let mut opened = Vec::new();
        let detail = format!("operator asked: {command}");
        let active = self.active().map(str::to_owned);
        self.open(
            now,
            IncidentKind::Operator,
            None,
            active,
            detail,
            &mut opened,
        );
        out.splice(from..from, opened);
    }

    /// Opens a drill's incident under the drill's own id.
    pub(super) fn open_drill(
        &mut self,
        now: Instant,
        id: &str,
        detail: String,
        out: &mut Vec<Action>,
    ) {
        let home = self.active().map(str::to_owned);
        self.open(
            now,
            IncidentKind::Drill,
            Some(id.to_owned()),
            home,
            detail,
            out,
        );
    }

    fn open(
        &mut self,
        now: Instant,
        kind: IncidentKind,
        id: Option<String>,
        pool: Option<String>,
        detail: String,
        out: &mut Vec<Action>,
    ) {
        let Some(anchor) = self.anchor else {
            return;
        };
        let since = anchor.wall(now);
        let id = id.unwrap_or_else(|| {
            let id = self
                .policy
                .local
                .incident_id(since, self.last_incident.as_deref());
            self.last_incident = Some(id.clone());
            id
        });
        tracing::warn!(incident = id, %kind, "Incident opened.");
        let incident = Incident {
            id,
            kind,
            since,
            rto_missed: false,
            writer_wait_from: None,
            ttl: self.view.as_ref().map(|v| v.ttl),
            risk: self.risk.clone(),
        };
        let voice = self.first_voice(kind);
        self.incident = Some(Open {
            incident: incident.clone(),
            start: now,
            wait_from: None,
            told: voice.speaks(),
            voice: voice.clone(),
            name_by: None,
        });
        out.push(Action::IncidentOpened {
            incident,
            pool,
            health: None,
            detail,
            voice,
        });
    }

    /// After every event: note a watch started, then close the incident
    /// if it is over, else say once that it outlived the RTO.
    pub(super) fn follow_incident(&mut self, now: Instant, out: &mut Vec<Action>) {
        if out.iter().any(|a| matches!(a, Action::StartWatch { .. })) {
            self.watching = true;
        }
        if self.incident_over() {
            return self.close(now, out);
        }
        self.check_rto(now, out);
    }

    /// The active pool is `Up` and nothing is under way: no provider call,
    /// drain, backoff, queued command, unjudged intent or propagation watch.
    fn incident_over(&self) -> bool {
        let quiet = self.phase == Phase::Idle
            && !self.watching
            && !self.stale
            && self.queued.is_none()
            && self.pending_intent.is_none()
            && !self.awaiting_writer();
        let healthy = self
            .active()
            .is_some_and(|a| self.health(a) == PoolHealth::Up);
        self.incident.is_some() && quiet && healthy
    }

    fn close(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.check_rto(now, out);
        let (Some(open), Some(pool)) = (self.incident.take(), self.active()) else {
            return;
        };
        let took = now.saturating_duration_since(open.start);
        tracing::info!(
            incident = open.incident.id,
            pool,
            took_s = took.as_secs(),
            "Incident closed."
        );
        // No flip made or found by this controller since the incident
        // opened: another controller may have made one.
        let saw_flip = self.damping.last_flip().is_some_and(|t| t >= open.start);
        out.push(Action::IncidentClosed {
            incident: open.incident,
            pool: pool.to_owned(),
            took,
            voice: open.voice,
        });
        if !saw_flip && self.others_may_write() {
            self.check_served(out);
        }
    }

    /// Another controller writes for this service (this one has a writer
    /// delay for some pool).
    fn others_may_write(&self) -> bool {
        let local = &self.policy.local;
        local.writer_delay.values().any(|d| !d.is_zero()) || !local.writer_delay_otherwise.is_zero()
    }

    /// Another controller may have flipped in the incident just closed
    /// while this one waited its turn, or while its own write was held up
    /// (a slow provider link), and the pool it left may have come back
    /// before this one looked again: it would go on believing the old pool
    /// served (in `status`, and when the next fault strikes). Re-read.
    fn check_served(&mut self, out: &mut Vec<Action>) {
        if self.halted.is_none() && self.phase == Phase::Idle {
            self.checking = true;
            out.push(Action::Reread);
            self.phase = Phase::Rereading { mv: None };
        }
    }

    fn check_rto(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(rto) = self.policy.local.rto else {
            return;
        };
        let Some(open) = self.incident.as_mut() else {
            return;
        };
        let elapsed = now.saturating_duration_since(open.start);
        if open.incident.rto_missed || elapsed <= rto {
            return;
        }
        open.incident.rto_missed = true;
        tracing::error!(
            incident = open.incident.id,
            rto_s = rto.as_secs(),
            "RTO missed: the incident is still open."
        );
        out.push(Action::RtoMissed {
            id: open.incident.id.clone(),
            elapsed,
            rto,
            voice: open.voice.clone(),
        });
    }

    /// When the RTO of the open incident runs out, if not said yet.
    pub(super) fn rto_deadline(&self) -> Option<Instant> {
        let open = self.incident.as_ref()?;
        let rto = self.policy.local.rto?;
        (!open.incident.rto_missed).then(|| open.start + rto + PAST)
    }

    /// A propagation watch ended.
    pub(super) fn on_watch_ended(&mut self) {
        self.watching = false;
    }

    /// Takes up the incident the journal says is under way.
    pub(super) fn restore_incident(
        &mut self,
        now: Instant,
        incident: Option<Incident>,
        last: Option<String>,
    ) {
        self.last_incident = last;
        let anchor = self.anchor;
        let at = |t: SystemTime| {
            anchor
                .and_then(|a| a.instant(t))
                .map_or(now, |s| s.min(now))
        };
        // An automatic flip recorded since the incident began is this
        // controller's own write (another's is recorded as not automatic).
        let voice = incident.as_ref().map(|i| {
            let wrote = self.damping.automatic_since(at(i.since));
            match i.kind {
                IncidentKind::Outage if wrote => Voice::Own(super::speaker::Because::Wrote),
                kind => self.first_voice(kind),
            }
        });
        self.incident = incident.zip(voice).map(|(incident, voice)| Open {
            start: at(incident.since),
            wait_from: incident.writer_wait_from.map(at),
            incident,
            // Told before the restart, by whoever spoke then.
            told: true,
            voice,
            name_by: None,
        });
        self.watching = false;
    }
}
