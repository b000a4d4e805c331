//! Drills (game days) asked for through the control socket: the checks that
//! need the config, then the controller takes over (it owns the drill, its
//! incident, its dwell deadline and the failback; see `controller::drill`).
//! A drill is journaled and reported like an incident, marked as a drill.

use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::warn;

use super::ServiceTask;
use crate::control::{DrillRequest, DrillStarted, Reply};
use crate::controller::{Action, Command, Event};

impl ServiceTask {
    pub(super) fn on_drill(
        &mut self,
        d: DrillRequest,
        actor: String,
        reply: oneshot::Sender<Reply>,
    ) {
        let name = self.svc.name.clone();
        let Some(active) = self.controller.status().active.clone() else {
            let msg = format!("service {name} serves no single pool now; a drill needs one");
            let _ = reply.send(Reply::error(409, msg));
            return;
        };
        let Some(to) = self.drill_target(&d, &active) else {
            let valid: Vec<&str> = self.svc.pools.iter().map(|p| p.name.as_str()).collect();
            let msg = format!("no such pool for a drill; pools are: {}", valid.join(", "));
            let _ = reply.send(Reply::error(400, msg));
            return;
        };
        let id = format!("drill-{name}-{}", crate::journal::now_ms());
        let command = Command::Drill {
            id: id.clone(),
            to: to.clone(),
            simulate_fault: d.simulate_fault,
            dwell_secs: d.dwell_secs,
        };
        self.actor = actor.clone();
        let actions = self
            .controller
            .handle(Instant::now(), Event::Command(command));
        let refused = actions.iter().find_map(|a| match a {
            Action::Refused { message, .. } => Some(message.clone()),
            _ => None,
        });
        if let Some(message) = refused {
            self.run_actions(actions);
            let _ = reply.send(Reply::error(409, message));
            return;
        }
        self.run_actions(actions);
        if d.simulate_fault {
            warn!(service = %name, pool = %active, "Drill: treating the active pool as down (its probes keep running).");
            self.reevaluate(Some("drill: simulated fault"));
        }
        let _ = reply.send(Reply::drill(DrillStarted {
            accepted: true,
            drill: id,
            from: active,
            to,
            dwell_secs: d.dwell_secs,
        }));
    }

    /// The drill's target: the one asked for, else the next pool after the active one.
    fn drill_target(&self, d: &DrillRequest, active: &str) -> Option<String> {
        let to = d.to.clone().or_else(|| {
            self.svc
                .pools
                .iter()
                .map(|p| p.name.clone())
                .find(|p| p != active)
        });
        to.filter(|t| self.svc.pool(t).is_some())
    }
}
