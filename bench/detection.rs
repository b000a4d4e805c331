//! Benchmark: detection time. Over N runs (default 10) with interval 1s,
//! fall 3, stop the primary and time until BIND serves the standby.
//! Prints min / median / max next to the floor fall × interval.
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

const HEALTH: &str = "health = { interval = \"1s\", rise = 2, fall = 3 }\ndamping = { hold_down = \"1s\", max_flips = 100, flip_window = \"1h\" }";

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
    println!("detection: fault -> BIND serves the standby, {runs} runs, interval 1s, fall 3");
    println!(
        "  min {}  median {}  max {}  floor (fall x interval) 3.000s  target median <= 3.500s",
        f(times[0]),
        f(times[times.len() / 2]),
        f(times[times.len() - 1])
    );
}

fn one_run() -> Duration {
    let mut tb = Testbed::start_with(30, 5, "1m", HEALTH);
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
