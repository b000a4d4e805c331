//! The daemon against Google Cloud DNS (testkit's strict double of the API
//! and its token endpoint): the primary region goes down, the daemon lowers
//! the TTL and flips the record, each write one change that deletes exactly
//! the set it expects; and `rtoguard doctor` proves access, or names the key
//! file the token endpoint refused.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use rtoguard_testkit::gcloud::{
    Double, TEST_ONLY_PRIVATE_KEY, rrset, service_account_json, service_account_json_for,
};
use serde_json::Value;

const CHECKOUT: &str = "checkout.example.test.";

/// The daemon's config: the testbed's regions behind Cloud DNS at `api`,
/// with the service-account key in `key`.
fn config(tb: &Testbed, api: &str, key: &Path) -> String {
    format!(
        r#"[controller]
id = "test"
state_dir = "{state}"
control_socket = "{state}/control.sock"

[providers.gdns]
type = "gcloud"
project = "test-project"
managed_zone = "example-test"
credentials_file = "{key}"
api_url = "{api}"
requests_per_second = 50

{service}"#,
        state = tb.dir.path().display(),
        key = key.display(),
        service = common::checkout_on("gdns", tb.port),
    )
}

fn double() -> Double {
    Double::start(
        "test-project",
        "example-test",
        "example.test.",
        vec![rrset(CHECKOUT, "A", 4, &["127.0.0.2"])],
    )
}

/// A key file readable by its owner only, as a real one should be.
fn key_file(tb: &Testbed, json: &str) -> std::path::PathBuf {
    let path = tb.dir.path().join("gcloud.json");
    std::fs::write(&path, json).expect("write key");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod key");
    path
}

fn checkout(d: &Double) -> Value {
    d.rrsets()
        .into_iter()
        .find(|r| r["name"] == CHECKOUT)
        .unwrap_or_default()
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

#[test]
fn primary_down_fails_over_through_cloud_dns() {
    let gdns = double();
    let mut tb = Testbed::start(300, 30, "1h");
    let key = key_file(&tb, &service_account_json(&gdns.token_uri()));
    std::fs::write(&tb.config, config(&tb, &gdns.url(), &key)).expect("write config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || checkout(&gdns)["rrdatas"] == serde_json::json!(["127.0.0.3"]),
        || format!("{}\n{}\n{:?}", d.log_text(), history(&tb), gdns.rrsets()),
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
    // Every write deleted exactly the set the one before it left.
    let changes = gdns.changes_posted();
    assert!(changes.len() >= 2, "{changes:?}");
    let mut served = rrset(CHECKOUT, "A", 4, &["127.0.0.2"]);
    for c in &changes {
        assert_eq!(c["deletions"], serde_json::json!([served]), "{c}");
        served = c["additions"][0].clone();
    }
    assert_eq!(checkout(&gdns), served);
    assert_eq!(gdns.breaches(), Vec::<String>::new());
    // No key material, token or assertion in the daemon's log.
    let log = d.log_text();
    let key_line = TEST_ONLY_PRIVATE_KEY.lines().nth(1).unwrap_or_default();
    for secret in [key_line, "ya29.", "PRIVATE KEY", "assertion="] {
        assert!(!log.contains(secret), "the log shows {secret:?}");
    }
    d.stop();
}

#[test]
fn doctor_proves_access_and_names_a_refused_key_by_its_file() {
    let gdns = double();
    let tb = Testbed::start(300, 30, "1h");
    let key = key_file(&tb, &service_account_json(&gdns.token_uri()));
    std::fs::write(&tb.config, config(&tb, &gdns.url(), &key)).expect("write config");
    let o = run(&["doctor", "--config", tb.config_str()]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let line = out
        .lines()
        .find(|l| l.contains("(gcloud)"))
        .unwrap_or_default()
        .to_string();
    assert!(line.starts_with("ok"), "{}", o.text());
    assert!(
        line.contains("managed zone example-test (example.test.) of project test-project"),
        "{line}"
    );

    // A key the token endpoint refuses: named by its file, never shown.
    key_file(
        &tb,
        &service_account_json_for(
            "gone@test-project.iam.gserviceaccount.com",
            &gdns.token_uri(),
        ),
    );
    let o = run(&["doctor", "--config", tb.config_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", o.text());
    let text = o.text();
    assert!(
        text.contains(&format!("credentials from file {}", key.display())),
        "{text}"
    );
    assert!(text.contains("account not found"), "{text}");
    let key_line = TEST_ONLY_PRIVATE_KEY.lines().nth(1).unwrap_or_default();
    assert!(
        !text.contains(key_line) && !text.contains("PRIVATE KEY"),
        "{text}"
    );
}
