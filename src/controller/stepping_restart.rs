//! A gradual failback across a restart: a step whose intent never closed, or a step held when the daemon stopped, taken up again or rolled back.

use tokio::time::Instant;

use super::action::{EntryKind, entry};
use super::durable::GradualHeld;
use super::event::{Intent, IntentKind};
use super::gradual::Gradual;
use super::state::{Move, Stepping};
use super::vocab::{Initiator, PoolHealth, Reason};
use super::{Action, Controller};

impl Controller {
    /// A step journaled before a restart and never answered: done already
    /// when it was the last step (or a rollback) and is served; else it
    /// waits for health (see [`Controller::resume_gradual`]).
    pub(super) fn reconcile_weigh(&mut self, now: Instant, intent: Intent, out: &mut Vec<Action>) {
        let IntentKind::Weigh { from, to, weight } = &intent.kind else {
            return;
        };
        let done = match *weight {
            100 => self.active() == Some(to.as_str()),
            0 => self.active() == Some(from.as_str()),
            _ => false,
        };
        if done && *weight == 100 {
            self.record_flip(now, intent.by == Initiator::Automation, out);
            self.voice_wrote(Some(from), out);
            let detail = format!(
                "gradual failback to {to} completed before the restart (its last step was served)"
            );
            out.push(entry(
                EntryKind::Reconciled,
                Some(to),
                Some(intent.reason),
                detail,
            ));
            let old_ttl = self.policy.normal_ttl().max(self.ttl());
            out.push(Action::StartWatch {
                to: to.clone(),
                old_ttl,
            });
            return;
        }
        if done {
            let detail = format!("gradual failback rolled back before the restart: {from} serves");
            out.push(entry(
                EntryKind::Reconciled,
                Some(from),
                Some(intent.reason),
                detail,
            ));
            return;
        }
        let detail = format!(
            "unfinished gradual failback step ({weight}% on {to}): resumed once {to} is up, rolled back if it is not"
        );
        out.push(entry(
            EntryKind::Decision,
            Some(to),
            Some(Reason::Reconcile),
            detail,
        ));
        self.pending_intent = Some(intent);
    }

    /// A step held when the controller stopped (journaled, no intent
    /// open): taken up as an unfinished step of that weight, unless the
    /// provider serves the target alone (it completed) or an intent is
    /// pending already.
    pub(super) fn resume_held(
        &mut self,
        now: Instant,
        held: Option<GradualHeld>,
        out: &mut Vec<Action>,
    ) {
        let Some(h) = held else {
            return;
        };
        if self.pending_intent.is_some() || self.active() == Some(h.to.as_str()) {
            return;
        }
        let detail = format!(
            "gradual failback held at {}% on {} before the restart: resumed at that step once {} is up, rolled back if it is not",
            h.weight, h.to, h.to
        );
        out.push(entry(
            EntryKind::Decision,
            Some(&h.to),
            Some(Reason::Reconcile),
            detail,
        ));
        self.pending_intent = Some(Intent {
            kind: IntentKind::Weigh {
                from: h.from,
                to: h.to,
                weight: h.weight,
            },
            reason: Reason::Failback,
            by: Initiator::Automation,
            requested_at: self
                .anchor
                .map_or(std::time::SystemTime::UNIX_EPOCH, |a| a.wall(now)),
        });
    }

    /// Whether the unfinished step's pools have a known health yet, and
    /// if so whether it rolls back (`Some(true)`) or resumes.
    pub(super) fn weigh_intent_due(&self, from: &str, to: &str, weight: u8) -> Option<bool> {
        let (target, left) = (self.health(to), self.health(from));
        if target == PoolHealth::Unknown || left == PoolHealth::Unknown {
            return None;
        }
        Some(weight == 0 || target != PoolHealth::Up)
    }

    /// Resumes the unfinished gradual failback at its step, or rolls it back.
    pub(super) fn resume_gradual(&mut self, now: Instant, roll_back: bool, out: &mut Vec<Action>) {
        let Some(intent) = self.pending_intent.take() else {
            return;
        };
        let IntentKind::Weigh { from, to, weight } = intent.kind else {
            return;
        };
        let detail = if roll_back {
            format!(
                "rolling back the gradual failback left unfinished by a restart: {to} is not up"
            )
        } else {
            format!(
                "resuming the gradual failback left unfinished by a restart at {weight}% on {to}"
            )
        };
        out.push(entry(
            EntryKind::Reconciled,
            Some(&to),
            Some(Reason::Reconcile),
            detail,
        ));
        let mut o = Vec::new();
        let health = self.health(&to);
        let (steps, hold) = (&self.policy.steps, self.policy.step_hold);
        let g = Gradual::resume(&from, &to, steps, hold, (weight, roll_back, health), &mut o);
        let ttl = self.ttl().min(self.policy.normal_ttl());
        let mv = Move {
            to,
            reason: Reason::Failback,
            by: intent.by,
            planned: false,
            force: false,
        };
        let s = Stepping {
            g,
            mv,
            from,
            served: None,
            writing: None,
            old_ttl: self.policy.normal_ttl().max(self.ttl()),
            ttl,
        };
        self.run_gradual(now, Box::new(s), o, None, out);
    }
}
