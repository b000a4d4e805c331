//! Operator commands reaching a service through the control socket, and dry runs.

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::ServiceTask;
use crate::control::{Accepted, DryRun, Reply};
use crate::controller::{Action, Command, Event};

impl ServiceTask {
    pub(super) fn on_command(
        &mut self,
        command: Command,
        actor: String,
        reply: oneshot::Sender<Reply>,
    ) {
        if !self.started {
            let _ = reply.send(Reply::error(
                503,
                format!(
                    "service {} cannot act: its provider has not been read yet ({})",
                    self.svc.name,
                    self.provider_error()
                ),
            ));
            return;
        }
        self.actor = actor.clone();
        self.journal_event(crate::journal::Event::Command {
            actor: actor.clone(),
            command: command.clone(),
        });
        let actions = self
            .controller
            .handle(Instant::now(), Event::Command(command));
        let refused = actions.iter().find_map(|a| match a {
            Action::Refused { message, .. } => Some(message.clone()),
            _ => None,
        });
        let accepted = Accepted::new(&self.svc.name, &actions);
        self.run_actions(actions);
        let _ = reply.send(match refused {
            Some(m) => Reply::error(409, m),
            None => Reply::accepted(accepted),
        });
    }

    /// What the real command would do: a clone of the controller takes it
    /// (so a refusal, e.g. an unhealthy target, is the real one), then the
    /// plan for the move it accepts is built from what the provider serves.
    pub(super) fn dry_run(&self, command: Command, reply: oneshot::Sender<Reply>) {
        if !self.started {
            let msg = format!(
                "service {} cannot act: its provider has not been read yet ({})",
                self.svc.name,
                self.provider_error()
            );
            let _ = reply.send(Reply::error(503, msg));
            return;
        }
        let mut clone = self.controller.clone();
        let actions = clone.handle(Instant::now(), Event::Command(command.clone()));
        if let Some(m) = actions.iter().find_map(|a| match a {
            Action::Refused { message, .. } => Some(message.clone()),
            _ => None,
        }) {
            let _ = reply.send(Reply::error(
                409,
                format!("dry run: the command would be refused: {m}"),
            ));
            return;
        }
        let (to, planned) = match command {
            Command::Failover { to, planned, .. } => (to, planned),
            Command::Failback { planned } => (self.svc.pools[0].name.clone(), planned),
            Command::Pin { .. }
            | Command::Unpin { .. }
            | Command::Drill { .. }
            | Command::Evacuate { .. }
            | Command::EndEvacuation { .. } => (String::new(), false),
            Command::Risk { .. } | Command::RiskEnd { .. } => (String::new(), false),
        };
        let gradual = actions.iter().any(|a| matches!(a, Action::Weigh { .. }));
        let (svc, provider) = (self.svc.clone(), self.provider.clone());
        tokio::spawn(async move {
            let mut answer = plan_reply(&svc, provider, &to, planned).await;
            if let (true, crate::control::ReplyBody::DryRun(d)) = (gradual, &mut answer.body) {
                d.text.push_str(&gradual_note(&svc));
            }
            let _ = reply.send(answer);
        });
    }
}

/// How a gradual failback replaces the plan's flip.
fn gradual_note(svc: &crate::config::Service) -> String {
    let steps: Vec<String> = svc
        .failback
        .steps
        .iter()
        .map(|s| format!("{s} %"))
        .collect();
    format!(
        "instead of one flip, the weight moves to {} in steps of {}, each held {} while it stays up (rolled back if it does not)\n",
        svc.pools[0].name,
        steps.join(", "),
        humantime::format_duration(svc.failback.step_hold)
    )
}

/// The plan the provider's state gives for moving `svc` to `to`.
async fn plan_reply(
    svc: &crate::config::Service,
    provider: Result<std::sync::Arc<dyn rtoguard_provider_api::Provider>, String>,
    to: &str,
    planned: bool,
) -> Reply {
    let p = match provider {
        Err(e) => return Reply::error(503, e),
        Ok(p) => p,
    };
    let cur = match crate::engine::read(svc, &p).await {
        Err(e) => return Reply::error(502, e.to_string()),
        Ok(c) => c,
    };
    let req = crate::plan::Request {
        service: svc,
        to,
        planned,
    };
    match crate::plan::build(req, &p.capabilities(), &cur) {
        Ok(plan) => Reply::dry_run(DryRun {
            dry_run: true,
            text: plan.to_string(),
            plan: serde_json::to_value(&plan).unwrap_or_default(),
        }),
        Err(e) => Reply::error(400, e.to_string()),
    }
}

impl ServiceTask {
    /// Keeps `evacuation_end_timestamp_seconds` in step with the journaled change.
    pub(super) fn meter_evacuation(&self, change: Option<&crate::controller::Change>) {
        use crate::controller::Change;
        let metrics = &self.links.metrics;
        match change {
            Some(Change::EvacuationStarted { evacuation: e }) => {
                metrics.evacuation_started(&self.svc.name, &e.region, e.until)
            }
            Some(Change::EvacuationEnded { region, .. }) => {
                metrics.evacuation_ended(&self.svc.name, region)
            }
            _ => {}
        }
    }
}
