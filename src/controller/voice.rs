//! One voice: which controller tells people about an incident (webhooks,
//! incident metrics, the RTO report) when several controllers watch the
//! same service.
//!
//! Every controller keeps its own incident and journal; exactly one speaks
//! for it, and the others journal theirs as a view of it:
//!
//! ```text
//! open (outage)          --> Own(FirstByRank) when this controller comes first in the
//!                            writer order of the pool the flip would go to,
//!                            else View(that controller, FirstByRank)
//! open (operator, drill) --> Own(Asked): the controller that was asked
//! our flip applied       --> Own(Wrote); `Speaks` when nobody here told of the incident yet
//! the flip found done by another writer, or the records changed outside
//!                        --> View(the writer, when a peer published the write; Wrote)
//! a peer's published write that matches the incident
//!                        --> View(that peer, its incident id; Wrote), journaled
//! ```
//!
//! A view whose writer is not known yet keeps the incident open for up to
//! `Local::name_wait`, so that its close names who speaks (the winner of a
//! compare-and-set race publishes its write with its next observations).

use std::time::Duration;

use tokio::time::Instant;

use super::action::{EntryKind, entry};
use super::incident_record::IncidentKind;
use super::speaker::{Because, PeerWrite, Voice};
use super::{Action, Controller};

/// A peer's write older than the incident's start by more than this (clock
/// skew between vantages is bounded well below it) is an earlier one.
const SKEW_SLACK: Duration = Duration::from_secs(5);

impl Controller {
    /// The voice of a new incident of `kind`.
    pub(super) fn first_voice(&self, kind: IncidentKind) -> Voice {
        if kind != IncidentKind::Outage {
            return Voice::Own(Because::Asked);
        }
        let local = &self.policy.local;
        let pool = self.ttl_writer_pool();
        match local.first_writer(pool.as_deref()) {
            Some(first) if first != local.id => Voice::View {
                speaker: Some(first.to_owned()),
                incident: None,
                because: Because::FirstByRank,
            },
            _ => Voice::Own(Because::FirstByRank),
        }
    }

    /// The voice of the incident under way, if any.
    pub fn voice(&self) -> Option<&Voice> {
        self.incident.as_ref().map(|o| &o.voice)
    }

    /// This controller's own flip from `from` was applied: it speaks, and
    /// tells people the incident opened if nobody here did.
    pub(super) fn voice_wrote(&mut self, from: Option<&str>, out: &mut Vec<Action>) {
        let Some(open) = self.incident.as_mut() else {
            return;
        };
        open.voice = Voice::Own(Because::Wrote);
        open.name_by = None;
        if !std::mem::replace(&mut open.told, true) {
            out.push(Action::Speaks {
                incident: open.incident.clone(),
                pool: from.map(str::to_owned),
            });
        }
    }

    /// Another writer moved traffic to `pool`: it speaks. Returns its name
    /// when a peer published the write (journaled as a view then); else the
    /// incident waits up to `name_wait` for it.
    pub(super) fn voice_other_wrote(
        &mut self,
        now: Instant,
        pool: &str,
        out: &mut Vec<Action>,
    ) -> Option<String> {
        let known = self.peer_write.clone().filter(|w| self.matches(w, pool));
        let wait = self.policy.local.name_wait;
        let open = self.incident.as_mut()?;
        if open.voice == Voice::Own(Because::Wrote) {
            return None;
        }
        open.voice = Voice::View {
            speaker: known.as_ref().map(|w| w.by.clone()),
            incident: known.as_ref().and_then(|w| w.incident.clone()),
            because: Because::Wrote,
        };
        open.name_by = (known.is_none() && !wait.is_zero()).then(|| now + wait);
        let w = known?;
        out.push(named(&w));
        Some(w.by)
    }

    /// A peer published a write: kept, and it names the writer of the
    /// incident under way when that one is not known yet.
    pub(super) fn on_peer_write(&mut self, w: PeerWrite, out: &mut Vec<Action>) {
        if self.peer_write.as_ref().is_some_and(|k| k.at >= w.at) {
            return;
        }
        self.peer_write = Some(w.clone());
        let Some(active) = self.active().map(str::to_owned) else {
            return;
        };
        let unnamed = matches!(
            self.voice(),
            Some(Voice::View {
                speaker: None,
                because: Because::Wrote,
                ..
            })
        );
        if !unnamed || !self.matches(&w, &active) {
            return;
        }
        if let Some(open) = self.incident.as_mut() {
            open.voice = Voice::View {
                speaker: Some(w.by.clone()),
                incident: w.incident.clone(),
                because: Because::Wrote,
            };
            open.name_by = None;
        }
        tracing::info!(
            writer = w.by,
            pool = w.pool,
            "The flip's writer is known: it speaks for the incident."
        );
        out.push(named(&w));
    }

    /// A write to `pool` within the incident under way.
    fn matches(&self, w: &PeerWrite, pool: &str) -> bool {
        let Some(open) = self.incident.as_ref() else {
            return false;
        };
        w.pool == pool && w.at + SKEW_SLACK >= open.incident.since
    }

    /// Waiting for the name of the controller that wrote the flip.
    pub(super) fn awaiting_writer(&self) -> bool {
        let deadline = self.incident.as_ref().and_then(|o| o.name_by);
        matches!((deadline, self.now), (Some(d), Some(now)) if now < d)
    }

    /// When the wait for the writer's name ends; none once it has (the
    /// incident may stay open for other reasons: no tick loop on a past deadline).
    pub(super) fn name_deadline(&self) -> Option<Instant> {
        let deadline = self.incident.as_ref().and_then(|o| o.name_by)?;
        self.now
            .is_none_or(|now| deadline > now)
            .then_some(deadline)
    }
}

/// The journal entry that names the writer of the flip.
fn named(w: &PeerWrite) -> Action {
    let theirs = w
        .incident
        .as_deref()
        .map_or(String::new(), |id| format!(" (its incident {id})"));
    let detail = format!(
        "the flip to {} was written by {}{theirs}: this journal is a view of the incident, {} speaks for it",
        w.pool, w.by, w.by
    );
    entry(EntryKind::View, Some(&w.pool), None, detail)
}
