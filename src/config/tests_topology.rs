//! Tests of the region-loss arithmetic and the refusal it drives.

use std::path::Path;

use proptest::prelude::*;

use super::tests_validation::{BASE, expect, with};
use super::{Topology, parse, summary};

const WITNESS: &str = "[[peers]]\nid = \"witness\"\nurl = \"https://witness.example.net:9420\"\ntoken_file = \"/etc/rtoguard/peer-token\"\n";

/// The README's two-region setup: BASE without its witness, one controller
/// per pool region, with `health` extended by `extra`.
fn two_regions(extra: &str) -> String {
    with(WITNESS, "").replace(
        "health = { interval = \"5s\", rise = 5, fall = 3 }",
        &format!("health = {{ interval = \"5s\", rise = 5, fall = 3{extra} }}"),
    )
}

#[test]
fn two_regions_without_a_witness_are_refused_with_the_arithmetic() {
    expect(
        &two_regions(""),
        "health = {",
        0,
        "services[checkout].health.quorum",
        &[
            "quorum 2 of 2 vantages",
            "losing region",
            "leaves 1",
            "witness",
            "accept_single_region_risk",
        ],
    );
}

#[test]
fn the_refusal_points_at_an_explicit_quorum() {
    let text = two_regions(", quorum = 2");
    expect(
        &text,
        "quorum = 2",
        0,
        "services[checkout].health.quorum",
        &["losing region us-east-1 (pool primary) leaves 1"],
    );
}

#[test]
fn accepting_the_risk_needs_an_explicit_quorum() {
    let text = two_regions(", accept_single_region_risk = true");
    expect(
        &text,
        "health = {",
        0,
        "services[checkout].health.quorum",
        &["quorum 2 of 2 vantages"],
    );
    let text = two_regions(", quorum = 2, accept_single_region_risk = true");
    let cfg = parse(Path::new("config.toml"), &text).expect("the risk is accepted");
    assert!(cfg.services[0].health.accept_single_region_risk);
}

#[test]
fn a_witness_in_a_third_region_passes_and_the_summary_shows_each_loss() {
    let cfg = parse(Path::new("config.toml"), BASE).expect("the witness keeps a quorum");
    assert_eq!(cfg.peers[1].region, "witness");
    let out = summary(&cfg);
    for line in [
        "region loss, quorum 2 of 3 vantage(s): losing region eu-west-1 (pool standby) leaves 2: fails over; losing region us-east-1 (pool primary) leaves 2: fails over; losing region witness leaves 2: quorum kept",
        "partition: a lone vantage cannot reach quorum 2",
    ] {
        assert!(out.contains(line), "{line:?} not in:\n{out}");
    }
}

#[test]
fn vantages_in_one_region_count_together() {
    // The witness runs in eu-west-1 beside the peer: losing it takes both.
    let text = with(
        "id = \"witness\"",
        "id = \"witness\"\nregion = \"eu-west-1\"",
    );
    expect(
        &text,
        "health = {",
        0,
        "services[checkout].health.quorum",
        &["quorum 2 of 3 vantages; losing region eu-west-1 (pool standby) leaves 1"],
    );
}

#[test]
fn a_controller_region_other_than_its_id_is_used() {
    // Both controllers in eu-west-1: losing it leaves none, not one.
    let text = two_regions("").replace(
        "id = \"us-east-1\"\n",
        "id = \"ctl-a\"\nregion = \"eu-west-1\"\n",
    );
    let found = super::tests_validation::issues(&text);
    assert!(
        found[0]
            .message
            .contains("losing region eu-west-1 (pool standby) leaves 0"),
        "{}",
        found[0]
    );
}

#[test]
fn an_empty_region_is_refused() {
    let text = with(
        "id = \"us-east-1\"\n",
        "id = \"us-east-1\"\nregion = \" \"\n",
    );
    expect(
        &text,
        "region = \" \"",
        0,
        "controller.region",
        &["must not be empty"],
    );
}

#[test]
fn quorum_one_is_a_partition_risk_not_a_refusal() {
    let text = two_regions(", quorum = 1");
    let cfg = parse(Path::new("config.toml"), &text).expect("quorum 1 survives any loss");
    let warnings = super::topology_warnings(&cfg);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let shown = warnings[0].to_string();
    assert!(
        shown.starts_with("config.toml: services[checkout].health.quorum: quorum 1 of 2 vantages"),
        "{shown}"
    );
    assert!(summary(&cfg).contains("partition risk: a lone vantage reaches quorum 1"));
}

/// Regions a..d; vantages and pools drawn among them.
fn region() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["a", "b", "c", "d"])
}

proptest! {
    /// Refused exactly when some pool's region, lost with every vantage in
    /// it, leaves fewer vantages than the quorum.
    #[test]
    fn breaking_is_exactly_a_pool_region_loss_below_quorum(
        vantages in prop::collection::vec(region(), 1..6),
        pools in prop::collection::vec(region(), 1..4),
        quorum in 1u32..6,
    ) {
        let named: Vec<(String, &str)> =
            pools.iter().enumerate().map(|(i, r)| (format!("p{i}"), *r)).collect();
        let pairs: Vec<(&str, &str)> = named.iter().map(|(n, r)| (n.as_str(), *r)).collect();
        let t = Topology::compute(&vantages, &pairs, quorum);
        let oracle = pools.iter().any(|lost| {
            let survivors = vantages.iter().filter(|v| *v != lost).count();
            survivors < quorum as usize
        });
        prop_assert_eq!(t.breaking().next().is_some(), oracle);
        prop_assert_eq!(t.lone_vantage_decides(), vantages.len() > 1 && quorum == 1);
        for l in &t.losses {
            prop_assert_eq!(l.left + vantages.iter().filter(|v| **v == l.region).count(), vantages.len());
        }
    }
}
