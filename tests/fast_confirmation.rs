//! Fast confirmation end to end: `rtoguard run` against BIND 9 and two HTTP
//! regions; the failing probes the primary region sees come `fast_interval`
//! apart until `fall` confirms it down, then `interval` apart again.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use rtoguard_testkit::region::Region;

const HEALTH: &str =
    "health = { interval = \"1s\", fast_interval = \"100ms\", rise = 2, fall = 3 }";

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

/// Every time the region's request count moved, until `stop` (polled every
/// millisecond; each request is one probe of this region).
fn request_times(region: &Region, stop: &AtomicBool) -> Vec<Instant> {
    let mut times = Vec::new();
    let mut seen = region.requests();
    while !stop.load(Ordering::SeqCst) {
        let now = region.requests();
        for _ in seen..now {
            times.push(Instant::now());
        }
        seen = now;
        std::thread::sleep(Duration::from_millis(1));
    }
    times
}

/// A Testbed whose probe timeout (80 ms) fits under the 100 ms fast interval.
fn testbed() -> Testbed {
    let tb = Testbed::start_with(5, 1, "1m", HEALTH);
    let text = std::fs::read_to_string(&tb.config).expect("config");
    let fitted = text.replacen("timeout = \"750ms\"", "timeout = \"80ms\"", 1);
    assert_ne!(text, fitted, "the testbed's probe timeout moved");
    std::fs::write(&tb.config, fitted).expect("write config");
    tb
}

#[test]
fn a_failure_is_confirmed_by_probes_fast_interval_apart() {
    let tb = testbed();
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    // Fail the primary just after a probe, so the next one is the first to fail.
    let before = tb.primary.requests();
    wait_for(
        Duration::from_secs(5),
        || tb.primary.requests() > before,
        || d.log_text(),
    );
    tb.primary.set_status(503);
    let stop = AtomicBool::new(false);
    let (times, seen_down) = std::thread::scope(|s| {
        let poll = s.spawn(|| request_times(&tb.primary, &stop));
        let mut down = None;
        let start = Instant::now();
        while down.is_none() && start.elapsed() < Duration::from_secs(15) {
            if history(&tb).contains("pool primary is down") {
                down = Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // long enough for the probe after the verdict, back at the interval
        std::thread::sleep(Duration::from_millis(1500));
        stop.store(true, Ordering::SeqCst);
        (poll.join().expect("poller"), down)
    });
    let seen_down = seen_down.unwrap_or_else(|| panic!("never down:\n{}", history(&tb)));
    let failing_before_down = times.iter().filter(|t| **t <= seen_down).count();
    assert!(
        failing_before_down >= 3,
        "down after {failing_before_down} failed probes"
    );
    assert!(times.len() >= 4, "{} failed probes seen", times.len());
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    // failures 1 → 2 → 3 about 100 ms apart (not the 1 s interval) ...
    for g in &gaps[..2] {
        assert!(
            *g >= Duration::from_millis(80) && *g < Duration::from_millis(500),
            "failing probes {gaps:?} apart"
        );
    }
    // ... and once down, the interval again.
    assert!(gaps[2] >= Duration::from_millis(800), "{gaps:?}");
    drop(d);
}
