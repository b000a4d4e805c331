//! Who did it and what it was, as the journal keeps it for a direct
//! (no daemon) move: the real user (and sudo's), a failback named a
//! failback, and a failback to the pool already serving that does nothing.

// Integration tests run the real binary on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::process::{Command, Output, Stdio};

use common::{OutputText, Testbed, run};
use serde_json::Value;

/// Run the binary with `args` and extra environment.
fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run rtoguard")
}

/// The journal as `history --json` gives it.
fn history(tb: &Testbed) -> Vec<Value> {
    let out = run(&["history", "--json", "--config", tb.config_str()]);
    assert!(out.status.success(), "{}", out.text());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// This process's user name, as `id` gives it.
fn me() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_direct_move_names_the_real_user_and_who_ran_sudo_never_user() {
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
    let out = run_env(&args, &[("USER", "mallory"), ("SUDO_USER", "alice")]);
    assert!(out.status.success(), "{}", out.text());
    let want = format!("user:alice via sudo ({})", me());
    let entries = history(&tb);
    let actors: Vec<&str> = entries.iter().filter_map(|e| e["actor"].as_str()).collect();
    assert!(!actors.is_empty(), "nothing journaled");
    // The engine closes intents as `rtoguard`; everything else is the person.
    assert!(actors.contains(&want.as_str()), "want {want}: {actors:?}");
    assert!(
        actors.iter().all(|a| *a == want || *a == "rtoguard"),
        "want {want}: {actors:?}"
    );
    let text = run(&["history", "--config", tb.config_str()]).text();
    assert!(
        !text.contains("mallory") && !text.contains("unknown"),
        "{text}"
    );
}

#[test]
fn a_failback_is_journaled_and_reported_as_a_failback() {
    let tb = Testbed::start(2, 1, "1s");
    let to_standby = [
        "failover",
        "checkout",
        "--to",
        "standby",
        "--yes",
        "--config",
        tb.config_str(),
    ];
    assert!(run(&to_standby).status.success());
    let out = run(&[
        "failback",
        "checkout",
        "--now",
        "--yes",
        "--config",
        tb.config_str(),
    ]);
    assert!(out.status.success(), "{}", out.text());
    let entries = history(&tb);
    let last = entries
        .iter()
        .rev()
        .find_map(|e| e["incident"].as_str())
        .expect("the failback's incident")
        .to_string();
    let mine: Vec<&Value> = entries
        .iter()
        .filter(|e| e["incident"] == last.as_str())
        .collect();
    let command = mine
        .iter()
        .find(|e| e["kind"] == "command")
        .expect("the command entry");
    assert_eq!(
        command["detail"]["command"]["command"], "failback",
        "{command}"
    );
    let said: Vec<&str> = mine.iter().filter_map(|e| e["message"].as_str()).collect();
    assert!(
        said.iter().all(|m| !m.contains("failover")) && said.iter().any(|m| m.contains("fail")),
        "a failback in the journal's words: {said:#?}"
    );
    let intent = mine.iter().find(|e| e["kind"] == "intent").expect("intent");
    assert_eq!(intent["detail"]["intent"]["reason"], "failback", "{intent}");
    let report = run(&["report", &last, "--config", tb.config_str()]).text();
    assert!(report.contains("failback"), "{report}");
}

#[test]
fn a_failback_to_the_pool_already_serving_has_nothing_to_do() {
    // BIND serves TTL 6 s; the config's normal TTL is now 4 s: a plan
    // would otherwise hold a TTL step.
    let tb = Testbed::start(6, 1, "1s");
    let text = std::fs::read_to_string(&tb.config).unwrap();
    std::fs::write(
        &tb.config,
        text.replace("normal = \"6s\"", "normal = \"4s\""),
    )
    .unwrap();
    for extra in [&["--dry-run"][..], &["--yes"][..]] {
        let mut args = vec!["failback", "checkout", "--config", tb.config_str()];
        args.extend_from_slice(extra);
        let out = run(&args);
        let text = out.text();
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(text.contains("nothing to do"), "{text}");
        assert!(!text.contains("TTL to"), "no TTL step: {text}");
    }
    let a = tb
        .bind
        .query("checkout.example.test.", hickory_proto::rr::RecordType::A);
    assert_eq!((a.values, a.ttl), (vec!["127.0.0.2".to_string()], 6));
    assert!(history(&tb).is_empty(), "nothing journaled");
}
