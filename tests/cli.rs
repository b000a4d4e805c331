//! The command line itself: check, help, exit codes.

mod common;

use common::{OutputText, run};

/// The example config with its `/etc/rtoguard/` files in `dir`, which holds
/// every secret file it names; returns its path.
fn example_in(dir: &std::path::Path) -> std::path::PathBuf {
    let example = include_str!("../config.toml.example");
    for secret in [
        "peer-token",
        "tsig.secret",
        "slack-webhook",
        "peer.crt",
        "peer.key",
    ] {
        std::fs::write(dir.join(secret), "c2VjcmV0\n").unwrap();
    }
    let path = dir.join("config.toml.example");
    let prefix = format!("{}/", dir.display());
    std::fs::write(&path, example.replace("/etc/rtoguard/", &prefix)).unwrap();
    path
}

#[test]
fn the_example_config_passes_check_and_is_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let example = example_in(dir.path());
    let out = run(&["check", "--strict", "--config", example.to_str().unwrap()]);
    assert!(out.status.success(), "{}", out.text());
    let text = out.text();
    for want in [
        "services:",
        "checkout",
        "pool primary",
        "pool standby",
        "losing region us-east-1 (pool primary) leaves 2: fails over",
        "config.toml.example: OK",
    ] {
        assert!(text.contains(want), "summary lacks {want:?}:\n{text}");
    }
}

#[test]
fn check_names_file_line_and_field_and_exits_64() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[controller]\nid = \"x\"\n\n[[services]]\nname = \"a\"\nprovider = \"nope\"\nzone = \"example.com.\"\nrecord = \"a.example.com.\"\ntype = \"A\"\nrto = \"5m\"\nttl = { normal = \"30s\", lowered = \"60s\" }\nprobe = { type = \"tcp\", port = 80 }\n[[services.pools]]\nname = \"p\"\nregion = \"r\"\nendpoints = [\"1.2.3.4\"]\n[[services.pools]]\nname = \"q\"\nregion = \"r\"\nendpoints = [\"1.2.3.5\"]\n",
    )
    .unwrap();
    let out = run(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    let text = out.text();
    assert!(
        text.contains("bad.toml:6: services[a].provider: unknown provider \"nope\""),
        "{text}"
    );
    assert!(
        text.contains("bad.toml:11: services[a].ttl.lowered: 60s is above ttl.normal (30s)"),
        "{text}"
    );
    assert!(text.contains("2 error(s)"), "{text}");
    let out = run(&["check", "--json", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ok"], false);
    assert_eq!(v["issues"][0]["line"], 6, "{v}");
    assert_eq!(v["issues"][0]["field"], "services[a].provider", "{v}");
}

#[test]
fn other_commands_exit_64_on_a_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[controller]\nid = \"x\"\nbogus = 1\n").unwrap();
    let out = run(&["status", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    assert!(out.text().contains("bad.toml:3"), "{}", out.text());
}

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let text = out.text();
    for want in [
        "run",
        "check",
        "status",
        "failover",
        "failback",
        "pin",
        "unpin",
        "history",
        "Exit codes",
    ] {
        assert!(text.contains(want), "--help lacks {want}:\n{text}");
    }
}

#[test]
fn completions_and_man_page_are_generated_from_the_cli() {
    let out = run(&["completions", "bash"]);
    assert!(out.status.success());
    // The script asks rtoguard back as you type (tests/reference.rs).
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("RTOGUARD_COMPLETE=\"bash\""),
        "{}",
        out.text()
    );
    let out = run(&["man"]);
    assert!(out.status.success());
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(
        man.contains(".TH rtoguard 1") && man.contains("failback"),
        "{man}"
    );
}

/// Every command, with the arguments it needs to get past the parser.
const COMMANDS: &[&[&str]] = &[
    &["run"],
    &["agent"],
    &["check"],
    &["status"],
    &["failover", "checkout", "--to", "standby"],
    &["failback", "checkout"],
    &["drill", "checkout"],
    &["pin", "checkout", "--reason", "db maintenance"],
    &["unpin", "checkout"],
    &["watch", "checkout.example.com.", "--expect", "192.0.2.1"],
    &["report"],
    &["history"],
    &["completions", "bash"],
    &["man"],
    &["demo"],
];

#[test]
fn every_commands_usage_error_exits_64_with_clap_s_message() {
    for args in COMMANDS {
        let mut bad = args.to_vec();
        bad.push("--no-such-flag");
        let out = run(&bad);
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {}", out.text());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"),
            "{bad:?}: {}",
            out.text()
        );
    }
    for bad in [
        &[][..],
        &["no-such-command"],
        &["failover", "checkout"],
        &["watch", "a.example."],
        &["completions", "no-such-shell"],
        &["report", "--since", "soon", "--summary"],
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {}", out.text());
    }
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["check", "--help"],
        &["help"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", out.text());
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn every_command_with_a_config_exits_64_on_a_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[controller]\nid = \"x\"\nbogus = 1\n").unwrap();
    let config = path.to_str().unwrap();
    let without = ["completions", "man", "demo"];
    for args in COMMANDS.iter().filter(|a| !without.contains(&a[0])) {
        let mut bad = args.to_vec();
        bad.extend(["--config", config]);
        let out = run(&bad);
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {}", out.text());
        assert!(out.text().contains("bad.toml:3"), "{bad:?}: {}", out.text());
    }
}

/// A valid config whose RTO (10s) its 300s TTL cannot meet, in `dir`.
fn unmeetable_rto(dir: &std::path::Path) -> std::path::PathBuf {
    let example = example_in(dir);
    let text = std::fs::read_to_string(&example).unwrap();
    let text = text.replacen("rto = \"10m\"", "rto = \"10s\"", 1);
    std::fs::write(&example, &text).unwrap();
    example
}

#[test]
fn check_prints_warnings_with_file_and_line_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = unmeetable_rto(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().position(|l| l == "rto = \"10s\"").unwrap() + 1;
    let out = run(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    let want = format!(
        "warning: {}:{line}: services[checkout].rto: 10s cannot be met",
        path.display()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&want), "{want}\n{}", out.text());
    assert!(stderr.contains("302s over"), "{}", out.text());
    assert!(
        out.text().contains("OK, with 1 warning(s)"),
        "{}",
        out.text()
    );
    let out = run(&["check", "--json", "--config", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["warnings"][0]["line"], line, "{v}");
    assert_eq!(v["warnings"][0]["field"], "services[checkout].rto", "{v}");
}

#[test]
fn check_with_a_warning_reads_well() {
    let dir = tempfile::tempdir().unwrap();
    let path = unmeetable_rto(dir.path());
    let out = run(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    let text = format!(
        "{}--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(text.replace(&dir.path().display().to_string(), "[dir]"));
}

#[test]
fn check_strict_refuses_warnings_with_exit_64() {
    let dir = tempfile::tempdir().unwrap();
    let path = unmeetable_rto(dir.path());
    let out = run(&["check", "--strict", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    let text = out.text();
    assert!(
        text.contains("services[checkout].rto: 10s cannot be met")
            && text.contains("1 error(s) (warnings, refused by --strict"),
        "{text}"
    );
    assert!(!text.contains("warning:"), "{text}");
    let out = run(&[
        "check",
        "--strict",
        "--json",
        "--config",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["issues"][0]["field"], "services[checkout].rto", "{v}");
}

#[test]
fn the_example_config_passes_check_strict_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let example = example_in(dir.path());
    let out = run(&["check", "--strict", "--config", example.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out.text());
    assert!(!out.text().contains("warning"), "{}", out.text());
    assert!(
        out.text().contains("config.toml.example: OK\n"),
        "{}",
        out.text()
    );
}
