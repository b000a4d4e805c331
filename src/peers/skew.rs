//! Clock skew between vantages: measured on every pull, bounded by the peer's `max_clock_skew`.
//!
//! A pull sent at `sent` and answered at `received` (our wall clock) saw the
//! peer's clock read `peer` somewhere in between; taking the middle (our
//! receive time minus half the round trip) the skew is `peer − middle`, off
//! by at most half the round trip.

use std::time::Duration;

use tracing::{info, warn};

/// The peer's clock minus ours, in ms, from one pull's three readings.
pub fn clock_skew_ms(peer_ms: i64, sent_ms: i64, received_ms: i64) -> i64 {
    let half_round_trip = received_ms.saturating_sub(sent_ms).max(0) / 2;
    peer_ms.saturating_sub(received_ms.saturating_sub(half_round_trip))
}

/// True when `skew_ms` (None: not measured yet) is within `bound`.
pub fn within(skew_ms: Option<i64>, bound: Duration) -> bool {
    skew_ms.is_none_or(|s| u128::from(s.unsigned_abs()) <= bound.as_millis())
}

/// Raise the move across the bound once: WARN when a peer's clock goes
/// beyond it, INFO when it comes back.
pub fn raise(peer: &str, was: Option<i64>, now: i64, bound: Duration) {
    let skew_s = now as f64 / 1000.0;
    match (within(was, bound), within(Some(now), bound)) {
        (true, false) => warn!(
            peer,
            skew_s,
            max_s = bound.as_secs_f64(),
            "Peer clock beyond max_clock_skew: its observations count as stale."
        ),
        (false, true) => info!(peer, skew_s, "Peer clock within max_clock_skew again."),
        _ => {}
    }
}

/// This vantage's wall clock as peers see it, in ms since the epoch: what
/// it publishes and answers with.
pub fn wall_ms() -> i64 {
    crate::journal::now_ms().saturating_add(test_hook::offset_ms())
}

/// TEST ONLY: `RTOGUARD_TEST_CLOCK_OFFSET=ID:MS` runs the wall clock that
/// agent `ID` shows its peers MS off (the tests of a skewed peer); without
/// the `test-hooks` feature it is not compiled.
pub mod test_hook {
    #[cfg(feature = "test-hooks")]
    static OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();

    /// Read the variable for vantage `id` (once, at start).
    #[cfg(feature = "test-hooks")]
    pub fn init(id: &str) {
        #[allow(clippy::disallowed_methods)] // A test hook: the environment is its interface.
        let var = std::env::var("RTOGUARD_TEST_CLOCK_OFFSET").unwrap_or_default();
        let ms = var
            .split_once(':')
            .filter(|(who, _)| *who == id)
            .and_then(|(_, ms)| ms.trim().parse::<i64>().ok());
        if let Some(ms) = ms {
            tracing::warn!(
                ms,
                "Test hook: the wall clock peers see is off by this much."
            );
            let _ = OFFSET.set(ms);
        }
    }

    #[cfg(feature = "test-hooks")]
    pub(super) fn offset_ms() -> i64 {
        OFFSET.get().copied().unwrap_or(0)
    }

    /// Without the test hooks: nothing to read.
    #[cfg(not(feature = "test-hooks"))]
    pub fn init(_id: &str) {}

    #[cfg(not(feature = "test-hooks"))]
    pub(super) fn offset_ms() -> i64 {
        0
    }
}
