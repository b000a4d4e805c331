//! What people read, snapshotted (insta; tests/snapshots/): `status`,
//! `failover --dry-run`, `failover --planned` without a terminal,
//! `history`; and what `status` owes them: one JSON schema with and
//! without the daemon, one short line for a provider that does not answer.
//! Times, ports, ids and temporary paths are masked.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::collections::BTreeSet;
use std::process::Output;
use std::time::{Duration, Instant};

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use regex_lite::Regex;
use serde_json::Value;

/// stdout then stderr with what changes from run to run masked.
fn masked(out: &Output, tb: &Testbed) -> String {
    let text = format!(
        "{}--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    mask(&text, tb)
}

fn mask(text: &str, tb: &Testbed) -> String {
    let mut text = text.replace(&tb.dir.path().display().to_string(), "[dir]");
    text = text.replace(&tb.bind.addr.to_string(), "[bind]");
    for (pattern, with) in [
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[when]"),
        (r"\b\d\d:\d\d:\d\d\b", "[hh:mm:ss]"),
        (r"\+ *\d+\.\d+s", "+[s]"),
        (r"(127\.0\.0\.\d+):\d+", "$1:[port]"),
        (r"\b\d+(\.\d+)?ms\b", "[ms]"),
        (r"-\d{12,}", "-[id]"),
        (r"serial \d+", "serial [n]"),
        (r"recovery \S+ against", "recovery [t] against"),
        // Who ran the command depends on the machine's user.
        (r"user:[^\s:]+( +)?", "user:[who] "),
    ] {
        // The patterns are constants of this file.
        let re = Regex::new(pattern).expect("pattern");
        text = re.replace_all(&text, with).into_owned();
    }
    text
}

#[test]
fn status_without_a_daemon() {
    let tb = Testbed::start(300, 30, "1m");
    let out = run(&["status", "--config", tb.config_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    insta::assert_snapshot!(masked(&out, &tb));
}

#[test]
fn failover_dry_run() {
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
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    assert_eq!(tb.bind.serial(), serial, "a dry run changed the zone");
    insta::assert_snapshot!(masked(&out, &tb));
}

#[test]
fn failover_planned_without_a_terminal_then_history() {
    let tb = Testbed::start(2, 1, "1s");
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
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    insta::assert_snapshot!("failover_planned", masked(&out, &tb));
    let history = run(&["history", "--config", tb.config_str()]);
    assert_eq!(history.status.code(), Some(0), "{}", history.text());
    insta::assert_snapshot!("history_after_a_planned_failover", masked(&history, &tb));
}

/// Every key path of a JSON value (`pools[].endpoints[].state`); null is a leaf.
fn key_paths(v: &Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{at}.{k}");
                out.insert(path.clone());
                key_paths(v, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

fn status_json(tb: &Testbed) -> Value {
    let out = run(&["status", "checkout", "--json", "--config", tb.config_str()]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.text()))
}

#[test]
fn status_json_has_one_schema_with_and_without_the_daemon() {
    let tb = Testbed::start(300, 30, "1m");
    let direct = status_json(&tb);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    // Ready: the provider read and every pool's health known.
    wait_for(
        Duration::from_secs(15),
        || status_json(&tb)["ready"] == true,
        || d.log_text(),
    );
    let daemon = status_json(&tb);
    assert_eq!(direct["schema"], 1, "{direct}");
    assert_eq!(daemon["schema"], 1, "{daemon}");
    assert_eq!(direct["source"], "provider");
    assert_eq!(daemon["source"], "daemon");
    for v in [&direct, &daemon] {
        assert_eq!(v["controller"]["active"], "primary", "{v}");
        assert_eq!(v["controller"]["ttl"], 300, "{v}");
        assert_eq!(v["configured_ttl"]["normal"], 300, "{v}");
    }
    let (mut a, mut b) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&direct, "", &mut a);
    key_paths(&daemon, "", &mut b);
    assert!(a.len() > 20, "too few keys: {a:?}");
    assert_eq!(
        a.symmetric_difference(&b).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "keys only one side has\nwithout: {direct}\nwith: {daemon}"
    );
    let text = run(&["status", "--config", tb.config_str()]);
    insta::assert_snapshot!("status_through_the_daemon", masked(&text, &tb));
    // A move through the daemon: what it decided, in words.
    let args = ["failover", "checkout", "--to", "standby", "--yes"];
    let out = run(&[&args[..], &["--config", tb.config_str()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    let text = out.text();
    for want in [
        "the daemon accepted the failover of checkout: open incident checkout-",
        "; flip from pool primary to pool standby with TTL 300s: an operator's failover, by operator\n",
    ] {
        assert!(text.contains(want), "lacks {want:?}:\n{text}");
    }
    for internal in ["{", "Some(", "Flip", "setting_ttl", "Operator"] {
        assert!(!text.contains(internal), "{internal:?} in:\n{text}");
    }
}

#[test]
fn status_with_a_stopped_provider_is_one_short_wait_and_one_line() {
    let mut tb = Testbed::start(300, 30, "1m");
    tb.bind.stop();
    let started = Instant::now();
    let out = run_without_rust_log(&["status", "--config", tb.config_str()]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", out.text());
    let text = out.text();
    assert_eq!(
        text.matches("PROVIDER DOWN").count(),
        1,
        "one line for the provider:\n{text}"
    );
    assert!(
        out.stderr.is_empty(),
        "nothing on stderr (no retry warnings):\n{text}"
    );
    // A correctness bound: one timeout of 3 s, not the provider's retries.
    assert!(took < Duration::from_secs(10), "took {took:?}:\n{text}");
    insta::assert_snapshot!(masked(&out, &tb));
}

/// The binary as a person runs it: no RUST_LOG, no terminal.
fn run_without_rust_log(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .env_remove("RUST_LOG")
        .output()
        .expect("run rtoguard")
}

#[test]
fn commands_for_people_log_no_info_lines_without_v() {
    let tb = Testbed::start(2, 1, "1s");
    let args = [
        "failover",
        "checkout",
        "--to",
        "standby",
        "--yes",
        "--config",
        tb.config_str(),
    ];
    let out = run_without_rust_log(&args);
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("INFO") && !stderr.contains("\"level\""),
        "log lines among the story:\n{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("now serves pool standby"),
        "{}",
        out.text()
    );
    let mut back = vec!["-v", "failback", "checkout", "--now", "--yes"];
    back.extend(["--config", tb.config_str()]);
    let out = run_without_rust_log(&back);
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("DEBUG"),
        "-v logs debug:\n{}",
        out.text()
    );
}

/// `rtoguard demo` without a terminal: its story, lines in the order of
/// their offsets; numbers masked, lines of one stretch sorted for the
/// snapshot (lines a few milliseconds apart may come either way), and the
/// RTO report in between left out.
#[cfg(feature = "demo")]
#[test]
fn the_demo_s_story() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .arg("demo")
        .env("TMPDIR", tmp.path())
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run rtoguard demo");
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    assert!(
        out.stderr.is_empty(),
        "log lines beside the story:\n{}",
        out.text()
    );
    let story = String::from_utf8_lossy(&out.stdout);
    // The RTO report's own text is snapshotted from fixed facts in
    // src/report; here its rows and costliest phase vary with the timing.
    for heading in [
        "RTO MET",
        "TIMELINE",
        "PHASES",
        "RESOLVERS",
        "AUTHORITATIVES",
    ] {
        assert!(story.contains(heading), "no {heading}:\n{story}");
    }
    let mut stretches: Vec<Vec<String>> = vec![Vec::new()];
    let mut last = f64::MIN;
    let mut in_report = false;
    for line in story.lines() {
        if line.starts_with("RTO report:") {
            in_report = true;
            stretches.push(vec!["[the RTO report]".into()]);
        }
        if line.starts_with("HTML report") {
            in_report = false;
        }
        if in_report {
            continue;
        }
        match offset(line) {
            Some(at) => {
                assert!(at >= last, "{line:?} after +{last}s:\n{story}");
                last = at;
                stretches.last_mut().expect("one").push(demo_mask(line));
            }
            None => {
                last = f64::MIN;
                stretches.push(vec![demo_mask(line)]);
                stretches.push(Vec::new());
            }
        }
    }
    let text: Vec<String> = stretches
        .into_iter()
        .flat_map(|mut s| {
            s.sort();
            s
        })
        .collect();
    insta::assert_snapshot!(text.join("\n"));
}

/// The seconds of a `+S.s …` line.
#[cfg(feature = "demo")]
fn offset(line: &str) -> Option<f64> {
    line.strip_prefix('+')?.split_once("s ")?.0.parse().ok()
}

/// Numbers, report bars and the column spacing that follows them masked.
#[cfg(feature = "demo")]
fn demo_mask(line: &str) -> String {
    let mut line = line.to_string();
    for (pattern, with) in [
        (r"/tmp/\S+", "[tmp]"),
        (r"\d+(\.\d+)?", "N"),
        // 850ms or 1.2s or 1m02s, as the report picks.
        (r"N(?:h|m|ms|s)(?:N(?:s|ms))?\b", "N[t]"),
        (r"\|[#.]+", "|[bar]"),
        (r" {2,}", "  "),
        (r"user:\S+", "user:[who]"),
    ] {
        // The patterns are constants of this file.
        let re = Regex::new(pattern).expect("pattern");
        line = re.replace_all(&line, with).into_owned();
    }
    line.trim_end().to_string()
}

#[test]
fn watch_says_where_each_path_stood_in_words() {
    let tb = Testbed::start(300, 30, "1m");
    let bind = tb.bind.addr.to_string();
    let out = run(&[
        "watch",
        "checkout.example.test.",
        "--expect",
        "127.0.0.2",
        "--authoritative",
        &bind,
        "--timeout",
        "10s",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    insta::assert_snapshot!(masked(&out, &tb));
}
