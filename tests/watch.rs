//! The connection watch end to end: `rtoguard run` against BIND 9 and two
//! HTTP regions at fall 3; the primary region's server stops (listener and
//! connections closed) just after a probe, and the pool is confirmed down
//! before the next interval slot comes: the first failed probe followed the
//! close, not the schedule.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};

/// A long interval, so "before the next slot" leaves no doubt; fall 3 with
/// fast confirmation, as the issue asks.
const INTERVAL: Duration = Duration::from_secs(8);
const HEALTH: &str =
    "health = { interval = \"8s\", fast_interval = \"100ms\", rise = 1, fall = 3, watch = true }";

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

/// A Testbed whose probe timeout (80 ms) fits under the 100 ms fast interval.
fn testbed() -> Testbed {
    let tb = Testbed::start_with(5, 1, "1m", HEALTH);
    tb.set_probe_timeout("80ms");
    assert!(
        std::fs::read_to_string(&tb.config)
            .expect("config")
            .contains("timeout = \"80ms\"")
    );
    tb
}

#[test]
fn a_server_that_dies_is_probed_at_once_not_at_the_next_interval() {
    let mut tb = testbed();
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(30), || all_up(&tb), || d.log_text());
    // Stop the primary just after one of its scheduled probes: the next
    // slot is a whole interval away.
    let before = tb.primary.requests();
    wait_for(
        Duration::from_secs(15),
        || tb.primary.requests() > before,
        || d.log_text(),
    );
    let probed = Instant::now();
    tb.primary.stop();
    let slot = probed + INTERVAL;
    let mut down = None;
    while down.is_none() && Instant::now() < slot + INTERVAL {
        if history(&tb).contains("pool primary is down") {
            down = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let down = down.unwrap_or_else(|| panic!("never down:\n{}", history(&tb)));
    assert!(
        down < slot,
        "down {:?} after the last scheduled probe: it waited for the next slot ({INTERVAL:?})\n{}",
        down - probed,
        d.log_text()
    );
    drop(d);
}
