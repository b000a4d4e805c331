//! Risk windows reaching the services: a `POST /v1/risk` fanned out to the
//! services it names (a list, a group, or every service with a pool in a
//! region), each service's controller deciding for itself.

use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, oneshot};

use super::generation::Generation;
use super::service::Input;
use crate::config::Config;
use crate::control::{Reply, ReplyBody, RiskOutcome, RiskReply, RiskRequest};
use crate::controller::Command;

/// How long one service's answer is waited for.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// The services a risk request names, or why it names none.
pub(crate) fn targets(cfg: &Config, req: &RiskRequest) -> Result<Vec<String>, String> {
    if let Some(g) = &req.group {
        return match cfg.group(g) {
            Some(group) => Ok(group.services.clone()),
            None => {
                let valid: Vec<_> = cfg.groups.iter().map(|g| g.name.as_str()).collect();
                Err(format!("no group {g:?}; groups are: {}", valid.join(", ")))
            }
        };
    }
    if let Some(r) = &req.region {
        let named: Vec<String> = cfg
            .services
            .iter()
            .filter(|s| s.pools.iter().any(|p| &p.region == r))
            .map(|s| s.name.clone())
            .collect();
        return match named.is_empty() {
            true => Err(format!("no service has a pool in region {r:?}")),
            false => Ok(named),
        };
    }
    let unknown: Vec<_> = req
        .services
        .iter()
        .filter(|s| cfg.service(s).is_none())
        .collect();
    if let Some(s) = unknown.first() {
        let valid: Vec<_> = cfg.services.iter().map(|s| s.name.as_str()).collect();
        return Err(format!(
            "no service {s:?}; services are: {}",
            valid.join(", ")
        ));
    }
    Ok(req.services.clone())
}

/// The command a risk request gives each service, asked by `by` at `now`.
pub(crate) fn command(req: &RiskRequest, by: &str, now: SystemTime) -> Command {
    if req.end {
        return Command::RiskEnd { by: by.to_owned() };
    }
    let length = Duration::from_secs(req.for_secs.unwrap_or_default());
    Command::Risk {
        by: by.to_owned(),
        reason: req.reason.clone().unwrap_or_default(),
        // Bounded by the parser (seven days).
        until: now.checked_add(length).unwrap_or(now),
    }
}

impl Generation {
    /// `POST /v1/risk`: every named service takes the command; one answer for all.
    pub(super) fn risk(&self, req: RiskRequest, actor: String, reply: oneshot::Sender<Reply>) {
        let names = match targets(&self.cfg, &req) {
            Ok(n) => n,
            Err(why) => {
                let _ = reply.send(Reply::error(404, why));
                return;
            }
        };
        let command = command(&req, &actor, SystemTime::now());
        let txs = self.senders(&names);
        let verb = if req.end { "end" } else { "open" };
        tokio::spawn(async move {
            let outcomes = fan_out(txs, command, actor).await;
            let _ = reply.send(answer(verb, outcomes));
        });
    }

    /// Each named service's input.
    pub(super) fn senders(&self, names: &[String]) -> Vec<(String, Option<mpsc::Sender<Input>>)> {
        names
            .iter()
            .map(|n| (n.clone(), self.services.get(n).map(|u| u.tx.clone())))
            .collect()
    }
}

/// Hands `command` to every service and collects what each answered.
pub(super) async fn fan_out(
    txs: Vec<(String, Option<mpsc::Sender<Input>>)>,
    command: Command,
    actor: String,
) -> Vec<RiskOutcome> {
    let mut asks = tokio::task::JoinSet::new();
    for (i, (service, tx)) in txs.into_iter().enumerate() {
        let (command, actor) = (command.clone(), actor.clone());
        asks.spawn(async move {
            let ask = async {
                let (rtx, rrx) = oneshot::channel();
                let input = Input::Command {
                    command,
                    actor,
                    reply: rtx,
                };
                tx?.send(input).await.ok()?;
                rrx.await.ok()
            };
            let answer = tokio::time::timeout(ANSWER_WAIT, ask).await.ok().flatten();
            (i, outcome(service, answer))
        });
    }
    let mut out: Vec<_> = asks.join_all().await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, o)| o).collect()
}

fn outcome(service: String, answer: Option<Reply>) -> RiskOutcome {
    let (accepted, actions) = match answer.map(|r| r.body) {
        Some(ReplyBody::Accepted(a)) => (true, a.actions),
        Some(ReplyBody::Error(e)) => (false, vec![e.error]),
        Some(_) | None => (false, vec!["the service did not answer".to_owned()]),
    };
    RiskOutcome {
        service,
        accepted,
        actions,
    }
}

/// 202 with each service's outcome, or 409 naming why each refused.
fn answer(verb: &str, services: Vec<RiskOutcome>) -> Reply {
    if services.iter().all(|s| !s.accepted) {
        let why: Vec<_> = services
            .iter()
            .map(|s| format!("{}: {}", s.service, s.actions.join("; ")))
            .collect();
        return Reply::error(409, why.join("\n"));
    }
    Reply::risk(RiskReply {
        accepted: services.iter().all(|s| s.accepted),
        risk: verb.to_owned(),
        services,
    })
}
