//! Provider calls: who asked, the writer rule, and what each result changes.

use std::time::{Duration, SystemTime};

use serde_json::json;
use tokio::time::Instant;
use tracing::{error, warn};

use super::{Inflight, ServiceTask};
use crate::controller::{Action, Event, ProviderOp};
use crate::runtime::exec::{self, Done};

impl ServiceTask {
    pub(super) fn call_provider(&mut self, a: Action) {
        let Ok(p) = self.provider.clone() else {
            let what = crate::journal::ProviderCall::of(&a);
            warn!(service = %self.svc.name, call = %what, "No provider: cannot carry out the call.");
            return;
        };
        if self.inflight.is_some() {
            let what = crate::journal::ProviderCall::of(&a);
            warn!(service = %self.svc.name, call = %what, "A provider call is already in flight; the controller should not ask for two.");
            return;
        }
        let actor = self.actor_of(&a);
        let Ok(intent) = self.journal_intent(&a, &actor) else {
            return;
        };
        let svc = self.svc.clone();
        let what = crate::journal::ProviderCall::of(&a).to_string();
        let action_copy = a.clone();
        // The controller decided how long another controller may write first.
        let not_before = match &a {
            Action::Flip { not_before, .. }
            | Action::SetTtl { not_before, .. }
            | Action::Weigh { not_before, .. } => *not_before,
            _ => None,
        };
        let handle = tokio::spawn(async move {
            if let Some(at) = not_before {
                tokio::time::sleep_until(at).await;
            }
            match a {
                Action::SetTtl { ttl, .. } => exec::set_ttl(&svc, &p, ttl).await,
                // An adoption is the same write as a flip, through the same engine.
                Action::Flip { from, to, ttl, .. } => {
                    exec::flip(&svc, &p, from.as_deref(), &to, ttl, false).await
                }
                Action::Adopt { from, to, ttl, .. } => {
                    exec::flip(&svc, &p, from.as_deref(), &to, ttl, true).await
                }
                Action::Weigh {
                    weights,
                    expect,
                    ttl,
                    ..
                } => exec::weigh(&svc, &p, &weights, expect.as_ref(), ttl).await,
                Action::Reread
                | Action::Journal(_)
                | Action::Alert { .. }
                | Action::Refused { .. }
                | Action::StartWatch { .. }
                | Action::IncidentOpened { .. }
                | Action::IncidentClosed { .. }
                | Action::Speaks { .. }
                | Action::ShareRisk(_)
                | Action::RtoMissed { .. } => exec::reread(&svc, &p).await,
            }
        });
        self.inflight = Some(Inflight {
            handle,
            action: action_copy,
            intent,
            what,
            actor,
        });
    }

    /// Journal the intent of `a` before any provider call. When that
    /// fails the provider is not called: the failure is raised (ERROR, the
    /// status) and the controller backs off and asks again later.
    fn journal_intent(&mut self, a: &Action, actor: &str) -> Result<Option<i64>, ()> {
        use crate::engine::{IntentRecord, journal_intent};
        // A read changes nothing: no intent to journal.
        let Some(i) = a.intent(SystemTime::now()) else {
            return Ok(None);
        };
        let record = IntentRecord {
            service: &self.svc.name,
            incident: self.incident_id(),
            actor,
            intent: &i,
            behind: Some(self.vantages_behind(a)),
            records: crate::engine::records_of(&self.svc),
        };
        match journal_intent(&self.journal, record) {
            Ok(id) => {
                self.journal_fault = None;
                Ok(Some(id))
            }
            Err(e) => {
                error!(service = %self.svc.name, error = %e, "Journal write failed: not calling the provider; will retry.");
                if self.journal_fault.is_none() {
                    // Once per episode: the status keeps saying it meanwhile.
                    let incident = self.incident_id().unwrap_or_default().to_owned();
                    let event = crate::notify::Event::journal_failed(
                        &self.svc.name,
                        &incident,
                        &e.to_string(),
                    );
                    self.links.notify.send(event);
                }
                self.journal_fault = Some(e.to_string());
                let op = match a {
                    Action::SetTtl { .. } => ProviderOp::SetTtl,
                    Action::Weigh { .. } => ProviderOp::Weigh,
                    _ => ProviderOp::Flip,
                };
                self.feed(Event::ProviderFailed {
                    op,
                    retryable: true,
                    conflict: false,
                });
                Err(())
            }
        }
    }

    /// Who asked for this provider call: the operator behind the last
    /// command, or the rule that fired (`rule:active_down`, `rule:suspect`).
    pub(super) fn actor_of(&self, a: &Action) -> String {
        use crate::controller::{Initiator, TtlReason};
        let word = |v: serde_json::Value| v.as_str().map(str::to_string).unwrap_or_default();
        match a {
            Action::Flip {
                reason,
                by: Initiator::Automation,
                ..
            } => format!("rule:{}", word(json!(reason))),
            Action::Weigh {
                reason,
                by: Initiator::Automation,
                ..
            } => format!("rule:{}", word(json!(reason))),
            Action::SetTtl {
                reason: r @ (TtlReason::Suspect | TtlReason::Restore),
                ..
            } => format!("rule:{}", word(json!(r))),
            Action::Reread => "rtoguard".into(),
            Action::Adopt { writer, .. } => format!("peer:{writer}"),
            _ => self.actor.clone(),
        }
    }

    /// The vantages whose votes made the active pool's health what it is.
    pub(super) fn vantages_behind(&self, a: &Action) -> crate::journal::Behind {
        let pool = match a {
            Action::Flip { from: Some(f), .. } => f.clone(),
            _ => self.controller.status().active.unwrap_or_default(),
        };
        match self.reported.get(&pool).and_then(|r| r.1.as_ref()) {
            Some(v) => crate::journal::Behind::Quorum { tally: v.into() },
            None => crate::journal::Behind::Local {
                vantage: self.links.vantages.id.clone(),
            },
        }
    }

    pub(super) fn on_done(&mut self, done: Result<Done, tokio::task::JoinError>) {
        // Present: this branch runs only while a call is in flight.
        let fl = self.inflight.take().expect("in flight");
        match &fl.action {
            Action::Flip { from, .. } => self.flipped_from.clone_from(from),
            Action::Weigh { weights, .. } => self.flipped_from = Some(weights.from.0.clone()),
            _ => {}
        }
        let wrote = matches!(
            fl.action,
            Action::Flip { .. } | Action::Adopt { .. } | Action::Weigh { .. }
        );
        let done = done.unwrap_or_else(|e| Done {
            event: Event::ProviderFailed {
                op: crate::controller::ProviderOp::Read,
                retryable: true,
                conflict: false,
            },
            change: None,
            error: Some(rtoguard_provider_api::ProviderError::Refused(format!(
                "provider task failed: {e}"
            ))),
            timing: None,
            by_other: false,
        });
        if let Some(t) = &done.timing {
            let ago = Duration::from_millis(
                crate::journal::now_ms()
                    .saturating_sub(t.accepted_ms)
                    .max(0) as u64,
            );
            self.last_accept = Instant::now().checked_sub(ago);
        }
        use crate::journal::{Diff, Outcome, ProviderCall};
        let outcome = match (&done.error, done.by_other) {
            (Some(_), _) => Outcome::Failed,
            (None, true) => Outcome::DoneByOther,
            (None, false) => Outcome::Done,
        };
        // A change another writer made is not ours: its diff is not shown as applied.
        let ours = done.change.as_ref().filter(|_| !done.by_other);
        let t = done.timing.as_ref();
        let result = crate::journal::Event::ProviderResult {
            call: ProviderCall::of(&fl.action),
            actor: fl.actor.clone(),
            outcome,
            diff: Diff::of(ours, done.error.as_ref().map(|e| e.to_string())),
            accepted_ms: t.map(|t| t.accepted_ms),
            in_sync_ms: t.and_then(|t| t.in_sync_ms),
            seen_ms: None,
            receipt: t.and_then(|t| t.receipt.clone()),
        };
        let msg = result.to_string();
        self.journal_event(result);
        if let Some(id) = fl.intent {
            crate::engine::close_intent(&self.journal, id, outcome, msg);
        }
        let event = if done.by_other {
            // Not our write: the controller hears a lost compare-and-set,
            // re-reads, and journals the flip as done by another writer;
            // it starts no watch, so the report is the writer's alone.
            Event::ProviderFailed {
                op: ProviderOp::Flip,
                retryable: false,
                conflict: true,
            }
        } else {
            done.event
        };
        // No flip metric or webhook for a flip this controller did not
        // make; the last step of a gradual failback is counted as its flip.
        let (action, seen) = as_flip(&fl.action, &event);
        self.observe_done(&action, &seen);
        self.publish_own_write(&action, &seen);
        self.feed(event);
        if wrote {
            // The decision this controller serves now (its flip's, or the
            // one it adopted) travels to its peers at once.
            self.publish(Instant::now());
        }
    }
}

/// The last step of a gradual failback (all the weight on its target) as
/// the flip it completes, for metrics, webhooks and peers; anything else
/// as it is.
fn as_flip(a: &Action, e: &Event) -> (Action, Event) {
    match (a, e) {
        (
            Action::Weigh {
                weights,
                ttl,
                reason,
                by,
                ..
            },
            Event::Weighed { to, weight: 100 },
        ) => (
            Action::Flip {
                from: Some(weights.from.0.clone()),
                to: to.clone(),
                ttl: *ttl,
                reason: *reason,
                by: *by,
                not_before: None,
            },
            Event::Flipped { to: to.clone() },
        ),
        _ => (a.clone(), e.clone()),
    }
}
