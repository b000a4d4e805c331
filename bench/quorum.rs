//! Benchmark: detection with several vantages. Three controllers and an agent
//! (tests/common/cluster.rs), quorum 2, interval 1 s, fall 3: the time from
//! stopping the primary to BIND serving the standby, median over N runs
//! (default 10), next to the single-controller figure from `detection`.
//!
//! Run: `cargo bench --bench quorum` (RUNS=N to change the count).

// Benchmarks measure wall-clock time (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::cluster::{Cluster, Options};

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let mut times = Vec::new();
    for i in 0..runs {
        let t = one_run();
        eprintln!("run {:>2}: {:.3}s", i + 1, t.as_secs_f64());
        times.push(t);
    }
    times.sort();
    let f = |d: Duration| format!("{:.3}s", d.as_secs_f64());
    println!(
        "detection with quorum 2 of 4 vantages (3 controllers + 1 agent), interval 1s, fast_interval 200ms, fall 3, {runs} runs"
    );
    println!(
        "  min {}  median {}  max {}  (compare: `cargo bench --bench detection`, one controller; target: quorum adds <= 1 interval)",
        f(times[0]),
        f(times[times.len() / 2]),
        f(times[times.len() - 1])
    );
}

fn one_run() -> Duration {
    let opts = Options {
        // The same probing as `detection`'s fast series, so the two compare:
        // fast_interval first, so the cluster fits the probe timeout to it
        // (150 ms, as `detection` does) and not to the interval.
        health: "health = { fast_interval = \"200ms\", interval = \"1s\", rise = 2, fall = 3, quorum = 2, max_age = \"3s\" }"
            .into(),
        ..Options::default()
    };
    let mut c = Cluster::start(opts);
    std::thread::sleep(Duration::from_millis(rand::random_range(0..1000)));
    let fault = Instant::now();
    c.primary.stop();
    let limit = Instant::now() + Duration::from_secs(60);
    while c.served() != ["127.0.0.3"] {
        assert!(Instant::now() < limit, "no failover within 60s");
        std::thread::sleep(Duration::from_millis(10));
    }
    fault.elapsed()
}
