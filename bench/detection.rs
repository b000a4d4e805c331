//! Benchmark: detection time. Over N runs (default 10) with interval 1s,
//! fall 3, stop the primary and time until BIND serves the standby: once
//! with fast confirmation off, once with it on (fast_interval 200ms).
//! Prints min / median / max of each next to its floor.
//!
//! Run: `cargo bench --bench detection` (RUNS=N to change the count).

// Benchmarks measure wall-clock time (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Testbed;
use common::daemon::{all_up, wait_for};
use hickory_proto::rr::RecordType;

const DAMPING: &str = "damping = { hold_down = \"1s\", max_flips = 100, flip_window = \"1h\" }";

/// Fast confirmation off: every probe an interval apart.
const SLOW: &str = "health = { interval = \"1s\", fast_interval = \"1s\", rise = 2, fall = 3 }";

/// Fast confirmation on: after the first failure, probes 200 ms apart.
const FAST: &str = "health = { interval = \"1s\", fast_interval = \"200ms\", rise = 2, fall = 3 }";

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let slow = series("fast confirmation off", SLOW, runs);
    let fast = series("fast_interval 200ms", FAST, runs);
    println!("detection: fault -> BIND serves the standby, {runs} runs each, interval 1s, fall 3");
    println!(
        "  fast confirmation off:  {}  floor (fall x interval) 3.000s  target median <= 3.500s",
        figures(&slow)
    );
    println!(
        "  fast_interval 200ms:    {}  worst phase (interval + (fall-1) x fast) 1.400s",
        figures(&fast)
    );
}

fn series(name: &str, health: &str, runs: usize) -> Vec<Duration> {
    let mut times = Vec::new();
    for i in 0..runs {
        let t = one_run(health);
        eprintln!("{name}, run {:>2}: {:.3}s", i + 1, t.as_secs_f64());
        times.push(t);
    }
    times.sort();
    times
}

fn figures(times: &[Duration]) -> String {
    let f = |d: Duration| format!("{:.3}s", d.as_secs_f64());
    format!(
        "min {}  median {}  max {}",
        f(times[0]),
        f(times[times.len() / 2]),
        f(times[times.len() - 1])
    )
}

/// A testbed for `health`, with a probe timeout (150 ms) under the fast interval.
fn testbed(health: &str) -> Testbed {
    let tb = Testbed::start_with(30, 5, "1m", &format!("{health}\n{DAMPING}"));
    let text = std::fs::read_to_string(&tb.config).expect("config");
    let fitted = text.replacen("timeout = \"750ms\"", "timeout = \"150ms\"", 1);
    assert_ne!(text, fitted, "the testbed's probe timeout moved");
    std::fs::write(&tb.config, fitted).expect("write config");
    tb
}

fn one_run(health: &str) -> Duration {
    let mut tb = testbed(health);
    let mut d = daemon(&tb);
    wait_for(
        Duration::from_secs(20),
        || all_up(&tb),
        || "pools never came up".into(),
    );
    // A random moment within the probe interval.
    std::thread::sleep(Duration::from_millis(rand::random_range(0..1000)));
    let fault = Instant::now();
    tb.primary.stop();
    let limit = Instant::now() + Duration::from_secs(30);
    while tb
        .bind
        .query("checkout.example.test.", RecordType::A)
        .values
        != ["127.0.0.3"]
    {
        assert!(Instant::now() < limit, "no failover within 30s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = fault.elapsed();
    let _ = d.kill();
    let _ = d.wait();
    took
}

fn daemon(tb: &Testbed) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args(["run", "--config", tb.config_str()])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rtoguard run")
}
