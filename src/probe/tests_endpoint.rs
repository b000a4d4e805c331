//! Rise/fall hysteresis of one endpoint, on a fake clock.

use std::time::Duration;

use tokio::time::Instant;

use super::{EndpointHealth, EndpointState, Hysteresis};

const RULES: Hysteresis = Hysteresis { rise: 3, fall: 2 };

/// A fake clock: second `n` after a fixed origin.
fn t(origin: Instant, n: u64) -> Instant {
    origin + Duration::from_secs(n)
}

#[test]
fn unknown_until_rise_successes() {
    let o = Instant::now();
    let mut h = EndpointHealth::new(RULES);
    assert_eq!(h.record(true, t(o, 1), "status 200"), None);
    assert_eq!(h.record(true, t(o, 2), "status 200"), None);
    assert_eq!(h.state(), EndpointState::Unknown);
    assert_eq!(
        h.record(true, t(o, 3), "status 200"),
        Some(EndpointState::Up)
    );
    assert_eq!(h.changed_at(), Some(t(o, 3)));
    assert!(!h.failing());
}

#[test]
fn unknown_until_fall_failures() {
    let o = Instant::now();
    let mut h = EndpointHealth::new(RULES);
    assert_eq!(h.record(false, t(o, 1), "status 503"), None);
    assert!(h.failing());
    assert_eq!(
        h.record(false, t(o, 2), "status 503"),
        Some(EndpointState::Down)
    );
    assert_eq!(h.last_detail(), "status 503");
}

#[test]
fn up_needs_fall_failures_in_a_row_to_go_down() {
    let o = Instant::now();
    let mut h = EndpointHealth::new(RULES);
    for i in 0..3 {
        h.record(true, t(o, i), "ok");
    }
    assert_eq!(h.state(), EndpointState::Up);
    // fail, ok, fail: never two in a row, so stays Up but shows failing
    assert_eq!(h.record(false, t(o, 4), "x"), None);
    assert!(h.failing());
    assert_eq!(h.record(true, t(o, 5), "ok"), None);
    assert!(!h.failing());
    assert_eq!(h.record(false, t(o, 6), "x"), None);
    assert_eq!(h.state(), EndpointState::Up);
    assert_eq!(h.record(false, t(o, 7), "x"), Some(EndpointState::Down));
    assert_eq!(h.changed_at(), Some(t(o, 7)));
}

#[test]
fn down_needs_rise_successes_in_a_row_to_come_back() {
    let o = Instant::now();
    let mut h = EndpointHealth::new(RULES);
    h.record(false, t(o, 0), "x");
    h.record(false, t(o, 1), "x");
    assert_eq!(h.state(), EndpointState::Down);
    h.record(true, t(o, 2), "ok");
    h.record(true, t(o, 3), "ok");
    h.record(false, t(o, 4), "x");
    h.record(true, t(o, 5), "ok");
    h.record(true, t(o, 6), "ok");
    assert_eq!(h.state(), EndpointState::Down);
    assert!(!h.failing());
    assert_eq!(h.record(true, t(o, 7), "ok"), Some(EndpointState::Up));
}

#[test]
fn zero_rise_and_fall_act_as_one() {
    let o = Instant::now();
    let mut h = EndpointHealth::new(Hysteresis { rise: 0, fall: 0 });
    assert_eq!(h.record(true, t(o, 0), "ok"), Some(EndpointState::Up));
    assert_eq!(h.record(false, t(o, 1), "x"), Some(EndpointState::Down));
}
