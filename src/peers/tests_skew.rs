//! Tests of freshness by the observation's age and of clock skew, on a fake clock.

use std::time::Duration;

use tokio::time::Instant;

use super::{
    EndpointObs, EndpointObsState, Local, Observations, PeerView, PoolObs, Rules, ServiceObs,
    clock_skew_ms, decide,
};
use crate::controller::PoolHealth::{self, Down, Up};

const DIGEST: &str = "fnv1a64:0000000000000002";
const MAX_AGE: Duration = Duration::from_secs(15);
/// Our wall clock at the fake `now`.
const OUR_MS: i64 = 1_800_000_000_000;

/// A peer's observations of `primary` (one endpoint last probed at
/// `probed_ms`), answered at `served_ms`, both on the peer's clock.
fn obs(health: PoolHealth, probed_ms: i64, served_ms: i64) -> Observations {
    let mut o = Observations::empty("eu", DIGEST, served_ms);
    o.served_at_ms = Some(served_ms);
    let endpoint = EndpointObs {
        endpoint: "192.0.2.10".into(),
        state: EndpointObsState::Down,
        since_ms: Some(probed_ms),
        failing: true,
        last_detail: "status 503".into(),
        last_at_ms: Some(probed_ms),
        local: None,
    };
    o.upsert(ServiceObs {
        service: "checkout".into(),
        pools: vec![PoolObs {
            pool: "primary".into(),
            health,
            endpoints: vec![endpoint],
        }],
        last_write: None,
        served: None,
    });
    o
}

/// Peer `eu` whose pull was answered `ago` before `now`, at our wall clock
/// `OUR_MS - ago`, with 40 ms of round trip.
fn pulled(o: Observations, now: Instant, ago: Duration) -> PeerView {
    let mut v = PeerView {
        id: "eu".into(),
        last_ok: None,
        last_ok_wall: None,
        last_error: None,
        obs: None,
        skew_ms: None,
        max_clock_skew: Duration::from_secs(2),
    };
    let received = OUR_MS - i64::try_from(ago.as_millis()).unwrap_or(0);
    v.accept(o, now - ago, (received - 40, received));
    v
}

/// Our verdict on primary (we say down) with `peer`, quorum 2 of 2.
fn with(peer: &PeerView, now: Instant) -> super::QuorumVerdict {
    let local = Local {
        vantage: "us",
        digest: DIGEST,
        health: Down,
    };
    let rules = Rules {
        quorum: 2,
        vantages: 2,
        max_age: MAX_AGE,
    };
    decide(
        "checkout",
        "primary",
        local,
        std::slice::from_ref(peer),
        now,
        rules,
    )
}

fn now() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

#[test]
fn skew_is_the_peer_clock_against_the_middle_of_the_round_trip() {
    // Sent at 1000, answered at 1100: the peer read its clock around 1050.
    assert_eq!(clock_skew_ms(1050, 1000, 1100), 0);
    assert_eq!(clock_skew_ms(11_050, 1000, 1100), 10_000);
    assert_eq!(clock_skew_ms(50, 1000, 1100), -1000);
    // A wall clock stepped back mid-pull: no negative round trip.
    assert_eq!(clock_skew_ms(1000, 1100, 1000), 0);
}

#[test]
fn a_peer_whose_probes_stopped_goes_stale_after_max_age_though_its_api_answers() {
    let t = now();
    // Answered 1 s ago; its last probe 5 s before that: 6 s old, counted.
    let p = pulled(
        obs(Down, OUR_MS - 6000, OUR_MS - 1000),
        t,
        Duration::from_secs(1),
    );
    let v = with(&p, t);
    assert_eq!((v.health, v.fresh, v.stale.len()), (Down, 2, 0), "{v:?}");
    // Answered just now, but its last probe ran 16 s ago: stale.
    let p = pulled(obs(Down, OUR_MS - 16_000, OUR_MS), t, Duration::ZERO);
    let v = with(&p, t);
    assert_eq!(v.stale, ["eu"], "{v:?}");
    assert_eq!(
        v.health,
        PoolHealth::Unknown,
        "one fresh vantage of 2: nothing moves"
    );
    // Answered 10 s ago with a 6 s old probe: 16 s now, stale.
    let p = pulled(
        obs(Down, OUR_MS - 16_000, OUR_MS - 10_000),
        t,
        Duration::from_secs(10),
    );
    assert_eq!(with(&p, t).stale, ["eu"]);
}

#[test]
fn the_age_is_measured_on_the_peer_clock_so_skew_within_the_bound_changes_nothing() {
    let t = now();
    // The peer's clock runs 1.5 s behind: its 2 s old probe still counts as 2 s.
    let p = pulled(obs(Up, OUR_MS - 3500, OUR_MS - 1500), t, Duration::ZERO);
    assert_eq!(p.skew_ms, Some(-1480));
    assert!(p.clock_ok());
    let v = with(&p, t);
    assert_eq!(
        (v.fresh, v.up.as_slice()),
        (2, &["eu".to_string()][..]),
        "{v:?}"
    );
}

#[test]
fn a_peer_clock_10s_off_is_flagged_and_not_counted() {
    let t = now();
    for off in [10_000, -10_000] {
        let p = pulled(
            obs(Down, OUR_MS + off - 1000, OUR_MS + off),
            t,
            Duration::ZERO,
        );
        assert!(
            p.skew_ms.is_some_and(|s| (s - off).abs() <= 20),
            "{:?}",
            p.skew_ms
        );
        assert!(!p.clock_ok());
        assert_eq!(p.status(t).clock_skew_ms, p.skew_ms, "status shows it");
        let v = with(&p, t);
        assert_eq!(
            (v.fresh, v.stale.as_slice()),
            (1, &["eu".to_string()][..]),
            "{v:?}"
        );
        assert_ne!(v.health, Down, "a skewed vote never completes a quorum");
    }
}

#[test]
fn a_peer_that_has_not_probed_yet_is_not_aged_out() {
    let t = now();
    let mut o = obs(PoolHealth::Unknown, 0, OUR_MS);
    o.services[0].pools[0].endpoints[0].last_at_ms = None;
    let p = pulled(o, t, Duration::ZERO);
    assert!(with(&p, t).stale.is_empty());
}
