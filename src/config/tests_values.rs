//! Tests of value checks: TTLs, durations, counts, quorum, secrets, peers.

use std::path::Path;

use super::parse;
use super::tests_validation::{BASE, expect, issues, line_of, with};

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
        &["allowed: 1 to 3"],
    );
    let text = with("fall = 3 }", "fall = 3, quorum = 4 }");
    expect(
        &text,
        "quorum",
        0,
        "services[checkout].health.quorum",
        &["3 vantage(s)"],
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
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
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
fn a_broken_peer_does_not_shrink_the_vantages() {
    let text = with("fall = 3 }", "fall = 3, quorum = 3 }").replacen(
        "token_file = \"/etc/rtoguard/peer-token\"",
        "token_env = \"\"",
        1,
    );
    let all = issues(&text);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].field, "peers[eu-west-1].token_env");
}
