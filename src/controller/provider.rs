//! Provider answers: TTL applied, flipped, failed (conflict, retryable, final), re-read.

use tokio::time::Instant;

use super::action::{AlertLevel, EntryKind, alert, entry};
use super::event::ProviderOp;
use super::state::{Halt, Move, Phase, ProviderView, Resume};
use super::{Action, Controller};

/// Conflicts in a row before automation gives up.
const MAX_CONFLICTS: u32 = 3;

impl Controller {
    pub(super) fn on_ttl_applied(&mut self, now: Instant, ttl: u32, out: &mut Vec<Action>) {
        let Some(view) = self.view.as_mut() else {
            return;
        };
        let old = std::mem::replace(&mut view.ttl, ttl);
        self.last_change = Some(now);
        if ttl < old {
            self.note_ttl_lowered(now, old);
        }
        self.note_risk_lowered(now, ttl, out);
        tracing::info!(old, ttl, "TTL changed.");
        let detail = format!("TTL {old}s to {ttl}s");
        out.push(entry(EntryKind::TtlChanged, self.active(), None, detail));
        match std::mem::take(&mut self.phase) {
            Phase::SettingTtl { then, .. } => {
                self.conflict_streak = 0;
                if let Some(mv) = then {
                    self.drain(now, mv, out);
                }
            }
            other => self.phase = other,
        }
    }

    pub(super) fn on_flipped(&mut self, now: Instant, to: String, out: &mut Vec<Action>) {
        let phase = std::mem::take(&mut self.phase);
        if let Phase::Adopting {
            decision,
            from,
            ttl,
        } = phase
        {
            self.on_adopted(now, decision, from, ttl, out);
            return;
        }
        let Phase::Flipping {
            mv,
            from,
            old_ttl,
            ttl,
        } = phase
        else {
            self.phase = phase;
            self.changed_outside(now, Some(to), out);
            return;
        };
        self.flip_done(now, mv, from, (old_ttl, ttl), to, out);
    }

    /// A flip of `mv` from `from` to `to` is served (one write, or the
    /// last step of a gradual failback): journaled, damped, watched.
    pub(super) fn flip_done(
        &mut self,
        now: Instant,
        mv: Move,
        from: Option<String>,
        (old_ttl, ttl): (u32, u32),
        to: String,
        out: &mut Vec<Action>,
    ) {
        if let Some(view) = self.view.as_mut() {
            view.active = Some(to.clone());
            view.ttl = ttl;
        }
        self.record_flip(now, mv.automatic(), out);
        self.voice_wrote(from.as_deref(), out);
        self.served_own(now, &to);
        self.last_change = Some(now);
        self.raised = Default::default();
        self.conflict_streak = 0;
        self.stale = false;
        let from = from.as_deref().unwrap_or("none");
        tracing::info!(from, to, reason = %mv.reason, "Flipped.");
        let detail = format!("flipped from {from} to {to} ({}; {})", mv.reason, mv.by);
        out.push(entry(
            EntryKind::Flipped,
            Some(&to),
            Some(mv.reason),
            detail,
        ));
        // Caches may still hold answers published before the TTL was
        // lowered: the watch predicts with the longer of the two.
        let undrained = self.drain_until.map_or(0, |u| {
            u32::try_from(u.saturating_duration_since(now).as_secs_f64().ceil() as u64)
                .unwrap_or(u32::MAX)
        });
        let old_ttl = old_ttl.max(undrained);
        out.push(Action::StartWatch { to, old_ttl });
    }

    pub(super) fn on_failed(
        &mut self,
        now: Instant,
        op: ProviderOp,
        retryable: bool,
        conflict: bool,
        out: &mut Vec<Action>,
    ) {
        if !self.phase.awaits_provider() {
            tracing::warn!(%op, "Provider failure with no call outstanding; ignored.");
            return;
        }
        let mv = match std::mem::take(&mut self.phase) {
            Phase::SettingTtl { then, .. } => then,
            Phase::Flipping { mv, .. } => Some(mv),
            Phase::Rereading { mv } => mv,
            Phase::Gradual(s) => Some(self.gradual_failed(s, out)),
            _ => None,
        };
        let automatic = mv.as_ref().is_none_or(Move::automatic);
        let kind = if conflict {
            EntryKind::Conflict
        } else {
            EntryKind::ProviderError
        };
        let detail = format!("{op} failed (retryable: {retryable}, conflict: {conflict})");
        tracing::warn!(%op, retryable, conflict, "Provider call failed.");
        out.push(entry(
            kind,
            mv.as_ref().map(|m| m.to.as_str()),
            mv.as_ref().map(|m| m.reason),
            detail,
        ));
        if conflict && op != ProviderOp::Read {
            self.on_conflict(mv, automatic, out);
        } else if retryable || conflict {
            self.back_off(now, op, mv, out);
        } else {
            let msg = format!("provider refused the {op} for good; a person must look");
            out.push(alert(AlertLevel::Critical, msg));
            // Without a readable provider state nothing can be decided.
            if automatic || op == ProviderOp::Read {
                self.halt(Halt::ProviderRejected, out);
            }
        }
    }

    /// Waits `retry_after`, then re-reads, retries an operator's move, or
    /// lets automation decide afresh.
    fn back_off(&mut self, now: Instant, op: ProviderOp, mv: Option<Move>, out: &mut Vec<Action>) {
        let resume = match (op, mv) {
            (ProviderOp::Read, mv) => Resume::Reread(mv),
            (_, Some(mv)) if !mv.automatic() => Resume::Move(mv),
            _ => Resume::Evaluate,
        };
        let until = now + self.policy.retry_after;
        let secs = self.policy.retry_after.as_secs();
        let msg = format!("provider {op} failed; trying again in {secs}s");
        out.push(alert(AlertLevel::Warning, msg));
        self.phase = Phase::Backoff { until, resume };
    }

    fn on_conflict(&mut self, mv: Option<Move>, automatic: bool, out: &mut Vec<Action>) {
        self.stale = true;
        self.conflict_streak += 1;
        if self.conflict_streak > MAX_CONFLICTS {
            let msg = format!("{} conflicts in a row: giving up", self.conflict_streak);
            out.push(alert(AlertLevel::Critical, msg));
            if automatic {
                self.halt(Halt::Conflicts, out);
            }
            return;
        }
        out.push(Action::Reread);
        self.phase = Phase::Rereading { mv };
    }

    pub(super) fn on_provider_state(
        &mut self,
        now: Instant,
        active: Option<String>,
        ttl: u32,
        out: &mut Vec<Action>,
    ) {
        self.stale = false;
        let prev = self.view.replace(ProviderView {
            active: active.clone(),
            ttl,
        });
        if active.is_some() {
            self.raised.no_single_active = false;
        }
        if let Some(prev) = &prev
            && ttl < prev.ttl
        {
            self.note_ttl_lowered(now, prev.ttl);
        }
        if prev.as_ref().is_some_and(|p| p.ttl != ttl) {
            self.last_change = Some(now);
        }
        let changed = prev.is_some_and(|p| p.active != active);
        let phase = std::mem::take(&mut self.phase);
        let ours = matches!(&phase, Phase::Rereading { mv: Some(mv) } if active.as_deref() == Some(mv.to.as_str()));
        if changed && !ours {
            self.changed_outside(now, active, out);
        }
        match phase {
            Phase::Rereading { mv } => self.settle_reread(now, mv, out),
            other => self.phase = other,
        }
    }

    fn settle_reread(&mut self, now: Instant, mv: Option<Move>, out: &mut Vec<Action>) {
        // A check after an incident: the view is updated (and a change
        // journaled as made outside); no conflict to note.
        if std::mem::take(&mut self.checking) && mv.is_none() {
            return;
        }
        let Some(mv) = mv else {
            out.push(entry(
                EntryKind::Conflict,
                self.active(),
                None,
                "re-read done; deciding afresh",
            ));
            return;
        };
        if self.active() == Some(mv.to.as_str()) {
            self.record_flip(now, false, out);
            self.last_change = Some(now);
            self.raised.no_target = false;
            self.conflict_streak = 0;
            let mut view = Vec::new();
            let writer = self.voice_other_wrote(now, &mv.to, &mut view);
            let by = writer.as_deref().unwrap_or("not heard from yet");
            tracing::info!(to = mv.to, writer = by, "Flip done by another writer.");
            let detail = match &writer {
                Some(w) => format!("{} is already active: done by another writer, {w}", mv.to),
                None => format!("{} is already active: done by another writer", mv.to),
            };
            out.push(entry(
                EntryKind::DoneByOtherWriter,
                Some(&mv.to),
                Some(mv.reason),
                detail,
            ));
            out.extend(view);
        } else if !mv.automatic() {
            let detail = "re-read done; trying the operator's move again";
            out.push(entry(
                EntryKind::Conflict,
                Some(&mv.to),
                Some(mv.reason),
                detail,
            ));
            self.retry_move(now, mv, out);
        } else {
            let detail = "re-read done; deciding afresh";
            out.push(entry(
                EntryKind::Conflict,
                Some(&mv.to),
                Some(mv.reason),
                detail,
            ));
        }
    }

    /// The provider serves another pool than we set: someone else flipped.
    fn changed_outside(&mut self, now: Instant, active: Option<String>, out: &mut Vec<Action>) {
        if let Some(view) = self.view.as_mut() {
            view.active = active.clone();
        }
        self.record_flip(now, false, out);
        self.last_change = Some(now);
        let mut view = Vec::new();
        if let Some(pool) = active.as_deref() {
            self.voice_other_wrote(now, pool, &mut view);
        }
        let pool = active.as_deref();
        tracing::warn!(active = pool, "Records changed outside this controller.");
        let detail = format!("provider now serves {}", pool.unwrap_or("no single pool"));
        out.push(entry(EntryKind::ChangedOutside, pool, None, detail));
        out.extend(view);
    }
}
