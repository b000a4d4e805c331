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
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("failover"),
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
