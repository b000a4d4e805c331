//! Stopping under systemd: the watchdog is pinged from the service tasks'
//! heartbeats, so a long stop drain keeps it fed and a wedged service task
//! starves it, and the drain is bounded by `controller.stop_timeout`. The
//! test owns the notify socket (`NOTIFY_SOCKET`) as systemd would.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::Testbed;
use common::daemon::{Daemon, all_up, wait_for};
use common::notify::NotifySocket;

const FAST: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }";
/// systemd's `WatchdogSec=2s`: the daemon pings every second.
const WATCHDOG_USEC: &str = "2000000";

/// The longest stretch without a ping between `from` and `to`.
fn longest_gap(pings: &[Instant], from: Instant, to: Instant) -> Duration {
    let mut marks: Vec<Instant> = pings
        .iter()
        .copied()
        .filter(|t| *t > from && *t < to)
        .collect();
    marks.insert(0, from);
    marks.push(to);
    marks
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default()
}

#[test]
fn the_watchdog_is_pinged_through_a_sixty_second_stop_drain() {
    let mut tb = Testbed::start_with(4, 1, "1s", FAST);
    // The drain may outlast the held call.
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let text = text.replace("[controller]\n", "[controller]\nstop_timeout = \"90s\"\n");
    std::fs::write(&tb.config, text).unwrap();
    let ns = NotifySocket::bind(&tb);
    let mut d = Daemon::start_watched(
        &tb,
        &[
            ("NOTIFY_SOCKET", &ns.path),
            ("WATCHDOG_USEC", WATCHDOG_USEC),
            ("RTOGUARD_TEST_PAUSE_AFTER_APPLY", "60"),
        ],
    );
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    // A provider change was accepted and its call is held for 60 s.
    wait_for(
        Duration::from_secs(30),
        || {
            d.log_text()
                .contains("Test hook: pausing after a provider change")
        },
        || d.log_text(),
    );
    let term = Instant::now();
    d.signal("TERM");
    let status = loop {
        if let Some(s) = d.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            term.elapsed() < Duration::from_secs(120),
            "no exit:\n{}",
            d.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let exited = Instant::now();
    assert!(status.success(), "{status}:\n{}", d.log_text());
    let drained = exited - term;
    assert!(
        drained > Duration::from_secs(40),
        "the drain did not wait for the held call ({drained:?}):\n{}",
        d.log_text()
    );
    let gap = longest_gap(&ns.pings(), term, exited);
    assert!(
        gap < Duration::from_secs(4),
        "the watchdog went unfed for {gap:?} of a {drained:?} drain (WatchdogSec=2s):\n{}",
        d.log_text()
    );
}

#[test]
fn a_wedged_service_task_stops_the_watchdog_and_is_named() {
    let tb = Testbed::start_with(4, 1, "1s", FAST);
    // A short provider timeout: a task counts as wedged once silent for
    // longer than its slowest provider read (5 s + 1 s + 10 s here).
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let text = text.replace(
        "type = \"rfc2136\"\n",
        "type = \"rfc2136\"\ntimeout = \"1s\"\n",
    );
    std::fs::write(&tb.config, text).unwrap();
    let ns = NotifySocket::bind(&tb);
    let d = Daemon::start_watched(
        &tb,
        &[
            ("NOTIFY_SOCKET", &ns.path),
            ("WATCHDOG_USEC", WATCHDOG_USEC),
            ("RTOGUARD_TEST_WEDGE_SERVICE", "checkout:6"),
        ],
    );
    wait_for(
        Duration::from_secs(10),
        || ns.pings().len() >= 3,
        || d.log_text(),
    );
    wait_for(
        Duration::from_secs(40),
        || d.log_text().contains("Service task stalled"),
        || d.log_text(),
    );
    let log = d.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("Service task stalled"))
        .unwrap_or_default();
    assert!(
        line.contains("checkout"),
        "the stalled service is not named: {line}"
    );
    let since = Instant::now();
    std::thread::sleep(Duration::from_secs(5));
    let late = ns.pings().iter().filter(|t| **t > since).count();
    assert_eq!(late, 0, "the watchdog was still pinged:\n{}", d.log_text());
}

#[test]
fn a_stop_abandons_a_provider_call_held_past_stop_timeout() {
    let mut tb = Testbed::start_with(4, 1, "1s", FAST);
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let text = text.replace("[controller]\n", "[controller]\nstop_timeout = \"3s\"\n");
    std::fs::write(&tb.config, text).unwrap();
    let mut d = Daemon::start(&tb, &[("RTOGUARD_TEST_PAUSE_AFTER_APPLY", "60")]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(30),
        || {
            d.log_text()
                .contains("Test hook: pausing after a provider change")
        },
        || d.log_text(),
    );
    let term = Instant::now();
    d.signal("TERM");
    // Well inside the 60 s hold: the drain stopped at its bound.
    while d.child.try_wait().unwrap().is_none() {
        assert!(
            term.elapsed() < Duration::from_secs(30),
            "no exit:\n{}",
            d.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(term.elapsed() >= Duration::from_secs(3), "{}", d.log_text());
    let log = d.log_text();
    assert!(
        log.contains("Provider call still in flight at the stop limit"),
        "{log}"
    );
}
