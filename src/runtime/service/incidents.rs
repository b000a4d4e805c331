//! Incidents: taken up again at a restart, propagation watches after
//! flips, and when an incident ends.

use std::time::SystemTime;

use serde_json::{Value, json};
use tokio::time::Instant;
use tracing::{error, info, warn};

use super::{Input, ServiceTask};
use crate::controller::{Action, Event, IncidentKind, Initiator, Intent};
use crate::journal::NewEntry;

impl ServiceTask {
    /// The last unfinished intent from the journal (closing every open
    /// one). Its incident is the controller's, restored from the journal.
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
                "interrupted",
                "the controller restarted before this call's result was journaled".into(),
            );
        }
        let last = open.last()?;
        let intent = serde_json::from_value::<Intent>(last.payload.clone()).ok()?;
        if last.incident.is_none() {
            self.journal_entry(
                "note",
                "the unfinished call belonged to no incident: its outcome gets no RTO report",
                json!({ "intent": last.payload }),
            );
        }
        let age = SystemTime::now()
            .duration_since(intent.requested_at)
            .unwrap_or_default();
        if intent.by == Initiator::Operator && age > self.links.intent_max_age {
            let max = self.links.intent_max_age;
            warn!(service = %self.svc.name, age_s = age.as_secs(), max_s = max.as_secs(), "Unfinished operator flip is too old; dropped, not replayed.");
            self.journal_entry(
                "abandoned",
                &format!(
                    "operator's unfinished flip asked {}s ago, longer than controller.intent_max_age ({}s): dropped, not replayed",
                    age.as_secs(),
                    max.as_secs()
                ),
                json!({ "intent": last.payload, "age_ms": age.as_millis() as u64 }),
            );
            return None;
        }
        Some(intent)
    }

    /// Time the propagation of the flip just made.
    pub(super) fn start_watch(&mut self, to: &str, old_ttl: u32) {
        if let Some(old) = self.watching.take() {
            old.cancel();
        }
        let start = self
            .controller
            .incident_start()
            .unwrap_or_else(Instant::now);
        let mv = crate::runtime::watch::Move {
            to,
            from: None,
            old_ttl,
            start,
            changed_at: self.last_accept,
        };
        let spec = crate::runtime::watch::spec(&self.svc, self.links.primary, &mv);
        self.journal_entry(
            "watch-start",
            &format!("watching propagation of pool {to} (old TTL {old_ttl}s)"),
            json!({ "to": to, "old_ttl": old_ttl, "expected": spec.expected }),
        );
        let cancel = self.stop.child_token();
        self.watching = Some(cancel.clone());
        let incident = self.incident_id().map(str::to_owned);
        crate::runtime::watch::spawn(spec, cancel, self.links.tx.clone(), move |o| {
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
        let msg = format!(
            "propagation {}: {} outstanding",
            outcome.end,
            outcome.outstanding.len()
        );
        info!(service = %self.svc.name, end = %outcome.end, outstanding = ?outcome.outstanding, "Propagation watch ended.");
        let e = NewEntry {
            service: &self.svc.name,
            incident: incident.as_deref(),
            kind: "watch-result",
            actor: "rtoguard",
            message: msg,
            detail: serde_json::to_value(&outcome).unwrap_or(Value::Null),
        };
        if let Err(err) = self.journal.append(e) {
            error!(service = %self.svc.name, error = %err, "Journal write failed.");
        }
        if let Some(id) = &incident
            && let Some(r) =
                crate::runtime::reports::save(&self.journal, id, &self.svc, Some(&outcome))
        {
            self.observe_phases(&r);
        }
        self.feed(Event::WatchEnded);
    }

    /// Carry out what the controller decided about the incident: journal
    /// it with its durable change, count it, tell people.
    pub(super) fn on_incident_action(&mut self, a: Action) {
        let Some(change) = a.change() else {
            return;
        };
        match &a {
            Action::IncidentOpened {
                incident,
                pool,
                health,
                detail,
            } => {
                let drill = self.controller.drill().filter(|d| d.id == incident.id);
                let json = json!({ "pool": pool, "kind": incident.kind, "drill": drill.is_some(), "simulate_fault": drill.map(|d| d.simulated_down.is_some()) });
                // An outage is the controller's own finding; a move or a
                // drill is the operator's who asked.
                let actor = match incident.kind {
                    IncidentKind::Outage => "rtoguard".to_owned(),
                    _ => self.actor.clone(),
                };
                self.journal_change("incident-start", &actor, detail, json, change.into());
                warn!(service = %self.svc.name, incident = incident.id, kind = %incident.kind, "Incident opened.");
                self.observe_incident_start(incident, pool.as_deref(), *health);
            }
            Action::IncidentClosed {
                incident,
                pool,
                took,
            } => {
                let msg = format!("pool {pool} serves and is healthy");
                let json = json!({ "pool": pool, "took_ms": took.as_millis() as u64 });
                let id = Some(incident.id.as_str());
                self.journal_change_in(id, "incident-end", "rtoguard", &msg, json, change.into());
                self.observe_recovery(&incident.id, pool, *took);
            }
            Action::RtoMissed { id, elapsed, rto } => {
                let msg = format!(
                    "RTO missed: incident open for {}s, RTO {}s",
                    elapsed.as_secs(),
                    rto.as_secs()
                );
                self.journal_change(
                    "rto-missed",
                    "rtoguard",
                    &msg,
                    json!({ "elapsed_ms": elapsed.as_millis() as u64 }),
                    change.into(),
                );
                self.observe_rto_missed(id, *elapsed, *rto);
            }
            _ => {}
        }
    }
}
