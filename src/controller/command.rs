//! Operator commands: failover, failback, pin, unpin, drills and risk windows.

use tokio::time::Instant;

use super::action::{EntryKind, entry};
use super::event::Command;
use super::state::{Move, Phase};
use super::vocab::{Initiator, PoolHealth, Reason};
use super::{Action, Controller};

impl Controller {
    /// Pin and unpin act at once; moves run now, replace a drain under way,
    /// or wait for the outstanding provider call (the latest command wins).
    /// `Unpin` and an accepted failover or failback lift a halt.
    pub(super) fn on_command(&mut self, now: Instant, command: Command, out: &mut Vec<Action>) {
        match command {
            Command::Pin { by, reason, until } => self.pin(now, by, reason, until, out),
            Command::Unpin { by } => self.unpin(by, out),
            Command::Drill { .. } => self.start_drill(now, command, out),
            Command::Evacuate { .. } => self.evacuate(now, command, out),
            Command::EndEvacuation { .. } => self.end_evacuation(command, out),
            Command::Risk { by, reason, until } => self.open_risk(now, by, reason, until, out),
            Command::RiskEnd { by } => self.end_risk(by, out),
            Command::Failover { .. } | Command::Failback { .. } => {
                if let Err(message) = self.check_target(&command) {
                    return refuse(command, message, out);
                }
                self.accept_move(now, command, out);
            }
        }
    }

    pub(super) fn accept_move(&mut self, now: Instant, command: Command, out: &mut Vec<Action>) {
        self.lift_halt(out);
        self.queue_or_run(now, command, out);
    }

    /// Runs a move now, or queues it behind the provider call under way.
    /// A drill's own failback comes here directly: it was asked before any
    /// halt that came since, so it does not lift one.
    pub(super) fn queue_or_run(&mut self, now: Instant, command: Command, out: &mut Vec<Action>) {
        let busy = self.phase.awaits_provider() || matches!(self.phase, Phase::Backoff { .. });
        if self.view.is_none() || self.stale || busy {
            if let Some(old) = self.queued.replace(command) {
                let detail = format!("{old} superseded by a newer command");
                out.push(entry(EntryKind::Aborted, None, None, detail));
            }
            out.push(entry(
                EntryKind::Queued,
                None,
                None,
                "command waits for the provider call under way",
            ));
            return;
        }
        self.supersede_gradual(out);
        if let Phase::Draining { mv, .. } = std::mem::take(&mut self.phase) {
            let detail = "planned move superseded by an operator command";
            out.push(entry(
                EntryKind::Aborted,
                Some(&mv.to),
                Some(mv.reason),
                detail,
            ));
        }
        self.run_command(now, command, out);
    }

    /// Unknown pools are refused at once, naming the valid ones; so is a
    /// pool in a region being evacuated, unless forced.
    fn check_target(&self, command: &Command) -> Result<(), String> {
        let (to, force) = match command {
            Command::Failover { to, force, .. } => (to.as_str(), *force),
            Command::Failback { .. } => match self.policy.preferred() {
                Some(p) => (p, false),
                None => return Ok(()),
            },
            _ => return Ok(()),
        };
        if !self.policy.has_pool(to) {
            let valid = self.policy.pools.join(", ");
            return Err(format!("unknown pool {to:?}; valid pools: {valid}"));
        }
        match self.evacuation.as_ref().filter(|_| self.evacuated(to)) {
            Some(e) if !force => Err(format!(
                "pool {to} is in region {}, which is being evacuated ({}); end the evacuation first (force overrides)",
                e.region, e.id
            )),
            _ => Ok(()),
        }
    }

    /// Runs a move command now; the target must be `Up` unless forced.
    pub(super) fn run_command(&mut self, now: Instant, command: Command, out: &mut Vec<Action>) {
        let (to, planned, force, reason) = match &command {
            Command::Failover { to, planned, force } => {
                let reason = if *planned {
                    Reason::Planned
                } else {
                    Reason::Manual
                };
                (to.clone(), *planned, *force, reason)
            }
            Command::Failback { planned } => match self.policy.preferred() {
                Some(p) => (p.to_owned(), *planned, false, Reason::Failback),
                None => return refuse(command, "this service has no pools".into(), out),
            },
            Command::Pin { .. }
            | Command::Unpin { .. }
            | Command::Drill { .. }
            | Command::Evacuate { .. }
            | Command::EndEvacuation { .. } => return,
            Command::Risk { .. } | Command::RiskEnd { .. } => return,
        };
        if let Err(message) = self.check_target(&command) {
            return refuse(command, message, out);
        }
        if self.active() == Some(to.as_str()) {
            return refuse(
                command,
                format!("pool {to} is already active; nothing to do"),
                out,
            );
        }
        let health = self.health(&to);
        if health != PoolHealth::Up && !force {
            let message = format!("pool {to} is {health}, not up; refusing (force overrides)");
            return refuse(command, message, out);
        }
        let mv = Move {
            to,
            reason,
            by: Initiator::Operator,
            planned,
            force,
        };
        self.start_move(now, mv, out);
    }
}

pub(super) fn refuse(command: Command, message: String, out: &mut Vec<Action>) {
    tracing::warn!(%command, message, "Command refused.");
    out.push(entry(EntryKind::Refused, None, None, &message));
    out.push(Action::Refused { command, message });
}
