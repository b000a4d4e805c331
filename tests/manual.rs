//! Manual operations end to end: the real binary against BIND 9 and HTTP
//! regions started by the test on loopback.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::{OutputText, Testbed, run};
use hickory_proto::rr::RecordType;

#[test]
fn planned_failover_lowers_ttl_drains_flips_then_restores() {
    let tb = Testbed::start(6, 2, "2s");
    let name = "checkout.example.test.";
    let watcher = tb.record_bind_states(name);
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
    let states = watcher.stop();
    assert!(out.status.success(), "failover failed:\n{}", out.text());
    let seq: Vec<(String, u32)> = states.iter().map(|s| (s.1.join(","), s.2)).collect();
    let mut distinct = seq.clone();
    distinct.dedup();
    assert_eq!(
        distinct,
        [
            ("127.0.0.2".to_string(), 6),
            ("127.0.0.2".into(), 2),
            ("127.0.0.3".into(), 2),
            ("127.0.0.3".into(), 6)
        ],
        "BIND served these states in order: {distinct:?}\n{}",
        out.text()
    );
    // The values changed only after the old TTL (6 s) had passed since the lowering.
    let lowered_at = states.iter().find(|s| s.2 == 2).expect("lowered").0;
    let flipped_at = states
        .iter()
        .find(|s| s.1 == ["127.0.0.3"])
        .expect("flipped")
        .0;
    let drained = flipped_at.duration_since(lowered_at);
    assert!(
        drained >= Duration::from_millis(5800),
        "flipped {drained:?} after lowering; the old TTL was 6 s"
    );
    let text = out.text();
    for want in [
        "TTL set to 2s",
        "draining caches",
        "flipped to pool standby",
        "TTL set to 6s",
        "now serves pool standby",
    ] {
        assert!(text.contains(want), "output lacks {want:?}:\n{text}");
    }
}

#[test]
fn a_manual_failover_leaves_an_rto_report() {
    let tb = Testbed::start(2, 1, "1s");
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}", out.text());
    let list = run(&["report", "--list", "--config", tb.config_str()]).text();
    assert!(
        list.contains("manual-checkout-") && list.contains("manual"),
        "{list}"
    );
    let json = run(&["report", "--format", "json", "--config", tb.config_str()]);
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).expect("report JSON");
    assert_eq!(r["kind"], "manual", "{r}");
    assert_eq!(r["to_pool"], "standby", "{r}");
    assert!(
        r["authoritatives"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "the watch timed BIND: {r}"
    );
    let summary = run(&["report", "--summary", "--config", tb.config_str()]).text();
    assert!(summary.contains("checkout"), "{summary}");
}

#[test]
fn failback_returns_to_the_first_pool() {
    let tb = Testbed::start(2, 1, "1s");
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}", out.text());
    assert_eq!(
        tb.bind
            .query("checkout.example.test.", RecordType::A)
            .values,
        ["127.0.0.3"]
    );
    let out = run(&[
        "failback",
        "checkout",
        "--yes",
        "--json",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}", out.text());
    let a = tb.bind.query("checkout.example.test.", RecordType::A);
    assert_eq!((a.values, a.ttl), (vec!["127.0.0.2".to_string()], 2));
    // --json: every stdout line is a JSON object with an event and a time.
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["event"].is_string() && v["at"].is_string(), "{line}");
    }
}

#[test]
fn dry_run_prints_the_changes_and_changes_nothing() {
    let tb = Testbed::start(300, 30, "1m");
    let serial = tb.bind.serial();
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--planned",
        "--dry-run",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}", out.text());
    let text = out.text();
    assert!(
        text.contains("- checkout.example.test. 300 A [127.0.0.2]"),
        "{text}"
    );
    assert!(
        text.contains("+ checkout.example.test. 30 A [127.0.0.3]"),
        "{text}"
    );
    assert!(text.contains("wait 300s"), "{text}");
    assert_eq!(tb.bind.serial(), serial, "dry run changed the zone");
}

#[test]
fn refuses_a_target_that_fails_its_probe_unless_forced() {
    let tb = Testbed::start(300, 30, "1m");
    tb.standby.set_status(503);
    let serial = tb.bind.serial();
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", out.text());
    assert!(
        out.text().contains("target pool standby failed its probe"),
        "{}",
        out.text()
    );
    assert_eq!(
        tb.bind.serial(),
        serial,
        "refused failover changed the zone"
    );
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--yes",
        "--force",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}", out.text());
    assert_eq!(
        tb.bind
            .query("checkout.example.test.", RecordType::A)
            .values,
        ["127.0.0.3"]
    );
}

#[test]
fn refuses_without_a_terminal_or_yes_and_names_bad_pools_and_services() {
    let tb = Testbed::start(300, 30, "1m");
    let serial = tb.bind.serial();
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--config",
        tb.config_str(),
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    assert!(out.text().contains("pass --yes"), "{}", out.text());
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "mars",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        out.text().contains("its pools are: primary, standby"),
        "{}",
        out.text()
    );
    let out = run(&[
        "failover",
        "nope",
        "--to",
        "standby",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert_eq!(out.status.code(), Some(64));
    assert!(out.text().contains("no service \"nope\""), "{}", out.text());
    assert_eq!(tb.bind.serial(), serial);
}

#[test]
fn status_shows_the_active_pool_and_ttl() {
    let tb = Testbed::start(300, 30, "1m");
    let out = run(&["status", "--config", tb.config_str()]);
    assert!(out.status.success(), "{}", out.text());
    assert!(
        out.text().contains("active pool: primary  ttl 300s"),
        "{}",
        out.text()
    );
    let out = run(&["status", "checkout", "--json", "--config", tb.config_str()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["controller"]["active"], "primary");
    assert_eq!(v["controller"]["ttl"], 300);
}

#[test]
fn a_wrong_tsig_secret_is_an_auth_error_without_the_secret() {
    let tb = Testbed::start(300, 30, "1m");
    let wrong = "c2VjcmV0LXRoYXQtaXMtd3JvbmctYnV0LWxvbmctZW5vdWdoLTEyMzQ=";
    std::fs::write(tb.secret_path(), wrong).unwrap();
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", out.text());
    let text = out.text();
    assert!(text.to_lowercase().contains("auth"), "{text}");
    assert!(
        !text.contains(wrong) && !text.contains(&tb.bind.key.secret),
        "secret leaked:\n{text}"
    );
    // The failed move's incident is closed on the pool that still serves.
    let history = run(&["history", "--json", "--config", tb.config_str()]);
    let kinds: Vec<serde_json::Value> = String::from_utf8_lossy(&history.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("history JSON"))
        .collect();
    let end = kinds.last().expect("journaled");
    assert_eq!(
        (&end["kind"], &end["detail"]["pool"]),
        (&"incident-end".into(), &"primary".into()),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|e| e["kind"] == "aborted"), "{kinds:?}");
}

#[test]
fn a_second_ctrl_c_during_the_drain_aborts_and_restores_the_ttl() {
    let tb = Testbed::start(30, 1, "1s");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args([
            "failover",
            "checkout",
            "--to",
            "standby",
            "--planned",
            "--yes",
            "--config",
            tb.config_str(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until the TTL is lowered: the drain has begun.
    let start = std::time::Instant::now();
    while tb.bind.query("checkout.example.test.", RecordType::A).ttl != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the TTL was never lowered"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    for _ in 0..2 {
        assert!(
            std::process::Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", out.text());
    let text = out.text();
    assert!(text.contains("press it again to abort"), "{text}");
    assert!(
        text.contains("records unchanged, TTL restored to 30s"),
        "{text}"
    );
    let a = tb.bind.query("checkout.example.test.", RecordType::A);
    assert_eq!(
        (a.values, a.ttl),
        (vec!["127.0.0.2".to_string()], 30),
        "the records must be as before the move"
    );
    // The journal says it was aborted, and the incident is closed.
    let history = run(&["history", "--json", "--config", tb.config_str()]);
    let entries: Vec<serde_json::Value> = String::from_utf8_lossy(&history.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("history JSON"))
        .collect();
    let kinds: Vec<&str> = entries.iter().filter_map(|e| e["kind"].as_str()).collect();
    let aborted = entries
        .iter()
        .find(|e| e["kind"] == "aborted")
        .unwrap_or_else(|| panic!("no abort journaled: {kinds:?}"));
    assert!(
        aborted["message"]
            .as_str()
            .is_some_and(|m| m.contains("Ctrl-C")),
        "{aborted}"
    );
    assert_eq!(kinds.last(), Some(&"incident-end"), "{kinds:?}");
    let end = entries.last().unwrap();
    assert_eq!(end["incident"], aborted["incident"], "{end}");
    assert_eq!(end["detail"]["pool"], "primary", "{end}");
}
