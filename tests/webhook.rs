//! The daemon against an external-dns webhook provider (testkit's strict
//! double of the protocol): the primary region goes down, the daemon lowers
//! the TTL and flips the record through `POST /records`, each write read
//! back; and `rtoguard doctor` proves access by the negotiation.

mod common;

use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use rtoguard_testkit::webhook::{Double, endpoint};
use serde_json::Value;

/// The daemon's config: the testbed's regions behind the webhook at `url`.
fn config(tb: &Testbed, url: &str) -> String {
    format!(
        r#"[controller]
id = "test"
state_dir = "{state}"
control_socket = "{state}/control.sock"

[providers.hook]
type = "webhook"
url = "{url}"
requests_per_second = 50

{service}"#,
        state = tb.dir.path().display(),
        service = common::checkout_on("hook", tb.port),
    )
}

fn checkout(d: &Double) -> Value {
    d.records()
        .into_iter()
        .find(|r| r["dnsName"] == "checkout.example.test")
        .unwrap_or_default()
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

#[test]
fn primary_down_fails_over_through_the_webhook() {
    let hook = Double::start(
        "example.test",
        vec![endpoint("checkout.example.test", "A", 4, &["127.0.0.2"])],
    );
    let mut tb = Testbed::start(300, 30, "1h");
    std::fs::write(&tb.config, config(&tb, &hook.url())).expect("write config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || checkout(&hook)["targets"] == serde_json::json!(["127.0.0.3"]),
        || format!("{}\n{}\n{:?}", d.log_text(), history(&tb), hook.records()),
    );
    wait_for(
        Duration::from_secs(15),
        || history(&tb).contains("provider-result"),
        || format!("{}\n{}", history(&tb), d.log_text()),
    );
    let h = history(&tb);
    for want in ["set the TTL to 1", "flip from pool primary to pool standby"] {
        assert!(h.contains(want), "history lacks {want}:\n{h}");
    }
    // Every write was one updateOld/updateNew pair, never a delete.
    let writes: Vec<Value> = hook
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/records")
        .filter_map(|r| r.body)
        .collect();
    assert!(!writes.is_empty());
    for w in &writes {
        assert!(
            w.get("delete").is_none() && w.get("create").is_none(),
            "{w}"
        );
    }
    assert_eq!(hook.breaches(), Vec::<String>::new());
    d.stop();
}

#[test]
fn doctor_proves_access_by_negotiating_and_names_a_wrong_media_type() {
    let hook = Double::start(
        "example.test",
        vec![endpoint("checkout.example.test", "A", 4, &["127.0.0.2"])],
    );
    let tb = Testbed::start(300, 30, "1h");
    std::fs::write(&tb.config, config(&tb, &hook.url())).expect("write config");
    let o = run(&["doctor", "--config", tb.config_str()]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let line = out
        .lines()
        .find(|l| l.contains("(webhook)"))
        .unwrap_or_default()
        .to_string();
    assert!(line.starts_with("ok"), "{}", o.text());
    assert!(line.contains("negotiated version 1"), "{line}");

    hook.wrong_media_type(true);
    let o = run(&["doctor", "--config", tb.config_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let text = o.text();
    assert!(
        text.contains("answered with Content-Type \"application/json\""),
        "{text}"
    );
}
