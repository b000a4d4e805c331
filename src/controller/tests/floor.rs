//! Unit tests for the provider's TTL floor: the controller asks for a TTL it can get, once.

use super::*;

/// The defaults (300 s / 30 s) on a provider whose floor is 60 s, like Cloudflare.
fn floored() -> Policy {
    Policy::with_defaults(pools()).with_ttl_floor(60)
}

#[test]
fn a_suspect_pool_asks_for_the_floor_once() {
    let mut h = Harness::new(floored());
    assert_eq!(
        ttls(&h.health(10, "primary", PoolHealth::Suspect)),
        vec![60]
    );
    h.ev(11, Event::TtlApplied { ttl: 60 });
    // Four ticks a second for 20 s while the pool stays suspect: no new ask.
    for ms in (11_250..31_000).step_by(250) {
        let now = h.t0 + Duration::from_millis(ms);
        let out = h.c.handle(now, Event::Tick);
        assert!(ttls(&out).is_empty(), "asked again at {ms} ms: {out:?}");
    }
    assert!(ttls(&h.health(31, "primary", PoolHealth::Suspect)).is_empty());
}

#[test]
fn a_served_ttl_below_the_ask_counts_as_done() {
    let mut h = Harness::new(floored());
    assert_eq!(
        ttls(&h.health(10, "primary", PoolHealth::Suspect)),
        vec![60]
    );
    h.ev(11, Event::TtlApplied { ttl: 45 });
    assert!(ttls(&h.ev(12, Event::Tick)).is_empty());
    assert!(ttls(&h.health(13, "primary", PoolHealth::Suspect)).is_empty());
}

#[test]
fn a_normal_ttl_below_the_floor_is_restored_once_to_the_floor() {
    let mut p = floored();
    p.ttl_normal = 30;
    p.ttl_lowered = 10;
    assert_eq!((p.normal_ttl(), p.lowered_ttl()), (60, 60));
    let mut h = Harness::new(p);
    // Served at 300: a suspect pool brings it down to the floor.
    assert_eq!(
        ttls(&h.health(10, "primary", PoolHealth::Suspect)),
        vec![60]
    );
    h.ev(11, Event::TtlApplied { ttl: 60 });
    h.health(20, "primary", PoolHealth::Up);
    // At the floor already: nothing to restore, however long it stays quiet.
    assert_eq!(h.c.next_deadline(), None);
    assert!(ttls(&h.ev(5_000, Event::Tick)).is_empty());
}

#[test]
fn a_planned_move_lowers_to_the_floor_then_drains() {
    let mut h = Harness::new(floored());
    let out = h.cmd(
        10,
        Command::Failover {
            to: "standby".into(),
            planned: true,
            force: false,
        },
    );
    assert_eq!(ttls(&out), vec![60]);
}
