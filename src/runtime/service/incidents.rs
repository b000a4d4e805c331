//! Incidents: taken up again at a restart, propagation watches after
//! flips, and when an incident ends.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tracing::{error, info, warn};

use super::{Input, ServiceTask};
use crate::controller::{Initiator, Intent};
use crate::journal::{Event, Source};

impl ServiceTask {
    /// The last unfinished intent from the journal (closing every open
    /// one), with its incident taken up again so the outcome lands in it.
    /// An operator's flip asked longer ago than `controller.intent_max_age`
    /// is dropped, never replayed.
    pub(super) fn take_open_intent(&mut self) -> Option<Intent> {
        let open = self
            .journal
            .open_intents(&self.svc.name)
            .unwrap_or_default();
        for i in &open {
            crate::engine::close_intent(
                &self.journal,
                i.id,
                crate::journal::Outcome::Interrupted,
                "the controller restarted before this call's result was journaled".into(),
            );
        }
        let last = open.last()?;
        let intent = serde_json::from_value::<Intent>(last.payload.clone()).ok()?;
        match &last.incident {
            Some(id) => self.resume_incident(id),
            None => self.journal_event(Event::Orphaned {
                intent: intent.clone(),
            }),
        }
        let age = SystemTime::now()
            .duration_since(intent.requested_at)
            .unwrap_or_default();
        if intent.by == Initiator::Operator && age > self.links.intent_max_age {
            let max = self.links.intent_max_age;
            warn!(service = %self.svc.name, age_s = age.as_secs(), max_s = max.as_secs(), "Unfinished operator flip is too old; dropped, not replayed.");
            self.journal_event(Event::Abandoned {
                intent,
                age_s: age.as_secs(),
                max_age_s: max.as_secs(),
            });
            return None;
        }
        Some(intent)
    }

    /// Take up incident `id` again after a restart, its start from the journal.
    fn resume_incident(&mut self, id: &str) {
        let first = self
            .journal
            .incident_entries(id)
            .ok()
            .and_then(|es| es.iter().map(|e| e.at_ms).min());
        let ago = first.map(|at| {
            Duration::from_millis(crate::journal::now_ms().saturating_sub(at).max(0) as u64)
        });
        self.incident = Some(id.to_string());
        self.incident_start = ago
            .and_then(|a| Instant::now().checked_sub(a))
            .or_else(|| Some(Instant::now()));
        info!(service = %self.svc.name, incident = id, "Incident taken up again after a restart.");
    }

    /// Time the propagation of the flip just made.
    pub(super) fn start_watch(&mut self, to: &str, old_ttl: u32) {
        if let Some(old) = self.watching.take() {
            old.cancel();
        }
        let start = self.incident_start.unwrap_or_else(Instant::now);
        let mv = crate::engine::watch::Move {
            to,
            from: None,
            old_ttl,
            start,
            changed_at: self.last_accept,
        };
        let spec = crate::engine::watch::spec(&self.svc, self.links.primary, &mv);
        self.journal_event(Event::WatchStart {
            to: to.to_string(),
            old_ttl,
            expected: spec.expected.clone(),
        });
        let cancel = self.stop.child_token();
        self.watching = Some(cancel.clone());
        let incident = self.incident.clone();
        crate::engine::watch::spawn(spec, cancel, self.links.tx.clone(), move |o| {
            Input::Watched {
                incident,
                outcome: Box::new(o),
            }
        });
    }

    pub(super) fn on_watched(
        &mut self,
        incident: Option<String>,
        outcome: crate::propagation::WatchOutcome,
    ) {
        self.watching = None;
        info!(service = %self.svc.name, end = %outcome.end, outstanding = ?outcome.outstanding, "Propagation watch ended.");
        let event = Event::WatchResult {
            end: outcome.end.to_string(),
            outstanding: outcome.outstanding.clone(),
            watch: serde_json::to_value(&outcome).unwrap_or_default(),
        };
        let src = Source {
            service: &self.svc.name,
            incident: incident.as_deref(),
            actor: "rtoguard",
        };
        if let Err(err) = self.journal.record(src, &event) {
            error!(service = %self.svc.name, error = %err, "Journal write failed.");
        }
        if let Some(id) = &incident
            && let Some(r) = crate::report::save(&self.journal, id, &self.svc, Some(&outcome))
        {
            self.observe_phases(&r);
        }
        self.maybe_close_incident();
    }

    pub(super) fn maybe_close_incident(&mut self) {
        if self.watching.is_some() {
            return;
        }
        let st = self.controller.status();
        // A move under way (a planned one drains first) keeps the incident open.
        if st.moving_to.is_some() || st.phase != "idle" || st.queued_command.is_some() {
            return;
        }
        let Some(active) = st.active.clone() else {
            return;
        };
        let healthy = self
            .pools
            .get(&active)
            .is_some_and(|v| v.health() == crate::controller::PoolHealth::Up);
        if healthy && self.inflight.is_none() && self.incident.is_some() {
            self.journal_event(Event::IncidentEnd {
                pool: active.clone(),
            });
            let took = self.incident_start.map(|s| s.elapsed()).unwrap_or_default();
            self.observe_recovery(self.incident.as_deref().unwrap_or_default(), &active, took);
            self.rto_missed_sent = false;
            self.incident = None;
            self.incident_start = None;
        }
    }
}
