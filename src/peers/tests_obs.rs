//! Tests of the observation types and the config digest.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::obs::fnv_for_tests;
use super::{EndpointObsState, Observations, config_digest, service_obs};
use crate::config::{Config, parse};
use crate::controller::PoolHealth;
use crate::probe::{Hysteresis, PoolEndpoints};

pub(super) const CONFIG: &str = r#"[controller]
id = "us-east-1"

[[peers]]
id = "eu-west-1"
url = "http://127.0.0.1:9420"
token_env = "RTOGUARD_TEST_PEER_TOKEN"

[[peers]]
id = "witness"
url = "http://127.0.0.1:9421"
token_env = "RTOGUARD_TEST_PEER_TOKEN"

[providers.bind]
type = "rfc2136"
server = "127.0.0.1:53"
tsig_key_name = "rtoguard."
tsig_secret_file = "/etc/rtoguard/tsig.secret"

[[services]]
name = "checkout"
provider = "bind"
zone = "example.test."
record = "checkout.example.test."
type = "A"
rto = "5m"
probe = { type = "tcp", port = 80 }
health = { interval = "5s", rise = 2, fall = 2 }

[[services.pools]]
name = "primary"
region = "us-east-1"
endpoints = ["127.0.0.2"]

[[services.pools]]
name = "standby"
region = "eu-west-1"
endpoints = ["127.0.0.3"]
"#;

pub(super) fn config(text: &str) -> Config {
    parse(Path::new("test.toml"), text).unwrap_or_else(|e| panic!("valid config:\n{e}"))
}

#[test]
fn fnv1a64_matches_the_published_vectors() {
    assert_eq!(fnv_for_tests(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv_for_tests(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv_for_tests(b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn digest_is_equal_for_equal_configs() {
    let a = config_digest(&config(CONFIG));
    let b = config_digest(&config(CONFIG));
    assert_eq!(a, b);
    assert!(a.starts_with("fnv1a64:") && a.len() == 8 + 16, "{a}");
    // Who this vantage is and where its peers are do not matter.
    let other_vantage = CONFIG
        .replacen("id = \"us-east-1\"", "id = \"ap-south-1\"", 1)
        .replace("127.0.0.1:9420", "127.0.0.9:9420");
    assert_eq!(config_digest(&config(&other_vantage)), a);
}

#[test]
fn digest_changes_with_an_endpoint_a_probe_or_the_health_rules() {
    let base = config_digest(&config(CONFIG));
    for (old, new) in [
        ("\"127.0.0.3\"", "\"127.0.0.4\""),
        ("\"127.0.0.3\"", "\"127.0.0.3\", \"127.0.0.4\""),
        ("port = 80", "port = 81"),
        ("fall = 2", "fall = 3"),
        ("name = \"standby\"", "name = \"backup\""),
    ] {
        let changed = CONFIG.replacen(old, new, 1);
        assert_ne!(config_digest(&config(&changed)), base, "{old} -> {new}");
    }
}

#[test]
fn service_obs_reports_states_and_wall_times() {
    let rules = Hysteresis { rise: 1, fall: 2 };
    let mut primary = PoolEndpoints::new(["127.0.0.2", "127.0.0.5"], rules, 1);
    let t0 = Instant::now();
    primary.record("127.0.0.2", true, t0, "connected");
    primary.record(
        "127.0.0.5",
        false,
        t0 + Duration::from_secs(1),
        "connect refused",
    );
    let pools = BTreeMap::from([("primary".to_string(), primary)]);
    let now = t0 + Duration::from_secs(3);
    let s = service_obs("checkout", &pools, now, 10_000);
    assert_eq!(s.service, "checkout");
    let p = &s.pools[0];
    assert_eq!(
        (p.pool.as_str(), p.health),
        ("primary", PoolHealth::Suspect)
    );
    let up = &p.endpoints[0];
    assert_eq!(up.state, EndpointObsState::Up);
    assert_eq!((up.since_ms, up.last_at_ms), (Some(7_000), Some(7_000)));
    let failing = &p.endpoints[1];
    assert_eq!(failing.state, EndpointObsState::Unknown);
    assert!(failing.failing);
    assert_eq!(failing.last_detail, "connect refused");
    assert_eq!((failing.since_ms, failing.last_at_ms), (None, Some(8_000)));
}

#[test]
fn observations_travel_as_lowercase_words_and_back() {
    let rules = Hysteresis { rise: 1, fall: 1 };
    let mut view = PoolEndpoints::new(["127.0.0.2"], rules, 1);
    view.record("127.0.0.2", false, Instant::now(), "status 503");
    let pools = BTreeMap::from([("primary".to_string(), view)]);
    let mut obs = Observations::empty("us-east-1", "fnv1a64:00", 1);
    obs.upsert(service_obs("checkout", &pools, Instant::now(), 5));
    let v = serde_json::to_value(&obs).expect("serializes");
    assert_eq!(v["services"][0]["pools"][0]["health"], json!("down"));
    assert_eq!(
        v["services"][0]["pools"][0]["endpoints"][0]["state"],
        json!("down")
    );
    let back: Observations = serde_json::from_value(v).expect("deserializes");
    assert_eq!(back, obs);
    assert_eq!(
        back.pool("checkout", "primary").map(|p| p.health),
        Some(PoolHealth::Down)
    );
    assert!(back.pool("checkout", "standby").is_none());
}

#[test]
fn an_endpoint_this_vantage_cannot_probe_is_published_unknown_not_down() {
    let rules = Hysteresis { rise: 1, fall: 1 };
    let mut view = PoolEndpoints::new(["127.0.0.2"], rules, 1);
    let t0 = Instant::now();
    view.record("127.0.0.2", true, t0, "status 200");
    let local = crate::probe::ProbeResult {
        ok: false,
        latency: Duration::ZERO,
        detail: "out of file descriptors".into(),
        at: t0 + Duration::from_secs(1),
        lateness: Duration::ZERO,
        local: Some(crate::probe::LocalFault::Descriptors("os error 24".into())),
    };
    view.observe("127.0.0.2", &local);
    let pools = BTreeMap::from([("primary".to_string(), view)]);
    let s = service_obs("checkout", &pools, t0 + Duration::from_secs(2), 5_000);
    let p = &s.pools[0];
    assert_eq!(p.health, PoolHealth::Unknown);
    assert_eq!(p.endpoints[0].state, EndpointObsState::Unknown);
    assert!(!p.endpoints[0].failing);
    let why = p.endpoints[0].local.as_deref().unwrap_or_default();
    assert!(why.contains("file descriptors"), "{why}");
    let v = serde_json::to_value(&s).expect("serializes");
    assert_eq!(v["pools"][0]["endpoints"][0]["state"], json!("unknown"));
}

#[test]
fn upsert_replaces_a_service() {
    let mut obs = Observations::empty("v", "d", 0);
    let pools = BTreeMap::new();
    obs.upsert(service_obs("a", &pools, Instant::now(), 0));
    obs.upsert(service_obs("b", &pools, Instant::now(), 0));
    obs.upsert(service_obs("a", &pools, Instant::now(), 0));
    let names: Vec<&str> = obs.services.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn a_last_write_travels_and_documents_without_it_still_decode() {
    // An older vantage's document: no `last_write`.
    let old = br#"{"vantage":"eu-west-1","generated_at_ms":5,"config_digest":"fnv1a64:00",
        "services":[{"service":"checkout","pools":[]}]}"#;
    let obs = super::parse_observations(old).expect("an older peer's document decodes");
    assert_eq!(obs.services[0].last_write, None);
    let without = serde_json::to_value(&obs).expect("serializes");
    assert!(
        without["services"][0].get("last_write").is_none(),
        "{without}"
    );

    let mut obs = obs;
    obs.services[0].last_write = Some(super::LastWrite {
        pool: "standby".into(),
        at_ms: 7,
        incident: Some("checkout-7".into()),
    });
    let bytes = serde_json::to_vec(&obs).expect("serializes");
    assert_eq!(super::parse_observations(&bytes).expect("decodes"), obs);

    let empty = br#"{"vantage":"eu-west-1","generated_at_ms":5,"config_digest":"fnv1a64:00",
        "services":[{"service":"checkout","pools":[],"last_write":{"pool":"","at_ms":7}}]}"#;
    let err = super::parse_observations(empty).expect_err("an empty pool is refused");
    assert!(err.to_string().contains("last write"), "{err}");
}

#[test]
fn a_served_decision_travels_and_documents_without_it_still_decode() {
    let old = br#"{"vantage":"eu-west-1","generated_at_ms":5,"config_digest":"fnv1a64:00",
        "services":[{"service":"checkout","pools":[]}]}"#;
    let mut obs = super::parse_observations(old).expect("an older peer's document decodes");
    assert_eq!(obs.services[0].served, None);
    let without = serde_json::to_value(&obs).expect("serializes");
    assert!(without["services"][0].get("served").is_none(), "{without}");

    obs.services[0].served = Some(super::Served {
        pool: "standby".into(),
        at_ms: 7,
        by: "us-east-1".into(),
        incident: Some("checkout-7".into()),
    });
    let bytes = serde_json::to_vec(&obs).expect("serializes");
    assert_eq!(super::parse_observations(&bytes).expect("decodes"), obs);

    let nameless = br#"{"vantage":"eu-west-1","generated_at_ms":5,"config_digest":"fnv1a64:00",
        "services":[{"service":"checkout","pools":[],"served":{"pool":"standby","at_ms":7,"by":""}}]}"#;
    let err =
        super::parse_observations(nameless).expect_err("a decision without its writer is refused");
    assert!(err.to_string().contains("served decision"), "{err}");
}
