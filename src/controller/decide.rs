//! The automatic rules: what the controller wants next, and when.

use tokio::time::Instant;

use super::action::{AlertLevel, EntryKind, TtlReason, alert, entry};
use super::command::refuse;
use super::damping::Gate;
use super::event::IntentKind;
use super::state::{Halt, Move, Phase, Resume};
use super::vocab::{Initiator, PoolHealth, Reason};
use super::{Action, Controller, FailbackMode};

/// One automatic decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    Failover(String),
    Failback(String),
    Halt,
    NoTarget,
    NoSingleActive,
    LowerTtl,
    RiskTtl,
    RestoreTtl,
    FinishIntent(String),
    AbandonIntent(String),
    /// Resume an unfinished gradual failback step (false) or roll it back (true).
    ResumeGradual(bool),
}

/// The earlier of two wants; the first wins a tie.
fn earliest(a: Option<(Instant, Want)>, b: Option<(Instant, Want)>) -> Option<(Instant, Want)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

impl Controller {
    /// Runs everything that is due at `now`: backoffs and drains that ended,
    /// a queued command, automatic decisions. Each step changes the state,
    /// so the loop ends; the bound is a guard.
    pub(super) fn settle(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.end_drill_if_due(now, out);
        for _ in 0..8 {
            if !self.step(now, out) {
                return;
            }
        }
        tracing::warn!("Controller did not settle in eight steps; waiting for the next event.");
    }

    fn step(&mut self, now: Instant, out: &mut Vec<Action>) -> bool {
        if self.view.is_none() {
            return false;
        }
        match &self.phase {
            Phase::Backoff { until, .. } if *until <= now => {
                self.resume(now, out);
                return true;
            }
            Phase::Draining { until, .. } if *until <= now || self.leaving_down() => {
                if let Phase::Draining { mv, .. } = std::mem::take(&mut self.phase) {
                    self.finish_drain(now, mv, out);
                }
                return true;
            }
            Phase::WriterWait { until } if *until <= now => {
                // Decided afresh below: the wait is over, the write (if
                // still wanted) goes out at once.
                self.phase = Phase::Idle;
            }
            Phase::Idle => {}
            // A step holds: the next step or a rollback is decided on
            // health and time; a queued command supersedes it.
            Phase::Gradual(s) if s.writing.is_none() => {
                if self.queued.is_none() {
                    return self.observe_gradual(now, out);
                }
                self.supersede_gradual(out);
            }
            // A peer's newer decision does not wait out the writer delay:
            // adopted now, and the write decided afresh after it.
            Phase::WriterWait { .. } if self.adoption_due() => self.phase = Phase::Idle,
            _ => return false,
        }
        if self.stale {
            return self.reread_first(out);
        }
        if let Some(command) = self.queued.take() {
            self.run_command(now, command, out);
            return true;
        }
        if self.adoption_due() {
            self.adopt(out);
            return true;
        }
        match self.want(now) {
            Some((at, want)) if at <= now => {
                self.execute(now, want, out);
                true
            }
            _ => false,
        }
    }

    /// A doubtful view is re-read before anything else; when the provider
    /// cannot be read (halted), a waiting command is refused.
    fn reread_first(&mut self, out: &mut Vec<Action>) -> bool {
        if self.halted.is_none() {
            out.push(Action::Reread);
            self.phase = Phase::Rereading { mv: None };
            return true;
        }
        if let Some(command) = self.queued.take() {
            let message = "the provider's state could not be read; try again".to_owned();
            refuse(command, message, out);
        }
        false
    }

    fn leaving_down(&self) -> bool {
        self.active()
            .is_some_and(|a| self.health(a) == PoolHealth::Down)
    }

    fn resume(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Phase::Backoff { resume, .. } = std::mem::take(&mut self.phase) else {
            return;
        };
        match resume {
            Resume::Evaluate => {}
            Resume::Move(mv) => self.retry_move(now, mv, out),
            Resume::Reread(mv) => {
                out.push(Action::Reread);
                self.phase = Phase::Rereading { mv };
            }
        }
    }

    /// What automation wants next and from when; `None` when it waits for
    /// an event, is pinned or halted, or a move is under way.
    pub(super) fn want(&self, now: Instant) -> Option<(Instant, Want)> {
        let view = self.view.as_ref()?;
        if self.phase != Phase::Idle || self.stale || self.pinned() || self.halted.is_some() {
            return None;
        }
        if self.pending_intent.is_some() {
            return self.want_intent(now);
        }
        let Some(active) = view.active.as_deref() else {
            return (!self.raised.no_single_active).then_some((now, Want::NoSingleActive));
        };
        match self.health(active) {
            PoolHealth::Unknown => None,
            PoolHealth::Down => self.want_failover(now, active),
            PoolHealth::Suspect => {
                let lower = (view.ttl > self.policy.lowered_ttl()).then_some((now, Want::LowerTtl));
                earliest(self.want_failback(now, active), lower)
            }
            PoolHealth::Up if self.at_risk() => {
                let lower = (view.ttl > self.policy.lowered_ttl()).then_some((now, Want::RiskTtl));
                earliest(self.want_failback(now, active), lower)
            }
            PoolHealth::Up => earliest(self.want_failback(now, active), self.want_restore(active)),
        }
    }

    fn want_failover(&self, now: Instant, active: &str) -> Option<(Instant, Want)> {
        let target = self.pools.iter().find(|p| {
            self.health(&p.name) == PoolHealth::Up && p.name != active && !self.evacuated(&p.name)
        });
        let Some(target) = target else {
            return (!self.raised.no_target).then_some((now, Want::NoTarget));
        };
        let want = Want::Failover(target.name.clone());
        match self.damping.gate(now, &self.policy) {
            Gate::Open => Some((now, want)),
            Gate::HoldUntil(end) => Some((end, want)),
            Gate::Capped => Some((now, Want::Halt)),
        }
    }

    fn want_failback(&self, now: Instant, active: &str) -> Option<(Instant, Want)> {
        if self.policy.failback_mode != FailbackMode::Auto {
            return None;
        }
        let preferred = self
            .pools
            .first()
            .filter(|p| p.name != active && !self.evacuated(&p.name))?;
        if self.health(&preferred.name) != PoolHealth::Up {
            return None;
        }
        let due = (preferred.up_since? + self.policy.stable_for).max(now);
        match self.damping.gate(due, &self.policy) {
            Gate::Open => Some((due, Want::Failback(preferred.name.clone()))),
            Gate::HoldUntil(end) => Some((end, Want::Failback(preferred.name.clone()))),
            Gate::Capped => Some((due, Want::Halt)),
        }
    }

    fn want_restore(&self, active: &str) -> Option<(Instant, Want)> {
        if self.ttl() == self.policy.normal_ttl() {
            return None;
        }
        let quiet_from = match (self.up_since(active), self.last_change) {
            (Some(up), Some(change)) => up.max(change),
            (up, change) => up.or(change)?,
        };
        Some((quiet_from + self.policy.restore_after, Want::RestoreTtl))
    }

    fn want_intent(&self, now: Instant) -> Option<(Instant, Want)> {
        let intent = self.pending_intent.as_ref()?;
        if let IntentKind::Weigh { from, to, weight } = &intent.kind {
            let roll_back = self.weigh_intent_due(from, to, *weight)?;
            return Some((now, Want::ResumeGradual(roll_back)));
        }
        let IntentKind::Flip { to, .. } = &intent.kind else {
            return Some((now, Want::AbandonIntent("not a flip".into())));
        };
        let active = self.active();
        if active == Some(to.as_str()) {
            return Some((now, Want::AbandonIntent(format!("{to} is already active"))));
        }
        let target = self.health(to);
        let leaving = active.map(|a| self.health(a));
        if target == PoolHealth::Unknown || leaving == Some(PoolHealth::Unknown) {
            return None;
        }
        // An operator's flip stands while its target is healthy; an
        // automatic one only while the active pool is still down.
        let operator = intent.by == Initiator::Operator;
        if target == PoolHealth::Up && (operator || leaving.is_none_or(|h| h == PoolHealth::Down)) {
            return Some((now, Want::FinishIntent(to.clone())));
        }
        let why = match leaving {
            Some(h) => format!("{to} is {target} and the active pool is {h}; deciding afresh"),
            None => format!("{to} is {target}; deciding afresh"),
        };
        Some((now, Want::AbandonIntent(why)))
    }

    fn execute(&mut self, now: Instant, want: Want, out: &mut Vec<Action>) {
        match want {
            Want::Failover(to) => {
                let mv = automatic_move(to, Reason::ActiveDown, false);
                self.issue_flip(mv, out);
            }
            Want::Failback(to) => {
                self.start_move(now, automatic_move(to, Reason::Failback, true), out)
            }
            Want::Halt => self.halt(Halt::FlipCap, out),
            Want::NoTarget => self.raise_no_target(out),
            Want::NoSingleActive => {
                self.raised.no_single_active = true;
                let msg = "provider serves no single pool: not moving automatically";
                out.push(entry(EntryKind::NoHealthyPool, None, None, msg));
                out.push(alert(AlertLevel::Critical, msg));
            }
            Want::LowerTtl => {
                let ttl = self.policy.lowered_ttl();
                self.request_ttl(ttl, TtlReason::Suspect, None, out);
            }
            Want::RiskTtl => {
                let ttl = self.policy.lowered_ttl();
                self.request_ttl(ttl, TtlReason::Risk, None, out);
            }
            Want::RestoreTtl => {
                let ttl = self.policy.normal_ttl();
                self.request_ttl(ttl, TtlReason::Restore, None, out);
            }
            Want::FinishIntent(to) => {
                let by = self
                    .pending_intent
                    .take()
                    .map_or(Initiator::Automation, |i| i.by);
                let detail = "finishing the flip left unfinished by a restart";
                out.push(entry(
                    EntryKind::Reconciled,
                    Some(&to),
                    Some(Reason::Reconcile),
                    detail,
                ));
                let mut mv = automatic_move(to, Reason::Reconcile, false);
                mv.by = by;
                self.issue_flip(mv, out);
            }
            Want::ResumeGradual(roll_back) => self.resume_gradual(now, roll_back, out),
            Want::AbandonIntent(why) => {
                let intent = self.pending_intent.take();
                let pool = intent.as_ref().and_then(|i| match &i.kind {
                    IntentKind::Flip { to, .. } | IntentKind::Weigh { to, .. } => Some(to.as_str()),
                    IntentKind::SetTtl { .. } => None,
                });
                out.push(entry(
                    EntryKind::Abandoned,
                    pool,
                    Some(Reason::Reconcile),
                    why,
                ));
            }
        }
    }

    fn raise_no_target(&mut self, out: &mut Vec<Action>) {
        self.raised.no_target = true;
        let active = self.active().unwrap_or("none").to_owned();
        tracing::error!(active, "No healthy pool: keeping records as they are.");
        let msg =
            format!("no healthy pool: keeping records as they are (active pool {active} is down)");
        out.push(entry(
            EntryKind::NoHealthyPool,
            Some(&active),
            Some(Reason::ActiveDown),
            &msg,
        ));
        out.push(alert(AlertLevel::Critical, msg));
    }
}

fn automatic_move(to: String, reason: Reason, planned: bool) -> Move {
    Move {
        to,
        reason,
        by: Initiator::Automation,
        planned,
        force: false,
    }
}
