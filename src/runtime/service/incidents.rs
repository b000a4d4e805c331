//! Incidents: taken up again at a restart, propagation watches after
//! flips, and when an incident ends.

use std::time::SystemTime;

use tokio::time::Instant;
use tracing::{error, info, warn};

use super::{Input, ServiceTask};
use crate::controller::{Action, EntryKind, Event, IncidentKind, Initiator, Intent, Voice};
use crate::journal::{Event as Journaled, Opened, Source};

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
                crate::journal::Outcome::Interrupted,
                "the controller restarted before this call's result was journaled".into(),
            );
        }
        let last = open.last()?;
        let intent = serde_json::from_value::<Intent>(last.payload.clone()).ok()?;
        if last.incident.is_none() {
            self.journal_event(Journaled::Orphaned {
                intent: intent.clone(),
            });
        }
        let age = SystemTime::now()
            .duration_since(intent.requested_at)
            .unwrap_or_default();
        if intent.by == Initiator::Operator && age > self.links.intent_max_age {
            let max = self.links.intent_max_age;
            warn!(service = %self.svc.name, age_s = age.as_secs(), max_s = max.as_secs(), "Unfinished operator flip is too old; dropped, not replayed.");
            self.journal_event(Journaled::Abandoned {
                intent,
                age_s: age.as_secs(),
                max_age_s: max.as_secs(),
            });
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
        let mv = crate::engine::watch::Move {
            to,
            // The old pool's marker: its answers count as old, not failed.
            from: self.flipped_from.as_deref(),
            old_ttl,
            start,
            changed_at: self.last_accept,
        };
        let spec = crate::engine::watch::specs(&self.svc, self.links.primary, &mv);
        self.journal_event(Journaled::WatchStart {
            to: to.to_string(),
            old_ttl,
            expected: spec.iter().flat_map(|s| s.expected.clone()).collect(),
        });
        let cancel = self.stop.child_token();
        self.watching = Some(cancel.clone());
        let incident = self.incident_id().map(str::to_owned);
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
        let event = Journaled::WatchResult {
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
                voice,
            } => {
                // An outage is the controller's own finding; a move or a
                // drill is the operator's who asked.
                let actor = match incident.kind {
                    IncidentKind::Outage => "rtoguard".to_owned(),
                    _ => self.actor.clone(),
                };
                let cause = match (incident.kind, health) {
                    (IncidentKind::Outage, Some(health)) => Opened::Health { health: *health },
                    (kind, _) => Opened::Controller {
                        kind,
                        actor: actor.clone(),
                        note: detail.clone(),
                    },
                };
                // An outage's fault window from this vantage's probes.
                let window = match (&cause, pool) {
                    (Opened::Health { .. }, Some(p)) => self.windows.of(p),
                    _ => None,
                };
                let start = Journaled::IncidentStart {
                    pool: pool.clone(),
                    cause,
                    window,
                    change: Some(change),
                };
                self.journal_event_as(&actor, start);
                warn!(service = %self.svc.name, incident = incident.id, kind = %incident.kind, speaks = voice.speaks(), "Incident opened.");
                // One voice: only the controller that speaks tells people and counts it.
                if voice.speaks() {
                    self.observe_incident_start(incident, pool.as_deref(), *health);
                }
            }
            Action::IncidentClosed {
                incident,
                pool,
                took,
                voice,
            } => {
                if !voice.speaks() {
                    self.journal_view(&incident.id, pool, voice);
                }
                let end = Journaled::IncidentEnd {
                    pool: pool.clone(),
                    change: Some(change),
                };
                self.journal_event_in(Some(&incident.id), "rtoguard", end);
                if !voice.speaks() {
                    // Another controller tells people and stores the report.
                    self.links.metrics.incident_ended(&self.svc.name);
                    return;
                }
                // One outage, one report: a flip whose watch a restart cut
                // short is reported now, from the journal.
                if let Some(r) =
                    crate::report::save_if_missing(&self.journal, &incident.id, &self.svc)
                {
                    self.observe_phases(&r);
                }
                self.observe_recovery(&incident.id, pool, *took);
            }
            Action::RtoMissed {
                id,
                elapsed,
                rto,
                voice,
            } => {
                self.journal_event_as(
                    "rtoguard",
                    Journaled::RtoMissed {
                        elapsed_s: elapsed.as_secs(),
                        rto_s: rto.as_secs(),
                        change: Some(change),
                    },
                );
                if voice.speaks() {
                    self.observe_rto_missed(id, *elapsed, *rto);
                }
            }
            _ => {}
        }
    }
}

impl ServiceTask {
    /// At the close of an incident another controller speaks for: this
    /// journal is a view of it, naming the speaker (and its incident id).
    fn journal_view(&self, id: &str, pool: &str, voice: &Voice) {
        info!(service = %self.svc.name, incident = id, speaker = voice.speaker().unwrap_or("unknown"), "Incident closed as a view: another controller speaks for it.");
        let view = Journaled::Decision {
            decision: EntryKind::View,
            pool: Some(pool.to_owned()),
            reason: None,
            note: voice.to_string(),
            change: None,
        };
        self.journal_event_in(Some(id), "rtoguard", view);
    }
}
