//! The per-command reference: a man page for each subcommand with EXIT
//! STATUS, FILES and EXAMPLES, and shell completion that offers the
//! config's service and pool names (clap_complete's environment protocol,
//! `RTOGUARD_COMPLETE=bash`, driven as the shell's script drives it).

mod common;

use std::process::{Command, Output, Stdio};

use common::{OutputText, Testbed, run};

/// The subcommands `--help` lists (all but `help`).
fn subcommands() -> Vec<String> {
    let help = run(&["--help"]).text();
    let mut on = false;
    let mut names = Vec::new();
    for line in help.lines() {
        if line.starts_with("Commands:") {
            on = true;
        } else if on && line.starts_with("  ") && !line.starts_with("   ") {
            names.extend(line.split_whitespace().next().map(str::to_string));
        } else if on && line.trim().is_empty() {
            break;
        }
    }
    names.retain(|n| n != "help");
    names
}

#[test]
fn every_command_has_a_page_with_exit_status_files_and_examples() {
    let subs = subcommands();
    assert!(
        subs.len() >= 10 && subs.contains(&"failover".to_string()),
        "{subs:?}"
    );
    for sub in &subs {
        let out = run(&["man", sub]);
        assert!(out.status.success(), "man {sub}: {}", out.text());
        let page = String::from_utf8_lossy(&out.stdout);
        assert!(
            page.contains(&format!(".TH rtoguard-{sub} 1")),
            "{sub}:\n{page}"
        );
        for section in [
            ".SH \"EXIT STATUS\"",
            ".SH FILES",
            ".SH EXAMPLES",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(
                page.contains(section),
                "rtoguard-{sub}(1) lacks {section}:\n{page}"
            );
        }
    }
    // The pages rtoguard(1) points at are the ones written.
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", out.text());
    let top = std::fs::read_to_string(dir.path().join("rtoguard.1")).unwrap();
    for sub in &subs {
        assert!(
            top.contains(&format!("rtoguard\\-{sub}(1)")),
            "rtoguard(1) misses {sub}"
        );
        assert!(
            dir.path().join(format!("rtoguard-{sub}.1")).exists(),
            "no page for {sub}"
        );
    }
    let failover = std::fs::read_to_string(dir.path().join("rtoguard-failover.1")).unwrap();
    assert!(
        failover.contains("\\fB130\\fR"),
        "Ctrl-C's status: {failover}"
    );
    let out = run(&["man", "nope"]);
    assert_eq!(out.status.code(), Some(64), "{}", out.text());
}

/// A second service (`api`, pools `east` and `west`) after the testbed's `checkout`.
fn two_services(tb: &Testbed) {
    let text = std::fs::read_to_string(&tb.config).unwrap();
    let api = text[text.find("[[services]]").unwrap()..]
        .replace("name = \"checkout\"", "name = \"api\"")
        .replace("checkout.example.test.", "api.example.test.")
        .replace("name = \"primary\"", "name = \"east\"")
        .replace("name = \"standby\"", "name = \"west\"");
    std::fs::write(&tb.config, format!("{text}\n{api}")).unwrap();
    assert!(
        run(&["check", "--config", tb.config_str()])
            .status
            .success()
    );
}

/// What the shell's script asks when TAB is pressed after `words` (bash).
fn complete(words: &[&str], env: &[(&str, &str)]) -> Output {
    let index = (words.len() - 1).to_string();
    Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .arg("--")
        .args(words)
        .env("RTOGUARD_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", &index)
        .env("_CLAP_IFS", "\n")
        .env_remove("RTOGUARD_CONFIG")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run rtoguard")
}

fn candidates(out: &Output) -> Vec<String> {
    assert!(out.status.success(), "{}", out.text());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn completion_offers_the_configs_services_and_pools() {
    let tb = Testbed::start(2, 1, "1s");
    two_services(&tb);
    let cfg = tb.config_str();
    let env = [("RTOGUARD_CONFIG", cfg)];
    let services = candidates(&complete(&["rtoguard", "failover", ""], &env));
    assert!(
        services.contains(&"checkout".into()) && services.contains(&"api".into()),
        "{services:?}"
    );
    // The config named on the line being completed, and a prefix.
    let named = candidates(&complete(&["rtoguard", "pin", "--config", cfg, "ch"], &[]));
    assert!(
        named.contains(&"checkout".into()) && !named.contains(&"api".into()),
        "{named:?}"
    );
    let pools = candidates(&complete(
        &["rtoguard", "failover", "api", "--to", ""],
        &env,
    ));
    for p in ["east", "west", "primary", "standby"] {
        assert!(pools.contains(&p.to_string()), "{p}: {pools:?}");
    }
    // No config: no names, and no error.
    let none = complete(
        &["rtoguard", "failover", ""],
        &[("RTOGUARD_CONFIG", "/nonexistent/rtoguard.toml")],
    );
    let none = candidates(&none);
    assert!(
        !none.contains(&"checkout".into()) && none.contains(&"--to".into()),
        "{none:?}"
    );
    // The script the package installs asks rtoguard back.
    let script = run(&["completions", "bash"]);
    assert!(script.status.success(), "{}", script.text());
    let script = String::from_utf8_lossy(&script.stdout);
    assert!(
        script.contains("RTOGUARD_COMPLETE=\"bash\"") && script.contains("rtoguard"),
        "{script}"
    );
}
