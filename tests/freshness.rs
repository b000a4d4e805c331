//! Freshness is the observation's age: a peer whose API answers but whose probes stopped goes stale after `max_age`.
//!
//! The cluster of `common::cluster` (controllers c11–c13, agent c14, every
//! vantage with `max_age = "2s"` and a 200 ms interval). The test hook
//! `RTOGUARD_TEST_FREEZE_PROBES` freezes the agent's probe scheduler only
//! (its probes leave from 127.0.0.14); its peer API keeps answering.
//! `RTOGUARD_TEST_CLOCK_OFFSET` runs the agent's clock 10 s off instead.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::cluster::{Cluster, Node, Options};
use common::daemon::wait_for;
use serde_json::Value;

/// The vantages `node` counts stale for the primary pool.
fn stale(node: &Node) -> Option<Vec<String>> {
    let pool = node.pool("primary");
    let list = pool["quorum"]["stale"].as_array()?;
    Some(
        list.iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
    )
}

/// `node`'s status entry for peer `id`.
fn peer(node: &Node, id: &str) -> Value {
    let status = node.status();
    let peers = status["peers"].as_array().cloned().unwrap_or_default();
    peers
        .into_iter()
        .find(|p| p["id"] == id)
        .unwrap_or(Value::Null)
}

#[test]
fn a_peer_whose_probes_stopped_goes_stale_after_max_age_while_its_api_answers() {
    let flags = tempfile::tempdir().expect("tempdir");
    let env = (
        "RTOGUARD_TEST_FREEZE_PROBES".to_string(),
        flags.path().display().to_string(),
    );
    let c = Cluster::start(Options {
        env: vec![env],
        ..Options::default()
    });
    let c11 = c.node("c11");
    assert_eq!(stale(c11).as_deref(), Some(&[][..]), "{}", c.logs());

    let flag = flags.path().join("freeze-127.0.0.14");
    std::fs::write(&flag, "").expect("write the freeze flag");
    let frozen = Instant::now();
    // Well inside max_age (2 s) the agent still counts: its last probes are
    // younger than that. Asserted only when this read came soon enough.
    std::thread::sleep(Duration::from_millis(700));
    let early = stale(c11);
    if frozen.elapsed() < Duration::from_millis(1500) {
        assert_eq!(early.as_deref(), Some(&[][..]), "stale before max_age");
    }
    wait_for(
        Duration::from_secs(15),
        || stale(c11).is_some_and(|s| s == ["c14"]),
        || format!("{}\n{}", c11.status(), c.logs()),
    );
    // Its last probe ended up to one interval (200 ms) before the freeze.
    assert!(
        frozen.elapsed() >= Duration::from_millis(1500),
        "stale only once its last probe is max_age old"
    );
    // Its API still answers: the pull is fresh, the observation is not.
    let p = peer(c11, "c14");
    assert!(p["last_error"].is_null(), "the agent answers: {p}");
    assert!(
        p["age_ms"].as_u64().is_some_and(|a| a < 2000),
        "pulled within max_age: {p}"
    );
    assert!(
        c.node("c14").log_text().contains("probes frozen"),
        "the hook froze the agent"
    );

    std::fs::remove_file(&flag).expect("remove the freeze flag");
    wait_for(
        Duration::from_secs(15),
        || stale(c11).is_some_and(|s| s.is_empty()),
        || format!("{}\n{}", c11.status(), c.logs()),
    );
}

#[test]
fn a_peer_with_a_clock_10s_off_is_flagged_once_and_not_counted() {
    let env = (
        "RTOGUARD_TEST_CLOCK_OFFSET".to_string(),
        "c14:10000".to_string(),
    );
    // Its votes never count, so the other three (3 of 4) bring the cluster up.
    let c = Cluster::start(Options {
        env: vec![env],
        ..Options::default()
    });
    let c11 = c.node("c11");
    wait_for(
        Duration::from_secs(10),
        || stale(c11).is_some_and(|s| s == ["c14"]),
        || format!("{}\n{}", c11.status(), c.logs()),
    );
    let p = peer(c11, "c14");
    let skew = p["clock_skew_ms"].as_i64().unwrap_or_default();
    assert!((9_500..=10_500).contains(&skew), "measured near 10 s: {p}");
    assert!(p["last_error"].is_null(), "it answers: {p}");
    assert!(
        c.node("c14")
            .log_text()
            .contains("wall clock peers see is off"),
        "the hook shifted the agent's clock"
    );
    // Raised once, though pulled every 200 ms since.
    std::thread::sleep(Duration::from_secs(1));
    let log = c11.log_text();
    let raised = log.matches("Peer clock beyond max_clock_skew").count();
    assert_eq!(raised, 1, "{log}");
    assert_eq!(stale(c11).as_deref(), Some(&["c14".to_string()][..]));
}
