//! Pool aggregation tests with a fake clock, and a property test of its rules.

use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::{EndpointState, Hysteresis, PoolEndpoints};
use crate::controller::PoolHealth;

const RULES: Hysteresis = Hysteresis { rise: 2, fall: 2 };

/// Feed `ok` to `endpoint` `n` times on a fake clock starting at second `from`.
fn feed(v: &mut PoolEndpoints, o: Instant, from: u64, endpoint: &str, ok: bool, n: u64) {
    for i in 0..n {
        v.record(endpoint, ok, o + Duration::from_secs(from + i), "probe");
    }
}

#[test]
fn unknown_until_enough_is_known() {
    let o = Instant::now();
    let mut v = PoolEndpoints::new(["a", "b"], RULES, 1);
    assert_eq!(v.health(), PoolHealth::Unknown);
    feed(&mut v, o, 0, "a", false, 2);
    assert_eq!(v.endpoint("a").unwrap().state(), EndpointState::Down);
    // a is Down, b still Unknown: not all known, none Up
    assert_eq!(v.health(), PoolHealth::Unknown);
    feed(&mut v, o, 2, "b", false, 2);
    assert_eq!(v.health(), PoolHealth::Down);
}

#[test]
fn up_when_min_healthy_up_and_none_failing() {
    let o = Instant::now();
    let mut v = PoolEndpoints::new(["a", "b"], RULES, 1);
    feed(&mut v, o, 0, "a", true, 2);
    // b Unknown and not failing: a alone is enough
    assert_eq!(v.health(), PoolHealth::Up);
    feed(&mut v, o, 2, "b", true, 2);
    assert_eq!(v.health(), PoolHealth::Up);
}

#[test]
fn suspect_on_a_failing_probe_then_down_after_fall() {
    let o = Instant::now();
    let mut v = PoolEndpoints::new(["a", "b"], RULES, 2);
    feed(&mut v, o, 0, "a", true, 2);
    feed(&mut v, o, 0, "b", true, 2);
    assert_eq!(v.health(), PoolHealth::Up);
    feed(&mut v, o, 2, "a", false, 1);
    assert_eq!(v.health(), PoolHealth::Suspect);
    assert_eq!(
        v.record("a", false, o + Duration::from_secs(3), "status 503"),
        Some(EndpointState::Down)
    );
    assert_eq!(v.health(), PoolHealth::Down);
    assert_eq!(v.endpoint("a").unwrap().last_detail(), "status 503");
    feed(&mut v, o, 4, "a", true, 1);
    assert_eq!(v.health(), PoolHealth::Down, "one success is not a rise");
    feed(&mut v, o, 5, "a", true, 1);
    assert_eq!(v.health(), PoolHealth::Up);
}

#[test]
fn suspect_when_enough_up_but_one_down() {
    let o = Instant::now();
    let mut v = PoolEndpoints::new(["a", "b", "c"], RULES, 2);
    for e in ["a", "b", "c"] {
        feed(&mut v, o, 0, e, true, 2);
    }
    feed(&mut v, o, 2, "c", false, 2);
    assert_eq!(v.health(), PoolHealth::Suspect);
    feed(&mut v, o, 4, "b", false, 2);
    assert_eq!(v.health(), PoolHealth::Down);
}

#[test]
fn results_for_strangers_are_ignored() {
    let o = Instant::now();
    let mut v = PoolEndpoints::new(["a"], RULES, 1);
    assert_eq!(v.record("z", false, o, "x"), None);
    assert_eq!(v.endpoints().count(), 1);
    assert_eq!(v.health(), PoolHealth::Unknown);
}

proptest! {
    /// Whatever the sequence, the aggregate follows its definition.
    #[test]
    fn aggregate_matches_its_definition(
        seq in proptest::collection::vec((0usize..3, any::<bool>()), 0..60),
        min in 1usize..4,
    ) {
        let o = Instant::now();
        let names = ["a", "b", "c"];
        let mut v = PoolEndpoints::new(names, Hysteresis { rise: 3, fall: 2 }, min);
        for (i, (e, ok)) in seq.iter().enumerate() {
            v.record(names[*e], *ok, o + Duration::from_secs(i as u64), "p");
            let eps: Vec<_> = v.endpoints().map(|(_, h)| h.clone()).collect();
            let up = eps.iter().filter(|h| h.state() == EndpointState::Up).count();
            let bad = eps.iter().any(|h| h.failing() || h.state() == EndpointState::Down);
            let known = eps.iter().all(|h| h.state() != EndpointState::Unknown);
            let want = match (up >= min, bad, known) {
                (true, false, _) => PoolHealth::Up,
                (true, true, _) => PoolHealth::Suspect,
                (false, _, true) => PoolHealth::Down,
                (false, _, false) => PoolHealth::Unknown,
            };
            prop_assert_eq!(v.health(), want);
        }
    }
}
