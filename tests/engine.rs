//! The move engine end to end: a crash between the provider's acceptance and
//! the journal, writers racing, and a journal that cannot be written; each
//! against BIND 9 and real daemons on loopback.

// Integration tests time real daemons on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::cluster::{Cluster, Node, Options};
use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use hickory_proto::rr::RecordType;
use rtoguard::journal::Journal;

const NAME: &str = "checkout.example.test.";
/// Fast health, no TTL restore in the test's time (so the flip is the last write).
const FAST: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }\ndamping = { hold_down = \"1s\", max_flips = 3, flip_window = \"1h\" }";

fn served(tb: &Testbed) -> Vec<String> {
    tb.bind.query(NAME, RecordType::A).values
}

fn history(config: &str) -> String {
    run(&["history", "--config", config]).text()
}

/// The reports stored in the journal under `dir`.
fn reports(dir: &std::path::Path) -> Vec<(String, String, String, i64)> {
    Journal::open(dir)
        .and_then(|j| j.reports())
        .unwrap_or_default()
}

/// A seeded xorshift: the kill points are random but can be replayed.
struct Rng(u64);

impl Rng {
    fn from_env() -> Self {
        let seed = std::env::var("RTOGUARD_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            })
            | 1;
        println!("kill points seeded with RTOGUARD_TEST_SEED={seed}");
        // splitmix64 of the seed, so small seeds do not start near zero.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    /// A value in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How many kill points: `RTOGUARD_ENGINE_TRIALS` (20 in the long form), 3 in the suite.
fn trials() -> usize {
    std::env::var("RTOGUARD_ENGINE_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

/// One trial: the daemon flips, is paused between BIND's acceptance and
/// the journal entry, and is killed at `kill_after` into that pause; a new
/// daemon must write nothing more and store exactly one report.
fn kill_between_acceptance_and_journal(kill_after: Duration) {
    let mut tb = Testbed::start_with(4, 1, "1h", FAST);
    let d = Daemon::start(&tb, &[("RTOGUARD_TEST_PAUSE_AFTER_APPLY", "3")]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(30),
        || served(&tb) == ["127.0.0.3"],
        || format!("{}\n{}", d.log_text(), history(tb.config_str())),
    );
    std::thread::sleep(kill_after);
    let mut d = d;
    let _ = d.child.kill();
    let _ = d.child.wait();
    let serial = tb.bind.serial();
    let d2 = Daemon::start(&tb, &[]);
    let why = || format!("{}\n{}", d2.log_text(), history(tb.config_str()));
    wait_for(
        Duration::from_secs(40),
        || !reports(tb.dir.path()).is_empty(),
        why,
    );
    std::thread::sleep(Duration::from_secs(3));
    let after = history(tb.config_str());
    assert_eq!(
        after.matches("about to flip").count(),
        1,
        "flipped twice:\n{after}"
    );
    assert_eq!(
        tb.bind.serial(),
        serial,
        "a write after the crash:\n{after}"
    );
    assert_eq!(served(&tb), ["127.0.0.3"]);
    let rs = reports(tb.dir.path());
    assert_eq!(rs.len(), 1, "reports {rs:?}:\n{after}");
    let report = run(&["report", "--config", tb.config_str()]).text();
    assert!(
        report.contains("controller restarted during the flip"),
        "{report}"
    );
    d2.stop();
}

#[test]
fn kill_9_between_acceptance_and_journal_makes_one_write_and_one_report() {
    let mut rng = Rng::from_env();
    for i in 0..trials() {
        let at = Duration::from_secs_f64(rng.next() * 2.5);
        println!("trial {i}: kill -9 {} ms into the pause", at.as_millis());
        kill_between_acceptance_and_journal(at);
    }
}

/// The controllers of a cluster, with their journals' directories.
fn journal_dir(n: &Node) -> std::path::PathBuf {
    n.config.parent().expect("config in its state dir").into()
}

/// A controller's flip results: (message, whether it carried a change).
fn flip_results(n: &Node) -> Vec<(String, bool)> {
    n.history()
        .into_iter()
        .filter(|e| e["kind"] == "provider-result")
        .filter_map(|e| {
            let msg = e["message"].as_str()?.to_string();
            let changed = !e["detail"]["diff"]["desired"].is_null();
            msg.starts_with("flip").then_some((msg, changed))
        })
        .collect()
}

/// Every controller decides the same flip; `env` sets how they race.
fn race(env: Vec<(String, String)>) {
    let mut c = Cluster::start(Options {
        env,
        ..Options::default()
    });
    let serial0 = c.bind.serial();
    c.primary.stop();
    wait_for(
        Duration::from_secs(60),
        || c.served() == ["127.0.0.3"],
        || c.logs(),
    );
    let total = |c: &Cluster| -> usize {
        c.controllers()
            .map(|n| reports(&journal_dir(n)).len())
            .sum()
    };
    wait_for(Duration::from_secs(60), || total(&c) >= 1, || c.logs());
    // Give every other controller time to finish (and wrongly report).
    std::thread::sleep(Duration::from_secs(12));
    let results: Vec<(&str, Vec<(String, bool)>)> =
        c.controllers().map(|n| (n.id, flip_results(n))).collect();
    let writers: Vec<&str> = results
        .iter()
        .filter(|(_, rs)| {
            rs.iter()
                .any(|(m, changed)| *changed && m.ends_with(": done"))
        })
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(writers.len(), 1, "{results:#?}\n{}", c.logs());
    assert!(c.bind.serial() > serial0);
    for (id, rs) in results.iter().filter(|(id, _)| *id != writers[0]) {
        assert!(
            rs.iter().all(|(m, _)| !m.ends_with(": done")),
            "{id} claims the flip {} made: {rs:#?}",
            writers[0]
        );
        let h = history(c.node(id).config_str());
        assert!(h.contains("done by another writer"), "{id}:\n{h}");
        let flipped = c
            .node(id)
            .history()
            .iter()
            .filter(|e| e["kind"] == "flipped")
            .count();
        assert_eq!(flipped, 0, "{id} journals a flip it did not make:\n{h}");
    }
    assert_eq!(total(&c), 1, "one outage, one report:\n{}", c.logs());
}

#[test]
fn writers_racing_at_once_make_one_write_and_one_report() {
    race(vec![("RTOGUARD_TEST_WRITER_DELAY".into(), "0".into())]);
}

#[test]
fn a_later_writer_finding_the_flip_made_journals_it_as_another_writers() {
    race(Vec::new());
}

#[test]
fn a_journal_that_cannot_be_written_stops_the_write_and_says_so() {
    let mut tb = Testbed::start_with(4, 1, "1h", FAST);
    let (hook, got) = common::webhook::receiver(false);
    let text = std::fs::read_to_string(&tb.config).expect("config");
    let hooked = format!("[[notify.webhooks]]\nurl = \"{hook}\"\n\n[providers.bind]");
    let text = text.replacen("[providers.bind]", &hooked, 1);
    std::fs::write(&tb.config, text).expect("config");
    let flag = tb.dir.path().join("journal-fails");
    let flag_s = flag.to_str().expect("utf-8 temp path").to_string();
    let d = Daemon::start(&tb, &[("RTOGUARD_TEST_JOURNAL_FAILS_WHILE", &flag_s)]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    let serial = tb.bind.serial();
    std::fs::write(&flag, "").expect("flag");
    tb.primary.stop();
    let refusals = |d: &Daemon| {
        d.log_text()
            .lines()
            .filter(|l| l.contains("ERROR") && l.contains("not calling the provider"))
            .count()
    };
    // Raised, then retried (a second refusal), and nothing written meanwhile.
    wait_for(
        Duration::from_secs(30),
        || refusals(&d) >= 2,
        || d.log_text(),
    );
    assert_eq!(tb.bind.serial(), serial, "{}", d.log_text());
    assert_eq!(served(&tb), ["127.0.0.2"]);
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(
        status["journal_error"].is_string(),
        "status does not say it:\n{}",
        out.text()
    );
    // People are told once, by webhook, however many retries fail.
    let told = |kind: &str| {
        got.lock()
            .map(|g| g.iter().filter(|b| b["event"] == kind).count())
            .unwrap_or_default()
    };
    wait_for(
        Duration::from_secs(10),
        || told("journal_failed") >= 1,
        || d.log_text(),
    );
    assert_eq!(told("journal_failed"), 1, "one webhook per episode");
    std::fs::remove_file(&flag).expect("unflag");
    let start = Instant::now();
    wait_for(
        Duration::from_secs(30),
        || served(&tb) == ["127.0.0.3"],
        || d.log_text(),
    );
    let h = history(tb.config_str());
    assert_eq!(h.matches("about to flip").count(), 1, "{h}");
    println!(
        "flipped {} ms after the journal came back",
        start.elapsed().as_millis()
    );
    d.stop();
}

#[test]
fn a_daemon_dry_run_refuses_an_unhealthy_target_as_the_real_command_does() {
    let mut tb = Testbed::start_with(4, 1, "1h", FAST);
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(10), || all_up(&tb), || d.log_text());
    tb.standby.stop();
    let standby_down = || {
        let out = run(&["status", "--json", "--config", tb.config_str()]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        v["pools"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "standby").cloned())
            .is_some_and(|p| p["health"] == "down")
    };
    wait_for(Duration::from_secs(15), standby_down, || d.log_text());
    let serial = tb.bind.serial();
    let failover = |extra: &str| {
        let mut args = vec!["failover", "checkout", "--to", "standby", "--yes"];
        args.push(extra);
        args.extend(["--config", tb.config_str()]);
        run(&args)
    };
    let dry = failover("--dry-run");
    let real = failover("--planned");
    assert!(!real.status.success(), "{}", real.text());
    assert!(
        !dry.status.success(),
        "the dry run promised a move:\n{}",
        dry.text()
    );
    assert!(dry.text().contains("refused"), "{}", dry.text());
    assert!(
        dry.text().contains("standby") && real.text().contains("standby"),
        "dry run:\n{}\nreal:\n{}",
        dry.text(),
        real.text()
    );
    assert_eq!(tb.bind.serial(), serial);
    d.stop();
}
