//! Plan tests for Route 53 shapes: weighted sets created when missing, and
//! alias pools (load balancers) flipped by target.

use rtoguard_provider_api::{AliasTarget, Capabilities, CasMode, Change, RecordSet, RecordType};

use super::*;
use crate::test_support::service;

const NAME: &str = "checkout.example.test.";

fn weighted() -> Capabilities {
    Capabilities {
        weighted: true,
        ttl_floor: 1,
        cas: CasMode::Native,
        served_here: false,
    }
}

fn lb(i: usize) -> AliasTarget {
    let (name, zone) = [
        ("app-eu-1.eu-west-1.elb.amazonaws.com.", "Z32O12XQLNTSW2"),
        ("app-us-2.us-east-1.elb.amazonaws.com.", "Z35SXDOTRQ7X7K"),
    ][i];
    AliasTarget::new(name, zone, false)
}

/// The fixture service with its pools behind load balancers.
fn aliased() -> Service {
    let mut svc = service();
    for (i, p) in svc.pools.iter_mut().enumerate() {
        p.alias = Some(lb(i));
    }
    svc
}

fn flip_of(plan: &Plan) -> &Change {
    let flips: Vec<_> = plan
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Flip { change } => Some(change),
            _ => None,
        })
        .collect();
    assert_eq!(flips.len(), 1, "{plan}");
    // One record: the group change holds one change.
    assert_eq!(flips[0].changes().len(), 1, "{plan}");
    &flips[0].changes()[0]
}

fn weights(sets: &[RecordSet]) -> Vec<(String, u32)> {
    let mut w: Vec<_> = sets
        .iter()
        .map(|s| (s.set_id.clone().unwrap_or_default(), s.weight.unwrap_or(0)))
        .collect();
    w.sort();
    w
}

fn request<'a>(svc: &'a Service, to: &'a str, planned: bool) -> Request<'a> {
    Request {
        service: svc,
        to,
        planned,
    }
}

#[test]
fn the_first_flip_on_a_fresh_zone_creates_one_weighted_set_per_pool() {
    let svc = service();
    let plan = build(request(&svc, "standby", true), &weighted(), &[]).unwrap();
    let change = flip_of(&plan);
    assert!(change.expected().is_empty());
    assert_eq!(
        weights(change.desired()),
        [("primary".into(), 0), ("standby".into(), 100)]
    );
    assert!(change.desired().iter().all(|s| s.ttl == 300));
    // A pool whose set is missing gets one, at weight 0.
    let only_primary =
        vec![RecordSet::new(NAME, RecordType::A, 300, ["127.0.0.2"]).with_weight("primary", 100)];
    let plan = build(request(&svc, "primary", false), &weighted(), &only_primary).unwrap();
    assert!(plan.is_empty(), "already served: {plan}");
    let plan = build(request(&svc, "standby", false), &weighted(), &only_primary).unwrap();
    assert_eq!(
        weights(flip_of(&plan).desired()),
        [("primary".into(), 0), ("standby".into(), 100)]
    );
}

#[test]
fn alias_pools_flip_by_target_without_ttl_steps() {
    let svc = aliased();
    let plan = build(request(&svc, "primary", true), &weighted(), &[]).unwrap();
    let first = flip_of(&plan).desired().to_vec();
    assert_eq!(plan.steps.len(), 1, "an alias has no TTL to lower: {plan}");
    assert!(
        first
            .iter()
            .all(|s| s.values.is_empty() && s.alias.is_some())
    );
    assert_eq!(classify(&svc, &first), Active::Pool("primary".into()));

    let plan = build(request(&svc, "standby", true), &weighted(), &first).unwrap();
    let change = flip_of(&plan);
    assert_eq!(plan.steps.len(), 1, "{plan}");
    assert_eq!(change.expected(), &first[..]);
    assert_eq!(
        weights(change.desired()),
        [("primary".into(), 0), ("standby".into(), 100)]
    );
    let standby = change.desired().iter().find(|s| s.weight == Some(100));
    assert_eq!(standby.unwrap().alias, Some(lb(1)));
    assert_eq!(
        classify(&svc, change.desired()),
        Active::Pool("standby".into())
    );
    let again = build(
        request(&svc, "standby", true),
        &weighted(),
        change.desired(),
    )
    .unwrap();
    assert!(again.is_empty(), "{again}");
}

#[test]
fn a_plain_alias_is_replaced_and_foreign_targets_are_none() {
    let svc = aliased();
    let plain = Capabilities {
        weighted: false,
        ..weighted()
    };
    let now = vec![RecordSet::alias(NAME, RecordType::A, lb(0))];
    let plan = build(request(&svc, "standby", false), &plain, &now).unwrap();
    assert_eq!(
        flip_of(&plan).desired(),
        &[RecordSet::alias(NAME, RecordType::A, lb(1))][..]
    );
    let foreign = AliasTarget::new("other.elb.amazonaws.com", "Z1", false);
    let other = vec![RecordSet::alias(NAME, RecordType::A, foreign)];
    assert_eq!(classify(&svc, &other), Active::None);
}
