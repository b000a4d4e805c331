//! Live network partitions between controllers, made with the testkit relay.
//!
//! Two controllers, east and west, pull each other's observations through a
//! relay each (see `common::pair`); cutting a relay partitions that link
//! while both processes keep running. A single controller writes to BIND
//! through a DNS relay (UDP and TCP) to cut it off from its provider.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::Testbed;
use common::cluster::NAME;
use common::daemon::{Daemon, all_up, wait_for};
use common::pair::{Pair, Side};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::net::lo;
use rtoguard_testkit::relay::{Direction, Relay};

const PRIMARY: &str = "127.0.0.2";
const STANDBY: &str = "127.0.0.3";
const HEALTH: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }";

/// East counts west stale (and says why), and its pull metric stands still.
fn wait_stale(p: &Pair, east: &Side) {
    wait_for(
        Duration::from_secs(10),
        || east.stale("primary").is_some_and(|s| s == ["west"]),
        || format!("{}\n{}", east.node.status(), p.logs()),
    );
    let peer = east.peer("west");
    assert!(
        peer["last_error"].is_string(),
        "the pull error is shown: {peer}"
    );
    // Stale by its observation's age (its probes' age when it last answered
    // plus the time since), which can come before the pull itself is older
    // than max_age; that follows, and the peer stays stale.
    wait_for(
        Duration::from_secs(5),
        || {
            east.peer("west")["age_ms"]
                .as_u64()
                .is_some_and(|a| a > 2000)
        },
        || format!("older than max_age: {}", east.peer("west")),
    );
    assert_eq!(
        east.stale("primary").as_deref(),
        Some(&["west".to_string()][..])
    );
    let before = east.peer_last_success("west");
    std::thread::sleep(Duration::from_secs(1));
    let after = east.peer_last_success("west");
    let (Some(before), Some(after)) = (before, after) else {
        panic!("no peer_last_success for west: {:?}", east.scrape());
    };
    // Taken once per successful pull, it holds still while none succeeds.
    assert!(
        after == before,
        "no pull succeeded while cut: {before} then {after}"
    );
}

/// East counts west fresh again, with a last success well after `since`
/// (read when the cut had already lasted past `max_age`).
fn wait_fresh(p: &Pair, east: &Side, since: Option<f64>) {
    wait_for(
        Duration::from_secs(10),
        || {
            east.stale("primary").is_some_and(|s| s.is_empty())
                && east.peer_last_success("west") > since.map(|t| t + 0.5)
                && east.node.pool("primary")["health"] == "up"
        },
        || format!("{}\n{}", east.node.status(), p.logs()),
    );
    assert!(east.peer("west")["last_error"].is_null());
}

#[test]
fn a_cut_peer_link_makes_the_peer_stale_and_healing_makes_it_fresh() {
    let p = Pair::start();
    let (east, west) = (&p.east, &p.west);
    assert_eq!(east.stale("primary").as_deref(), Some(&[][..]));
    let started = Instant::now();

    // Both ways cut on east's link to west only.
    p.east_to_west.cut();
    wait_stale(&p, east);
    // West's own link to east is whole: west still counts east fresh.
    assert_eq!(west.stale("primary").as_deref(), Some(&[][..]));
    assert_eq!(p.served(), [PRIMARY], "a partition is no reason to flip");
    let cut_at = east.peer_last_success("west");
    p.east_to_west.heal();
    wait_fresh(&p, east, cut_at);

    // One way: east's requests reach west, west's answers never come back.
    p.east_to_west.cut_one_way(Direction::FromUpstream);
    wait_stale(&p, east);
    let s = p.east_to_west.stats();
    assert!(s.to_upstream.bytes > 0, "requests still pass: {s:?}");
    let cut_at = east.peer_last_success("west");
    p.east_to_west.heal();
    wait_fresh(&p, east, cut_at);

    assert_eq!(p.served(), [PRIMARY], "nothing flipped:\n{}", p.logs());
    eprintln!("cut, heal, one-way cut, heal in {:?}", started.elapsed());
}

#[test]
fn a_cut_provider_link_delays_the_flip_until_healed() {
    let tb = Testbed::start_with(30, 5, "1h", HEALTH);
    let relay = Relay::dns(lo(1), tb.bind.addr);
    let cfg = std::fs::read_to_string(&tb.config).expect("read config");
    let via = cfg.replacen(
        &format!("server = \"{}\"", tb.bind.addr),
        &format!("server = \"{}\"", relay.addr()),
        1,
    );
    assert_ne!(cfg, via, "the provider's server is the relay");
    std::fs::write(&tb.config, via).expect("write config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(30), || all_up(&tb), || d.log_text());
    let served = || tb.bind.query(NAME, RecordType::A).values;
    let serial = tb.bind.serial();

    relay.cut();
    let mut primary = tb.primary;
    primary.stop();
    // The first provider call (lowering the TTL) times out and is retried.
    let failed = |d: &Daemon| d.log_text().contains("Provider request failed");
    wait_for(Duration::from_secs(20), || failed(&d), || d.log_text());
    assert_eq!(served(), [PRIMARY], "no write got through the cut");
    assert_eq!(tb.bind.serial(), serial);
    let s = relay.stats();
    assert!(
        s.to_upstream.dropped > 0,
        "the daemon's queries were lost: {s:?}"
    );

    relay.heal();
    wait_for(
        Duration::from_secs(30),
        || served() == [STANDBY],
        || d.log_text(),
    );
    d.stop();
}
