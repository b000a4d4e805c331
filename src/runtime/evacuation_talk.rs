//! How an evacuation speaks to each service's task: its status, a command, the answer to the client.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::service::Input;
use crate::control::{DaemonService, EvacuationReply};
use crate::controller::Command;
use crate::controller::evacuation::EvacuationPlan;

/// One service the evacuation speaks to.
pub(super) struct Target {
    pub(super) name: String,
    pub(super) tx: mpsc::Sender<Input>,
    /// The longest its move may take before the next wave goes anyway.
    pub(super) limit: Duration,
}

pub(super) async fn status(tx: &mpsc::Sender<Input>) -> Option<DaemonService> {
    let (rtx, rrx) = oneshot::channel();
    tx.send(Input::Status { reply: rtx }).await.ok()?;
    tokio::time::timeout(Duration::from_secs(2), rrx)
        .await
        .ok()?
        .ok()
}

pub(super) async fn statuses(targets: &[Target]) -> Vec<DaemonService> {
    let mut out = Vec::new();
    for t in targets {
        out.push(
            status(&t.tx)
                .await
                .unwrap_or_else(|| DaemonService::not_answering(&t.name)),
        );
    }
    out
}

pub(super) fn answer(
    id: String,
    dry_run: bool,
    text: String,
    plan: EvacuationPlan,
) -> EvacuationReply {
    EvacuationReply {
        evacuation: id,
        dry_run,
        text,
        plan,
    }
}

/// Sends one command to one service; its refusal, if any.
pub(super) async fn command(t: &Target, command: Command, actor: &str) -> Result<(), String> {
    let (rtx, rrx) = oneshot::channel();
    let input = Input::Command {
        command,
        actor: actor.to_owned(),
        reply: rtx,
    };
    if t.tx.send(input).await.is_err() {
        return Err("the service is stopping".into());
    }
    match rrx.await {
        Ok(r) if r.status < 300 => Ok(()),
        Ok(r) => Err(match r.body {
            crate::control::ReplyBody::Error(e) => e.error,
            _ => format!("answered {}", r.status),
        }),
        Err(_) => Err("the service did not answer".into()),
    }
}
