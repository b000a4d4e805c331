//! Risk windows against BIND 9 through the daemon: the TTL is lowered at
//! the window's start, kept through a restart, restored at its end; a
//! planned failover inside a window skips the drain it no longer needs.

// Integration tests wait for a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use hickory_proto::rr::RecordType;
use serde_json::Value;

const NAME: &str = "checkout.example.test.";
const FAST: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }";

fn served(tb: &Testbed) -> (Vec<String>, u32) {
    let a = tb.bind.query(NAME, RecordType::A);
    (a.values, a.ttl)
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

/// Output with what changes from run to run masked: times, the user, paths.
fn mask(text: &str, tb: &Testbed) -> String {
    let mut text = text.replace(&tb.dir.path().display().to_string(), "[dir]");
    text = text.replace(&tb.bind.addr.to_string(), "[bind]");
    for (pattern, with) in [
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[when]"),
        (r"(127\.0\.0\.\d+):\d+", "$1:[port]"),
        (r"\b\d+(\.\d+)?ms\b", "[ms]"),
        (r"user:[^\s:),]+", "user:[who]"),
    ] {
        // The patterns are constants of this file.
        let re = regex_lite::Regex::new(pattern).expect("pattern");
        text = re.replace_all(&text, with).into_owned();
    }
    text
}

fn risk(tb: &Testbed, args: &[&str]) -> String {
    let out = run(&[&["risk"], args, &["--config", tb.config_str()]].concat());
    assert!(out.status.success(), "{}", out.text());
    out.text()
}

#[test]
fn a_risk_window_lowers_the_ttl_at_its_start_keeps_it_through_a_restart_and_restores_it_at_its_end()
{
    let tb = Testbed::start_with(4, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    assert_eq!(served(&tb).1, 4);
    let text = risk(
        &tb,
        &["checkout", "--for", "10s", "--reason", "deploy 4711"],
    );
    insta::assert_snapshot!("risk_open", mask(&text, &tb));
    wait_for(
        Duration::from_secs(5),
        || served(&tb).1 == 1,
        || history(&tb),
    );
    // kill -9 inside the window: the restarted daemon keeps it.
    d.signal("KILL");
    drop(d);
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(10),
        || controller(&tb).is_some(),
        || d.log_text(),
    );
    let c = controller(&tb).unwrap_or_default();
    assert_eq!(c["risk"]["reason"], "deploy 4711", "{c}");
    assert!(c["risk"]["until"].as_str().is_some(), "{c}");
    let text = run(&["status", "--config", tb.config_str()]).text();
    assert!(text.contains("RISK WINDOW until "), "{text}");
    let head = text.lines().next().unwrap_or_default();
    insta::assert_snapshot!("status_in_a_risk_window", mask(head, &tb));
    // At its end the normal TTL returns (restore_after is 1s).
    wait_for(
        Duration::from_secs(30),
        || served(&tb).1 == 4,
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    let h = history(&tb);
    let opened = h.find("risk window open: TTL kept at 1s").expect("opened");
    let restored = h
        .find("restored from the journal: risk window")
        .expect("kept");
    let over = h.find("risk window over").expect("over");
    let back = h.find("TTL 1s to 4s (quiet again)").expect("restored");
    assert!(opened < restored && restored < over && over < back, "{h}");
    assert_eq!(controller(&tb).unwrap_or_default()["risk"], Value::Null);
    d.stop();
}

#[test]
fn a_planned_failover_inside_a_risk_window_skips_the_drain() {
    let tb = Testbed::start_with(4, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    risk(&tb, &["checkout", "--for", "5m", "--reason", "deploy"]);
    wait_for(
        Duration::from_secs(5),
        || served(&tb).1 == 1,
        || history(&tb),
    );
    // One normal TTL after the lowering, caches hold only lowered answers.
    std::thread::sleep(Duration::from_secs(5));
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--planned",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}\n{}", out.text(), d.log_text());
    assert_eq!(served(&tb), (vec!["127.0.0.3".to_owned()], 1));
    wait_for(
        Duration::from_secs(15),
        || {
            run(&["report", "--list", "--config", tb.config_str()])
                .text()
                .contains("checkout-")
        },
        || history(&tb),
    );
    let h = history(&tb);
    assert!(
        !h.contains("for caches to drop the old TTL"),
        "drained:\n{h}"
    );
    let json = run(&["report", "--format", "json", "--config", tb.config_str()]);
    let r: Value = serde_json::from_slice(&json.stdout).expect("json");
    let drain = r["phases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "ttl_drain")
        .map_or(0, |p| p["duration_ms"].as_i64().unwrap_or_default());
    assert!(drain <= 1000 + 1000, "drained {drain} ms: {r}");
    assert_eq!(r["risk_window"]["open"], true, "{r}");
    assert_eq!(r["risk_window"]["ttl_at_fault"], 1, "{r}");
    let text = run(&["report", "--config", tb.config_str()]).text();
    assert!(text.contains("Inside a risk window (since "), "{text}");
    insta::assert_snapshot!("risk_end", risk(&tb, &["checkout", "--end"]));
    let out = run(&["risk", "checkout", "--end", "--config", tb.config_str()]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    insta::assert_snapshot!("risk_end_with_none_open", out.text());
    d.stop();
}

#[test]
fn a_scheduled_window_from_the_config_opens_and_closes() {
    let tb = Testbed::start_with(4, 1, "1s", FAST);
    let start = std::time::SystemTime::now() + Duration::from_secs(4);
    let window = format!(
        "\n[[risk_windows]]\nname = \"deploy\"\nservices = [\"checkout\"]\nstart = \"{}\"\nduration = \"6s\"\nreason = \"release train\"\n",
        humantime::format_rfc3339_seconds(start)
    );
    let mut text = std::fs::read_to_string(&tb.config).expect("config");
    text.push_str(&window);
    std::fs::write(&tb.config, text).expect("config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    wait_for(
        Duration::from_secs(15),
        || served(&tb).1 == 1,
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    wait_for(
        Duration::from_secs(20),
        || served(&tb).1 == 4,
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    let h = history(&tb);
    let opened = h
        .find("by schedule:deploy")
        .expect("opened by the schedule");
    let over = h.find("risk window over").expect("over");
    let back = h.find("TTL 1s to 4s (quiet again)").expect("restored");
    assert!(opened < over && over < back, "{h}");
    d.stop();
}

#[test]
fn risk_without_a_target_or_a_length_is_a_usage_error() {
    let out = run(&[
        "risk",
        "--reason",
        "deploy",
        "--config",
        "/nonexistent.toml",
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    insta::assert_snapshot!("risk_usage", out.text());
    let out = run(&["risk", "checkout", "--reason", "deploy"]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    assert!(out.text().contains("--for <DURATION>"), "{}", out.text());
}
