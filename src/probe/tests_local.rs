//! Local failures against the hysteresis and the pool rules, on a fake clock,
//! and a property test: local failures never change where the real results lead.

use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::{EndpointHealth, EndpointState, Hysteresis, LocalFault, PoolEndpoints, ProbeResult};
use crate::controller::PoolHealth;

const RULES: Hysteresis = Hysteresis { rise: 2, fall: 2 };

/// A result at second `n` after `o`: real (`ok`) or, with `local`, this host's fault.
fn result(o: Instant, n: u64, ok: bool, local: bool) -> ProbeResult {
    let fault = LocalFault::Descriptors("Too many open files (os error 24)".into());
    ProbeResult {
        ok: ok && !local,
        latency: Duration::ZERO,
        detail: if ok {
            "status 200".into()
        } else {
            "status 503".into()
        },
        at: o + Duration::from_secs(n),
        lateness: Duration::ZERO,
        local: local.then_some(fault),
    }
}

#[test]
fn a_local_failure_moves_no_counter_and_shows_unknown_until_a_real_result() {
    let o = Instant::now();
    let mut h = EndpointHealth::new(RULES);
    h.observe(&result(o, 0, true, false));
    h.observe(&result(o, 1, true, false));
    assert_eq!(h.state(), EndpointState::Up);
    // However many local failures: Unknown from here, never Down.
    for n in 2..10 {
        let changed = h.observe(&result(o, n, false, true));
        assert_eq!(changed, (n == 2).then_some(EndpointState::Unknown));
        assert_eq!(h.state(), EndpointState::Unknown);
        assert_eq!(h.settled(), EndpointState::Up);
        assert!(!h.failing(), "a local failure is not the endpoint failing");
    }
    assert!(h.local().is_some_and(|l| l.contains("file descriptors")));
    assert_eq!(
        h.last_at(),
        Some(o + Duration::from_secs(1)),
        "last real result"
    );
    assert_eq!(h.changed_at(), Some(o + Duration::from_secs(1)));
    // The first real result shows the untouched hysteresis again.
    assert_eq!(
        h.observe(&result(o, 10, true, false)),
        Some(EndpointState::Up)
    );
    assert_eq!(h.local(), None);
    assert_eq!(h.changed_at(), Some(o + Duration::from_secs(1)));
}

#[test]
fn local_failures_between_real_failures_neither_reset_nor_add_to_fall() {
    let o = Instant::now();
    let mut h = EndpointHealth::new(Hysteresis { rise: 2, fall: 3 });
    h.observe(&result(o, 0, true, false));
    h.observe(&result(o, 1, true, false));
    h.observe(&result(o, 2, false, false));
    h.observe(&result(o, 3, false, true));
    h.observe(&result(o, 4, false, false));
    assert_eq!(h.settled(), EndpointState::Up, "two real failures of three");
    h.observe(&result(o, 5, false, true));
    assert_eq!(
        h.observe(&result(o, 6, false, false)),
        Some(EndpointState::Down)
    );
}

#[test]
fn a_pool_we_cannot_probe_is_unknown_never_down() {
    let o = Instant::now();
    let mut v = PoolEndpoints::new(["a", "b"], RULES, 1);
    for n in 0..2 {
        v.observe("a", &result(o, n, true, false));
        v.observe("b", &result(o, n, true, false));
    }
    assert_eq!(v.health(), PoolHealth::Up);
    for n in 2..20 {
        v.observe("a", &result(o, n, false, true));
        v.observe("b", &result(o, n, false, true));
        assert_eq!(v.health(), PoolHealth::Unknown);
    }
    assert!(v.local().is_some());
    // One endpoint probed again and Up is enough for min_healthy 1.
    v.observe("a", &result(o, 20, true, false));
    assert_eq!(v.health(), PoolHealth::Up);
    v.observe("b", &result(o, 20, true, false));
    assert_eq!(v.local(), None);
    assert_eq!(v.health(), PoolHealth::Up);
}

#[test]
fn a_down_pool_stays_unknown_not_down_while_blind_and_down_after() {
    let o = Instant::now();
    let mut v = PoolEndpoints::new(["a"], RULES, 1);
    v.observe("a", &result(o, 0, false, false));
    v.observe("a", &result(o, 1, false, false));
    assert_eq!(v.health(), PoolHealth::Down);
    v.observe("a", &result(o, 2, false, true));
    assert_eq!(v.health(), PoolHealth::Unknown);
    v.observe("a", &result(o, 3, false, false));
    assert_eq!(v.health(), PoolHealth::Down);
}

proptest! {
    /// Any interleaving of local failures with a fixed sequence of real
    /// results ends in the same hysteresis as the real sequence alone.
    #[test]
    fn local_failures_never_change_where_real_results_lead(
        real in proptest::collection::vec(any::<bool>(), 1..40),
        locals in proptest::collection::vec(0usize..4, 1..40),
        rise in 1u32..5,
        fall in 1u32..5,
    ) {
        let rules = Hysteresis { rise, fall };
        let o = Instant::now();
        let (mut alone, mut mixed) = (EndpointHealth::new(rules), EndpointHealth::new(rules));
        let mut n = 0;
        for (i, ok) in real.iter().enumerate() {
            // before each real result, 0..3 local failures (cycled)
            for _ in 0..locals[i % locals.len()] {
                n += 1;
                mixed.observe(&result(o, n, false, true));
                prop_assert_ne!(mixed.state(), EndpointState::Down);
            }
            n += 1;
            let r = result(o, n, *ok, false);
            alone.observe(&r);
            mixed.observe(&r);
            prop_assert_eq!(mixed.settled(), alone.settled());
            prop_assert_eq!(mixed.state(), alone.state());
            prop_assert_eq!(mixed.failing(), alone.failing());
            prop_assert_eq!(mixed.changed_at(), alone.changed_at());
        }
        mixed.observe(&result(o, n + 1, false, true));
        prop_assert_eq!(mixed.settled(), alone.settled());
        prop_assert_eq!(mixed.state(), EndpointState::Unknown);
    }
}
