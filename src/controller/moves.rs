//! Moves between pools: planned (lower TTL, drain, flip) and unplanned (flip at once).

use std::time::Duration;

use tokio::time::Instant;

use super::action::{AlertLevel, EntryKind, TtlReason, alert, entry};
use super::damping::Gate;
use super::state::{Move, Phase};
use super::vocab::{PoolHealth, Reason};
use super::{Action, Controller};

impl Controller {
    /// Starts a move: a planned one lowers the TTL and drains first, an
    /// unplanned one flips at once.
    pub(super) fn start_move(&mut self, now: Instant, mv: Move, out: &mut Vec<Action>) {
        if !mv.planned {
            return self.issue_flip(mv, out);
        }
        let ttl = self.ttl();
        let lowered = self.policy.lowered_ttl();
        if ttl > lowered {
            let detail = format!(
                "planned move to {}: lowering the TTL from {ttl}s to {lowered}s first",
                mv.to
            );
            out.push(entry(
                EntryKind::Decision,
                Some(&mv.to),
                Some(mv.reason),
                detail,
            ));
            self.request_ttl(lowered, TtlReason::Drain, Some(mv), out);
        } else {
            self.drain(now, mv, out);
        }
    }

    /// Waits until caches dropped the answers published with the old TTL,
    /// then flips.
    pub(super) fn drain(&mut self, now: Instant, mv: Move, out: &mut Vec<Action>) {
        match self.drain_until {
            Some(until) if until > now => {
                let secs = until.duration_since(now).as_secs();
                let detail = format!("waiting {secs}s for caches to drop the old TTL");
                out.push(entry(
                    EntryKind::Draining,
                    Some(&mv.to),
                    Some(mv.reason),
                    detail,
                ));
                self.phase = Phase::Draining { mv, until };
            }
            _ => self.finish_drain(now, mv, out),
        }
    }

    /// The drain is over: flip if the move still makes sense, else drop it.
    pub(super) fn finish_drain(&mut self, now: Instant, mv: Move, out: &mut Vec<Action>) {
        self.phase = Phase::Idle;
        match self.still_valid(now, &mv) {
            Ok(()) => self.issue_flip(mv, out),
            Err(why) => drop_move(&mv, &why, out),
        }
    }

    /// Starts an operator's move again after a failure, if it still makes sense.
    pub(super) fn retry_move(&mut self, now: Instant, mv: Move, out: &mut Vec<Action>) {
        match self.still_valid(now, &mv) {
            Ok(()) => self.start_move(now, mv, out),
            Err(why) => drop_move(&mv, &why, out),
        }
    }

    fn still_valid(&self, now: Instant, mv: &Move) -> Result<(), String> {
        if self.active() == Some(mv.to.as_str()) {
            return Err(format!("{} is already active", mv.to));
        }
        let health = self.health(&mv.to);
        if !mv.automatic() {
            return match health == PoolHealth::Up || mv.force {
                true => Ok(()),
                false => Err(format!("pool {} is {health}, not up", mv.to)),
            };
        }
        if self.pinned() || self.halted.is_some() {
            return Err("automation is pinned or halted".into());
        }
        if self.evacuated(&mv.to) {
            return Err(format!("pool {} is in a region being evacuated", mv.to));
        }
        let stable = self
            .up_since(&mv.to)
            .is_some_and(|since| since + self.policy.stable_for <= now);
        if mv.reason == Reason::Failback && !stable {
            return Err(format!("pool {} has not been up for stable_for", mv.to));
        }
        if health != PoolHealth::Up {
            return Err(format!("pool {} is {health}, not up", mv.to));
        }
        match self.damping.gate(now, &self.policy) {
            Gate::Open => Ok(()),
            _ => Err("flap damping holds automatic flips".into()),
        }
    }

    /// Sends the flip. The TTL published with it is the current one when it
    /// was lowered, else the normal one.
    pub(super) fn issue_flip(&mut self, mv: Move, out: &mut Vec<Action>) {
        if mv.to.is_empty() || !self.policy.has_pool(&mv.to) {
            let detail = format!(
                "refusing to flip to {:?}: not a pool of this service",
                mv.to
            );
            out.push(entry(EntryKind::Aborted, None, Some(mv.reason), &detail));
            out.push(alert(AlertLevel::Critical, detail));
            return;
        }
        let old_ttl = self.ttl();
        let ttl = old_ttl.min(self.policy.normal_ttl());
        let from = self.active().map(str::to_owned);
        let gradual = self.goes_gradually(&mv, from.as_deref());
        if !gradual {
            tracing::info!(from, to = mv.to, reason = %mv.reason, by = %mv.by, ttl, "Flipping.");
        }
        let how = if gradual { "gradual failback" } else { "flip" };
        let detail = format!(
            "{how} from {} to {} with TTL {ttl}s",
            from.as_deref().unwrap_or("none"),
            mv.to
        );
        out.push(entry(
            EntryKind::Decision,
            Some(&mv.to),
            Some(mv.reason),
            detail,
        ));
        let mut flip = Action::Flip {
            from: from.clone(),
            to: mv.to.clone(),
            ttl,
            reason: mv.reason,
            by: mv.by,
            not_before: None,
        };
        if self.hold_for_writer(&mut flip, out) {
            return;
        }
        if let (true, Some(from), Action::Flip { not_before, .. }) = (gradual, from.clone(), &flip)
        {
            let now = self.now.unwrap_or_else(Instant::now);
            return self.start_gradual(now, mv, from, (old_ttl, ttl), *not_before, out);
        }
        out.push(flip);
        self.phase = Phase::Flipping {
            mv,
            from,
            old_ttl,
            ttl,
        };
    }

    /// Sends a TTL change; `then` is the planned move it prepares.
    pub(super) fn request_ttl(
        &mut self,
        ttl: u32,
        reason: TtlReason,
        then: Option<Move>,
        out: &mut Vec<Action>,
    ) {
        let old = self.ttl();
        tracing::info!(old, ttl, %reason, "Changing the TTL.");
        let detail = format!("TTL {old}s to {ttl}s ({reason})");
        out.push(entry(EntryKind::Decision, self.active(), None, detail));
        let mut set = Action::SetTtl {
            ttl,
            reason,
            not_before: None,
        };
        if self.hold_for_writer(&mut set, out) {
            return;
        }
        out.push(set);
        self.phase = Phase::SettingTtl { ttl, then };
    }

    /// Notes that answers with `old` TTL were published until `now`.
    pub(super) fn note_ttl_lowered(&mut self, now: Instant, old: u32) {
        let until = now + Duration::from_secs(u64::from(old));
        self.drain_until = Some(self.drain_until.map_or(until, |u| u.max(until)));
    }
}

fn drop_move(mv: &Move, why: &str, out: &mut Vec<Action>) {
    tracing::info!(to = mv.to, reason = %mv.reason, why, "Move dropped.");
    let detail = format!("move to {} dropped: {why}", mv.to);
    out.push(entry(
        EntryKind::Aborted,
        Some(&mv.to),
        Some(mv.reason),
        &detail,
    ));
    if !mv.automatic() {
        out.push(alert(AlertLevel::Warning, detail));
    }
}
