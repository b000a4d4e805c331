//! Helpers of the doctor's tests: a testbed with a 0600 secret and BIND as
//! its authority, running `doctor`, finding its FAIL lines, masking a snapshot.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use crate::common::{OutputText, Testbed, run};
use rtoguard_testkit::unbound::Unbound;

/// A testbed whose config names a 0600 copy of the TSIG secret (`secret`
/// replaces the real one when given) and BIND as the authoritative server.
pub fn testbed(secret: Option<&str>) -> Testbed {
    let tb = Testbed::start(60, 5, "30s");
    let real = std::fs::read_to_string(tb.secret_path()).expect("read secret");
    let copy = tb.dir.path().join("tsig.secret");
    std::fs::write(&copy, secret.unwrap_or(&real)).expect("write secret");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut text = std::fs::read_to_string(&tb.config).expect("read config");
    text = text.replace(
        &tb.secret_path().display().to_string(),
        &copy.display().to_string(),
    );
    text.push_str(&format!(
        "\n[services.propagation]\nauthoritatives = [ {{ name = \"bind\", address = \"{}\" }} ]\n",
        tb.bind.addr
    ));
    std::fs::write(&tb.config, text).expect("write config");
    tb
}

/// Add `unbound` as the service's resolver (the propagation table is last).
pub fn add_resolver(tb: &Testbed, unbound: &Unbound) {
    let mut text = std::fs::read_to_string(&tb.config).expect("read config");
    text.push_str(&format!(
        "resolvers = [ {{ name = \"unbound\", address = \"{}\" }} ]\n",
        unbound.addr
    ));
    std::fs::write(&tb.config, text).expect("write config");
}

pub fn doctor(config: &str) -> Output {
    run(&["doctor", "--config", config])
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The one line of `check` kind that failed, or a panic with the output.
pub fn failed_line(o: &Output, check: &str) -> String {
    let out = stdout(o);
    out.lines()
        .find(|l| l.starts_with("FAIL") && l.split_whitespace().nth(1) == Some(check))
        .unwrap_or_else(|| panic!("no FAIL {check} line in:\n{}", o.text()))
        .to_string()
}

/// Ports, temporary directories and the TSIG error's details masked, so
/// the snapshot holds only what a person reads.
pub fn masked(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive(' ') {
        out.push_str(&mask_word(word));
    }
    out
}

pub fn mask_word(word: &str) -> String {
    let mut w = word.to_string();
    while let Some(i) = w.find("/tmp/") {
        let rest = &w[i + 5..];
        let end = rest.find('/').map_or(rest.len(), |e| e);
        w = format!("{}[tmp]{}", &w[..i], &rest[end..]);
    }
    if let Some(i) = w.find("127.0.0.") {
        let after = &w[i + 8..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        let rest = &after[digits..];
        if let Some(port) = rest.strip_prefix(':') {
            let n = port.chars().take_while(char::is_ascii_digit).count();
            w = format!("{}:[port]{}", &w[..i + 8 + digits], &port[n..]);
        }
    }
    w
}

pub fn token_file(tb: &Testbed, name: &str, value: &str) -> std::path::PathBuf {
    let path = tb.dir.path().join(name);
    std::fs::write(&path, value).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}
