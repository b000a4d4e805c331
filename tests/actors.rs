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

#[test]
fn ctrl_c_while_following_the_daemon_stops_following_not_the_move() {
    use std::io::{BufRead, BufReader};
    let fast = "health = { interval = \"200ms\", rise = 2, fall = 2 }";
    let tb = Testbed::start_with(30, 1, "1s", fast);
    let d = common::daemon::Daemon::start(&tb, &[]);
    common::daemon::wait_for(
        std::time::Duration::from_secs(10),
        || common::daemon::all_up(&tb),
        || d.log_text(),
    );
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
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let accepted = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("accepted"));
    assert!(accepted.is_some(), "the daemon never accepted the move");
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}\n{}", rest.join("\n"), out.text());
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(text.contains("the daemon goes on"), "{text}");
    // The daemon carries on with the drain.
    let status = run(&["status", "checkout", "--json", "--config", tb.config_str()]);
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("standby"),
        "{}",
        status.text()
    );
    drop(d);
}
