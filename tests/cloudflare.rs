//! The daemon against the Cloudflare API fake: a provider with a 60 s TTL
//! floor is asked for the lowered TTL once while a pool stays suspect.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use rtoguard_testkit::cloudflare::Fake;
use rtoguard_testkit::net::lo;
use rtoguard_testkit::region::Region;

const TOKEN: &str = "cf-daemon-test-token-51e2";
const NAME: &str = "checkout.example.test.";
/// The same name as Cloudflare writes it: no final dot.
const CF_NAME: &str = "checkout.example.test";

/// The daemon's config: the testbed's regions behind Cloudflare, the
/// primary pool on 127.0.0.2 and 127.0.0.4, TTLs left to their defaults.
fn config(tb: &Testbed, fake: &Fake) -> String {
    let token = tb.dir.path().join("cf-token");
    std::fs::write(&token, TOKEN).expect("write token");
    format!(
        r#"[controller]
id = "test"
state_dir = "{state}"
control_socket = "{state}/control.sock"

[providers.cf]
type = "cloudflare"
api_token_file = "{token}"
api_url = "{url}"
requests_per_second = 50

[[services]]
name = "checkout"
provider = "cf"
zone = "example.test."
record = "{NAME}"
type = "A"
rto = "5m"
probe = {{ type = "http", port = {port}, path = "/healthz", timeout = "150ms" }}
health = {{ interval = "200ms", rise = 2, fall = 2 }}

[[services.pools]]
name = "primary"
region = "region-a"
endpoints = ["127.0.0.2", "127.0.0.4"]

[[services.pools]]
name = "standby"
region = "region-b"
endpoints = ["127.0.0.3"]
"#,
        state = tb.dir.path().display(),
        token = token.display(),
        url = fake.api_url(),
        port = tb.port,
    )
}

fn history_len(tb: &Testbed) -> usize {
    let out = run(&["history", "--json", "--config", tb.config_str()]);
    assert!(out.status.success(), "{}", out.text());
    // One JSON entry a line.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .count()
}

fn served_ttls(fake: &Fake) -> Vec<u64> {
    fake.records_at(CF_NAME, "A")
        .iter()
        .filter_map(|r| r["ttl"].as_u64())
        .collect()
}

#[test]
fn a_suspect_pool_on_cloudflare_lowers_the_ttl_once() {
    let fake = Fake::start(TOKEN, "example.test");
    fake.add_a(CF_NAME, "127.0.0.2", 300);
    fake.add_a(CF_NAME, "127.0.0.4", 300);
    let tb = Testbed::start(300, 30, "1h");
    let mut second = Region::start_at(SocketAddr::new(lo(4), tb.port), "primary");
    std::fs::write(&tb.config, config(&tb, &fake)).expect("write config");
    let d = Daemon::start(&tb, &[]);
    wait_for(Duration::from_secs(15), || all_up(&tb), || d.log_text());
    // One endpoint of the primary fails: the pool is suspect, not down.
    second.stop();
    wait_for(
        Duration::from_secs(15),
        || served_ttls(&fake) == [60, 60],
        || format!("{:?}\n{}", served_ttls(&fake), d.log_text()),
    );
    // The daemon journals the write after the fake applied it.
    wait_for(
        Duration::from_secs(10),
        || {
            run(&["history", "--json", "--config", tb.config_str()])
                .text()
                .contains("\"kind\":\"ttl_changed\"")
        },
        || d.log_text(),
    );
    let requests = fake.requests().len();
    let entries = history_len(&tb);
    // 25 probe intervals with the pool suspect all along.
    std::thread::sleep(Duration::from_secs(5));
    let status = run(&["status", "--json", "--config", tb.config_str()]).text();
    assert!(status.contains("\"suspect\""), "{status}");
    let writes = fake
        .requests()
        .iter()
        .filter(|s| s.method == "POST" && s.path.ends_with("/dns_records/batch"))
        .count();
    assert_eq!(writes, 1, "one TTL write:\n{}", d.log_text());
    let more = fake.requests().len() - requests;
    assert!(
        more <= 2,
        "{more} more API requests while suspect:\n{}",
        d.log_text()
    );
    let after = run(&["history", "--json", "--config", tb.config_str()]).text();
    assert_eq!(
        history_len(&tb),
        entries,
        "the journal grew while suspect:\n{after}"
    );
    d.stop();
}
