//! `history` filters (`--service`, `--since`, `-n`) and `--follow`, and the
//! small commands' `--json` (`pin`, `unpin`, `drill`, `report --list`),
//! with the real binary against BIND, the regions, and the daemon.

// Integration tests run real processes on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use serde_json::Value;

const FAST: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }";

/// Each stdout line of `rtoguard args`, as JSON.
fn json_lines(args: &[&str]) -> Vec<Value> {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", out.text());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A failover to the standby, journaled.
fn failover(tb: &Testbed) {
    let args = [
        "failover",
        "checkout",
        "--to",
        "standby",
        "--yes",
        "--config",
        tb.config_str(),
    ];
    let out = run(&args);
    assert!(out.status.success(), "{}", out.text());
}

/// `at_ms` as RFC 3339 (UTC).
fn rfc3339(at_ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000).unwrap();
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[test]
fn history_keeps_the_last_n_those_since_a_time_and_one_service() {
    let tb = Testbed::start(2, 1, "1s");
    failover(&tb);
    let cfg = tb.config_str();
    let all = json_lines(&["history", "--json", "--config", cfg]);
    assert!(all.len() > 4, "{all:?}");
    let seq = |v: &[Value]| {
        v.iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let last2 = json_lines(&["history", "--json", "-n", "2", "--config", cfg]);
    assert_eq!(seq(&last2), seq(&all[all.len() - 2..]));
    let service = json_lines(&[
        "history",
        "--json",
        "--service",
        "checkout",
        "--config",
        cfg,
    ]);
    assert_eq!(seq(&service), seq(&all));
    // Since an entry's own time: it and those after it.
    let mid = &all[all.len() / 2];
    let since = rfc3339(mid["at_ms"].as_i64().unwrap());
    let later = json_lines(&["history", "--json", "--since", &since, "--config", cfg]);
    assert!(
        !later.is_empty() && later.len() < all.len(),
        "{since}: {later:?}"
    );
    assert!(
        later
            .iter()
            .all(|e| e["at_ms"].as_i64() >= mid["at_ms"].as_i64()),
        "{later:?}"
    );
    assert_eq!(
        seq(&json_lines(&[
            "history", "--json", "--since", "1h", "--config", cfg
        ])),
        seq(&all)
    );
    assert!(
        json_lines(&[
            "history",
            "--json",
            "--since",
            "2099-01-01T00:00:00Z",
            "--config",
            cfg
        ])
        .is_empty()
    );
    // Wrong words are usage errors.
    for bad in [&["--service", "nope"][..], &["--since", "yesterday"][..]] {
        let mut args = vec!["history", "--config", cfg];
        args.extend_from_slice(bad);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {}", out.text());
    }
}

#[test]
fn history_follow_prints_new_entries_until_ctrl_c() {
    let tb = Testbed::start(2, 1, "1s");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args(["history", "--follow", "--json", "--config", tb.config_str()])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // An empty journal so far: nothing printed, and it keeps running.
    std::thread::sleep(Duration::from_millis(800));
    assert!(rx.try_recv().is_err());
    assert!(
        child.try_wait().unwrap().is_none(),
        "--follow ended by itself"
    );
    failover(&tb);
    let first = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("an entry followed");
    let v: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["kind"], "incident-start", "{v}");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
}

#[test]
fn pin_unpin_drill_and_report_list_speak_json() {
    let tb = Testbed::start_with(2, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    let cfg = tb.config_str();
    let pin = json_lines(&[
        "pin", "checkout", "--reason", "db work", "--json", "--config", cfg,
    ]);
    assert_eq!(
        (pin.len(), &pin[0]["service"], &pin[0]["pinned"]),
        (1, &"checkout".into(), &true.into()),
        "{pin:?}"
    );
    let unpin = json_lines(&["unpin", "checkout", "--json", "--config", cfg]);
    assert_eq!(unpin[0]["pinned"], false, "{unpin:?}");
    let drill = json_lines(&[
        "drill", "checkout", "--dwell", "3s", "--yes", "--json", "--config", cfg,
    ]);
    assert!(
        drill
            .iter()
            .all(|l| l["event"].is_string() && l["at"].is_string()),
        "{drill:?}"
    );
    assert!(drill.iter().any(|l| l["event"] == "drill"), "{drill:?}");
    let list = json_lines(&["report", "--list", "--json", "--config", cfg]);
    let drill_report = list
        .iter()
        .find(|r| r["kind"] == "drill")
        .unwrap_or_else(|| panic!("no drill report: {list:?}"));
    assert_eq!(drill_report["service"], "checkout", "{drill_report}");
    assert!(drill_report["incident"].is_string() && drill_report["at"].is_string());
    // The daemon names who pinned from the socket's peer: this process's user.
    let me = Command::new("id").arg("-un").output().unwrap();
    let me = format!("user:{}", String::from_utf8_lossy(&me.stdout).trim());
    let history = json_lines(&["history", "--json", "--config", cfg]);
    let pinned = history
        .iter()
        .find(|e| e["kind"] == "pinned")
        .expect("pin journaled");
    assert_eq!(pinned["actor"], me.as_str(), "{pinned}");
    d.stop();
}
