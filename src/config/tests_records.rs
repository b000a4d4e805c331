//! Record groups in the config: `records` and the per-type endpoints, each
//! mistake named by line and field.

use std::path::Path;

use rtoguard_provider_api::RecordType;

use super::parse;
use super::tests_validation::{BASE, expect, with};

const SINGLE: &str = "record = \"checkout.example.com.\"\ntype = \"A\"\n";
const GROUP: &str = "records = [{ name = \"checkout.example.com.\", type = \"A\" }, { name = \"checkout.example.com.\", type = \"AAAA\" }, { name = \"www.example.com.\", type = \"CNAME\" }]\n";

/// BASE as a dual-stack group with a second name.
fn group() -> String {
    with(SINGLE, GROUP)
        .replacen(
            "endpoints = [\"192.0.2.10\", \"192.0.2.11\"]",
            "endpoints_v4 = [\"192.0.2.10\", \"192.0.2.11\"]\nendpoints_v6 = [\"2001:db8::10\"]\ncname = \"us.lb.example.net.\"",
            1,
        )
        .replacen(
            "endpoints = [\"198.51.100.10\"]",
            "endpoints_v4 = [\"198.51.100.10\"]\nendpoints_v6 = [\"2001:db8:1::10\"]\ncname = \"eu.lb.example.net.\"",
            1,
        )
}

#[test]
fn a_group_parses_into_records_and_values_per_type() {
    let cfg = parse(Path::new("config.toml"), &group()).expect("a valid group");
    let svc = &cfg.services[0];
    let records: Vec<String> = svc.records.iter().map(ToString::to_string).collect();
    assert_eq!(
        records,
        [
            "checkout.example.com. A",
            "checkout.example.com. AAAA",
            "www.example.com. CNAME"
        ]
    );
    let primary = &svc.pools[0];
    assert_eq!(primary.values_for(RecordType::AAAA), ["2001:db8::10"]);
    assert_eq!(
        primary.values_for(RecordType::CNAME),
        ["us.lb.example.net."]
    );
    // Probes check both address families.
    assert_eq!(
        primary.endpoints,
        ["192.0.2.10", "192.0.2.11", "2001:db8::10"]
    );
}

#[test]
fn the_single_record_form_is_a_group_of_one() {
    let cfg = parse(Path::new("config.toml"), BASE).expect("BASE is valid");
    let svc = &cfg.services[0];
    assert_eq!(svc.records.len(), 1);
    assert_eq!(svc.records[0].name, "checkout.example.com.");
    assert_eq!(
        svc.pools[0].values_for(RecordType::A),
        ["192.0.2.10", "192.0.2.11"]
    );
}

#[test]
fn record_and_records_together_are_refused() {
    let text = with(SINGLE, &format!("{SINGLE}{GROUP}"));
    expect(
        &text,
        "records = [",
        0,
        "services[checkout].records",
        &["not both"],
    );
}

#[test]
fn a_pool_lacking_the_endpoints_of_a_type_is_named() {
    let text = group().replacen("endpoints_v6 = [\"2001:db8:1::10\"]\n", "", 1);
    expect(
        &text,
        "[[services.pools]]",
        1,
        "services[checkout].pools[standby].endpoints_v6",
        &["checkout.example.com. AAAA"],
    );
}

#[test]
fn a_record_twice_is_refused() {
    let text = with(
        SINGLE,
        "records = [{ name = \"checkout.example.com.\", type = \"A\" },\n  { name = \"checkout.example.com.\", type = \"A\" }]\n",
    );
    expect(
        &text,
        "{ name = \"checkout.example.com.\", type = \"A\" }]",
        0,
        "services[checkout].records[1]",
        &["written twice"],
    );
}

#[test]
fn a_cname_sharing_its_name_is_refused() {
    let text = with(
        SINGLE,
        "records = [{ name = \"checkout.example.com.\", type = \"A\" },\n  { name = \"checkout.example.com.\", type = \"CNAME\" }]\n",
    );
    expect(
        &text,
        "type = \"CNAME\" }]",
        0,
        "services[checkout].records[1]",
        &["a CNAME cannot share its name"],
    );
}

#[test]
fn endpoints_in_a_group_of_several_types_are_refused() {
    let text = group().replacen(
        "endpoints_v4 = [\"198.51.100.10\"]",
        "endpoints = [\"198.51.100.10\"]",
        1,
    );
    expect(
        &text,
        "endpoints = [\"198.51.100.10\"]",
        0,
        "services[checkout].pools[standby].endpoints",
        &["endpoints_v4"],
    );
}

#[test]
fn a_group_record_outside_the_zone_is_named() {
    let text = group().replacen("www.example.com.", "www.example.org.", 1);
    expect(
        &text,
        "www.example.org.",
        0,
        "services[checkout].records[2].name",
        &["outside its zone"],
    );
}

#[test]
fn an_alias_pool_is_refused_on_a_record_group() {
    let alias = "alias = { dns_name = \"lb.example.net.\", hosted_zone_id = \"Z1\" }";
    let text = group().replacen(
        "cname = \"us.lb.example.net.\"",
        &format!("cname = \"us.lb.example.net.\"\n{alias}"),
        1,
    );
    expect(
        &text,
        alias,
        0,
        "services[checkout].pools[primary].alias",
        &["record group of 3 records"],
    );
}
