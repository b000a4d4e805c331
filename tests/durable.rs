//! Decisions survive: a pin, a flip-cap halt and a drill across reload
//! (SIGHUP), restart and kill -9 of a real daemon against BIND 9.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use hickory_proto::rr::RecordType;
use serde_json::Value;

const NAME: &str = "checkout.example.test.";
const PRIMARY: &str = "127.0.0.2";
const STANDBY: &str = "127.0.0.3";

fn fast(max_flips: u32) -> String {
    format!(
        "health = {{ interval = \"200ms\", rise = 2, fall = 2 }}\ndamping = {{ hold_down = \"1s\", max_flips = {max_flips}, flip_window = \"1h\" }}"
    )
}

fn served(tb: &Testbed) -> Vec<String> {
    tb.bind.query(NAME, RecordType::A).values
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

/// The daemon's controller status of the service, once it has started.
fn controller(tb: &Testbed) -> Option<Value> {
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    let c = v.get("controller")?.clone();
    (c["started"] == true).then_some(c)
}

/// Waits until a started daemon reports the pool `pool` down.
fn wait_down(tb: &Testbed, d: &Daemon, pool: &str) {
    wait_for(
        Duration::from_secs(20),
        || {
            controller(tb).is_some_and(|c| {
                c["pools"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == pool && p["health"] == "down")
            })
        },
        || d.log_text(),
    );
}

/// Waits until the restarted daemon has restored the pin, and checks it.
fn assert_pinned(tb: &Testbed, d: &Daemon, step: &str) {
    wait_for(
        Duration::from_secs(20),
        || controller(tb).is_some(),
        || d.log_text(),
    );
    let c = controller(tb).unwrap_or_default();
    let pin = &c["pin"];
    assert_eq!(c["pinned"], true, "not pinned after {step}: {c}");
    assert_eq!(pin["reason"], "maintenance window", "{c}");
    assert!(
        pin["by"].as_str().is_some_and(|b| b.starts_with("user:")),
        "{c}"
    );
    assert!(pin["until"].as_str().is_some(), "{c}");
    let text = run(&["status", "--config", tb.config_str()]).text();
    assert!(
        text.contains("PINNED by user:") && text.contains(": maintenance window"),
        "{text}"
    );
}

fn restart(tb: &Testbed, d: Daemon, kill: bool) -> Daemon {
    if kill {
        d.signal("KILL");
        drop(d);
    } else {
        d.stop();
    }
    Daemon::start(tb, &[])
}

#[test]
fn a_pin_with_for_survives_reload_restart_and_kill_then_lifts_itself() {
    let mut tb = Testbed::start_with(4, 1, "1s", &fast(3));
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    let pinned_at = Instant::now();
    let out = run(&[
        "pin",
        "checkout",
        "--reason",
        "maintenance window",
        "--for",
        "40s",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}", out.text());
    assert_pinned(&tb, &d, "pin");
    tb.primary.stop();
    wait_down(&tb, &d, "primary");

    // A reload of an unchanged config keeps the service's task (and so its
    // controller); the pin must be there after it all the same.
    d.signal("HUP");
    wait_for(
        Duration::from_secs(10),
        || d.log_text().contains("Config reloaded."),
        || d.log_text(),
    );
    assert_pinned(&tb, &d, "reload");
    let d = restart(&tb, d, false);
    assert_pinned(&tb, &d, "restart");
    let d = restart(&tb, d, true);
    assert_pinned(&tb, &d, "kill -9");
    wait_down(&tb, &d, "primary");
    assert_eq!(served(&tb), [PRIMARY], "a pinned service moved");

    // At the end of the pin automation resumes by itself: the primary is down.
    wait_for(
        Duration::from_secs(60),
        || served(&tb) == [STANDBY],
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    assert!(
        pinned_at.elapsed() >= Duration::from_secs(40),
        "moved early"
    );
    let c = controller(&tb).unwrap_or_default();
    assert_eq!(
        (&c["pinned"], &c["pin"]),
        (&Value::Bool(false), &Value::Null)
    );
    let h = history(&tb);
    for step in ["pinned", "restored from the journal: pinned", "pin_expired"] {
        assert!(h.contains(step), "history lacks {step}:\n{h}");
    }
    // Restored by the restart and by the start after kill -9; the reload
    // kept the running task.
    assert_eq!(
        h.matches("restored from the journal: pinned").count(),
        2,
        "{h}"
    );
    d.stop();
}

#[test]
fn a_flip_cap_halt_survives_a_restart() {
    let mut tb = Testbed::start_with(4, 1, "1s", &fast(1));
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || served(&tb) == [STANDBY],
        || d.log_text(),
    );
    tb.primary.resume();
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    tb.standby.stop();
    wait_for(
        Duration::from_secs(20),
        || controller(&tb).is_some_and(|c| c["halted"] == "flip_cap"),
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    assert_eq!(served(&tb), [STANDBY]);

    let d = restart(&tb, d, false);
    wait_down(&tb, &d, "standby");
    let c = controller(&tb).unwrap_or_default();
    assert_eq!(c["halted"], "flip_cap", "the halt was lifted: {c}");
    assert_eq!(c["automatic_flips_in_window"], 1, "{c}");
    // Standby down, primary up: only the halt keeps traffic where it is.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(served(&tb), [STANDBY], "a restart bypassed the flip cap");
    d.stop();
}

/// Starts a drill through the CLI, which follows it; killed on drop.
struct DrillCli(std::process::Child);

impl DrillCli {
    fn start(tb: &Testbed, extra: &[&str], dwell: &str) -> Self {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_rtoguard"))
            .args(["drill", "checkout", "--dwell", dwell, "--yes"])
            .args(extra)
            .args(["--config", tb.config_str()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn rtoguard drill");
        Self(child)
    }
}

impl Drop for DrillCli {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_restart_during_a_drills_dwell_still_fails_back() {
    let tb = Testbed::start_with(2, 1, "1s", &fast(3));
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    let _cli = DrillCli::start(&tb, &[], "12s");
    wait_for(
        Duration::from_secs(15),
        || served(&tb) == [STANDBY],
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    let d = restart(&tb, d, true);
    wait_for(
        Duration::from_secs(20),
        || controller(&tb).is_some(),
        || d.log_text(),
    );
    let c = controller(&tb).unwrap_or_default();
    assert_eq!(
        c["drill"]["home"], "primary",
        "the drill was forgotten: {c}"
    );
    assert_eq!(served(&tb), [STANDBY], "failed back before the dwell ended");
    wait_for(
        Duration::from_secs(40),
        || served(&tb) == [PRIMARY],
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    let h = history(&tb);
    assert!(
        h.contains("ended: dwell over: failing back to primary"),
        "{h}"
    );
    d.stop();
}

#[test]
fn a_drill_whose_home_pool_died_during_a_restart_is_reported_aborted() {
    let mut tb = Testbed::start_with(2, 1, "1s", &fast(3));
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    let _cli = DrillCli::start(&tb, &["--simulate-fault"], "3s");
    wait_for(
        Duration::from_secs(15),
        || served(&tb) == [STANDBY],
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    d.signal("KILL");
    drop(d);
    tb.primary.stop();
    // The dwell ends while no daemon runs.
    std::thread::sleep(Duration::from_secs(4));
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(20),
        || history(&tb).contains("aborted: primary is down"),
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    let c = controller(&tb).unwrap_or_default();
    assert_eq!(c["drill"], Value::Null, "{c}");
    assert_eq!(served(&tb), [STANDBY], "failed back to a dead pool");
    d.stop();
}

/// With the daemon stopped, `status` reads the providers directly, and
/// shows the pin the journal holds (its core would restore it at start):
/// the on-call engineer must not read "not pinned" while a pin waits.
#[test]
fn status_without_the_daemon_shows_the_journaled_pin() {
    let tb = Testbed::start_with(2, 1, "1s", &fast(3));
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    let out = run(&[
        "pin",
        "checkout",
        "--reason",
        "maintenance window",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}", out.text());
    d.stop();
    let text = run(&["status", "--config", tb.config_str()]).text();
    assert!(text.contains("(no daemon"), "{text}");
    assert!(
        text.contains("PINNED by user:") && text.contains(": maintenance window"),
        "{text}"
    );
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    assert_eq!(v["source"], "provider", "{v}");
    assert_eq!(v["controller"]["pinned"], true, "{v}");
    assert_eq!(
        v["controller"]["pin"]["reason"], "maintenance window",
        "{v}"
    );
}
