//! Fast confirmation: whether an endpoint is in doubt, from the scheduler's own rise/fall count.
//!
//! The scheduler keeps this tiny copy of the hysteresis per target from the
//! results it produces itself (the same results, in the same order, that the
//! service task's [`super::EndpointHealth`] takes), so timing needs no channel
//! back from the service task.

use super::{EndpointState, Hysteresis, ProbeResult};

/// One target's rise/fall count, for timing only.
///
/// In doubt: a failure while Up (or while Unknown right after successes,
/// leaning up), or a success while Down, until `fall` or `rise` settles it.
/// A local failure (this host could not probe) moves nothing and is never
/// doubt.
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
        if r.local.is_some() {
            return false;
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
