//! Benchmark: detection with several vantages against one. Three
//! controllers and an agent (tests/common/cluster.rs), quorum 2, beside one
//! controller alone, with the same probing (interval 1 s, fast_interval
//! 200 ms, fall 3, probe timeout 150 ms), the same BIND and TTLs: the time
//! from the fault to BIND serving the standby, min / median / max over N
//! runs (default 10) of each, and the quorum's cost (difference of medians;
//! target <= 0.1 s).
//!
//! Two faults, each at a random moment of the probe interval:
//! - `closed`: the primary stops listening; its open connections close, so
//!   the connection watch probes at once at every vantage;
//! - `failing`: the primary answers 500 on connections that stay open, so
//!   each vantage finds it at its own next probe (its own phase).
//!
//! `TIMELINE=1` runs the daemons at debug level and prints, for every run,
//! each daemon's own log lines from the fault to BIND serving the standby,
//! merged in time order with their offset from the fault: first failed
//! probe at each vantage, vote published, vote heard at each peer, pools
//! re-judged, verdict, TTL write, flip requested, update sent.
//!
//! Run: `cargo bench --bench quorum` (RUNS=N, FAULTS=closed,failing).

// Benchmarks measure wall-clock time (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use common::Testbed;
use common::cluster::{Cluster, Options, without_colours};
use common::daemon::{Daemon, all_up, wait_for};
use hickory_proto::rr::RecordType;

/// The probing both set-ups share; the cluster adds `quorum = 2`.
const HEALTH: &str =
    "fast_interval = \"200ms\", interval = \"1s\", rise = 2, fall = 3, max_age = \"3s\"";

/// The log filter with `TIMELINE=1`: every step of the vote's path.
const DEBUG: &str = "rtoguard=debug,rtoguard_rfc2136=debug";

/// What a run measured: fault to BIND serving the standby, and the lines
/// of its timeline.
struct Run {
    took: Duration,
    timeline: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Closed,
    Failing,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Closed => "closed",
            Fault::Failing => "failing",
        }
    }
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let timeline = std::env::var("TIMELINE").is_ok_and(|v| v == "1");
    let faults: Vec<Fault> = std::env::var("FAULTS")
        .unwrap_or_else(|_| "closed,failing".into())
        .split(',')
        .filter_map(|f| match f.trim() {
            "closed" => Some(Fault::Closed),
            "failing" => Some(Fault::Failing),
            _ => None,
        })
        .collect();
    let mut rows = Vec::new();
    for fault in faults {
        let (mut single, mut quorum) = (Vec::new(), Vec::new());
        // Interleaved, so a change of the machine's load falls on both.
        for i in 0..runs {
            for (name, times, cluster) in [
                ("single", &mut single, false),
                ("quorum", &mut quorum, true),
            ] {
                let r = if cluster {
                    quorum_run(fault, timeline)
                } else {
                    single_run(fault, timeline)
                };
                eprintln!(
                    "{} {name}, run {:>2}: {:.3}s",
                    fault.name(),
                    i + 1,
                    r.took.as_secs_f64()
                );
                for line in &r.timeline {
                    eprintln!("    {line}");
                }
                times.push(r.took);
            }
        }
        single.sort();
        quorum.sort();
        rows.push((fault, single, quorum));
    }
    println!(
        "detection: fault -> BIND serves the standby, interval 1s, fast_interval 200ms, fall 3, {runs} runs each{}",
        if timeline { " (debug logs)" } else { "" }
    );
    for (fault, single, quorum) in &rows {
        let diff = median(quorum).as_secs_f64() - median(single).as_secs_f64();
        println!("  fault {}:", fault.name());
        println!(
            "    one controller:                       {}",
            figures(single)
        );
        println!(
            "    quorum 2 of 3 controllers + 1 agent:  {}",
            figures(quorum)
        );
        println!("    quorum - one controller (medians):    {diff:+.3}s  target <= +0.100s");
    }
}

fn median(times: &[Duration]) -> Duration {
    times[times.len() / 2]
}

fn figures(times: &[Duration]) -> String {
    let f = |d: Duration| format!("{:.3}s", d.as_secs_f64());
    format!(
        "min {}  median {}  max {}",
        f(times[0]),
        f(median(times)),
        f(times[times.len() - 1])
    )
}

/// Wait a random moment of the probe interval, then fault the primary:
/// the fault's wall-clock time (for the timeline) and its instant.
fn fault_at(primary: &mut rtoguard_testkit::region::Region, fault: Fault) -> (SystemTime, Instant) {
    std::thread::sleep(Duration::from_millis(rand::random_range(0..1000)));
    let at = (SystemTime::now(), Instant::now());
    match fault {
        Fault::Closed => primary.stop(),
        Fault::Failing => primary.set_status(500),
    }
    at
}

/// Poll `served` every 10 ms until it is the standby (60 s at most).
fn until_standby(start: Instant, served: impl Fn() -> Vec<String>) -> Duration {
    let limit = start + Duration::from_secs(60);
    while served() != ["127.0.0.3"] {
        assert!(Instant::now() < limit, "no failover within 60s");
        std::thread::sleep(Duration::from_millis(10));
    }
    start.elapsed()
}

fn quorum_run(fault: Fault, timeline: bool) -> Run {
    let mut env = Vec::new();
    if timeline {
        env.push(("RUST_LOG".to_string(), DEBUG.to_string()));
    }
    let opts = Options {
        health: format!("health = {{ {HEALTH}, quorum = 2 }}"),
        env,
        ..Options::default()
    };
    let mut c = Cluster::start(opts);
    let (wall, start) = fault_at(&mut c.primary, fault);
    let took = until_standby(start, || c.served());
    let logs: Vec<(&str, &Path)> = c.nodes.iter().map(|n| (n.id, n.log.as_path())).collect();
    let timeline = if timeline {
        merged(&logs, wall, took)
    } else {
        Vec::new()
    };
    Run { took, timeline }
}

fn single_run(fault: Fault, timeline: bool) -> Run {
    let mut tb = Testbed::start_with(30, 5, "1h", &format!("health = {{ {HEALTH} }}"));
    // As the cluster fits it under the fast interval (tests/common probe_timeout).
    tb.set_probe_timeout("150ms");
    let env: &[(&str, &str)] = if timeline {
        &[("RUST_LOG", DEBUG)]
    } else {
        &[]
    };
    let d = Daemon::start(&tb, env);
    wait_for(
        Duration::from_secs(30),
        || all_up(&tb),
        || "pools never came up".into(),
    );
    let (wall, start) = fault_at(&mut tb.primary, fault);
    let bind = &tb.bind;
    let took = until_standby(start, || {
        bind.query("checkout.example.test.", RecordType::A).values
    });
    let timeline = if timeline {
        merged(&[("single", d.log_path())], wall, took)
    } else {
        Vec::new()
    };
    Run { took, timeline }
}

/// Log lines that say nothing about this failover's path.
const NOISE: [&str; 3] = [
    "Long-poll answered",
    "Watched connection cannot be opened",
    "Querying the primary",
];

/// Every daemon's log lines from `fault` to `took` after it, in time
/// order: `+offset ms  id  LEVEL  message fields`.
fn merged(logs: &[(&str, &Path)], fault: SystemTime, took: Duration) -> Vec<String> {
    let mut lines = Vec::new();
    for (id, path) in logs {
        let text = without_colours(&std::fs::read_to_string(path).unwrap_or_default());
        for line in text.lines() {
            let Some((stamp, rest)) = line.split_once(' ') else {
                continue;
            };
            let Ok(at) = humantime::parse_rfc3339(stamp) else {
                continue;
            };
            let Ok(offset) = at.duration_since(fault) else {
                continue;
            };
            if offset > took + Duration::from_millis(20) || NOISE.iter().any(|n| rest.contains(n)) {
                continue;
            }
            // "LEVEL target: message": the target's module path goes.
            let rest = rest.trim_start();
            let (level, rest) = rest.split_once(' ').unwrap_or(("", rest));
            let message = rest.split_once(": ").map_or(rest, |(_, m)| m);
            lines.push((
                offset,
                format!("+{:>4}ms  {id:<6} {level:<5} {message}", offset.as_millis()),
            ));
        }
    }
    lines.sort_by_key(|(at, _)| *at);
    let mut out: Vec<String> = lines.into_iter().map(|(_, l)| l).collect();
    out.push(format!(
        "+{:>4}ms  bench  BIND serves the standby",
        took.as_millis()
    ));
    out
}
