//! Propagation watches after flips, and when an incident ends.

use serde_json::{Value, json};
use tokio::time::Instant;
use tracing::{error, info};

use super::{Input, ServiceTask};
use crate::journal::NewEntry;

impl ServiceTask {
    /// Time the propagation of the flip just made.
    pub(super) fn start_watch(&mut self, to: &str, old_ttl: u32) {
        if let Some(old) = self.watching.take() {
            old.cancel();
        }
        let start = self.incident_start.unwrap_or_else(Instant::now);
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
        let incident = self.incident.clone();
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
            self.journal_entry(
                "incident-end",
                &format!("pool {active} serves and is healthy"),
                json!({ "pool": active }),
            );
            let took = self.incident_start.map(|s| s.elapsed()).unwrap_or_default();
            self.observe_recovery(self.incident.as_deref().unwrap_or_default(), &active, took);
            self.rto_missed_sent = false;
            self.incident = None;
            self.incident_start = None;
        }
    }
}
