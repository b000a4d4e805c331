//! Live network partitions between controllers, made with the testkit relay.
//!
//! Two controllers, east and west, pull each other's observations through a
//! relay each (see `common::pair`); cutting a relay partitions that link
//! while both processes keep running.

mod common;

use std::time::{Duration, Instant};

use common::daemon::wait_for;
use common::pair::{Pair, Side};
use rtoguard_testkit::relay::Direction;

const PRIMARY: &str = "127.0.0.2";

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
    assert!(
        peer["age_ms"].as_u64().is_some_and(|a| a > 2000),
        "older than max_age: {peer}"
    );
    let before = east.peer_last_success("west");
    std::thread::sleep(Duration::from_secs(1));
    let after = east.peer_last_success("west");
    let (Some(before), Some(after)) = (before, after) else {
        panic!("no peer_last_success for west: {:?}", east.scrape());
    };
    // A pull in that second would move it forward by most of a second. It
    // is not exactly still: the daemon re-derives it from wall clock minus
    // age on every tick, so it wobbles by the time between the two reads.
    assert!(
        (after - before).abs() < 0.25,
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
