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
