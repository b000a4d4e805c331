//! A gradual failback in the controller: the step machine (`gradual`) started where a failback would flip, its writes sent as `Weigh`, its holds timed, its end a flip's.
//!
//! ```text
//! issue_flip (a failback, failback.steps set) --> Gradual (write step 1)
//! Gradual --Weighed--> holding step k (until step_hold is over)
//!         --hold over, target Up--> write step k + 1
//!         --target not Up--> roll back (all weight on the pool left)
//!         --last step Weighed--> Idle, as a flip: journaled, watched, reported
//!         --rollback Weighed--> Idle (alert)
//!         --write failed--> stopped, then as a failed flip (re-read or back off)
//!         --operator command--> stopped; a partial weighting is no single pool
//! Started with an unfinished or held step (`stepping_restart`) --> wait
//!         for health, then resume at that step (target Up) or roll back
//! ```

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::action::{AlertLevel, Entry, EntryKind, alert};
use super::durable::{Change, GradualHeld};
use super::gradual::{Gradual, GradualEvent, Outcome, Output};
use super::state::{Move, Phase, Stepping};
use super::vocab::Reason;
use super::{Action, Controller};

/// Where a gradual failback stands, for `status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradualStatus {
    pub from: String,
    pub to: String,
    /// 1-based.
    pub step: usize,
    pub of: usize,
    /// Percent of the weight on `to` at this step.
    pub weight: u8,
    /// Seconds until the next step, while this one holds.
    pub next_step_in_secs: Option<u64>,
}

impl Controller {
    /// Whether the move `mv` away from `from` goes step by step: a
    /// failback on a service with `failback.steps`, from a single pool.
    pub(super) fn goes_gradually(&self, mv: &Move, from: Option<&str>) -> bool {
        mv.reason == Reason::Failback
            && !self.policy.steps.is_empty()
            && from.is_some_and(|f| f != mv.to)
    }

    /// Starts a gradual failback of `mv` from `from`: the first step's write.
    pub(super) fn start_gradual(
        &mut self,
        now: Instant,
        mv: Move,
        from: String,
        (old_ttl, ttl): (u32, u32),
        not_before: Option<Instant>,
        out: &mut Vec<Action>,
    ) {
        tracing::info!(from, to = mv.to, steps = ?self.policy.steps, "Failing back gradually.");
        let mut o = Vec::new();
        let g = Gradual::start(
            &from,
            &mv.to,
            &self.policy.steps,
            self.policy.step_hold,
            &mut o,
        );
        let s = Stepping {
            g,
            mv,
            from,
            served: None,
            writing: None,
            old_ttl,
            ttl,
        };
        self.run_gradual(now, Box::new(s), o, not_before, out);
    }

    /// Carries out what the machine asked for, then keeps the phase or ends it.
    pub(super) fn run_gradual(
        &mut self,
        now: Instant,
        mut s: Box<Stepping>,
        outputs: Vec<Output>,
        not_before: Option<Instant>,
        out: &mut Vec<Action>,
    ) {
        for o in outputs {
            match o {
                Output::Journal(ev) => out.push(journal(&s, &ev)),
                Output::Write(w) => {
                    out.push(Action::Weigh {
                        weights: w.clone(),
                        expect: s.served.clone(),
                        ttl: s.ttl,
                        reason: s.mv.reason,
                        by: s.mv.by,
                        not_before,
                    });
                    s.writing = Some(w);
                }
            }
        }
        match s.g.outcome() {
            None => self.phase = Phase::Gradual(s),
            Some(Outcome::Completed) => {
                let Stepping {
                    mv,
                    from,
                    old_ttl,
                    ttl,
                    ..
                } = *s;
                let to = mv.to.clone();
                self.flip_done(now, mv, Some(from), (old_ttl, ttl), to, out);
            }
            Some(Outcome::RolledBack) => {
                self.phase = Phase::Idle;
                self.last_change = Some(now);
                let msg = format!(
                    "gradual failback to {} rolled back: all weight is on {} again",
                    s.mv.to, s.from
                );
                out.push(alert(AlertLevel::Warning, msg));
            }
            Some(Outcome::Stopped) => self.phase = Phase::Idle,
        }
    }

    /// The provider served the step write under way.
    pub(super) fn on_weighed(&mut self, now: Instant, out: &mut Vec<Action>) {
        let phase = std::mem::take(&mut self.phase);
        let Phase::Gradual(mut s) = phase else {
            self.phase = phase;
            tracing::warn!("Weights served with no gradual failback under way; ignored.");
            return;
        };
        let Some(w) = s.writing.take() else {
            self.phase = Phase::Gradual(s);
            return;
        };
        s.served = Some(w);
        self.last_change = Some(now);
        self.conflict_streak = 0;
        let mut o = Vec::new();
        s.g.written(now, &mut o);
        self.run_gradual(now, s, o, None, out);
    }

    /// The step write under way failed: the failback stops where it
    /// stands; the failure is then handled as a flip's. Returns the move.
    pub(super) fn gradual_failed(&mut self, s: Box<Stepping>, out: &mut Vec<Action>) -> Move {
        let mut s = s;
        let mut o = Vec::new();
        s.g.failed(&mut o);
        for ev in o.iter().filter_map(|o| match o {
            Output::Journal(ev) => Some(ev),
            Output::Write(_) => None,
        }) {
            out.push(journal(&s, ev));
        }
        self.after_partial(&s);
        s.mv
    }

    /// Health or time moved on while a step holds: the next step, a
    /// rollback, or nothing. True when something was sent. An automatic
    /// failback writes nothing while the service is pinned: it holds its
    /// step until the pin lifts (an operator's goes on).
    pub(super) fn observe_gradual(&mut self, now: Instant, out: &mut Vec<Action>) -> bool {
        let Phase::Gradual(s) = &self.phase else {
            return false;
        };
        if s.writing.is_some() || (self.pinned() && s.mv.automatic()) {
            return false;
        }
        let (to, from) = (self.health(&s.mv.to), self.health(&s.from));
        let Phase::Gradual(mut s) = std::mem::take(&mut self.phase) else {
            return false;
        };
        let mut o = Vec::new();
        s.g.observe(now, to, from, &mut o);
        let acted = !o.is_empty();
        self.run_gradual(now, s, o, None, out);
        acted
    }

    /// An operator command supersedes the gradual failback holding now.
    pub(super) fn supersede_gradual(&mut self, out: &mut Vec<Action>) {
        let phase = std::mem::take(&mut self.phase);
        let Phase::Gradual(s) = phase else {
            self.phase = phase;
            return;
        };
        let (step, of) = s.g.progress().map_or((0, 0), |p| (p.step, p.of));
        let detail = format!(
            "gradual failback stopped at step {step} of {of}: an operator command superseded it"
        );
        out.push(Action::Journal(Entry {
            kind: EntryKind::GradualStopped,
            pool: Some(s.mv.to.clone()),
            reason: Some(s.mv.reason),
            detail,
            change: Some(Change::GradualEnded),
        }));
        self.after_partial(&s);
    }

    /// A gradual failback ended half-way: with weight on both pools the
    /// provider serves no single pool (a flip then expects none).
    fn after_partial(&mut self, s: &Stepping) {
        let partial = s
            .served
            .as_ref()
            .is_some_and(|w| w.to.1 > 0 && w.to.1 < 100);
        if partial && let Some(view) = self.view.as_mut() {
            view.active = None;
        }
    }

    /// Where the gradual failback stands, for `status`.
    pub(super) fn gradual_status(&self) -> Option<GradualStatus> {
        let Phase::Gradual(s) = &self.phase else {
            return None;
        };
        let p = s.g.progress()?;
        Some(GradualStatus {
            from: s.from.clone(),
            to: s.mv.to.clone(),
            step: p.step,
            of: p.of,
            weight: p.weight,
            next_step_in_secs: p.hold_until.and_then(|u| {
                self.now
                    .map(|n| u.saturating_duration_since(n).as_secs_f64().ceil() as u64)
            }),
        })
    }
}

/// The journal entry of one event of the machine.
fn journal(s: &Stepping, ev: &GradualEvent) -> Action {
    let (kind, pool) = match ev {
        GradualEvent::Step { .. } => (EntryKind::GradualStep, &s.mv.to),
        GradualEvent::Hold { .. } => (EntryKind::GradualHold, &s.mv.to),
        GradualEvent::Rollback { .. } => (EntryKind::GradualRollback, &s.from),
        GradualEvent::RolledBack { .. } => (EntryKind::GradualRolledBack, &s.from),
        GradualEvent::Completed { .. } => (EntryKind::GradualCompleted, &s.mv.to),
        GradualEvent::Stopped { .. } => (EntryKind::GradualStopped, &s.mv.to),
    };
    let detail = ev.to_string();
    tracing::info!(to = s.mv.to, from = s.from, "{detail}.");
    let change = match ev {
        GradualEvent::Hold { weight, .. } => Some(Change::GradualHeld {
            held: GradualHeld {
                from: s.from.clone(),
                to: s.mv.to.clone(),
                weight: *weight,
            },
        }),
        GradualEvent::Completed { .. }
        | GradualEvent::RolledBack { .. }
        | GradualEvent::Stopped { .. } => Some(Change::GradualEnded),
        GradualEvent::Step { .. } | GradualEvent::Rollback { .. } => None,
    };
    Action::Journal(Entry {
        kind,
        pool: Some(pool.clone()),
        reason: Some(s.mv.reason),
        detail,
        change,
    })
}
