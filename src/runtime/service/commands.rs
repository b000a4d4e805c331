//! Operator commands reaching a service through the control socket, and dry runs.

use serde_json::json;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::ServiceTask;
use crate::control::Reply;
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
        if self.incident.is_none()
            && matches!(command, Command::Failover { .. } | Command::Failback { .. })
        {
            self.incident = Some(format!("{}-{}", self.svc.name, crate::journal::now_ms()));
            self.incident_start = Some(Instant::now());
        }
        self.actor = actor.clone();
        self.journal_entry(
            "command",
            &format!("{actor} asked: {command}"),
            json!({ "command": command, "actor": actor }),
        );
        let actions = self
            .controller
            .handle(Instant::now(), Event::Command(command));
        let refused = actions.iter().find_map(|a| match a {
            Action::Refused { message, .. } => Some(message.clone()),
            _ => None,
        });
        let summary: Vec<String> = actions
            .iter()
            .filter(|a| !matches!(a, Action::Journal(_)))
            .map(|a| format!("{a:?}"))
            .collect();
        self.run_actions(actions);
        let _ = reply.send(match refused {
            Some(m) => Reply::error(409, m),
            None => Reply {
                status: 202,
                body: json!({ "accepted": true, "service": self.svc.name, "actions": summary }),
            },
        });
    }

    pub(super) fn dry_run(&self, to: String, planned: bool, reply: oneshot::Sender<Reply>) {
        let (svc, provider) = (self.svc.clone(), self.provider.clone());
        tokio::spawn(async move {
            let r = match provider {
                Err(e) => Reply::error(503, e),
                Ok(p) => match p.read(&svc.zone, &svc.record, svc.rtype).await {
                    Err(e) => Reply::error(502, e.to_string()),
                    Ok(cur) => match crate::plan::build(
                        crate::plan::Request {
                            service: &svc,
                            to: &to,
                            planned,
                        },
                        &p.capabilities(),
                        &cur,
                    ) {
                        Ok(plan) => Reply::ok(
                            json!({ "dry_run": true, "text": plan.to_string(), "plan": plan }),
                        ),
                        Err(e) => Reply::error(400, e.to_string()),
                    },
                },
            };
            let _ = reply.send(r);
        });
    }
}
