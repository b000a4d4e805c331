//! Drills (game days) in the core: a planned failover or a simulated fault
//! of the active pool, a dwell that ends at a wall-clock deadline, then a
//! planned failback to the pool the drill left (or the drill is aborted,
//! with why, when that pool is not up).
//!
//! The dwell's end is a [`Controller::next_deadline`] entry, so a restart
//! during the dwell fails back at the deadline (at once if it passed). A
//! simulated fault is lifted at the deadline first; the failback is decided
//! at the next event, once the runtime re-judged the pool's real health.

use std::time::Duration;

use tokio::time::Instant;

use super::action::{AlertLevel, EntryKind, alert, durable_entry};
use super::command::refuse;
use super::durable::{Change, Drill, MAX_DWELL};
use super::event::Command;
use super::vocab::PoolHealth;
use super::{Action, Controller};

impl Controller {
    /// Starts a drill: `to` is the planned target (ignored for a simulated
    /// fault, where automation picks the target as for a real one).
    pub(super) fn start_drill(&mut self, now: Instant, command: Command, out: &mut Vec<Action>) {
        let Command::Drill {
            id,
            to,
            simulate_fault,
            dwell_secs,
        } = &command
        else {
            return;
        };
        let (id, to, simulate_fault) = (id.clone(), to.clone(), *simulate_fault);
        let dwell = Duration::from_secs(*dwell_secs);
        let Some(anchor) = self.anchor else {
            return refuse(command, "the service has not started yet".into(), out);
        };
        let Some(home) = self.active().map(str::to_owned) else {
            let why = "the service serves no single pool now; a drill needs one";
            return refuse(command, why.into(), out);
        };
        if dwell > MAX_DWELL {
            let why = format!(
                "a dwell lasts at most {}",
                humantime::format_duration(MAX_DWELL)
            );
            return refuse(command, why, out);
        }
        if let Some(d) = &self.drill {
            let why = format!("drill {} is already under way", d.id);
            return refuse(command, why, out);
        }
        if let Some(i) = self.incident() {
            let why = format!("incident {} is under way", i.id);
            return refuse(command, why, out);
        }
        if !simulate_fault {
            let health = self.health(&to);
            if !self.policy.has_pool(&to) || to == home || health != PoolHealth::Up {
                let why = format!("pool {to} cannot take a drill now (it is {health})");
                return refuse(command, why, out);
            }
        }
        // A planned drill first drains the TTL in force (as a planned
        // failover does): the dwell counts from after that drain, so the
        // drill never ends before its own move away has landed.
        let drain = match simulate_fault {
            false if self.ttl() > self.policy.lowered_ttl() => {
                Duration::from_secs(u64::from(self.ttl()))
            }
            _ => Duration::ZERO,
        };
        let drill = Drill {
            id,
            home: home.clone(),
            simulated_down: simulate_fault.then(|| home.clone()),
            dwell_until: anchor.wall(now + drain + dwell),
        };
        let mode = if simulate_fault {
            format!("simulated fault of {home}")
        } else {
            format!("planned failover to {to}")
        };
        let secs = dwell.as_secs();
        let drained = match drain.as_secs() {
            0 => String::new(),
            d => format!(" (after draining the {d}s TTL)"),
        };
        let detail = format!(
            "drill {}: {mode}, back to {home} {secs}s after the move{drained}",
            drill.id
        );
        tracing::info!(drill = drill.id, home, "Drill started.");
        self.open_drill(now, &drill.id, detail.clone(), out);
        let change = Change::DrillStarted {
            drill: drill.clone(),
        };
        out.push(durable_entry(EntryKind::DrillStarted, detail, change));
        self.drill = Some(drill);
        if !simulate_fault {
            let go = Command::Failover {
                to,
                planned: true,
                force: false,
            };
            self.accept_move(now, go, out);
        }
    }

    /// The pool a drill treats as down whatever its probes say.
    pub fn simulated_down(&self) -> Option<&str> {
        self.drill.as_ref()?.simulated_down.as_deref()
    }

    /// The drill under way, if any.
    pub fn drill(&self) -> Option<&Drill> {
        self.drill.as_ref()
    }

    /// When the dwell ends; `None` while that passed and the pool to come
    /// back to has no known health yet (its health arriving decides).
    pub(super) fn drill_deadline(&self) -> Option<Instant> {
        let d = self.drill.as_ref()?;
        let at = self.anchor?.deadline(d.dwell_until)?;
        let waiting = self.now.is_some_and(|now| at <= now)
            && d.simulated_down.is_none()
            && self.health(&d.home) == PoolHealth::Unknown;
        (!waiting).then_some(at)
    }

    /// Ends the dwell when it is over: lift a simulated fault (and decide
    /// at the next event), else fail back or abort.
    pub(super) fn end_drill_if_due(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.view.is_none() || self.drill_deadline().is_none_or(|at| at > now) {
            return;
        }
        let Some(d) = self.drill.as_mut() else {
            return;
        };
        if let Some(pool) = d.simulated_down.take() {
            let detail = format!(
                "drill {}: dwell over, simulated fault of {pool} lifted",
                d.id
            );
            tracing::info!(drill = d.id, pool, "Drill: simulated fault lifted.");
            let change = Change::DrillFaultLifted;
            out.push(durable_entry(EntryKind::DrillEnded, detail, change));
            return;
        }
        let home = d.home.clone();
        let id = d.id.clone();
        if self.active() == Some(home.as_str()) {
            return self.finish_drill(&id, false, format!("{home} is active again"), out);
        }
        let health = self.health(&home);
        if health != PoolHealth::Up {
            let why = format!("{home} is {health}; not failing back");
            out.push(alert(
                AlertLevel::Warning,
                format!("drill {id} aborted: {why}"),
            ));
            return self.finish_drill(&id, true, why, out);
        }
        self.finish_drill(
            &id,
            false,
            format!("dwell over: failing back to {home}"),
            out,
        );
        let back = Command::Failover {
            to: home,
            planned: true,
            force: false,
        };
        self.queue_or_run(now, back, out);
    }

    fn finish_drill(&mut self, id: &str, aborted: bool, reason: String, out: &mut Vec<Action>) {
        self.drill = None;
        let word = if aborted { "aborted" } else { "ended" };
        tracing::info!(drill = id, reason, "Drill {word}.");
        let detail = format!("drill {id} {word}: {reason}");
        let change = Change::DrillEnded { aborted, reason };
        out.push(durable_entry(EntryKind::DrillEnded, detail, change));
    }
}
