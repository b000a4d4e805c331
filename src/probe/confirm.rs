//! Fast confirmation: whether an endpoint is in doubt, from the scheduler's own rise/fall count.
//!
//! The scheduler keeps this tiny copy of the hysteresis per target from the
//! results it produces itself (the same results, in the same order, that the
//! service task's [`super::EndpointHealth`] takes), so timing needs no channel
//! back from the service task.

use super::{EndpointState, Hysteresis, LocalFault, ProbeResult};

/// One target's rise/fall count, for timing only.
///
/// In doubt: a failure while Up (or while Unknown right after successes,
/// leaning up), or a success while Down, until `fall` or `rise` settles it.
/// A local failure (this host could not probe) moves nothing and starts no
/// doubt. During a doubt already begun, a late start (a stall of this
/// process) keeps the fast pace, so one stall does not push the confirmation
/// back a whole interval; a shortage (descriptors, buffers) is not hurried.
#[derive(Debug, Clone)]
pub(super) struct Confirm {
    rules: Hysteresis,
    state: EndpointState,
    successes: u32,
    failures: u32,
    /// The streak before the current failures was successes.
    leaning_up: bool,
}

impl Confirm {
    pub(super) fn new(rules: Hysteresis) -> Self {
        Self {
            rules: Hysteresis {
                rise: rules.rise.max(1),
                fall: rules.fall.max(1),
            },
            state: EndpointState::Unknown,
            successes: 0,
            failures: 0,
            leaning_up: false,
        }
    }

    /// Take one result; true when the next probe should come at the fast
    /// interval.
    pub(super) fn observe(&mut self, r: &ProbeResult) -> bool {
        if let Some(local) = &r.local {
            return matches!(local, LocalFault::Late(_)) && self.in_doubt();
        }
        if r.ok {
            self.successes = self.successes.saturating_add(1);
            self.failures = 0;
            self.leaning_up = false;
        } else {
            if self.successes > 0 {
                self.leaning_up = true;
            }
            self.failures = self.failures.saturating_add(1);
            self.successes = 0;
        }
        if self.successes >= self.rules.rise {
            self.state = EndpointState::Up;
        } else if self.failures >= self.rules.fall {
            self.state = EndpointState::Down;
        }
        self.in_doubt()
    }

    /// True while a state change has begun and not yet been settled.
    pub(super) fn in_doubt(&self) -> bool {
        match self.state {
            EndpointState::Up => self.failures > 0,
            EndpointState::Down => self.successes > 0,
            EndpointState::Unknown => self.failures > 0 && self.leaning_up,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;

    fn r(ok: bool) -> ProbeResult {
        ProbeResult {
            ok,
            latency: Duration::ZERO,
            detail: String::new(),
            at: Instant::now(),
            lateness: Duration::ZERO,
            local: None,
        }
    }

    fn doubts(rise: u32, fall: u32, oks: &[bool]) -> Vec<bool> {
        let mut c = Confirm::new(Hysteresis { rise, fall });
        oks.iter().map(|ok| c.observe(&r(*ok))).collect()
    }

    #[test]
    fn unknown_is_in_doubt_only_when_a_failure_follows_successes() {
        // from the start: failures lean nowhere, so no hurry
        assert_eq!(doubts(2, 3, &[false, false, false]), [false; 3]);
        // a success, then failures (leaning up): fast until fall
        assert_eq!(
            doubts(3, 3, &[true, false, false, false, false]),
            [false, true, true, false, false]
        );
    }

    #[test]
    fn up_and_down_doubt_until_fall_and_rise() {
        assert_eq!(
            doubts(1, 2, &[true, false, false, true, true]),
            [false, true, false, false, false]
        );
        // fall 1: one failure settles it, so there is never doubt while up
        assert_eq!(
            doubts(2, 1, &[false, true, true, false]),
            [false, true, false, false]
        );
    }

    #[test]
    fn a_local_failure_moves_nothing() {
        let mut c = Confirm::new(Hysteresis { rise: 1, fall: 3 });
        let mut local = r(false);
        local.local = Some(LocalFault::Late(Duration::from_secs(2)));
        assert!(!c.observe(&local), "no doubt from a local failure");
        assert!(!c.observe(&r(true)));
        c.observe(&r(true));
        assert!(c.observe(&r(false)));
        assert!(c.observe(&local), "a stall: the doubt begun goes on, fast");
        let mut short = r(false);
        short.local = Some(LocalFault::Descriptors("EMFILE".into()));
        assert!(!c.observe(&short), "a shortage is not hurried");
        assert!(c.in_doubt(), "the doubt begun is still there");
        assert!(c.observe(&r(false)));
        assert!(!c.observe(&r(false)), "fall 3 reached");
    }
}
