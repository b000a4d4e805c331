//! Votes at once: a vantage's change reaches its peers as it happens (a
//! long-poll on the peer API), not at the next pull.

// Integration tests time real daemons on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::cluster::{Cluster, Options};
use common::daemon::wait_for;

/// Peers pulled every 10 s; probes every 200 ms; observations live 30 s.
fn slow_pulls() -> Options {
    Options {
        health: "health = { interval = \"200ms\", rise = 2, fall = 2, max_age = \"30s\" }".into(),
        env: vec![("RTOGUARD_TEST_PEER_PULL_INTERVAL".into(), "10".into())],
        ..Options::default()
    }
}

/// Whether `c12` counts `voter` among those saying the primary is down.
fn sees_down(c: &Cluster, voter: &str) -> bool {
    let p = c.node("c12").pool("primary");
    p["quorum"]["down"]
        .as_array()
        .is_some_and(|v| v.iter().any(|id| id == voter))
}

#[test]
fn a_vantage_change_reaches_a_peer_well_before_the_pull_interval() {
    let c = Cluster::start(slow_pulls());
    let c11 = c.node("c11");
    c.primary.block_source(c11.ip);
    let blocked = Instant::now();
    wait_for(
        Duration::from_secs(20),
        || c11.pool("primary")["local"] == "down",
        || c.logs(),
    );
    // c11 saw it; c12 must hear it long before its next pull (10 s apart).
    wait_for(
        Duration::from_secs(2),
        || sees_down(&c, "c11"),
        || {
            format!(
                "c12 did not hear c11's vote within 2 s ({:.1} s after the block):\n{}",
                blocked.elapsed().as_secs_f64(),
                c.logs()
            )
        },
    );
    c.primary.unblock_source(c11.ip);
    wait_for(
        Duration::from_secs(15),
        || !sees_down(&c, "c11"),
        || c.logs(),
    );
}

/// Probes every 10 s (fast confirmation 200 ms), peers pulled every 10 s:
/// a controller's own tick and its own probes of a pool come 10 s apart.
fn slow_ticks() -> Options {
    Options {
        health: "health = { fast_interval = \"200ms\", interval = \"10s\", rise = 2, fall = 2, max_age = \"30s\" }".into(),
        env: vec![("RTOGUARD_TEST_PEER_PULL_INTERVAL".into(), "10".into())],
        ..Options::default()
    }
}

/// c11 cut off from the primary, until its own view says down (its next
/// probe, up to 10 s away with [`slow_ticks`], then its fast confirmation).
fn cut_c11_off(c: &Cluster) {
    let c11 = c.node("c11");
    c.primary.block_source(c11.ip);
    wait_for(
        Duration::from_secs(30),
        || c11.pool("primary")["local"] == "down",
        || c.logs(),
    );
}

#[test]
fn a_peer_vote_moves_a_verdict_when_it_arrives_not_at_the_next_tick() {
    let c = Cluster::start(slow_ticks());
    cut_c11_off(&c);
    let seen = Instant::now();
    // c12's verdict (its status) is judged again when c11's vote arrives:
    // not at c12's next tick or next probe of the primary, up to 10 s away.
    wait_for(
        Duration::from_secs(1),
        || sees_down(&c, "c11"),
        || {
            format!(
                "c12 did not judge c11's vote within 1 s ({:.1} s after c11 said down):\n{}",
                seen.elapsed().as_secs_f64(),
                c.logs()
            )
        },
    );
}

/// What a controller logs when a peer's failed probe moves its own next
/// probe of the endpoint to now.
const PROBED_NOW: &str = "A peer sees this endpoint failing; probing it now.";

#[test]
fn a_peers_failed_probe_moves_the_others_next_probe_to_now_once() {
    let mut opts = slow_ticks();
    opts.env.push(("RUST_LOG".into(), "rtoguard=debug".into()));
    let c = Cluster::start(opts);
    cut_c11_off(&c);
    // c12 and c13 see the primary passing: each probes it once at c11's
    // first failure rather than at its own next slot (up to 10 s away),
    // and finds it up, so nothing moves.
    let probed_now = |id: &str| c.node(id).log_text().matches(PROBED_NOW).count();
    wait_for(
        Duration::from_secs(2),
        || probed_now("c12") == 1 && probed_now("c13") == 1,
        || c.logs(),
    );
    // The doubt lasts while c11 keeps failing: no second probe for it.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        (probed_now("c12"), probed_now("c13")),
        (1, 1),
        "{}",
        c.logs()
    );
    // One vantage cut off is outvoted, as before.
    let p = c.node("c12").pool("primary");
    assert_eq!((&p["local"], &p["health"]), (&"up".into(), &"up".into()));
}
