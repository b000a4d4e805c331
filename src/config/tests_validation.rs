//! Tests that every validation issue names its line, its field and the fix.

use std::path::Path;

use super::{ConfigIssue, parse};

/// A small valid config the cases below break one way each.
const BASE: &str = r#"[controller]
id = "us-east-1"

[[peers]]
id = "eu-west-1"
url = "https://eu.example.net:9420"
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

fn issues(text: &str) -> Vec<ConfigIssue> {
    match parse(Path::new("config.toml"), text) {
        Ok(_) => panic!("expected issues, the config passed:\n{text}"),
        Err(e) => e.issues,
    }
}

/// The 1-based line of the `nth` (0-based) line containing `needle`.
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
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
fn expect(text: &str, needle: &str, nth: usize, field: &str, words: &[&str]) {
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

fn with(old: &str, new: &str) -> String {
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
fn lowered_ttl_above_normal() {
    let text = with("lowered = \"30s\"", "lowered = \"600s\"");
    let line = line_of(&text, "lowered", 0);
    let shown: Vec<String> = issues(&text).iter().map(ToString::to_string).collect();
    let want = format!(
        "config.toml:{line}: services[checkout].ttl.lowered: 600s is above ttl.normal (300s); lowered must be ≤ normal"
    );
    assert_eq!(shown, vec![want]);
}

#[test]
fn ttl_zero_or_fractional() {
    let text = with("normal = \"300s\"", "normal = \"0s\"");
    expect(
        &text,
        "normal",
        0,
        "services[checkout].ttl.normal",
        &["whole seconds above zero"],
    );
    let text = with("lowered = \"30s\"", "lowered = \"1500ms\"");
    expect(
        &text,
        "lowered",
        0,
        "services[checkout].ttl.lowered",
        &["whole seconds"],
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
fn zero_interval_timeout_rise_fall_rto() {
    let text = with(
        "interval = \"5s\", rise = 5, fall = 3",
        "interval = \"0s\", rise = 0, fall = 0",
    )
    .replace("rto = \"5m\"", "rto = \"0s\"")
    .replace(
        "path = \"/healthz\"",
        "path = \"/healthz\", timeout = \"0s\"",
    );
    let field = |k: &str| format!("services[checkout].{k}");
    expect(
        &text,
        "interval",
        0,
        &field("health.interval"),
        &["above zero"],
    );
    expect(&text, "rise", 0, &field("health.rise"), &["1 or more"]);
    expect(&text, "fall", 0, &field("health.fall"), &["1 or more"]);
    expect(&text, "rto =", 0, &field("rto"), &["above zero"]);
    expect(
        &text,
        "timeout",
        0,
        &field("probe.timeout"),
        &["above zero"],
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
fn min_healthy_above_a_pool_size() {
    let text = with("fall = 3 }", "fall = 3, min_healthy = 2 }");
    expect(
        &text,
        "min_healthy",
        0,
        "services[checkout].health.min_healthy",
        &["2 is above the 1 endpoint(s) of pool standby"],
    );
}

#[test]
fn quorum_zero_or_above_the_vantages() {
    let text = with("fall = 3 }", "fall = 3, quorum = 0 }");
    expect(
        &text,
        "quorum",
        0,
        "services[checkout].health.quorum",
        &["allowed: 1 to 2"],
    );
    let text = with("fall = 3 }", "fall = 3, quorum = 3 }");
    expect(
        &text,
        "quorum",
        0,
        "services[checkout].health.quorum",
        &["2 vantage(s)"],
    );
}

#[test]
fn inline_secrets_are_refused_and_never_echoed() {
    let value = "c2VjcmV0LXZhbHVlLTQy";
    let text = with(
        "tsig_secret_file = \"/etc/rtoguard/tsig.secret\"",
        &format!("tsig_secret = \"{value}\""),
    );
    expect(
        &text,
        "tsig_secret =",
        0,
        "providers.bind.tsig_secret",
        &["secrets are not written in the config: use tsig_secret_file or tsig_secret_env"],
    );
    let text = text.replace(
        "token_file = \"/etc/rtoguard/peer-token\"",
        &format!("token = \"{value}\""),
    );
    expect(
        &text,
        "token =",
        0,
        "peers[eu-west-1].token",
        &["use token_file or token_env"],
    );
    let err = parse(Path::new("config.toml"), &text).expect_err("inline secrets");
    assert!(!err.to_string().contains(value), "{err}");
    assert!(!format!("{err:?}").contains(value));
}

#[test]
fn cloudflare_inline_token_refused() {
    let text = format!("{BASE}\n[providers.cf]\ntype = \"cloudflare\"\napi_token = \"abc\"\n");
    expect(
        &text,
        "api_token =",
        0,
        "providers.cf.api_token",
        &["use api_token_file or api_token_env"],
    );
}

#[test]
fn secret_needs_exactly_one_source() {
    let text = with(
        "tsig_secret_file = \"/etc/rtoguard/tsig.secret\"",
        "tsig_secret_file = \"/etc/rtoguard/tsig.secret\"\ntsig_secret_env = \"TSIG\"",
    );
    expect(
        &text,
        "tsig_secret_file",
        0,
        "providers.bind.tsig_secret_file",
        &["set exactly one"],
    );
    let text = with("tsig_secret_file = \"/etc/rtoguard/tsig.secret\"\n", "");
    expect(
        &text,
        "[providers.bind]",
        0,
        "providers.bind.tsig_secret",
        &["tsig_secret_file or tsig_secret_env"],
    );
}

#[test]
fn bad_duration_says_the_allowed_form() {
    let text = with("rto = \"5m\"", "rto = \"5 minutes\"");
    expect(
        &text,
        "rto =",
        0,
        "services[checkout].rto",
        &["\"5 minutes\" is not a duration", "\"30s\"", "\"5m\""],
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
    let text = with("type = \"rfc2136\"", "type = \"powerdns\"");
    expect(
        &text,
        "powerdns",
        0,
        "providers.bind.type",
        &["allowed are rfc2136, route53, cloudflare"],
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
fn invalid_tsig_algorithm() {
    let text = with(
        "tsig_key_name = \"rtoguard.\"",
        "tsig_key_name = \"rtoguard.\"\ntsig_algorithm = \"hmac-md5\"",
    );
    expect(
        &text,
        "hmac-md5",
        0,
        "providers.bind.tsig_algorithm",
        &["hmac-sha256, hmac-sha384, hmac-sha512"],
    );
}

#[test]
fn peer_ids_are_unique_and_not_the_controller() {
    let peer = "[[peers]]\nid = \"eu-west-1\"\nurl = \"https://eu2.example.net:9420\"\ntoken_env = \"PEER\"\n";
    let text = format!("{BASE}\n{peer}");
    expect(
        &text,
        "id = \"eu-west-1\"",
        1,
        "peers[eu-west-1].id",
        &["duplicate peer id"],
    );
    let text = with("id = \"eu-west-1\"", "id = \"us-east-1\"");
    expect(
        &text,
        "id = \"us-east-1\"",
        1,
        "peers[us-east-1].id",
        &["controller's own id"],
    );
}

#[test]
fn all_issues_are_collected() {
    let text = with("lowered = \"30s\"", "lowered = \"600s\"")
        .replace("provider = \"bind\"", "provider = \"dyn\"")
        .replace("\"198.51.100.10\"", "\"nope\"")
        .replace("tsig_algorithm", "x")
        .replace("url = \"https://eu.example.net:9420\"", "url = \"ftp://x\"");
    let all = issues(&text);
    assert!(all.len() >= 4, "{all:?}");
    assert!(all.iter().all(|i| i.line.is_some()), "{all:?}");
}

#[test]
fn type_errors_say_what_is_expected() {
    let text = with("rise = 5", "rise = \"five\"");
    expect(
        &text,
        "five",
        0,
        "services[checkout].health.rise",
        &["expected a whole number"],
    );
}

#[test]
fn expect_status_codes_and_ranges() {
    let text = with(
        "path = \"/healthz\"",
        "path = \"/healthz\", expect_status = [\"200-299\", 301]",
    );
    let cfg = parse(Path::new("config.toml"), &text).expect("valid");
    let super::ProbeKind::Http {
        expect_status,
        host,
        port,
        ..
    } = &cfg.services[0].probe.kind
    else {
        panic!("http probe");
    };
    assert_eq!(expect_status, &vec![(200, 299), (301, 301)]);
    assert_eq!((host.as_deref(), *port), (Some("checkout.example.com"), 80));
    let text = with(
        "path = \"/healthz\"",
        "path = \"/healthz\", expect_status = [\"299-200\"]",
    );
    expect(
        &text,
        "299-200",
        0,
        "services[checkout].probe.expect_status",
        &["\"200-299\""],
    );
    let text = with("path = \"/healthz\"", "path = \"healthz\"");
    expect(
        &text,
        "path",
        0,
        "services[checkout].probe.path",
        &["must start with '/'"],
    );
}

#[test]
fn a_broken_provider_is_reported_once() {
    let text = with("type = \"rfc2136\"\n", "");
    let all = issues(&text);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].field, "providers.bind.type");
}
