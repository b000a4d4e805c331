//! The daemon against Azure DNS (testkit's strict double of ARM and its
//! token issuers): the primary region goes down, the daemon lowers the TTL
//! and flips the record with PUTs fenced by the ETag; a wrong client secret
//! keeps the service not ready, naming the secret's file and never its value;
//! and `rtoguard doctor` proves access with a token and a read.

mod common;

use std::path::Path;
use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use rtoguard_testkit::azure::{self, Double};

/// The daemon's config: the testbed's regions behind Azure DNS at `az`,
/// the client secret read from `secret`.
fn config(tb: &Testbed, az: &Double, secret: &Path) -> String {
    format!(
        r#"[controller]
id = "test"
state_dir = "{state}"
control_socket = "{state}/control.sock"

[providers.az]
type = "azure"
subscription_id = "{sub}"
resource_group = "{rg}"
tenant_id = "{tenant}"
client_id = "{client}"
client_secret_file = "{secret}"
api_url = "{url}"
login_url = "{url}"
requests_per_second = 50

{service}"#,
        state = tb.dir.path().display(),
        sub = azure::SUBSCRIPTION,
        rg = azure::RESOURCE_GROUP,
        tenant = azure::TENANT,
        client = azure::CLIENT_ID,
        secret = secret.display(),
        url = az.url(),
        service = common::checkout_on("az", tb.port),
    )
}

fn secret_file(tb: &Testbed, value: &str) -> std::path::PathBuf {
    let path = tb.dir.path().join("azure-secret");
    std::fs::write(&path, format!("{value}\n")).expect("write secret");
    path
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

#[test]
fn primary_down_fails_over_through_azure_dns() {
    let az = Double::start("example.test");
    az.set("checkout", "A", 4, &["127.0.0.2"]);
    let mut tb = Testbed::start(300, 30, "1h");
    let secret = secret_file(&tb, azure::CLIENT_SECRET);
    std::fs::write(&tb.config, config(&tb, &az, &secret)).expect("write config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    tb.primary.stop();
    wait_for(
        Duration::from_secs(20),
        || {
            az.values("checkout", "A")
                .is_some_and(|(_, v)| v == ["127.0.0.3"])
        },
        || {
            format!(
                "{}\n{}\n{:?}",
                d.log_text(),
                history(&tb),
                az.values("checkout", "A")
            )
        },
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
    // Every write named the version it replaced.
    let puts: Vec<_> = az
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert!(!puts.is_empty());
    assert!(puts.iter().all(|p| p.if_match.is_some()), "{puts:?}");
    assert_eq!(az.breaches(), Vec::<String>::new());
    let log = d.stop();
    assert!(
        !log.contains(azure::CLIENT_SECRET),
        "the client secret is in the log"
    );
}

#[test]
fn a_wrong_client_secret_keeps_the_service_not_ready_naming_the_file_not_the_secret() {
    let az = Double::start("example.test");
    az.set("checkout", "A", 4, &["127.0.0.2"]);
    let tb = Testbed::start(300, 30, "1h");
    let wrong = "Wr0ng~azure-secret-77e1";
    let secret = secret_file(&tb, wrong);
    std::fs::write(&tb.config, config(&tb, &az, &secret)).expect("write config");
    let d = Daemon::start(&tb, &[]);
    let want = format!(
        "az: authentication refused (credentials from client secret from file {}",
        secret.display()
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
    assert!(why.contains("AADSTS7000215"), "{why}");
    assert!(!why.contains(wrong), "{why}");
    assert_eq!(
        az.values("checkout", "A").map(|(_, v)| v),
        Some(vec!["127.0.0.2".to_string()])
    );
    let log = d.stop();
    assert!(!log.contains(wrong), "the secret is in the log");
}

#[test]
fn doctor_proves_access_with_a_token_and_a_read() {
    let az = Double::start("example.test");
    az.set("checkout", "A", 4, &["127.0.0.2"]);
    let tb = Testbed::start(300, 30, "1h");
    let secret = secret_file(&tb, azure::CLIENT_SECRET);
    std::fs::write(&tb.config, config(&tb, &az, &secret)).expect("write config");
    let o = run(&["doctor", "--config", tb.config_str()]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let line = out
        .lines()
        .find(|l| l.contains("(azure)"))
        .unwrap_or_default()
        .to_string();
    assert!(line.starts_with("ok"), "{}", o.text());
    assert!(
        line.contains("a token from the client secret from file"),
        "{line}"
    );
    assert!(!o.text().contains(azure::CLIENT_SECRET));
}
