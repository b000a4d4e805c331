//! Doubt travels: the endpoints a fresh peer sees failing, so this vantage probes them now rather than at its next slot. Pure, the time passed in.
//!
//! Without it, each vantage finds a fault at its own next probe, at its own
//! phase of the interval, and a quorum waits for the second-earliest of
//! them to finish its `fall`. With it, the first vantage's failed probe
//! (published at once, see `push`) moves every other vantage's next probe
//! to now, so their confirmations run together. Never a vote: the probe it
//! asks for is one more probe, taken by this vantage's hysteresis like any
//! other, so `fall`, `rise` and the quorum stay exactly as strong.
//!
//! Edge-triggered: an endpoint is probed once when some peer starts to
//! doubt it while this vantage sees it up with its last probe passing; not
//! again while the doubt lasts (a peer cut off from an endpoint costs one
//! probe per episode, not one per answer). Stale peers raise no doubt.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::Instant;

use super::EndpointObsState;
use super::puller::PeerView;

/// A (pool, endpoint) of one service.
pub type Doubt = (String, String);

/// The endpoints of `service` that a fresh peer (heard within `max_age`,
/// its clock within bounds) sees failing: its last probe failed or its
/// hysteresis says down.
pub fn doubted(
    service: &str,
    peers: &[PeerView],
    now: Instant,
    max_age: Duration,
) -> BTreeSet<Doubt> {
    let fresh = |p: &&PeerView| p.age(now).is_some_and(|a| a <= max_age) && p.clock_ok();
    peers
        .iter()
        .filter(fresh)
        .filter_map(|p| p.obs.as_ref())
        .flat_map(|o| o.services.iter().filter(|s| s.service == service))
        .flat_map(|s| s.pools.iter())
        .flat_map(|p| {
            p.endpoints
                .iter()
                .filter(|e| e.local.is_none())
                .filter(|e| e.failing || e.state == EndpointObsState::Down)
                .map(|e| (p.pool.clone(), e.endpoint.clone()))
        })
        .collect()
}

/// What to probe now: doubts in `now` that were not in `before`, on
/// endpoints this vantage sees up and passing (`passing`).
pub fn to_probe_now(
    before: &BTreeSet<Doubt>,
    now: &BTreeSet<Doubt>,
    passing: impl Fn(&str, &str) -> bool,
) -> Vec<Doubt> {
    now.difference(before)
        .filter(|(pool, endpoint)| passing(pool, endpoint))
        .cloned()
        .collect()
}
