//! Tests of the quorum verdict on a fake clock, and its safety property.

use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::{Local, Observations, PeerView, PoolObs, QuorumVerdict, Rules, ServiceObs, decide};
use crate::controller::PoolHealth::{self, Down, Suspect, Unknown, Up};

const DIGEST: &str = "fnv1a64:0000000000000001";
const MAX_AGE: Duration = Duration::from_secs(15);

fn rules(quorum: usize, vantages: usize) -> Rules {
    Rules {
        quorum,
        vantages,
        max_age: MAX_AGE,
    }
}

fn obs(vantage: &str, digest: &str, health: PoolHealth) -> Observations {
    let mut o = Observations::empty(vantage, digest, 0);
    o.upsert(ServiceObs {
        service: "checkout".into(),
        pools: vec![PoolObs {
            pool: "primary".into(),
            health,
            endpoints: vec![],
        }],
        last_write: None,
        served: None,
    });
    o
}

/// A peer whose observations arrived `age` before `now`.
fn peer(id: &str, health: PoolHealth, now: Instant, age: Duration) -> PeerView {
    PeerView {
        id: id.into(),
        last_ok: Some(now - age),
        last_ok_wall: None,
        skew_ms: None,
        max_clock_skew: Duration::from_secs(2),
        last_error: None,
        obs: Some(obs(id, DIGEST, health)),
    }
}

fn fresh(id: &str, health: PoolHealth, now: Instant) -> PeerView {
    peer(id, health, now, Duration::from_secs(1))
}

fn verdict(local: PoolHealth, peers: &[PeerView], now: Instant, r: Rules) -> QuorumVerdict {
    let local = Local {
        vantage: "us",
        digest: DIGEST,
        health: local,
    };
    decide("checkout", "primary", local, peers, now, r)
}

/// A clock well past zero, so `now - age` never underflows.
fn now() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

#[test]
fn two_of_three_down_is_down() {
    let t = now();
    let v = verdict(
        Down,
        &[fresh("eu", Down, t), fresh("ap", Up, t)],
        t,
        rules(2, 3),
    );
    assert_eq!(v.health, Down);
    assert_eq!(v.down, ["us", "eu"]);
    assert_eq!(v.up, ["ap"]);
    assert_eq!(v.fresh, 3);
    assert!(!v.agreed);
    // Our own vantage need not be one of them.
    let v = verdict(
        Up,
        &[fresh("eu", Down, t), fresh("ap", Down, t)],
        t,
        rules(2, 3),
    );
    assert_eq!(v.health, Down);
}

#[test]
fn one_of_three_down_is_a_split_view_not_down() {
    let t = now();
    let v = verdict(
        Up,
        &[fresh("eu", Down, t), fresh("ap", Up, t)],
        t,
        rules(2, 3),
    );
    assert_eq!(v.health, Up);
    assert_eq!(v.down, ["eu"]);
    // When we are the one that sees it down, the pool is only suspect.
    let v = verdict(
        Down,
        &[fresh("eu", Up, t), fresh("ap", Up, t)],
        t,
        rules(2, 3),
    );
    assert_eq!(v.health, Suspect);
}

#[test]
fn everyone_up_agrees() {
    let t = now();
    let v = verdict(
        Up,
        &[fresh("eu", Up, t), fresh("ap", Up, t)],
        t,
        rules(2, 3),
    );
    assert_eq!(v.health, Up);
    assert!(v.agreed);
    assert!(v.stale.is_empty() && v.mismatched.is_empty());
}

#[test]
fn too_few_fresh_vantages_is_unknown() {
    let t = now();
    let old = MAX_AGE + Duration::from_secs(1);
    let peers = [peer("eu", Down, t, old), peer("ap", Down, t, old)];
    let v = verdict(Down, &peers, t, rules(2, 3));
    assert_eq!(v.health, Unknown);
    assert_eq!(v.fresh, 1);
    assert_eq!(v.stale, ["eu", "ap"]);
    // A peer never heard from is stale too.
    let never = PeerView {
        id: "eu".into(),
        last_ok: None,
        last_ok_wall: None,
        skew_ms: None,
        max_clock_skew: Duration::from_secs(2),
        last_error: Some("connect refused".into()),
        obs: None,
    };
    let v = verdict(Up, &[never], t, rules(2, 2));
    assert_eq!(
        (v.health, v.stale.clone()),
        (Unknown, vec!["eu".to_string()])
    );
}

#[test]
fn stale_observations_are_ignored() {
    let t = now();
    let old = MAX_AGE + Duration::from_millis(1);
    let peers = [peer("eu", Down, t, old), fresh("ap", Up, t)];
    let v = verdict(Down, &peers, t, rules(2, 3));
    assert_eq!(
        v.health, Suspect,
        "the stale down vote must not make a quorum"
    );
    assert_eq!(v.stale, ["eu"]);
    assert_eq!(v.down, ["us"]);
    // Exactly max_age old still counts.
    let peers = [peer("eu", Down, t, MAX_AGE), fresh("ap", Up, t)];
    assert_eq!(verdict(Down, &peers, t, rules(2, 3)).health, Down);
}

#[test]
fn local_suspect_without_quorum_is_suspect() {
    let t = now();
    let v = verdict(
        Suspect,
        &[fresh("eu", Up, t), fresh("ap", Up, t)],
        t,
        rules(2, 3),
    );
    assert_eq!(v.health, Suspect);
    assert_eq!(v.suspect, ["us"]);
}

#[test]
fn warming_up_vantages_are_unknown() {
    let t = now();
    let v = verdict(Unknown, &[fresh("eu", Unknown, t)], t, rules(2, 2));
    assert_eq!(v.health, Unknown);
    assert_eq!(v.fresh, 2);
}

#[test]
fn a_mismatched_config_is_counted_and_named() {
    let t = now();
    let mut eu = fresh("eu", Down, t);
    eu.obs = Some(obs("eu", "fnv1a64:ffffffffffffffff", Down));
    let v = verdict(Down, &[eu, fresh("ap", Up, t)], t, rules(2, 3));
    assert_eq!(v.health, Down);
    assert_eq!(v.mismatched, ["eu"]);
}

#[test]
fn a_peer_that_is_really_us_does_not_vote_twice() {
    let t = now();
    let mut looped = fresh("eu", Down, t);
    looped.obs = Some(obs("us", DIGEST, Down));
    let v = verdict(Down, &[looped, fresh("ap", Up, t)], t, rules(2, 3));
    assert_ne!(v.health, Down);
    assert_eq!(v.duplicate, ["eu"]);
}

#[test]
fn a_pool_the_peer_does_not_know_is_unknown_from_it() {
    let t = now();
    let mut eu = fresh("eu", Down, t);
    eu.obs = Some(Observations::empty("eu", DIGEST, 0));
    let v = verdict(Down, &[eu], t, rules(2, 2));
    assert_eq!(v.health, Suspect);
    assert_eq!(v.fresh, 2);
}

fn health() -> impl Strategy<Value = PoolHealth> {
    prop_oneof![Just(Up), Just(Down), Just(Suspect), Just(Unknown)]
}

proptest! {
    /// Whatever the others say (anything but down), one vantage saying down
    /// never makes the pool Down when the quorum is 2 or more.
    #[test]
    fn one_vantage_never_makes_a_pool_down(
        local in health(),
        others in prop::collection::vec((health(), 0u64..40, any::<bool>()), 0..6),
        quorum in 2usize..5,
    ) {
        let t = now();
        let local_down = local == Down;
        let peers: Vec<PeerView> = others
            .iter()
            .enumerate()
            .map(|(i, (h, age, claims_down))| {
                // Only one vantage in all may say down: ours, else peer 0.
                let h = if *claims_down && i == 0 && !local_down { Down } else if *h == Down { Up } else { *h };
                peer(&format!("p{i}"), h, t, Duration::from_secs(*age))
            })
            .collect();
        let v = verdict(local, &peers, t, rules(quorum, 1 + peers.len()));
        prop_assert_ne!(v.health, Down);
        prop_assert!(v.down.len() <= 1);
    }

    /// Many peer entries that all carry one vantage's observations count once.
    #[test]
    fn one_vantage_behind_many_peer_entries_counts_once(
        n in 1usize..6,
        quorum in 2usize..5,
    ) {
        let t = now();
        let peers: Vec<PeerView> = (0..n)
            .map(|i| PeerView {
                id: format!("p{i}"),
                last_ok: Some(t),
                last_ok_wall: None,
                skew_ms: None,
                max_clock_skew: Duration::from_secs(2),
                last_error: None,
                obs: Some(obs("x", DIGEST, Down)),
            })
            .collect();
        let v = verdict(Up, &peers, t, rules(quorum, 1 + n));
        prop_assert_ne!(v.health, Down);
        prop_assert_eq!(v.duplicate.len(), n - 1);
    }
}

#[test]
fn an_impaired_peer_casts_no_down_vote() {
    // The peer's primary had gone down by its hysteresis, then it ran out of
    // descriptors: what it publishes (service_obs) is unknown, not down.
    let t = now();
    let rules_ep = crate::probe::Hysteresis { rise: 1, fall: 1 };
    let mut view = crate::probe::PoolEndpoints::new(["127.0.0.2"], rules_ep, 1);
    view.record("127.0.0.2", false, t, "status 503");
    let local = crate::probe::ProbeResult {
        ok: false,
        latency: Duration::ZERO,
        detail: String::new(),
        at: t,
        lateness: Duration::ZERO,
        local: Some(crate::probe::LocalFault::Descriptors("os error 24".into())),
    };
    view.observe("127.0.0.2", &local);
    let pools = std::collections::BTreeMap::from([("primary".to_string(), view)]);
    let mut o = Observations::empty("eu", DIGEST, 0);
    o.upsert(super::service_obs("checkout", &pools, t, 0));
    let impaired = PeerView {
        id: "eu".into(),
        last_ok: Some(t - Duration::from_secs(1)),
        last_ok_wall: None,
        skew_ms: None,
        max_clock_skew: Duration::from_secs(2),
        last_error: None,
        obs: Some(o),
    };
    let v = verdict(Down, &[impaired, fresh("ap", Up, t)], t, rules(2, 3));
    assert_ne!(v.health, Down, "{v:?}");
    assert_eq!(v.down, ["us"]);
}
