//! Drills (game days): a real planned failover, or a simulated fault of the
//! active pool (probes keep running), then a planned failback after a dwell.
//! A drill is journaled and reported like an incident, marked as a drill.

use std::time::Duration;

use serde_json::json;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::warn;

use super::{Input, ServiceTask};
use crate::control::{DrillRequest, DrillStarted, Reply};
use crate::controller::{Command, Event};

impl ServiceTask {
    pub(super) fn on_drill(
        &mut self,
        d: DrillRequest,
        actor: String,
        reply: oneshot::Sender<Reply>,
    ) {
        let Some(active) = self.controller.status().active.clone() else {
            let _ = reply.send(Reply::error(
                409,
                format!(
                    "service {} serves no single pool now; a drill needs one",
                    self.svc.name
                ),
            ));
            return;
        };
        if self.incident.is_some() || self.drill.is_some() {
            let _ = reply.send(Reply::error(
                409,
                format!(
                    "service {} is already in an incident or drill",
                    self.svc.name
                ),
            ));
            return;
        }
        let to = d.to.clone().or_else(|| {
            self.svc
                .pools
                .iter()
                .map(|p| p.name.clone())
                .find(|p| *p != active)
        });
        let Some(to) = to.filter(|t| self.svc.pool(t).is_some()) else {
            let valid = self
                .svc
                .pools
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let _ = reply.send(Reply::error(
                400,
                format!("no such pool for a drill; pools are: {valid}"),
            ));
            return;
        };
        let id = format!("drill-{}-{}", self.svc.name, crate::journal::now_ms());
        self.incident = Some(id.clone());
        self.incident_start = Some(Instant::now());
        self.actor = actor.clone();
        let mode = if d.simulate_fault {
            "simulated fault"
        } else {
            "planned failover"
        };
        self.journal_entry(
            "incident-start",
            &format!("drill ({mode}) asked by {actor}: {active} -> {to}"),
            json!({ "pool": active, "drill": true, "simulate_fault": d.simulate_fault, "to": to }),
        );
        self.links
            .metrics
            .incident_started(&self.svc.name, crate::metrics::IncidentKind::Drill);
        self.drill = Some(active.clone());
        if d.simulate_fault {
            self.simulated_down = Some(active.clone());
            warn!(service = %self.svc.name, pool = %active, "Drill: treating the active pool as down (its probes keep running).");
            self.reevaluate(Some("drill: simulated fault"));
        } else {
            self.feed(Event::Command(Command::Failover {
                to: to.clone(),
                planned: true,
                force: false,
            }));
        }
        let tx = self.links.tx.clone();
        let dwell = Duration::from_secs(d.dwell_secs);
        tokio::spawn(async move {
            tokio::time::sleep(dwell).await;
            let _ = tx.send(Input::DrillEnd).await;
        });
        let _ = reply.send(Reply::drill(DrillStarted {
            accepted: true,
            drill: id,
            from: active,
            to,
            dwell_secs: d.dwell_secs,
        }));
    }

    /// The dwell is over: lift any simulated fault and fail back (planned).
    pub(super) fn on_drill_end(&mut self) {
        let Some(home) = self.drill.take() else {
            return;
        };
        if self.simulated_down.take().is_some() {
            self.reevaluate(Some("drill: simulated fault lifted"));
        }
        self.journal_entry(
            "command",
            &format!("drill over: failing back to {home}"),
            json!({ "command": { "command": "failback", "planned": true }, "actor": "drill" }),
        );
        self.feed(Event::Command(Command::Failback { planned: true }));
    }
}
