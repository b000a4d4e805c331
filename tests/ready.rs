//! READY means ready: `rtoguard run` against BIND 9 and two HTTP regions
//! tells systemd READY only once the provider answered an authenticated
//! read and every pool's health is known; until then `STATUS=` says what
//! is missing, and `status` says so too.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::Testbed;
use common::daemon::{Daemon, wait_for};
use common::notify::NotifySocket;
use common::run;

const HEALTH: &str = "health = { interval = \"1s\", rise = 3, fall = 2 }";

/// The one service's status JSON, once the daemon answers.
fn status(tb: &Testbed) -> serde_json::Value {
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    serde_json::from_slice(&out.stdout).unwrap_or_default()
}

fn ready_message(ns: &NotifySocket) -> Option<String> {
    ns.messages()
        .into_iter()
        .find(|m| m.lines().any(|l| l == "READY=1"))
}

#[test]
fn ready_waits_for_every_pools_health_and_says_so() {
    let tb = Testbed::start_with(4, 1, "1s", HEALTH);
    let ns = NotifySocket::bind(&tb);
    let d = Daemon::start(&tb, &[("NOTIFY_SOCKET", &ns.path)]);
    wait_for(
        Duration::from_secs(30),
        || ready_message(&ns).is_some(),
        || d.log_text(),
    );
    // At READY, every pool's health is already known.
    let s = status(&tb);
    let pools = s["pools"].as_array().cloned().unwrap_or_default();
    assert!(
        !pools.is_empty() && pools.iter().all(|p| p["health"] == "up"),
        "READY with pools not known up: {s}"
    );
    assert_eq!(s["ready"], true, "{s}");
    let ready = ready_message(&ns).unwrap_or_default();
    assert!(ready.contains("STATUS=Ready."), "{ready}");
    let before: Vec<_> = ns
        .messages()
        .into_iter()
        .take_while(|m| !m.contains("READY=1"))
        .collect();
    assert!(
        before
            .iter()
            .any(|m| m.contains("STATUS=Not ready") && m.contains("health unknown")),
        "no STATUS= said what was missing before READY: {before:?}"
    );
    // A reload that restarts the service: STATUS= says what it lacks, then Ready.
    let seen = ns.messages().len();
    let text = std::fs::read_to_string(&tb.config).unwrap();
    std::fs::write(&tb.config, text.replace("rto = \"5m\"", "rto = \"6m\"")).unwrap();
    d.signal("HUP");
    let after = || ns.messages().split_off(seen);
    wait_for(
        Duration::from_secs(20),
        || after().last().is_some_and(|m| m.contains("STATUS=Ready.")),
        || format!("{:?}\n{}", after(), d.log_text()),
    );
    assert!(
        after()
            .iter()
            .any(|m| m.contains("STATUS=Ready, degraded: checkout:")),
        "{:?}",
        after()
    );
    d.stop();
}

#[test]
fn a_wrong_tsig_secret_keeps_the_service_not_ready_and_status_names_the_error() {
    let tb = Testbed::start_with(4, 1, "1s", HEALTH);
    let wrong = rtoguard_testkit::random_secret();
    let wrong_file = tb.dir.path().join("wrong.secret");
    std::fs::write(&wrong_file, format!("{wrong}\n")).unwrap();
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let right_file = tb.secret_path().display().to_string();
    assert!(text.contains(&right_file));
    std::fs::write(
        &tb.config,
        text.replace(&right_file, &wrong_file.display().to_string()),
    )
    .unwrap();
    let ns = NotifySocket::bind(&tb);
    let d = Daemon::start(&tb, &[("NOTIFY_SOCKET", &ns.path)]);
    // The pools come up, but the provider refused the signed check.
    wait_for(
        Duration::from_secs(15),
        || {
            let s = status(&tb);
            let pools = s["pools"].as_array().cloned().unwrap_or_default();
            !pools.is_empty() && pools.iter().all(|p| p["health"] == "up")
        },
        || d.log_text(),
    );
    let s = status(&tb);
    assert_eq!(s["ready"], false, "{s}");
    let why = s["not_ready"].to_string();
    assert!(why.contains("bind: authentication refused"), "{s}");
    assert!(
        ready_message(&ns).is_none(),
        "READY although the key is wrong"
    );
    let said = ns.messages().join("\n");
    assert!(
        said.contains("STATUS=Not ready: checkout: provider bind: authentication refused"),
        "{said}"
    );
    // At the readiness limit: ready, degraded, with the reason.
    wait_for(
        Duration::from_secs(40),
        || ready_message(&ns).is_some(),
        || d.log_text(),
    );
    let ready = ready_message(&ns).unwrap_or_default();
    assert!(
        ready.contains("STATUS=Ready, degraded: checkout: provider bind: authentication refused"),
        "{ready}"
    );
    let log = d.log_text();
    for shown in [&said, &ready, &why, &log, &status(&tb).to_string()] {
        assert!(!shown.contains(&wrong), "the secret was shown:\n{shown}");
        assert!(
            !shown.contains(&tb.bind.key.secret),
            "the secret was shown:\n{shown}"
        );
    }
    d.stop();
}
