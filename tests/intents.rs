//! Operator intents: journaled before the provider is called (the direct
//! CLI refuses to move when it cannot), and found unfinished at start-up
//! re-validated (target health, `controller.intent_max_age`), never
//! replayed with `force`. An unfinished intent is written to the journal as
//! a daemon killed mid-flip would have left it.

// Integration tests time a real daemon on the wall clock.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, SystemTime};

use common::daemon::{Daemon, wait_for};
use common::{OutputText, Testbed, run};
use hickory_proto::rr::RecordType;
use rtoguard::controller::{Initiator, Intent, IntentKind, Reason};
use rtoguard::journal::{Journal, Source};

const FAST: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }";

/// Leave an open operator flip to the standby pool, asked `ago`.
fn leave_open_flip(tb: &Testbed, ago: Duration) {
    let intent = Intent {
        kind: IntentKind::Flip {
            from: Some("primary".into()),
            to: "standby".into(),
        },
        reason: Reason::Manual,
        by: Initiator::Operator,
        requested_at: SystemTime::now() - ago,
    };
    let j = Journal::open(tb.dir.path()).expect("journal");
    let src = Source {
        service: "checkout",
        incident: None,
        actor: "user:alice",
    };
    j.open_intent(src, &intent, None).expect("open intent");
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

fn served(tb: &Testbed) -> Vec<String> {
    tb.bind
        .query("checkout.example.test.", RecordType::A)
        .values
}

#[test]
fn an_operator_flip_older_than_intent_max_age_is_dropped_not_replayed() {
    let tb = Testbed::start_with(4, 1, "1h", FAST);
    leave_open_flip(&tb, Duration::from_secs(3600));
    let serial = tb.bind.serial();
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(15),
        || history(&tb).contains("intent_max_age"),
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(served(&tb), ["127.0.0.2"], "{}", history(&tb));
    assert_eq!(tb.bind.serial(), serial);
    d.stop();
}

#[test]
fn intent_max_age_from_the_config_bounds_the_replay() {
    let tb = Testbed::start_with(4, 1, "1h", FAST);
    let text = std::fs::read_to_string(&tb.config).expect("config");
    let text = text.replacen(
        "id = \"test\"\n",
        "id = \"test\"\nintent_max_age = \"2s\"\n",
        1,
    );
    std::fs::write(&tb.config, text).expect("config");
    leave_open_flip(&tb, Duration::from_secs(5));
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(15),
        || history(&tb).contains("intent_max_age (2s)"),
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(served(&tb), ["127.0.0.2"], "{}", history(&tb));
    d.stop();
}

#[test]
fn a_recent_operator_flip_to_an_unhealthy_target_is_not_forced() {
    let mut tb = Testbed::start_with(4, 1, "1h", FAST);
    tb.standby.stop();
    leave_open_flip(&tb, Duration::from_secs(5));
    let serial = tb.bind.serial();
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(15),
        || history(&tb).contains("abandoned"),
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    assert_eq!(served(&tb), ["127.0.0.2"], "{}", history(&tb));
    assert_eq!(tb.bind.serial(), serial);
    d.stop();
}

#[test]
fn a_recent_operator_flip_to_a_healthy_target_is_finished_once() {
    let tb = Testbed::start_with(4, 1, "1h", FAST);
    leave_open_flip(&tb, Duration::from_secs(5));
    let d = Daemon::start(&tb, &[]);
    wait_for(
        Duration::from_secs(15),
        || served(&tb) == ["127.0.0.3"],
        || format!("{}\n{}", d.log_text(), history(&tb)),
    );
    std::thread::sleep(Duration::from_secs(2));
    let h = history(&tb);
    // The left-open intent is user:alice's; the daemon's own, once.
    let ours = h
        .lines()
        .filter(|l| l.contains("about to flip") && !l.contains("user:alice"))
        .count();
    assert_eq!(ours, 1, "{h}");
    d.stop();
}

#[test]
fn the_direct_cli_does_not_move_when_the_journal_cannot_take_the_intent() {
    let tb = Testbed::start(300, 30, "1m");
    let flag = tb.dir.path().join("journal-fails");
    std::fs::write(&flag, "").expect("flag");
    let serial = tb.bind.serial();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args([
            "failover", "checkout", "--to", "standby", "--yes", "--force",
        ])
        .args(["--config", tb.config_str()])
        .env("RTOGUARD_TEST_JOURNAL_FAILS_WHILE", &flag)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run rtoguard");
    assert!(!out.status.success(), "{}", out.text());
    assert!(
        out.text().contains("cannot journal the intent"),
        "{}",
        out.text()
    );
    assert_eq!(tb.bind.serial(), serial, "{}", out.text());
    assert_eq!(served(&tb), ["127.0.0.2"]);
}
