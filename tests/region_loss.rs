//! `check` on the README's two-region setup: refused without the witness, accepted with it, the arithmetic as the README shows it.

mod common;

use common::{OutputText, run};

const README: &str = include_str!("../README.md");
/// The README's witness entry in the first config of its two-region section.
const WITNESS: &str = "[[peers]]                              # the witness agent, in a third place\nid = \"witness\"\nregion = \"us-west-2\"\nurl = \"https://rtoguard-witness.example.net:9420\"\ntoken_file = \"/etc/rtoguard/peer-token.witness\"\n\n";

/// The README's section on two regions.
fn section() -> &'static str {
    let start = README
        .find("## Configuration, for two regions")
        .expect("the README has its two-region section");
    let rest = &README[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    &rest[..end]
}

/// The first ```toml block of the section: the us-east-1 controller's file.
fn readme_config() -> &'static str {
    let s = section();
    let start = s.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let len = s[start..].find("```").expect("the block ends");
    &s[start..start + len]
}

/// The section's lines that start with `prefix` (the shown output).
fn shown(prefix: &str) -> Vec<&'static str> {
    section()
        .lines()
        .filter(|l| l.starts_with(prefix))
        .collect()
}

/// `text` as `config.toml` in `dir`, with its `/etc/rtoguard/` files there.
fn write(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    for f in [
        "peer-token",
        "peer-token.eu-west-1",
        "peer-token.witness",
        "tsig.secret",
    ] {
        std::fs::write(dir.join(f), "c2VjcmV0\n").expect("write secret");
    }
    let path = dir.join("config.toml");
    let prefix = format!("{}/", dir.display());
    std::fs::write(&path, text.replace("/etc/rtoguard/", &prefix)).expect("write config");
    path
}

#[test]
fn the_readme_setup_with_its_witness_passes_and_prints_each_loss() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), readme_config());
    let out = run(&[
        "check",
        "--strict",
        "--config",
        path.to_str().expect("utf-8"),
    ]);
    let text = out.text();
    assert!(out.status.success(), "{text}");
    let lines = shown("    region loss");
    assert_eq!(lines.len(), 1, "the README shows the arithmetic once");
    assert!(
        text.contains(lines[0]),
        "README's {:?} not in:\n{text}",
        lines[0]
    );
    assert!(
        text.contains("partition: a lone vantage cannot reach quorum 2"),
        "{text}"
    );
}

#[test]
fn the_readme_setup_without_its_witness_is_refused_naming_the_region() {
    let with = readme_config();
    assert!(with.contains(WITNESS), "the README's witness entry moved");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), &with.replace(WITNESS, ""));
    let out = run(&[
        "check",
        "--strict",
        "--config",
        path.to_str().expect("utf-8"),
    ]);
    let text = out.text();
    assert_eq!(out.status.code(), Some(64), "{text}");
    let refusal = shown("config.toml:");
    assert_eq!(refusal.len(), 1, "the README shows the refusal once");
    assert!(
        text.contains(&format!("/{}", refusal[0])),
        "README's {:?} not in:\n{text}",
        refusal[0]
    );
    assert!(
        text.contains("losing region us-east-1 (pool primary) leaves 1"),
        "{text}"
    );
}

#[test]
fn quorum_one_without_the_witness_passes_with_a_partition_warning() {
    let text = readme_config().replace(WITNESS, "").replace(
        "health = { interval = \"5s\", rise = 5, fall = 3 }",
        "health = { interval = \"5s\", rise = 5, fall = 3, quorum = 1 }",
    );
    assert!(
        text.contains("quorum = 1"),
        "the README's health line moved"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), &text);
    let path = path.to_str().expect("utf-8");
    let out = run(&["check", "--strict", "--config", path]);
    let shown = out.text();
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("warning: ") && shown.contains("(a partition risk)"),
        "{shown}"
    );
    assert!(
        shown.contains("partition risk: a lone vantage reaches quorum 1"),
        "{shown}"
    );
    let out = run(&["check", "--strict", "--json", "--config", path]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        v["warnings"][0]["field"], "services[checkout].health.quorum",
        "{v}"
    );
}
