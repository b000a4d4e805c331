//! Tests of doubt travelling between vantages (`doubt`), on a fake clock.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::Instant;

use super::doubt::{Doubt, doubted, to_probe_now};
use super::{EndpointObs, EndpointObsState, Observations, PeerView, PoolObs, ServiceObs};
use crate::controller::PoolHealth;

const MAX_AGE: Duration = Duration::from_secs(3);

/// A peer heard `age` ago whose one endpoint 10.0.0.1 of pool primary is
/// in `state`, its last probe `failing` or not.
fn peer(now: Instant, age: Duration, state: EndpointObsState, failing: bool) -> PeerView {
    let mut o = Observations::empty("eu", "digest", 0);
    o.upsert(ServiceObs {
        service: "checkout".into(),
        pools: vec![PoolObs {
            pool: "primary".into(),
            health: PoolHealth::Up,
            endpoints: vec![EndpointObs {
                endpoint: "10.0.0.1".into(),
                state,
                since_ms: None,
                failing,
                last_detail: String::new(),
                last_at_ms: Some(0),
                local: None,
            }],
        }],
        last_write: None,
        served: None,
    });
    PeerView {
        id: "eu".into(),
        last_ok: Some(now - age),
        last_ok_wall: None,
        last_error: None,
        obs: Some(o),
        skew_ms: None,
        max_clock_skew: Duration::from_secs(2),
    }
}

fn now() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

fn one() -> BTreeSet<Doubt> {
    BTreeSet::from([("primary".to_string(), "10.0.0.1".to_string())])
}

#[test]
fn a_fresh_peers_failed_probe_or_down_state_is_a_doubt() {
    let t = now();
    let second = Duration::from_secs(1);
    let failing = peer(t, second, EndpointObsState::Up, true);
    assert_eq!(doubted("checkout", &[failing], t, MAX_AGE), one());
    let down = peer(t, second, EndpointObsState::Down, false);
    assert_eq!(doubted("checkout", &[down], t, MAX_AGE), one());
    let passing = peer(t, second, EndpointObsState::Up, false);
    assert!(doubted("checkout", &[passing], t, MAX_AGE).is_empty());
}

#[test]
fn a_stale_peer_another_service_or_a_local_fault_raises_no_doubt() {
    let t = now();
    let stale = peer(t, Duration::from_secs(4), EndpointObsState::Down, true);
    assert!(doubted("checkout", &[stale], t, MAX_AGE).is_empty());
    let fresh = peer(t, Duration::from_secs(1), EndpointObsState::Down, true);
    assert!(doubted("billing", std::slice::from_ref(&fresh), t, MAX_AGE).is_empty());
    let mut impaired = fresh;
    let obs = impaired.obs.as_mut().unwrap();
    obs.services[0].pools[0].endpoints[0].local = Some("no descriptor".into());
    assert!(doubted("checkout", &[impaired], t, MAX_AGE).is_empty());
}

#[test]
fn a_new_doubt_on_an_endpoint_passing_here_is_probed_once() {
    let passing = |_: &str, _: &str| true;
    let none = BTreeSet::new();
    assert_eq!(to_probe_now(&none, &one(), passing), Vec::from_iter(one()));
    // The same doubt at the next answer: not again.
    assert!(to_probe_now(&one(), &one(), passing).is_empty());
    // Failing or down here already: our own schedule is fast already.
    assert!(to_probe_now(&none, &one(), |_, _| false).is_empty());
    // Over, then back: a new episode.
    assert_eq!(to_probe_now(&none, &one(), passing).len(), 1);
}
