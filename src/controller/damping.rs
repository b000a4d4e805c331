//! Flap damping: a hold-down after any flip and a cap on automatic flips per window.

use std::collections::VecDeque;

use tokio::time::Instant;

use super::policy::Policy;

/// Whether an automatic flip may happen now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    Open,
    /// Held down until this instant.
    HoldUntil(Instant),
    /// `max_flips` automatic flips already happened within `flip_window`.
    Capped,
}

/// The flip history damping needs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Damping {
    last_flip: Option<Instant>,
    automatic: VecDeque<Instant>,
}

impl Damping {
    /// Records a completed flip (any flip starts a hold-down; automatic ones
    /// count towards the cap).
    pub(crate) fn record(&mut self, at: Instant, automatic: bool, policy: &Policy) {
        self.last_flip = Some(self.last_flip.map_or(at, |last| last.max(at)));
        if automatic {
            self.automatic.push_back(at);
        }
        while self.automatic.len() > policy.max_flips as usize + 1 {
            self.automatic.pop_front();
        }
    }

    /// The history rebuilt from the journal (times already on this clock).
    pub(crate) fn restore(
        &mut self,
        last_flip: Option<Instant>,
        automatic: Vec<Instant>,
        policy: &Policy,
    ) {
        self.last_flip = last_flip;
        self.automatic = automatic.into();
        while self.automatic.len() > policy.max_flips as usize + 1 {
            self.automatic.pop_front();
        }
    }

    /// Whether an automatic flip may happen at `now`.
    pub(crate) fn gate(&self, now: Instant, policy: &Policy) -> Gate {
        if let Some(last) = self.last_flip {
            let end = last + policy.hold_down;
            if now < end {
                return Gate::HoldUntil(end);
            }
        }
        if self.in_window(now, policy) >= policy.max_flips as usize {
            return Gate::Capped;
        }
        Gate::Open
    }

    /// Automatic flips within the last `flip_window` before `now`.
    pub(crate) fn in_window(&self, now: Instant, policy: &Policy) -> usize {
        self.automatic
            .iter()
            .filter(|at| now.saturating_duration_since(**at) < policy.flip_window)
            .count()
    }

    /// Whether an automatic flip (this controller's own) completed at or after `since`.
    pub(crate) fn automatic_since(&self, since: Instant) -> bool {
        self.automatic.iter().any(|at| *at >= since)
    }

    /// When the last flip completed.
    pub(crate) fn last_flip(&self) -> Option<Instant> {
        self.last_flip
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn hold_down_then_cap() {
        let policy = Policy::with_defaults(vec!["a".into(), "b".into()]);
        let t0 = Instant::now();
        let mut d = Damping::default();
        assert_eq!(d.gate(t0, &policy), Gate::Open);
        for n in 0..3u64 {
            d.record(t0 + Duration::from_secs(n * 200), true, &policy);
        }
        let last = t0 + Duration::from_secs(400);
        assert_eq!(
            d.gate(last + Duration::from_secs(1), &policy),
            Gate::HoldUntil(last + policy.hold_down)
        );
        assert_eq!(d.gate(last + policy.hold_down, &policy), Gate::Capped);
        // The first flip leaves the window an hour after it happened.
        assert_eq!(d.gate(t0 + policy.flip_window, &policy), Gate::Open);
    }

    #[test]
    fn operator_flips_hold_down_but_do_not_count() {
        let policy = Policy::with_defaults(vec!["a".into(), "b".into()]);
        let t0 = Instant::now();
        let mut d = Damping::default();
        for n in 0..5u64 {
            d.record(t0 + Duration::from_secs(n * 200), false, &policy);
        }
        assert_eq!(d.in_window(t0 + Duration::from_secs(1000), &policy), 0);
        let hold = t0 + Duration::from_secs(800) + policy.hold_down;
        assert_eq!(
            d.gate(t0 + Duration::from_secs(801), &policy),
            Gate::HoldUntil(hold)
        );
        assert_eq!(d.gate(hold, &policy), Gate::Open);
    }
}
