//! Every region serves the same decision: three controllers whose records
//! live in each of them (a provider that serves here, the test one behind
//! `RTOGUARD_TEST_SERVED_HERE`: each controller's copy is a file in its
//! state directory), c11, c12, c13 and the agent c14 (see
//! `common::cluster`). The primary's region dies; c13 (the standby's
//! region) writes its own copy first, and c11 and c12 adopt its flip into
//! theirs instead of writing one of their own.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::cluster::{Cluster, Node, Options, first_and_all};
use common::daemon::wait_for;
use serde_json::Value;

const PRIMARY: &str = "127.0.0.2";
const STANDBY: &str = "127.0.0.3";

/// What controller `n` serves: the values of its own copy (the first
/// pool's until it writes).
fn serves(c: &Cluster, n: &Node) -> String {
    let path = c.dir.path().join(n.id).join("served-here.json");
    let Ok(bytes) = std::fs::read(&path) else {
        return PRIMARY.to_owned();
    };
    let sets: Vec<Value> = serde_json::from_slice(&bytes).unwrap_or_default();
    sets.iter()
        .flat_map(|s| s["values"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(",")
}

/// The messages of `n`'s decisions of kind `decision`.
fn decisions(n: &Node, decision: &str) -> Vec<String> {
    n.history()
        .into_iter()
        .filter(|e| e["detail"]["decision"] == decision)
        .filter_map(|e| e["message"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn after_the_writer_flips_every_controller_serves_the_same_pool() {
    let mut c = Cluster::start(Options {
        env: vec![("RTOGUARD_TEST_SERVED_HERE".into(), "1".into())],
        ..Options::default()
    });
    let ids = ["c11", "c12", "c13"];
    for id in ids {
        assert_eq!(serves(&c, c.node(id)), PRIMARY, "{id} starts on primary");
    }
    c.primary.stop();

    // Each copy polled in turn, as clients of three regions would ask.
    let (first, all) = first_and_all(&ids, Duration::from_secs(30), |id| {
        serves(&c, c.node(id)) == STANDBY
    });
    let (Some(first), Some(all)) = (first, all) else {
        panic!("not every controller serves standby\n{}", c.logs());
    };
    // A figure, not a bound (timing belongs to benchmarks): the pull
    // interval here is 200 ms; the writer grace 5 s.
    eprintln!(
        "first copy on standby to all three: {} ms",
        all.duration_since(first).as_millis()
    );

    for id in ids {
        for line in c.node(id).log_text().lines() {
            if line.contains("Flipped.") || line.contains("Adopt") {
                eprintln!("{id}: {line}");
            }
        }
    }
    // One writer; the others adopted its flip, before their own writer
    // delay would have let them write.
    let c13 = c.node("c13");
    assert_eq!(decisions(c13, "flipped").len(), 1, "{}", c.logs());
    assert!(decisions(c13, "adopted").is_empty(), "{}", c.logs());
    for id in ["c11", "c12"] {
        let n = c.node(id);
        assert!(decisions(n, "flipped").is_empty(), "{id}: {}", c.logs());
        let adopted = decisions(n, "adopted");
        assert_eq!(adopted.len(), 1, "{id}: {}", c.logs());
        assert!(
            adopted[0].starts_with("adopted c13's flip to standby"),
            "{id}: {adopted:?}"
        );
    }
    // And it stays so: nobody writes again.
    std::thread::sleep(Duration::from_secs(1));
    for id in ids {
        assert_eq!(serves(&c, c.node(id)), STANDBY, "{id}");
    }
    wait_for(
        Duration::from_secs(20),
        || {
            ids.iter()
                .all(|id| c.node(id).status()["controller"]["active"] == "standby")
        },
        || c.logs(),
    );
}
