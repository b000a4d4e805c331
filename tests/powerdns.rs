//! The daemon against a real PowerDNS Authoritative on loopback: the primary
//! region goes down, the daemon lowers the TTL, flips the record through the
//! HTTP API, and times propagation on PowerDNS's DNS port.

mod common;

use std::path::Path;
use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::pdns::Pdns;

/// The daemon's config: the testbed's regions behind PowerDNS, the API key
/// read from `key`.
fn config(tb: &Testbed, pdns: &Pdns, key: &Path) -> String {
    format!(
        r#"[controller]
id = "test"
state_dir = "{state}"
control_socket = "{state}/control.sock"

[providers.pdns]
type = "powerdns"
api_url = "{url}"
api_key_file = "{key}"
dns_server = "{dns}"
requests_per_second = 50

{service}"#,
        state = tb.dir.path().display(),
        url = pdns.api_url,
        key = key.display(),
        dns = pdns.addr,
        service = common::checkout_on("pdns", tb.port),
    )
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

#[test]
fn primary_down_fails_over_through_the_powerdns_api() {
    let pdns = Pdns::start("example.test.", &[("checkout", "A", 4, &["127.0.0.2"])]);
    let mut tb = Testbed::start(300, 30, "1h");
    std::fs::write(&tb.config, config(&tb, &pdns, &pdns.key_file())).expect("write config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    let before = pdns.serial();
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || pdns.query("checkout", RecordType::A).values == ["127.0.0.3"],
        || format!("{}\n{}\n{}", d.log_text(), history(&tb), pdns.log()),
    );
    assert!(pdns.serial() > before, "the API change bumped the serial");
    // The flip was journaled, and its propagation timed at PowerDNS's DNS port.
    wait_for(
        Duration::from_secs(15),
        || history(&tb).contains("watch-result"),
        || format!("{}\n{}", history(&tb), d.log_text()),
    );
    let h = history(&tb);
    for want in [
        "set the TTL to 1",
        "flip from pool primary to pool standby",
        "provider-result",
        "propagation all converged",
    ] {
        assert!(h.contains(want), "history lacks {want}:\n{h}");
    }
    // The key never reaches the daemon's log.
    let log = d.stop();
    assert!(!log.contains(&pdns.api_key), "the API key is in the log");
}

#[test]
fn a_wrong_api_key_keeps_the_service_not_ready_naming_the_key_file_not_the_key() {
    let pdns = Pdns::start("example.test.", &[("checkout", "A", 4, &["127.0.0.2"])]);
    let tb = Testbed::start(300, 30, "1h");
    let wrong = "wrong-pdns-key-7f3a91c2";
    let key = tb.dir.path().join("pdns-wrong.key");
    std::fs::write(&key, format!("{wrong}\n")).expect("write key");
    std::fs::write(&tb.config, config(&tb, &pdns, &key)).expect("write config");
    let d = Daemon::start(&tb, &[]);
    let want = format!(
        "pdns: authentication refused (credentials from file {})",
        key.display()
    );
    let not_ready = || {
        let out = run(&["status", "--json", "--config", tb.config_str()]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        v["not_ready"].to_string()
    };
    wait_for(
        Duration::from_secs(15),
        || not_ready().contains(&want),
        || format!("{}\n{}", not_ready(), d.log_text()),
    );
    let why = not_ready();
    assert!(
        !why.contains(wrong) && !why.contains(&pdns.api_key),
        "{why}"
    );
    assert_eq!(
        pdns.query("checkout", RecordType::A).values,
        ["127.0.0.2"],
        "nothing was written"
    );
    let log = d.stop();
    assert!(!log.contains(wrong), "the key is in the log");
}
