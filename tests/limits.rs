//! Configs that cannot work: `check` refuses each one (exit 64, line and
//! field), and a running daemon given one on SIGHUP keeps its old config.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed};

/// One unworkable change: what it replaces, with what, and the field named.
struct Bad {
    old: String,
    new: String,
    field: &'static str,
}

/// Each bad value of a testbed config (`Testbed::start`: interval 1s,
/// probe timeout 750ms, TTL 30s / 5s).
fn bad_values(tb: &Testbed) -> Vec<Bad> {
    let bad = |old: &str, new: &str, field: &'static str| Bad {
        old: old.to_string(),
        new: new.to_string(),
        field,
    };
    let interval = "interval = \"1s\"";
    let server = format!("server = \"{}\"", tb.bind.addr);
    let server_0 = format!("server = \"{}:0\"", tb.bind.addr.ip());
    let secret = format!("tsig_secret_file = \"{}\"", tb.secret_path().display());
    let missing = format!(
        "tsig_secret_file = \"{}.missing\"",
        tb.secret_path().display()
    );
    let f_interval = "services[checkout].health.interval";
    vec![
        bad(interval, "interval = \"106751991167300d\"", f_interval),
        bad(interval, "interval = \"18446744073709551615s\"", f_interval),
        bad(interval, "interval = \"1ms\"", f_interval),
        bad(
            "timeout = \"750ms\"",
            "timeout = \"1s\"",
            "services[checkout].probe.timeout",
        ),
        bad(
            interval,
            "interval = \"1s\", max_age = \"500ms\"",
            "services[checkout].health.max_age",
        ),
        bad(
            "normal = \"30s\"",
            "normal = \"4294967295s\"",
            "services[checkout].ttl.normal",
        ),
        bad(&server, &server_0, "providers.bind.server"),
        bad(&secret, &missing, "providers.bind.tsig_secret_file"),
    ]
}

/// The config text with `bad` applied.
fn apply(good: &str, bad: &Bad) -> String {
    assert!(good.contains(&bad.old), "{} not in the config", bad.old);
    good.replacen(&bad.old, &bad.new, 1)
}

/// A second service on the same record and type.
fn duplicate_service(good: &str) -> String {
    let at = good.find("[[services]]").expect("a service");
    let second = good[at..].replace("name = \"checkout\"", "name = \"shop\"");
    format!("{good}\n{second}")
}

/// `rtoguard check --strict` on `path`, killed if it runs past 20 s.
fn check(path: &Path) -> (Option<i32>, String) {
    check_with(path, &["--strict"])
}

/// `rtoguard check` with `flags` on `path`, killed if it runs past 20 s.
fn check_with(path: &Path, flags: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .arg("check")
        .args(flags)
        .args(["--config", path.to_str().expect("utf-8 path")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rtoguard check");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("rtoguard check {} still running after 20 s", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (out.status.code(), out.text())
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} not in the config"))
}

#[test]
fn check_refuses_each_unworkable_value_naming_line_and_field() {
    let tb = Testbed::start(30, 5, "1h");
    let good = std::fs::read_to_string(&tb.config).unwrap();
    let (code, text) = check(&tb.config);
    assert_eq!(code, Some(0), "the testbed config is valid:\n{text}");
    let path = tb.dir.path().join("bad.toml");
    for bad in bad_values(&tb) {
        let text = apply(&good, &bad);
        std::fs::write(&path, &text).unwrap();
        let (code, out) = check(&path);
        assert_eq!(code, Some(64), "{}:\n{out}", bad.new);
        let line = line_of(&text, &bad.new);
        let want = format!("bad.toml:{line}: {}: ", bad.field);
        assert!(out.contains(&want), "want {want:?} for {}:\n{out}", bad.new);
    }
    let text = duplicate_service(&good);
    std::fs::write(&path, &text).unwrap();
    let (code, out) = check(&path);
    assert_eq!(code, Some(64), "{out}");
    let second = text
        .match_indices("record = ")
        .nth(1)
        .expect("two records")
        .0;
    let line = text[..second].lines().count() + 1;
    let want = format!("bad.toml:{line}: services[shop].record: ");
    assert!(
        out.contains(&want) && out.contains("service checkout"),
        "{out}"
    );
}

/// Without --strict a secret file this user cannot read is a warning (a
/// review machine has none): exit 0, the line and field named; `run` still
/// refuses it (the reload test above sends the same config).
#[test]
fn plain_check_warns_about_unreadable_secret_files() {
    let tb = Testbed::start(30, 5, "1h");
    let good = std::fs::read_to_string(&tb.config).unwrap();
    let bad = bad_values(&tb).pop().expect("the missing secret is last");
    assert_eq!(bad.field, "providers.bind.tsig_secret_file");
    let text = apply(&good, &bad);
    let path = tb.dir.path().join("review.toml");
    std::fs::write(&path, &text).unwrap();
    let (code, out) = check_with(&path, &[]);
    assert_eq!(code, Some(0), "{out}");
    let line = line_of(&text, &bad.new);
    let want = format!("warning: {}:{line}: {}: ", path.display(), bad.field);
    assert!(out.contains(&want), "want {want:?}:\n{out}");
    assert!(out.contains("OK, with 1 warning(s)"), "{out}");
    let (code, out) = check_with(&path, &["--strict", "--json"]);
    assert_eq!(code, Some(64), "{out}");
}

#[test]
fn check_refuses_devices_fifos_and_huge_files_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = dir.path().join("big.toml");
    std::fs::write(&big, "#".repeat(2 * 1024 * 1024)).unwrap();
    for path in [Path::new("/dev/zero"), fifo.as_path()] {
        let (code, out) = check(path);
        assert_eq!(code, Some(64), "{out}");
        assert!(
            out.contains("(file): cannot read the config: it is not a regular file"),
            "{out}"
        );
    }
    let (code, out) = check(&big);
    assert_eq!(code, Some(64), "{out}");
    assert!(
        out.contains("big.toml: (file): the config is larger than 1048576 bytes"),
        "{out}"
    );
}

#[test]
fn sighup_with_any_unworkable_config_keeps_the_old_one_running() {
    let tb = Testbed::start(30, 5, "1h");
    let mut d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    let good = std::fs::read_to_string(&tb.config).unwrap();
    let mut cases: Vec<(String, &str)> = bad_values(&tb)
        .iter()
        .map(|b| (apply(&good, b), b.field))
        .collect();
    cases.push((duplicate_service(&good), "services[shop].record"));
    let oversized = format!("{good}\n{}", "#".repeat(2 * 1024 * 1024));
    cases.push((oversized, "the config is larger than 1048576 bytes"));
    for (n, (text, field)) in cases.iter().enumerate() {
        std::fs::write(&tb.config, text).unwrap();
        d.signal("HUP");
        wait_for(
            Duration::from_secs(15),
            || d.log_text().matches("Reload refused").count() > n,
            || d.log_text(),
        );
        let log = d.log_text();
        let last = &log[log.rfind("Reload refused").unwrap_or(0)..];
        assert!(
            last.contains(field),
            "reload {n} should name {field}:\n{last}"
        );
        assert!(
            d.child.try_wait().unwrap().is_none(),
            "the daemon died:\n{log}"
        );
    }
    // A config path that became a device is refused too, without hanging.
    std::fs::remove_file(&tb.config).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &tb.config).unwrap();
    d.signal("HUP");
    let refused = cases.len() + 1;
    wait_for(
        Duration::from_secs(15),
        || d.log_text().matches("Reload refused").count() >= refused,
        || d.log_text(),
    );
    std::fs::remove_file(&tb.config).unwrap();
    std::fs::write(&tb.config, &good).unwrap();
    // The old config still runs: both pools probed and up, no panic logged.
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    let log = d.stop();
    assert!(!log.contains("panicked"), "{log}");
}
