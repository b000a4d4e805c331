//! The daemon end to end: `rtoguard run` as a child process against BIND 9
//! and two HTTP regions, all on loopback.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use hickory_proto::rr::RecordType;

const NAME: &str = "checkout.example.test.";
const FAST: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }";

fn served(tb: &Testbed) -> (Vec<String>, u32) {
    let a = tb.bind.query(NAME, RecordType::A);
    (a.values, a.ttl)
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

#[test]
fn primary_down_fails_over_and_manual_failback_waits_for_an_operator() {
    let mut tb = Testbed::start_with(4, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || served(&tb).0 == ["127.0.0.3"],
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    // The TTL was lowered before (or with) the flip and restored after it.
    wait_for(
        Duration::from_secs(10),
        || served(&tb) == (vec!["127.0.0.3".into()], 4),
        || history(&tb),
    );
    // The flip's propagation was timed at BIND (the provider's primary) and journaled.
    wait_for(
        Duration::from_secs(10),
        || history(&tb).contains("watch-result"),
        || history(&tb),
    );
    assert!(
        history(&tb).contains("propagation all converged"),
        "{}",
        history(&tb)
    );
    tb.primary.resume();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        served(&tb).0,
        ["127.0.0.3"],
        "manual failback mode moved back by itself"
    );
    let out = run(&[
        "failback",
        "checkout",
        "--now",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}\n{}", out.text(), d.log_text());
    assert!(
        out.text().contains("accepted"),
        "failback did not go through the daemon:\n{}",
        out.text()
    );
    wait_for(
        Duration::from_secs(10),
        || served(&tb).0 == ["127.0.0.2"],
        || history(&tb),
    );
    let h = history(&tb);
    for want in [
        "incident-start",
        "set the TTL to 1",
        "flip from pool primary to pool standby",
        "user:root asked: failback",
        "flip from pool standby to pool primary",
    ] {
        assert!(h.contains(want), "history lacks {want}:\n{h}");
    }
    // Lowered TTL, flip, restored TTL, failback: each a journaled provider result.
    assert!(h.matches("provider-result").count() >= 4, "{h}");
    d.stop();
}

#[test]
fn auto_failback_moves_back_after_stable_for() {
    let extra = format!("{FAST}\nfailback = {{ mode = \"auto\", stable_for = \"2s\" }}");
    let mut tb = Testbed::start_with(2, 1, "1s", &extra);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || served(&tb).0 == ["127.0.0.3"],
        || d.log_text(),
    );
    let back = Instant::now();
    tb.primary.resume();
    wait_for(
        Duration::from_secs(30),
        || served(&tb).0 == ["127.0.0.2"],
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    assert!(
        back.elapsed() >= Duration::from_secs(2),
        "failed back {:?} after the primary returned; stable_for is 2s",
        back.elapsed()
    );
    d.stop();
}

#[test]
fn sighup_rejects_a_bad_config_and_applies_a_good_one() {
    let tb = Testbed::start_with(4, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    let good = std::fs::read_to_string(&tb.config).unwrap();
    std::fs::write(
        &tb.config,
        good.replace("rto = \"5m\"", "rto = \"5 minutes\""),
    )
    .unwrap();
    d.signal("HUP");
    wait_for(
        Duration::from_secs(10),
        || d.log_text().contains("Reload refused"),
        || d.log_text(),
    );
    assert!(
        run(&["status", "--config", tb.config_str()]).status.code() == Some(64),
        "the CLI should refuse the bad file too"
    );
    std::fs::write(
        &tb.config,
        good.replace("name = \"checkout\"", "name = \"shop\""),
    )
    .unwrap();
    d.signal("HUP");
    wait_for(
        Duration::from_secs(10),
        || {
            run(&["status", "--config", tb.config_str()])
                .text()
                .contains("shop")
        },
        || d.log_text(),
    );
    d.stop();
}

#[test]
fn kill_9_between_flip_and_journal_reconciles_without_a_second_flip() {
    let mut tb = Testbed::start_with(4, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[("RTOGUARD_TEST_PAUSE_AFTER_APPLY", "4")]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(30),
        || served(&tb).0 == ["127.0.0.3"],
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    // The flip reached BIND; the daemon is paused before journaling its result.
    let mut d = d;
    let _ = d.child.kill();
    let _ = d.child.wait();
    let before = history(&tb);
    assert_eq!(before.matches("about to flip").count(), 1, "{before}");
    assert!(
        !before.contains("flip from pool primary to pool standby: done"),
        "the flip result was journaled before the kill:\n{before}"
    );
    let d2 = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(15),
        || history(&tb).contains("reconciled"),
        || format!("{}\n{}", d2.log_text(), history(&tb)),
    );
    std::thread::sleep(Duration::from_secs(3));
    let after = history(&tb);
    assert_eq!(
        after.matches("about to flip").count(),
        1,
        "flipped twice:\n{after}"
    );
    assert!(
        after.to_lowercase().contains("reconcil"),
        "no reconcile entry:\n{after}"
    );
    assert_eq!(served(&tb).0, ["127.0.0.3"]);
    d2.stop();
}

#[test]
fn an_unreachable_provider_does_not_stop_the_other_services() {
    let mut tb = Testbed::start_with(4, 1, "1s", FAST);
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let secret = tb.secret_path();
    let dead = format!(
        "[providers.dead]\ntype = \"rfc2136\"\nserver = \"127.0.0.1:1\"\ntsig_key_name = \"k.\"\ntsig_secret_file = \"{}\"\ntimeout = \"300ms\"\n\n",
        secret.display()
    );
    let second = text[text.find("[[services]]").unwrap()..]
        .replace("name = \"checkout\"", "name = \"search\"")
        .replace("provider = \"bind\"", "provider = \"dead\"")
        .replace("checkout.example.test.", "search.example.test.");
    let at = text.find("[[services]]").unwrap();
    std::fs::write(
        &tb.config,
        format!("{}{dead}{}\n{second}", &text[..at], &text[at..]),
    )
    .unwrap();
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(15),
        || {
            run(&["status", "checkout", "--json", "--config", tb.config_str()])
                .text()
                .contains("\"health\":\"up\"")
        },
        || d.log_text(),
    );
    let status = run(&["status", "--config", tb.config_str()]).text();
    assert!(
        status.contains("search") && status.contains("PROVIDER DOWN"),
        "{status}"
    );
    assert!(
        status.contains("checkout") && status.contains("active pool: primary"),
        "{status}"
    );
    // Bad input through the control socket: refused with the reason, nothing changes.
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "mars",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(out.text().contains("mars"), "{}", out.text());
    let out = run(&[
        "failover",
        "nope",
        "--to",
        "standby",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    // The healthy service still fails over.
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || served(&tb).0 == ["127.0.0.3"],
        || d.log_text(),
    );
    d.stop();
}

#[test]
fn a_simulated_fault_drill_flips_fails_back_and_is_reported_as_a_drill() {
    let tb = Testbed::start_with(2, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    let watcher = tb.record_bind_states(NAME);
    let out = run(&[
        "drill",
        "checkout",
        "--simulate-fault",
        "--dwell",
        "3s",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    let states = watcher.stop();
    assert!(out.status.success(), "{}\n{}", out.text(), d.log_text());
    // BIND served the standby during the drill and the primary after it.
    assert!(
        states.iter().any(|s| s.1 == ["127.0.0.3"]),
        "never flipped: {states:?}"
    );
    assert_eq!(served(&tb).0, ["127.0.0.2"], "did not fail back");
    // The primary's probes never failed: the fault was simulated.
    assert!(tb.primary.requests() > 0);
    let list = run(&["report", "--list", "--config", tb.config_str()]).text();
    let id = list
        .lines()
        .find(|l| l.starts_with("drill-checkout-"))
        .unwrap_or_else(|| panic!("no drill report:\n{list}"))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let json = run(&[
        "report",
        &id,
        "--format",
        "json",
        "--config",
        tb.config_str(),
    ]);
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(r["kind"], "drill", "{r}");
    assert_eq!(r["to_pool"], "standby", "{r}");
    d.stop();
}

#[test]
fn a_pinned_service_is_observed_but_never_moved_until_unpinned() {
    let mut tb = Testbed::start_with(2, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    let out = run(&[
        "pin",
        "checkout",
        "--reason",
        "maintenance",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}", out.text());
    assert!(
        run(&["status", "--config", tb.config_str()])
            .text()
            .contains("PINNED")
    );
    tb.primary.stop();
    // Well past fall × interval: the pool is seen down, and nothing moves.
    wait_for(
        Duration::from_secs(10),
        || {
            run(&["status", "--json", "--config", tb.config_str()])
                .text()
                .contains("\"health\":\"down\"")
        },
        || d.log_text(),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(served(&tb).0, ["127.0.0.2"], "a pinned service moved");
    let out = run(&["unpin", "checkout", "--config", tb.config_str()]);
    assert!(out.status.success(), "{}", out.text());
    wait_for(
        Duration::from_secs(15),
        || served(&tb).0 == ["127.0.0.3"],
        || d.log_text(),
    );
    let h = history(&tb);
    assert!(h.contains("pinned") && h.contains("unpinned"), "{h}");
    d.stop();
}

#[test]
fn watch_times_a_change_at_bind_and_says_what_is_outstanding() {
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
        "--json",
    ]);
    assert!(out.status.success(), "{}", out.text());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["end"], "converged", "{v}");
    let out = run(&[
        "watch",
        "checkout.example.test.",
        "--expect",
        "127.0.0.9",
        "--authoritative",
        &bind,
        "--timeout",
        "2s",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", out.text());
    assert!(out.text().contains("outstanding"), "{}", out.text());
}

#[test]
fn a_planned_failover_through_the_daemon_leaves_a_report() {
    let tb = Testbed::start_with(2, 1, "1s", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
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
    assert!(
        out.text().contains("accepted"),
        "not through the daemon:\n{}",
        out.text()
    );
    assert_eq!(served(&tb).0, ["127.0.0.3"]);
    wait_for(
        Duration::from_secs(15),
        || {
            run(&["report", "--list", "--config", tb.config_str()])
                .text()
                .contains("checkout-")
        },
        || history(&tb),
    );
    let json = run(&["report", "--format", "json", "--config", tb.config_str()]);
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(r["kind"], "manual", "{r}");
    assert_eq!(r["to_pool"], "standby", "{r}");
    // The incident stayed open through the drain: its entries include the flip.
    let h = history(&tb);
    let end = h.find("incident-end").expect("incident-end");
    let flip = h.find("flipped from primary to standby").expect("flip");
    assert!(flip < end, "the incident closed before the flip:\n{h}");
    d.stop();
}
