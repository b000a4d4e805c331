//! What the scheduler runs and under which limits: the [`Check`] a target
//! is probed with (the real [`Prober`], a test double, or a watched one,
//! see the connection watch) and the process-wide [`Limits`]. Apart from the
//! scheduler so that the watch can wrap a check without naming it.

use std::time::Duration;

use super::{ProbeResult, Prober};

/// Process-wide limits on probing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Probes running at once, at most (at least 1).
    pub max_in_flight: usize,
    /// Probe starts per second, at most (bursts up to this many); 0 = no cap.
    pub starts_per_second: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_in_flight: 256,
            starts_per_second: 500,
        }
    }
}

/// Something that can run one probe (the real [`Prober`], or a test double).
pub(super) trait Check: Send + Sync + 'static {
    fn check(&self, timeout: Duration) -> impl Future<Output = ProbeResult> + Send;

    /// Ends when the target should be probed now, ahead of its slot (see
    /// the connection watch); never, unless watched.
    fn poked(&self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }
}

impl Check for Prober {
    fn check(&self, timeout: Duration) -> impl Future<Output = ProbeResult> + Send {
        self.probe(timeout)
    }
}
