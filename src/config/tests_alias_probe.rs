//! Tests of what alias pools' probes check: the target's name (or
//! `probe_host`), resolved through the service's propagation resolvers;
//! refusals name their line and field.

use std::path::Path;

use super::tests_validation::{BASE, issues, line_of};
use super::{ConfigIssue, parse};

const R53: &str = "[providers.aws]\ntype = \"route53\"\nregion = \"us-east-1\"\n";
const RESOLVERS: &str =
    "\n[services.propagation]\nresolvers = [ { name = \"local\", address = \"127.0.0.53\" } ]\n";

/// BASE on Route 53 with alias pools and no endpoints; `primary_extra`
/// added to the primary pool; the service's resolvers when `resolvers`.
fn aliased(primary_extra: &str, resolvers: bool) -> String {
    let text = BASE
        .replace("provider = \"bind\"", "provider = \"aws\"")
        .replace(
            "endpoints = [\"192.0.2.10\", \"192.0.2.11\"]",
            &format!("alias = {{ dns_name = \"App-EU-1.eu-west-1.elb.amazonaws.com\", hosted_zone_id = \"Z32O12XQLNTSW2\" }}{primary_extra}"),
        )
        .replace(
            "endpoints = [\"198.51.100.10\"]",
            "alias = { dns_name = \"app-us-2.us-east-1.elb.amazonaws.com.\", hosted_zone_id = \"Z35SXDOTRQ7X7K\" }",
        );
    let resolvers = if resolvers { RESOLVERS } else { "" };
    format!("{text}{resolvers}\n{R53}")
}

#[test]
#[cfg_attr(not(feature = "route53"), ignore = "needs the route53 feature")]
fn an_alias_pool_without_endpoints_probes_its_target_by_name() {
    let cfg = parse(Path::new("config.toml"), &aliased("", true)).expect("valid");
    let p = &cfg.services[0].pools;
    assert_eq!(p[0].endpoints, ["app-eu-1.eu-west-1.elb.amazonaws.com."]);
    assert_eq!(p[1].endpoints, ["app-us-2.us-east-1.elb.amazonaws.com."]);
    assert!(p[0].resolve_endpoints && p[1].resolve_endpoints);
    let targets = super::specs::targets(&cfg.services[0], None);
    let via: Vec<String> = targets[0]
        .resolve_via
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(via, ["127.0.0.53:53"], "asked of the service's resolver");
    let text = super::summary::summary(&cfg);
    assert!(
        text.contains("pool primary (us-east-1): probes the addresses of app-eu-1.eu-west-1.elb.amazonaws.com., asked of the propagation resolvers, served as alias"),
        "{text}"
    );
}

#[test]
#[cfg_attr(not(feature = "route53"), ignore = "needs the route53 feature")]
fn probe_host_names_what_an_alias_pool_probes() {
    let text = aliased("\nprobe_host = \"Health.EU.example.net\"", true);
    let cfg = parse(Path::new("config.toml"), &text).expect("valid");
    let p = &cfg.services[0].pools[0];
    assert_eq!(p.endpoints, ["health.eu.example.net."]);
    assert!(p.resolve_endpoints);

    let text = aliased("\nprobe_host = \"192.0.2.80\"", false);
    let cfg = parse(Path::new("config.toml"), &text.replace("app-us-2", "x")).err();
    // The standby still needs a resolver; the primary's address does not.
    let found = cfg.expect("the standby has no resolver").issues;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "services[checkout].propagation.resolvers");
    assert_eq!(found[0].line, Some(line_of(&text, "alias = {", 1)));
    assert!(
        found[0].message.contains("pool standby"),
        "{}",
        found[0].message
    );
}

/// The issue `text` raises on `field`, whose message says `says`.
fn refused(text: &str, field: &str, says: &str) -> ConfigIssue {
    let found = issues(text);
    let i = found
        .into_iter()
        .find(|i| i.field == field)
        .unwrap_or_else(|| panic!("no issue on {field}"));
    assert!(i.message.contains(says), "{}", i.message);
    i
}

#[test]
fn alias_probe_refusals_name_line_and_field() {
    const HOST: &str = "services[checkout].pools[primary].probe_host";
    let text = aliased("", false);
    let field = "services[checkout].propagation.resolvers";
    let i = refused(&text, field, "system resolver is never used");
    assert_eq!(i.line, Some(line_of(&text, "alias = {", 0)));

    let both = "\nendpoints = [\"192.0.2.10\"]\nprobe_host = \"lb.example.net\"";
    let text = aliased(both, true);
    let i = refused(&text, HOST, "either endpoints or probe_host");
    assert_eq!(i.line, Some(line_of(&text, "probe_host", 0)));

    let text = aliased("\nprobe_host = \"not a host!\"", true);
    refused(&text, HOST, "neither an address nor a host name");

    let text = BASE.replace(
        "endpoints = [\"198.51.100.10\"]",
        "endpoints = [\"198.51.100.10\"]\nprobe_host = \"lb.example.net\"",
    );
    let field = "services[checkout].pools[standby].probe_host";
    let i = refused(&text, field, "no alias");
    assert_eq!(i.line, Some(line_of(&text, "probe_host", 0)));

    let text = aliased("", true).replace("fall = 3 }", "fall = 3, min_healthy = 2 }");
    let field = "services[checkout].health.min_healthy";
    let i = refused(&text, field, "probed by name (app-eu-1.");
    assert_eq!(i.line, Some(line_of(&text, "min_healthy", 0)));
}
