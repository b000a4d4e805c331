//! Incidents live in the core and survive a crash: a daemon killed with
//! `kill -9` during an outage, after the incident opened and before the
//! flip, takes the same incident up again: one id, one report; one killed
//! after the flip, before its watch ended, still reports the outage once.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use hickory_proto::rr::RecordType;
use serde_json::Value;

const NAME: &str = "checkout.example.test.";
const STANDBY: &str = "127.0.0.3";
const FAST: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }";

fn history(tb: &Testbed) -> Vec<Value> {
    let out = run(&["history", "--json", "--config", tb.config_str()]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn history_text(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

/// The incident ids the journal's entries carry.
fn incident_ids(tb: &Testbed) -> BTreeSet<String> {
    history(tb)
        .iter()
        .filter_map(|e| e["incident"].as_str().map(str::to_owned))
        .collect()
}

fn opened(tb: &Testbed) -> bool {
    history(tb).iter().any(|e| e["kind"] == "incident-start")
}

/// The daemon's controller status, once it has started.
fn controller(tb: &Testbed) -> Option<Value> {
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    let c = v.get("controller")?.clone();
    (c["started"] == true).then_some(c)
}

fn primary_down(tb: &Testbed) -> bool {
    controller(tb).is_some_and(|c| {
        c["pools"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "primary" && p["health"] == "down")
    })
}

fn reports(tb: &Testbed) -> Vec<String> {
    run(&["report", "--list", "--config", tb.config_str()])
        .text()
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("checkout-"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_kill_during_an_outage_before_the_flip_continues_the_same_incident() {
    let mut tb = Testbed::start_with(4, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    // The pin holds the flip back, so the kill falls between the incident
    // opening and the flip.
    let args = ["pin", "checkout", "--reason", "hold the flip"];
    let out = run(&[&args[..], &["--config", tb.config_str()]].concat());
    assert!(out.status.success(), "{}", out.text());
    tb.primary.stop();
    wait_for(Duration::from_secs(20), || opened(&tb), || d.log_text());
    assert_eq!(incident_ids(&tb).len(), 1, "{}", history_text(&tb));

    d.signal("KILL");
    drop(d);
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(20),
        || primary_down(&tb),
        || d.log_text(),
    );
    let out = run(&["unpin", "checkout", "--config", tb.config_str()]);
    assert!(out.status.success(), "{}", out.text());
    wait_for(
        Duration::from_secs(20),
        || tb.bind.query(NAME, RecordType::A).values == [STANDBY],
        || d.log_text(),
    );
    wait_for(
        Duration::from_secs(30),
        || !reports(&tb).is_empty(),
        || history_text(&tb),
    );
    let ids = incident_ids(&tb);
    assert_eq!(
        ids.len(),
        1,
        "more than one incident: {ids:?}\n{}",
        history_text(&tb)
    );
    let list = reports(&tb);
    assert_eq!(list.len(), 1, "{list:?}");
    let id = ids.first().map(String::as_str).unwrap_or_default();
    assert!(
        list[0].starts_with(id),
        "the report is not the incident's: {list:?} {id}"
    );
    d.stop();
}

/// The incidents whose report the journal stores (not built on demand).
fn stored_reports(tb: &Testbed) -> Vec<String> {
    rtoguard::journal::Journal::open(tb.dir.path())
        .and_then(|j| j.reports())
        .unwrap_or_default()
        .into_iter()
        .map(|(incident, ..)| incident)
        .collect()
}

/// Whether the journal shows the flip's propagation watch started.
fn watching(tb: &Testbed) -> bool {
    history(tb).iter().any(|e| e["kind"] == "watch-start")
}

#[test]
fn a_kill_after_the_flip_before_its_watch_ends_still_reports_the_outage_once() {
    let mut tb = Testbed::start_with(4, 1, "1s", FAST);
    // The watch is held, so the kill falls between the journaled flip and
    // the end of its watch (where the report used to be made).
    let d = Daemon::start(&tb, &[("RTOGUARD_TEST_WATCH_DELAY", "60")]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || tb.bind.query(NAME, RecordType::A).values == [STANDBY] && watching(&tb),
        || d.log_text(),
    );
    assert!(
        stored_reports(&tb).is_empty(),
        "reported before its watch ended"
    );

    d.signal("KILL");
    drop(d);
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(30),
        || !stored_reports(&tb).is_empty(),
        || format!("{}\n{}", history_text(&tb), d.log_text()),
    );
    let ids = incident_ids(&tb);
    assert_eq!(ids.len(), 1, "{ids:?}\n{}", history_text(&tb));
    let stored = stored_reports(&tb);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        ids.first(),
        stored.first(),
        "the report is not the incident's"
    );
    d.stop();
}
