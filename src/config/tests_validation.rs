//! Tests that every validation issue names its line, its field and the fix.

use std::path::Path;

use super::{ConfigIssue, parse};

/// A small valid config the cases below break one way each: a controller
/// in each pool's region and a witness agent in a third.
pub(super) const BASE: &str = r#"[controller]
id = "us-east-1"

[[peers]]
id = "eu-west-1"
url = "https://eu.example.net:9420"
token_file = "/etc/rtoguard/peer-token"

[[peers]]
id = "witness"
url = "https://witness.example.net:9420"
token_file = "/etc/rtoguard/peer-token"

[providers.bind]
type = "rfc2136"
server = "127.0.0.1:53"
tsig_key_name = "rtoguard."
tsig_secret_file = "/etc/rtoguard/tsig.secret"

[[services]]
name = "checkout"
provider = "bind"
zone = "example.com."
record = "checkout.example.com."
type = "A"
rto = "5m"
ttl = { normal = "300s", lowered = "30s" }
probe = { type = "http", path = "/healthz" }
health = { interval = "5s", rise = 5, fall = 3 }

[[services.pools]]
name = "primary"
region = "us-east-1"
endpoints = ["192.0.2.10", "192.0.2.11"]

[[services.pools]]
name = "standby"
region = "eu-west-1"
endpoints = ["198.51.100.10"]
"#;

pub(super) fn issues(text: &str) -> Vec<ConfigIssue> {
    match parse(Path::new("config.toml"), text) {
        Ok(_) => panic!("expected issues, the config passed:\n{text}"),
        Err(e) => e.issues,
    }
}

/// The 1-based line of the `nth` (0-based) line containing `needle`.
pub(super) fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    let found = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth);
    found
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in the text"))
}

/// `text` has an issue at the line of `needle` (its `nth` match), on `field`,
/// whose message contains every one of `words`.
pub(super) fn expect(text: &str, needle: &str, nth: usize, field: &str, words: &[&str]) {
    let all = issues(text);
    let line = line_of(text, needle, nth);
    let shown: Vec<String> = all.iter().map(ToString::to_string).collect();
    let hit = all.iter().any(|i| {
        i.line == Some(line) && i.field == field && words.iter().all(|w| i.message.contains(w))
    });
    assert!(
        hit,
        "no issue at line {line} on {field} with {words:?}; got:\n{}",
        shown.join("\n")
    );
}

pub(super) fn with(old: &str, new: &str) -> String {
    assert!(BASE.contains(old), "{old:?} not in BASE");
    BASE.replacen(old, new, 1)
}

#[test]
fn base_is_valid() {
    let cfg = parse(Path::new("config.toml"), BASE).expect("BASE is valid");
    assert_eq!(cfg.services[0].pools.len(), 2);
}

#[test]
fn syntax_error_keeps_the_line() {
    let text = with("rto = \"5m\"", "rto = \"5m");
    let all = issues(&text);
    let line = line_of(&text, "rto = ", 0);
    assert!(
        all.iter()
            .any(|i| i.line == Some(line) && i.field == "services.rto"),
        "{all:?}"
    );
}

#[test]
fn unknown_field_lists_the_allowed_ones() {
    let text = with(
        "id = \"us-east-1\"\n",
        "id = \"us-east-1\"\ncolour = \"red\"\n",
    );
    expect(
        &text,
        "colour",
        0,
        "controller.colour",
        &["unknown field `colour`", "`state_dir`"],
    );
}

#[test]
fn unknown_field_in_an_inline_probe() {
    let text = with("path = \"/healthz\"", "pth = \"/healthz\"");
    expect(
        &text,
        "pth",
        0,
        "services[checkout].probe.pth",
        &["unknown field `pth`", "`path`"],
    );
}

#[test]
fn unknown_field_in_a_pool() {
    let text = with(
        "region = \"eu-west-1\"",
        "region = \"eu-west-1\"\nweight = 3",
    );
    expect(
        &text,
        "weight",
        0,
        "services[checkout].pools[standby].weight",
        &["unknown field"],
    );
}

#[test]
fn unknown_section() {
    let text = format!("{BASE}\n[alerts]\nx = 1\n");
    expect(
        &text,
        "[alerts]",
        0,
        "alerts",
        &["allowed are controller, peers, providers, services"],
    );
}

#[test]
fn missing_field_is_named() {
    let text = with("provider = \"bind\"\n", "");
    let all = issues(&text);
    let hit = all.iter().any(|i| {
        i.field == "services[checkout].provider"
            && i.message.contains("missing field")
            && i.line.is_some()
    });
    assert!(hit, "{all:?}");
}

#[test]
fn unknown_provider_names_the_configured_ones() {
    let text = with("provider = \"bind\"", "provider = \"dyn\"");
    expect(
        &text,
        "provider = \"dyn\"",
        0,
        "services[checkout].provider",
        &["unknown provider \"dyn\"", "configured providers: bind"],
    );
}

#[test]
fn duplicate_service_names() {
    let service = &BASE[BASE.find("[[services]]").expect("a service")..];
    let text = format!("{BASE}\n{service}");
    expect(
        &text,
        "name = \"checkout\"",
        1,
        "services[checkout].name",
        &["duplicate service name"],
    );
}

#[test]
fn duplicate_pool_names() {
    let text = with("name = \"standby\"", "name = \"primary\"");
    expect(
        &text,
        "name = \"primary\"",
        1,
        "services[checkout].pools[primary].name",
        &["duplicate pool name"],
    );
}

#[test]
fn pool_without_endpoints() {
    let text = with("endpoints = [\"198.51.100.10\"]", "endpoints = []");
    expect(
        &text,
        "endpoints = []",
        0,
        "services[checkout].pools[standby].endpoints",
        &["no endpoints"],
    );
    let text = with("endpoints = [\"198.51.100.10\"]\n", "");
    expect(
        &text,
        "[[services.pools]]",
        1,
        "services[checkout].pools[standby].endpoints",
        &["no endpoints"],
    );
}

#[test]
fn endpoint_must_match_the_record_type() {
    let text = with("\"198.51.100.10\"", "\"198.51.100.300\"");
    expect(
        &text,
        "198.51.100.300",
        0,
        "services[checkout].pools[standby].endpoints",
        &["not an IPv4 address"],
    );
    let text = with("type = \"A\"", "type = \"AAAA\"");
    expect(
        &text,
        "198.51.100.10",
        0,
        "services[checkout].pools[standby].endpoints",
        &["not an IPv6 address"],
    );
    let text = with("type = \"A\"", "type = \"CNAME\"")
        .replace("[\"198.51.100.10\"]", "[\"not a host!\"]");
    expect(
        &text,
        "not a host!",
        0,
        "services[checkout].pools[standby].endpoints",
        &["not a host name"],
    );
}

#[test]
fn cname_pool_has_one_endpoint() {
    let text = with("type = \"A\"", "type = \"CNAME\"")
        .replace(
            "[\"192.0.2.10\", \"192.0.2.11\"]",
            "[\"a.example.net.\",\n  \"b.example.net.\"]",
        )
        .replace("[\"198.51.100.10\"]", "[\"c.example.net.\"]");
    expect(
        &text,
        "b.example.net.",
        0,
        "services[checkout].pools[primary].endpoints",
        &["exactly one target"],
    );
}

#[test]
fn record_outside_its_zone() {
    let text = with(
        "record = \"checkout.example.com.\"",
        "record = \"checkout.example.org.\"",
    );
    expect(
        &text,
        "record =",
        0,
        "services[checkout].record",
        &["outside its zone example.com."],
    );
}

#[test]
fn fewer_than_two_pools() {
    let cut = BASE.rfind("[[services.pools]]").expect("a pool");
    let text = &BASE[..cut];
    expect(
        text,
        "[[services]]",
        0,
        "services[checkout].pools",
        &["at least 2"],
    );
}

#[test]
fn unknown_types_list_the_allowed_ones() {
    let text = with("type = \"http\"", "type = \"icmp\"");
    expect(
        &text,
        "icmp",
        0,
        "services[checkout].probe.type",
        &["allowed are http, tcp, dns"],
    );
    let text = with("type = \"rfc2136\"", "type = \"ns1\"");
    expect(
        &text,
        "ns1",
        0,
        "providers.bind.type",
        &["allowed are rfc2136, route53, cloudflare, powerdns, embedded, webhook, azure, gcloud"],
    );
    let text = with("type = \"A\"", "type = \"MX\"");
    expect(
        &text,
        "MX",
        0,
        "services[checkout].type",
        &["expected A, AAAA or CNAME"],
    );
}

#[test]
fn a_broken_provider_is_reported_once() {
    let text = with("type = \"rfc2136\"\n", "");
    let all = issues(&text);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].field, "providers.bind.type");
}
