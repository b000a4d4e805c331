//! The Route 53 provider over the real SDK against the strict double
//! (`rtoguard_testkit::route53`): what moto does not check. A DELETE must
//! carry every routing field, changes are PENDING for a while, throttling
//! is HTTP 400 `Throttling`, alias targets flip like values.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use rtoguard_provider_api::limits::RetryPolicy;
use rtoguard_provider_api::{AliasTarget, Provider, RecordSet, RecordType, SyncState};
use rtoguard_route53::api::{Action, BatchChange, ListStart, Route53Api};
use rtoguard_route53::sdk::SdkRoute53;
use rtoguard_route53::{Route53Provider, Route53Settings};
use rtoguard_testkit::route53::{Route53Double, Rrset};

const ZONE: &str = "example.test.";
const NAME: &str = "www.example.test.";
/// The hosted zone of eu-west-1 and us-east-1 application load balancers.
const LB_ZONES: [&str; 2] = ["Z32O12XQLNTSW2", "Z35SXDOTRQ7X7K"];
const LBS: [&str; 2] = [
    "app-eu-1234.eu-west-1.elb.amazonaws.com.",
    "app-us-5678.us-east-1.elb.amazonaws.com.",
];

async fn provider(double: &Route53Double) -> Route53Provider {
    let mut s = Route53Settings::new("aws-double");
    s.region = Some("us-east-1".into());
    s.endpoint_url = Some(double.url());
    s.credentials = Some(("AKIDDOUBLE".into(), "double-secret".into()));
    s.requests_per_second = 100;
    let sdk = SdkRoute53::new(&s).await;
    Route53Provider::with_api(s, Arc::new(sdk))
        .with_retry_policy(RetryPolicy {
            deadline: Duration::from_secs(10),
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
        })
        .with_poll_interval(Duration::from_millis(50), Duration::from_millis(100))
}

async fn read(p: &Route53Provider) -> Vec<RecordSet> {
    sorted(p.read(ZONE, NAME, RecordType::A).await.expect("read"))
}

/// Flip from what is read to `to`, and wait until INSYNC.
async fn flip_to(p: &Route53Provider, to: Vec<RecordSet>) -> SyncState {
    let c = change(
        NAME,
        p.read(ZONE, NAME, RecordType::A).await.expect("read"),
        to,
    );
    let receipt = p.apply(ZONE, &c).await.expect("apply");
    p.wait_in_sync(ZONE, &c, &receipt, Duration::from_secs(10))
        .await
        .expect("GetChange")
}

fn weighted(id: &str, ip: &str, weight: u32) -> Rrset {
    Rrset::plain(NAME, "A", 60, &[ip]).weighted(id, weight)
}

fn lb(i: usize) -> AliasTarget {
    AliasTarget::new(LBS[i], LB_ZONES[i], false)
}

fn alias_pools(primary: u32, standby: u32) -> Vec<RecordSet> {
    vec![
        RecordSet::alias(NAME, RecordType::A, lb(0)).with_weight("primary", primary),
        RecordSet::alias(NAME, RecordType::A, lb(1)).with_weight("standby", standby),
    ]
}

#[tokio::test]
async fn the_health_check_id_is_kept_across_a_flip() {
    let d = Route53Double::start(ZONE);
    d.put(weighted("primary", PRIMARY, 100).field("HealthCheckId", "hc-primary-0001"));
    d.put(weighted("standby", STANDBY, 0).field("HealthCheckId", "hc-standby-0002"));
    let p = provider(&d).await;

    assert_eq!(
        flip_to(&p, pools(NAME, 60, 0, 100)).await,
        SyncState::InSync
    );

    assert_eq!(read(&p).await, pools(NAME, 60, 0, 100));
    let checks: Vec<_> = d
        .sets_at(NAME, "A")
        .iter()
        .map(|s| {
            (
                s.set_id.clone().unwrap(),
                s.get("HealthCheckId").map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        checks,
        [
            ("primary".into(), Some("hc-primary-0001".into())),
            ("standby".into(), Some("hc-standby-0002".into()))
        ],
        "the CREATE keeps the health checks"
    );
    let refused = d
        .requests_of("ChangeResourceRecordSets")
        .iter()
        .filter(|r| r.error.is_some())
        .count();
    assert_eq!(refused, 0, "the first batch matched exactly");
}

#[tokio::test]
async fn every_routing_field_goes_back_exactly_as_read() {
    let d = Route53Double::start(ZONE);
    let with_id = |s: Rrset, id: &str| Rrset {
        set_id: Some(id.into()),
        ..s
    };
    let seeds = [
        with_id(Rrset::plain("lat.example.test", "A", 60, &[PRIMARY]), "eu")
            .field("Region", "eu-west-1")
            .field("HealthCheckId", "hc-eu"),
        with_id(Rrset::plain("geo.example.test", "A", 60, &[PRIMARY]), "de")
            .field("GeoLocation.CountryCode", "DE"),
        with_id(Rrset::plain("geo.example.test", "A", 60, &[STANDBY]), "eu")
            .field("GeoLocation.ContinentCode", "EU"),
        with_id(Rrset::plain("mv.example.test", "A", 60, &[PRIMARY]), "one")
            .field("MultiValueAnswer", "true"),
        with_id(Rrset::plain("fo.example.test", "A", 60, &[STANDBY]), "two")
            .field("Failover", "SECONDARY"),
    ];
    for s in &seeds {
        d.put(s.clone());
    }
    let mut s = Route53Settings::new("aws-double");
    s.region = Some("us-east-1".into());
    s.endpoint_url = Some(d.url());
    s.credentials = Some(("AKIDDOUBLE".into(), "double-secret".into()));
    let sdk = SdkRoute53::new(&s).await;
    let start = ListStart {
        name: ZONE.into(),
        rtype: "A".into(),
        identifier: None,
    };
    let page = sdk
        .list_resource_record_sets(rtoguard_testkit::route53::ZONE_ID, &start)
        .await
        .expect("list");
    let read: Vec<_> = page.sets.into_iter().filter(|s| s.rtype == "A").collect();
    assert_eq!(read.len(), seeds.len());
    assert!(
        read.iter()
            .any(|r| r.routing.region.as_deref() == Some("eu-west-1")
                && r.routing.health_check_id.as_deref() == Some("hc-eu"))
    );
    // DELETE each set exactly as read and CREATE it again: the double
    // accepts only when every field went out as it came in.
    let batch: Vec<_> = read
        .iter()
        .flat_map(|r| {
            [Action::Delete, Action::Create].map(|action| BatchChange {
                action,
                set: r.clone(),
            })
        })
        .collect();
    sdk.change_resource_record_sets(rtoguard_testkit::route53::ZONE_ID, &batch)
        .await
        .expect("every DELETE matched");
    for seed in &seeds {
        assert!(d.sets_at(&seed.name, "A").contains(seed), "{seed:?}");
    }
}

#[tokio::test]
async fn an_alias_flips_between_two_regional_load_balancers() {
    let d = Route53Double::start(ZONE);
    let p = provider(&d).await;
    assert_eq!(flip_to(&p, alias_pools(100, 0)).await, SyncState::InSync);
    assert_eq!(read(&p).await, alias_pools(100, 0));

    assert_eq!(flip_to(&p, alias_pools(0, 100)).await, SyncState::InSync);
    assert_eq!(read(&p).await, alias_pools(0, 100));
    let served: Vec<_> = d
        .sets_at(NAME, "A")
        .iter()
        .map(|s| {
            (
                s.get("AliasTarget.DNSName").unwrap().to_string(),
                s.get("Weight").unwrap().to_string(),
                s.get("TTL").is_none() && s.values.is_empty(),
            )
        })
        .collect();
    assert_eq!(
        served,
        [
            (LBS[0].to_string(), "0".to_string(), true),
            (LBS[1].to_string(), "100".to_string(), true)
        ]
    );

    // A plain alias (no weights) flips by target.
    let d = Route53Double::start(ZONE);
    let p = provider(&d).await;
    let plain = |i| vec![RecordSet::alias(NAME, RecordType::A, lb(i))];
    flip_to(&p, plain(0)).await;
    flip_to(&p, plain(1)).await;
    assert_eq!(read(&p).await, plain(1));
}

#[tokio::test]
async fn a_rival_alias_change_is_a_conflict() {
    let d = Route53Double::start(ZONE);
    let p = provider(&d).await;
    flip_to(&p, alias_pools(100, 0)).await;
    let before = p.read(ZONE, NAME, RecordType::A).await.unwrap();
    // Another writer points the primary at another load balancer.
    let rival = Rrset::new(NAME, "A")
        .weighted("primary", 100)
        .field("AliasTarget.DNSName", "rival.eu-west-1.elb.amazonaws.com.")
        .field("AliasTarget.HostedZoneId", LB_ZONES[0])
        .field("AliasTarget.EvaluateTargetHealth", "false");
    d.put(rival);
    let err = p
        .apply(ZONE, &change(NAME, before, alias_pools(0, 100)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "conflict", "{err}");
    assert!(
        err.to_string().contains("do not match the current values"),
        "{err}"
    );
}

#[tokio::test]
async fn throttling_is_retried() {
    let d = Route53Double::start(ZONE);
    let p = provider(&d).await;
    d.throttle_next(3);
    assert_eq!(
        flip_to(&p, pools(NAME, 60, 100, 0)).await,
        SyncState::InSync
    );
    assert_eq!(read(&p).await, pools(NAME, 60, 100, 0));
    let throttled = d
        .requests()
        .iter()
        .filter(|r| r.error.as_deref() == Some("Throttling"))
        .count();
    assert_eq!(throttled, 3);
}

#[tokio::test]
async fn pending_is_waited_out() {
    let d = Route53Double::start(ZONE);
    d.sync_after(Duration::from_millis(600));
    let p = provider(&d).await;
    let c = change(NAME, vec![], pools(NAME, 60, 100, 0));
    let receipt = p.apply(ZONE, &c).await.unwrap();
    assert_eq!(receipt.status, "PENDING");
    let state = p
        .wait_in_sync(ZONE, &c, &receipt, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(state, SyncState::InSync);
    assert!(
        d.requests_of("GetChange").len() >= 2,
        "PENDING first, then INSYNC"
    );
    // Not yet in sync within a deadline shorter than the delay: Pending.
    d.sync_after(Duration::from_secs(3600));
    let c = change(NAME, pools(NAME, 60, 100, 0), pools(NAME, 60, 0, 100));
    let receipt = p.apply(ZONE, &c).await.unwrap();
    let state = p
        .wait_in_sync(ZONE, &c, &receipt, Duration::from_millis(200))
        .await
        .unwrap();
    assert_eq!(state, SyncState::Pending);
}

#[tokio::test]
async fn every_request_is_signed() {
    let d = Route53Double::start(ZONE);
    let p = provider(&d).await;
    flip_to(&p, pools(NAME, 60, 100, 0)).await;
    let seen = d.requests();
    assert!(seen.len() >= 3);
    for r in seen {
        let auth = r.authorization.unwrap_or_default();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDDOUBLE/"),
            "{auth}"
        );
        assert!(!auth.contains("double-secret"));
        assert_eq!(r.error, None, "{}", r.operation);
    }
}
