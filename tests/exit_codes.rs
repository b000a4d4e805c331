//! Exit codes as README documents them, command by command: 0 success, 1
//! failure, 64 usage or config error, 130 aborted. Usage and config errors
//! of every command are in tests/cli.rs; success and failure are here,
//! against BIND and the regions of the testbed.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use rtoguard_testkit::net::{free_port, lo};

/// Fast probes and a short hold-down, so that the drill fails back soon.
const FAST: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }";

/// Runs each `(args, code)` with `--config` of `tb` appended (unless the
/// command takes none) and says every one that exits otherwise.
fn check_table(tb: &Testbed, table: &[(&[&str], i32)]) {
    let mut wrong = Vec::new();
    for (args, want) in table {
        let mut args = args.to_vec();
        if !["completions", "man"].contains(&args[0]) {
            args.extend(["--config", tb.config_str()]);
        }
        let out = run(&args);
        if out.status.code() != Some(*want) {
            wrong.push(format!(
                "{args:?}: exit {:?}, want {want}\n{}",
                out.status.code(),
                out.text()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn each_command_exits_0_on_success_and_1_on_failure() {
    let mut tb = Testbed::start_with(2, 1, "1s", FAST);
    let bind = tb.bind.addr.to_string();
    let watch = |expect: &'static str, timeout: &'static str| -> Vec<String> {
        ["watch", "checkout.example.test.", "--expect", expect]
            .into_iter()
            .map(String::from)
            .chain(["--authoritative".into(), bind.clone()])
            .chain(["--timeout".into(), timeout.into()])
            .collect()
    };
    let (served, missing) = (watch("127.0.0.2", "10s"), watch("127.0.0.9", "2s"));
    let served: Vec<&str> = served.iter().map(String::as_str).collect();
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    // No daemon: the direct commands work; those that need one fail.
    check_table(
        &tb,
        &[
            (&["check"], 0),
            (&["status"], 0),
            (&served, 0),
            (&missing, 1),
            (&["report"], 1),
            (&["failover", "checkout", "--to", "standby", "--dry-run"], 0),
            (&["failover", "checkout", "--to", "standby", "--yes"], 0),
            (&["report"], 0),
            (&["report", "no-such-incident"], 1),
            (&["history"], 0),
            (&["failback", "checkout", "--now", "--yes"], 0),
            (&["pin", "checkout", "--reason", "maintenance"], 1),
            (&["unpin", "checkout"], 1),
            (&["drill", "checkout", "--yes"], 1),
            (&["completions", "bash"], 0),
            (&["man"], 0),
        ],
    );
    // With the daemon: pin, unpin and a drill work; `run` exits 0 on TERM.
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    check_table(
        &tb,
        &[
            (&["pin", "checkout", "--reason", "maintenance"], 0),
            (&["unpin", "checkout"], 0),
            (
                &[
                    "drill",
                    "checkout",
                    "--simulate-fault",
                    "--dwell",
                    "1s",
                    "--yes",
                ],
                0,
            ),
        ],
    );
    d.stop();
    // The provider gone: what reads or writes it fails.
    tb.bind.stop();
    check_table(
        &tb,
        &[
            (&["status"], 1),
            (&["failover", "checkout", "--to", "standby", "--yes"], 1),
            (&["failback", "checkout", "--now", "--yes"], 1),
        ],
    );
}

#[test]
fn wrong_names_in_a_valid_config_are_usage_errors() {
    let tb = Testbed::start(2, 1, "1s");
    check_table(
        &tb,
        &[
            (&["status", "nope"], 64),
            (&["failover", "nope", "--to", "standby", "--yes"], 64),
            (&["failover", "checkout", "--to", "nope", "--yes"], 64),
            (&["failback", "nope", "--yes"], 64),
            (&["drill", "nope", "--yes"], 64),
            (
                &[
                    "watch",
                    "a.example.",
                    "--expect",
                    "1.2.3.4",
                    "--authoritative",
                    "x",
                ],
                64,
            ),
        ],
    );
}

#[test]
fn ctrl_c_during_a_planned_failover_exits_130() {
    // A 30 s TTL to drain: the interrupt comes during the wait.
    let tb = Testbed::start(30, 1, "1s");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args([
            "failover",
            "checkout",
            "--to",
            "standby",
            "--planned",
            "--yes",
        ])
        .args(["--config", tb.config_str()])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rtoguard failover");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads to the end: a closed pipe would be an error of its own.
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains("draining caches") || line.contains("press it again") {
                let _ = tx.send(());
            }
            seen.push(line);
        }
        seen
    });
    let interrupt = || {
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill -INT");
        assert!(sent.success());
    };
    // The first Ctrl-C warns, the second aborts.
    let draining = rx.recv_timeout(Duration::from_secs(20));
    interrupt();
    let warned = rx.recv_timeout(Duration::from_secs(10));
    interrupt();
    let out = child.wait_with_output().expect("wait");
    let seen = reader.join().expect("reader").join("\n");
    assert!(draining.is_ok(), "never drained:\n{seen}\n{}", out.text());
    assert!(warned.is_ok(), "no warning:\n{seen}\n{}", out.text());
    assert_eq!(out.status.code(), Some(130), "{seen}\n{}", out.text());
    // The abort is an error: told on stderr, with what it left behind.
    assert!(
        out.text().contains("aborted by Ctrl-C"),
        "the abort is told:\n{seen}\n{}",
        out.text()
    );
}

#[test]
fn agent_exits_64_without_a_peer_listener_and_0_when_stopped() {
    let tb = Testbed::start(2, 1, "1s");
    let out = run(&["agent", "--config", tb.config_str()]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    assert!(
        out.text().contains("controller.peer_listen"),
        "{}",
        out.text()
    );
    // The same config with a peer listener: an agent that runs until TERM.
    let token = tb.dir.path().join("peer-token");
    std::fs::write(&token, "0123456789abcdef0123456789abcdef\n").expect("token");
    let text = std::fs::read_to_string(&tb.config).expect("config");
    let port = free_port(lo(1));
    let text = text.replacen(
        "[controller]\n",
        &format!(
            "[controller]\npeer_listen = \"127.0.0.1:{port}\"\npeer_token_file = \"{}\"\n",
            token.display()
        ),
        1,
    );
    let agent_config = tb.dir.path().join("agent.toml");
    std::fs::write(&agent_config, text).expect("agent config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args(["agent", "--log-format", "text", "--config"])
        .arg(&agent_config)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rtoguard agent");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("Agent started.") {
                let _ = tx.send(());
            }
            seen.push(line);
        }
        seen.join("\n")
    });
    let started = rx.recv_timeout(Duration::from_secs(15));
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(sent.success());
    let status = child.wait().expect("wait");
    let log = reader.join().expect("reader");
    assert!(started.is_ok(), "never started:\n{log}");
    assert_eq!(status.code(), Some(0), "{log}");
    // Text lines to a pipe or a file are read as text: no colour codes.
    assert!(
        !log.contains('\u{1b}'),
        "terminal escapes in a log written to a pipe:\n{log:?}"
    );
}

/// A reader that goes away (`rtoguard history | head`) ends the output, not
/// the command: no panic (exit 101 before), the exit code its work earned.
#[test]
fn a_closed_stdout_is_not_a_crash() {
    let tb = Testbed::start_with(2, 1, "1s", FAST);
    // Something to print: a failover and a failback in the journal.
    check_table(
        &tb,
        &[
            (&["failover", "checkout", "--to", "standby", "--yes"], 0),
            (&["failback", "checkout", "--now", "--yes"], 0),
        ],
    );
    let closed = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rtoguard"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("RUST_LOG", "warn")
            .spawn()
            .expect("run rtoguard");
        // The reader goes away before the first line.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait for rtoguard");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cfg = tb.config_str();
    let mut wrong = Vec::new();
    for args in [
        &["history", "--config", cfg][..],
        &["history", "--json", "--config", cfg],
        &["check", "--config", cfg],
        &["status", "--config", cfg],
        &["report", "--config", cfg],
        &[
            "failover",
            "checkout",
            "--to",
            "standby",
            "--dry-run",
            "--config",
            cfg,
        ],
        &["man"],
        &["man", "failover"],
        &["completions", "bash"],
    ] {
        let (code, stderr) = closed(args);
        if code != Some(0) || stderr.contains("panicked") || stderr.contains("Broken pipe") {
            wrong.push(format!("{args:?}: exit {code:?}\n{stderr}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
