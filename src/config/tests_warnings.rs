//! Tests of the static warnings: each names the file, the line of its field, and the figures.

use std::path::Path;

use super::tests_validation::{BASE, line_of};
use super::{ConfigIssue, parse};

/// BASE with an RTO its TTL meets: no warnings.
fn clean() -> String {
    BASE.replacen("rto = \"5m\"", "rto = \"10m\"", 1)
}

/// `clean()` with `old` replaced by `new`.
fn with(old: &str, new: &str) -> String {
    let text = clean();
    assert!(text.contains(old), "{old:?} not in the config");
    text.replacen(old, new, 1)
}

fn warnings(text: &str) -> Vec<ConfigIssue> {
    match parse(Path::new("w.toml"), text) {
        Ok(cfg) => cfg.warnings,
        Err(e) => panic!("the config must validate:\n{e}"),
    }
}

/// The only warning of `text`, on `field` at the line of `needle`, with `words`.
fn only(text: &str, needle: &str, field: &str, words: &[&str]) {
    let all = warnings(text);
    let shown: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(all.len(), 1, "{}", shown.join("\n"));
    let w = &all[0];
    assert_eq!(w.file, Path::new("w.toml"));
    assert_eq!(w.line, Some(line_of(text, needle, 0)), "{}", shown[0]);
    assert_eq!(w.field, field, "{}", shown[0]);
    for word in words {
        assert!(w.message.contains(word), "{word:?} not in: {}", shown[0]);
    }
    assert!(!w.unreadable_file);
}

#[test]
fn a_config_that_can_work_has_no_warnings() {
    assert!(warnings(&clean()).is_empty());
}

#[test]
fn an_rto_the_ttl_cannot_meet_warns_with_the_budget_and_the_margin() {
    // detection 5s + 2 × 2s + 2s = 11s, RFC 2136 write 1s, ttl 300s: 312s
    let text = with("rto = \"10m\"", "rto = \"10s\"");
    only(
        &text,
        "rto = ",
        "services[checkout].rto",
        &[
            "10s cannot be met",
            "detection up to 11s",
            "about 1s for the rfc2136 write",
            "ttl.normal 5m",
            "= 312s",
            "302s over",
        ],
    );
    // the same budget just fits at 312s; one second less does not
    assert!(warnings(&with("rto = \"10m\"", "rto = \"312s\"")).is_empty());
    assert_eq!(warnings(&with("rto = \"10m\"", "rto = \"311s\"")).len(), 1);
}

#[test]
#[cfg_attr(
    not(feature = "route53"),
    ignore = "needs the route53 provider built in"
)]
fn the_budget_counts_fast_confirmation_and_the_provider_s_write_time() {
    // fast_interval off (= interval): 3 × 5s + 2s = 17s; + 1s + 30s = 48s
    let slow = "health = { interval = \"5s\", fast_interval = \"5s\", rise = 5, fall = 3 }";
    let text = with("rto = \"10m\"", "rto = \"45s\"")
        .replacen("ttl = { normal = \"300s\"", "ttl = { normal = \"30s\"", 1)
        .replacen(
            "health = { interval = \"5s\", rise = 5, fall = 3 }",
            slow,
            1,
        );
    only(
        &text,
        "rto = ",
        "services[checkout].rto",
        &["detection up to 17s", "= 48s", "3s over"],
    );
    // Route 53's minute of write time: 11s + 60s + 300s = 371s > 6m
    let route53 = with("rto = \"10m\"", "rto = \"6m\"").replacen(
        "type = \"rfc2136\"\nserver = \"127.0.0.1:53\"\ntsig_key_name = \"rtoguard.\"\ntsig_secret_file = \"/etc/rtoguard/tsig.secret\"",
        "type = \"route53\"",
        1,
    );
    only(
        &route53,
        "rto = ",
        "services[checkout].rto",
        &["about 1m for the route53 write", "= 371s", "11s over"],
    );
}

#[test]
fn a_controller_that_is_no_pool_s_region_warns_naming_the_regions() {
    let text = with("id = \"us-east-1\"", "id = \"prod-a\"");
    only(
        &text,
        "id = \"prod-a\"",
        "controller.id",
        &["\"prod-a\" is no pool's region", "eu-west-1, us-east-1"],
    );
    // without peers this controller is the only writer: nothing to warn
    let alone = text
        .replacen(
            "[[peers]]\nid = \"eu-west-1\"\nurl = \"https://eu.example.net:9420\"\ntoken_file = \"/etc/rtoguard/peer-token\"\n",
            "",
            1,
        )
        .replacen(
            "[[peers]]\nid = \"witness\"\nurl = \"https://witness.example.net:9420\"\ntoken_file = \"/etc/rtoguard/peer-token\"\n",
            "",
            1,
        );
    assert!(warnings(&alone).is_empty(), "{alone}");
}

#[test]
fn a_marker_without_a_client_url_warns_at_the_first_marker() {
    let one = with(
        "region = \"eu-west-1\"\n",
        "region = \"eu-west-1\"\nmarker = { body = \"eu\" }\n",
    );
    only(
        &one,
        "marker = ",
        "services[checkout].pools[standby].marker",
        &["pool standby has a marker", "propagation.client_url"],
    );
    let both = one.replacen(
        "region = \"us-east-1\"\n",
        "region = \"us-east-1\"\nmarker = { header = \"x-region\", value = \"us\" }\n",
        1,
    );
    only(
        &both,
        "marker = ",
        "services[checkout].pools[primary].marker",
        &["pools primary, standby have markers"],
    );
    let read =
        format!("{one}\n[services.propagation]\nclient_url = \"https://checkout.example.com/\"\n");
    assert!(warnings(&read).is_empty());
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn the_example_config_has_no_warnings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml.example");
    let cfg = super::load(&path).expect("the example validates");
    let shown: Vec<String> = cfg.warnings.iter().map(ToString::to_string).collect();
    assert!(shown.is_empty(), "{}", shown.join("\n"));
}

#[test]
fn the_summary_shows_the_budget_and_its_margin() {
    let cfg = parse(Path::new("w.toml"), &clean()).expect("valid");
    let text = super::summary(&cfg);
    let want = "rto 10m: detection 11s + write 1s + ttl.normal 5m = 312s (288s to spare)";
    assert!(text.contains(want), "{text}");
    let cfg = parse(Path::new("w.toml"), &with("rto = \"10m\"", "rto = \"5m\"")).expect("valid");
    assert!(
        super::summary(&cfg).contains("= 312s (12s over: see the warning)"),
        "{}",
        super::summary(&cfg)
    );
}
