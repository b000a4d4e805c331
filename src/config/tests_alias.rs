//! Tests of alias pools: read from the config, refused (line and field)
//! for other record types and other providers.

use std::path::Path;

use super::parse;
use super::tests_validation::{BASE, issues, line_of};

const R53: &str = "[providers.aws]\ntype = \"route53\"\nregion = \"us-east-1\"\n";

/// BASE on Route 53 (or on `provider`), with alias targets on both pools.
fn aliased(provider: &str, rtype: &str) -> String {
    let text = BASE
        .replace("provider = \"bind\"", &format!("provider = \"{provider}\""))
        .replace("type = \"A\"", &format!("type = \"{rtype}\""))
        .replace(
            "endpoints = [\"192.0.2.10\", \"192.0.2.11\"]",
            "endpoints = [\"192.0.2.10\"]\nalias = { dns_name = \"App-EU-1.eu-west-1.elb.amazonaws.com\", hosted_zone_id = \"Z32O12XQLNTSW2\" }",
        )
        .replace(
            "endpoints = [\"198.51.100.10\"]",
            "endpoints = [\"198.51.100.10\"]\nalias = { dns_name = \"app-us-2.us-east-1.elb.amazonaws.com.\", hosted_zone_id = \"Z35SXDOTRQ7X7K\", evaluate_target_health = true }",
        );
    format!("{text}\n{R53}")
}

#[test]
#[cfg_attr(not(feature = "route53"), ignore = "needs the route53 feature")]
fn alias_pools_are_read() {
    let cfg = parse(Path::new("config.toml"), &aliased("aws", "A")).expect("valid");
    let pools = &cfg.services[0].pools;
    let eu = pools[0].alias.as_ref().expect("an alias");
    assert_eq!(eu.dns_name, "app-eu-1.eu-west-1.elb.amazonaws.com.");
    assert_eq!(
        (eu.hosted_zone_id.as_str(), eu.evaluate_target_health),
        ("Z32O12XQLNTSW2", false)
    );
    assert!(pools[1].alias.as_ref().unwrap().evaluate_target_health);
    assert_eq!(pools[0].endpoints, ["192.0.2.10"], "the addresses probed");
}

#[test]
fn alias_pools_are_refused_elsewhere_with_line_and_field() {
    let text = aliased("bind", "A");
    let found = issues(&text);
    let i = found
        .iter()
        .find(|i| i.field == "services[checkout].pools[primary].alias")
        .expect("the alias on an RFC 2136 provider is refused");
    assert!(i.message.contains("Route 53 feature"), "{}", i.message);
    assert!(i.message.contains("rfc2136"), "{}", i.message);
    assert_eq!(i.line, Some(line_of(&text, "alias = {", 0)));

    let text = aliased("aws", "CNAME")
        .replace("192.0.2.10", "a.example.net")
        .replace("198.51.100.10", "b.example.net");
    let found = issues(&text);
    let i = found
        .iter()
        .find(|i| i.field == "services[checkout].pools[standby].alias")
        .expect("an alias on a CNAME service is refused");
    assert!(i.message.contains("A or AAAA"), "{}", i.message);
    assert_eq!(i.line, Some(line_of(&text, "alias = {", 1)));

    let text = aliased("aws", "A").replace("Z35SXDOTRQ7X7K", "");
    let found = issues(&text);
    assert!(
        found
            .iter()
            .any(|i| i.field == "services[checkout].pools[standby].alias.hosted_zone_id"),
        "{found:?}"
    );
}
