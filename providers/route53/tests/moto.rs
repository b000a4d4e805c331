//! The Route 53 provider over the real SDK against moto's server on loopback.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fake::FakeRoute53;
use common::*;
use rtoguard_provider_api::{Provider, ProviderError, RecordSet, RecordType, SyncState};
use rtoguard_route53::sdk::SdkRoute53;
use rtoguard_route53::{Route53Provider, Route53Settings};
use rtoguard_testkit::moto::Moto;

const ZONE: &str = "example.test.";
const NAME: &str = "www.example.test.";

/// Static keys, an explicit region and the loopback endpoint: nothing here
/// may reach AWS or an instance metadata service.
fn settings(moto: &Moto) -> Route53Settings {
    let mut s = Route53Settings::new("aws-moto");
    s.region = Some("us-east-1".into());
    s.endpoint_url = Some(moto.url());
    s.credentials = Some(("testing".into(), "testing".into()));
    s.requests_per_second = 100;
    s
}

/// A provider over the SDK that records every batch, with the zone created.
async fn start(moto: &Moto) -> (Route53Provider, Arc<Recording>) {
    let s = settings(moto);
    let sdk = SdkRoute53::new(&s).await;
    sdk.client()
        .create_hosted_zone()
        .name(ZONE)
        .caller_reference("rtoguard-test")
        .send()
        .await
        .expect("create the hosted zone in moto");
    let rec = Arc::new(Recording::new(Arc::new(sdk)));
    (Route53Provider::with_api(s, rec.clone()), rec)
}

async fn read(p: &Route53Provider) -> Vec<RecordSet> {
    sorted(p.read(ZONE, NAME, RecordType::A).await.expect("read"))
}

/// Apply `from` → `to` and wait until `GetChange` says INSYNC.
async fn flip(p: &Route53Provider, from: Vec<RecordSet>, to: Vec<RecordSet>) {
    let c = change(NAME, from, to);
    let receipt = p.apply(ZONE, &c).await.expect("apply");
    assert!(
        !receipt.id.is_empty(),
        "a change id from ChangeResourceRecordSets"
    );
    let state = p
        .wait_in_sync(ZONE, &c, &receipt, Duration::from_secs(30))
        .await
        .expect("GetChange");
    assert_eq!(state, SyncState::InSync);
}

#[tokio::test]
async fn weighted_pools_flip_change_ttl_and_fail_back() {
    let moto = Moto::start();
    let (p, _) = start(&moto).await;
    assert!(read(&p).await.is_empty());

    flip(&p, vec![], pools(NAME, 300, 100, 0)).await;
    let created = read(&p).await;
    assert_eq!(created, pools(NAME, 300, 100, 0));
    assert!(
        created
            .iter()
            .all(|s| s.set_id.is_some() && s.weight.is_some())
    );

    flip(&p, created, pools(NAME, 300, 0, 100)).await;
    assert_eq!(read(&p).await, pools(NAME, 300, 0, 100));

    flip(&p, pools(NAME, 300, 0, 100), pools(NAME, 30, 0, 100)).await;
    assert_eq!(
        read(&p).await,
        pools(NAME, 30, 0, 100),
        "a TTL change keeps weights"
    );

    flip(&p, pools(NAME, 30, 0, 100), pools(NAME, 30, 100, 0)).await;
    assert_eq!(read(&p).await, pools(NAME, 30, 100, 0));
}

#[tokio::test]
async fn a_plain_record_flips_by_value() {
    let moto = Moto::start();
    let (p, _) = start(&moto).await;
    let primary = RecordSet::new(NAME, RecordType::A, 60, [PRIMARY]);
    let standby = RecordSet::new(NAME, RecordType::A, 60, [STANDBY]);
    flip(&p, vec![], vec![primary.clone()]).await;
    assert_eq!(read(&p).await, vec![primary.clone()]);
    flip(&p, vec![primary], vec![standby.clone()]).await;
    let now = read(&p).await;
    assert_eq!(now, vec![standby]);
    assert_eq!((now[0].set_id.clone(), now[0].weight), (None, None));

    let missing = p
        .read("absent.test.", NAME, RecordType::A)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, ProviderError::NotFound { .. }),
        "{missing}"
    );
}

#[tokio::test]
async fn the_fake_receives_the_batches_moto_accepted() {
    let moto = Moto::start();
    let (p, rec) = start(&moto).await;
    let fake = Arc::new(FakeRoute53::new(ZONE, &[]));
    let f = Route53Provider::with_api(Route53Settings::new("fake"), fake.clone());
    let steps = [
        (vec![], pools(NAME, 300, 100, 0)),
        (pools(NAME, 300, 100, 0), pools(NAME, 300, 0, 100)),
        (pools(NAME, 300, 0, 100), pools(NAME, 60, 0, 100)),
    ];
    for (from, to) in steps {
        let c = change(NAME, from, to);
        p.apply(ZONE, &c).await.expect("moto accepts the batch");
        f.apply(ZONE, &c).await.expect("the fake accepts the batch");
    }
    let moto_batches = rec.batches();
    assert_eq!(moto_batches.len(), 3);
    assert_eq!(fake.batches(), moto_batches);
    assert_eq!(
        read(&p).await,
        sorted(f.read(ZONE, NAME, RecordType::A).await.unwrap())
    );
}

#[test]
fn moto_resets_and_stops_on_drop() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(start(&moto));
    moto.reset();
    let p = Route53Provider::with_api(
        settings(&moto),
        Arc::new(rt.block_on(SdkRoute53::new(&settings(&moto)))),
    );
    let gone = rt.block_on(p.read(ZONE, NAME, RecordType::A)).unwrap_err();
    assert!(matches!(gone, ProviderError::NotFound { .. }), "{gone}");
    let addr = moto.addr;
    drop(moto);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn moto_refuses_deleting_a_set_that_does_not_exist() {
    let moto = Moto::start();
    let (p, _) = start(&moto).await;
    let ghost = RecordSet::new(NAME, RecordType::A, 60, [PRIMARY]);
    let c = change(
        NAME,
        vec![ghost],
        vec![RecordSet::new(NAME, RecordType::A, 60, [STANDBY])],
    );
    let err = p.apply(ZONE, &c).await.unwrap_err();
    // Route 53 says InvalidChangeBatch (a conflict); moto checks DELETEs only
    // against its journal of CREATEs and says InvalidInput. Either way the
    // batch is final and nothing of it is applied.
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains("DELETE"), "{err}");
    assert!(read(&p).await.is_empty());
}

#[tokio::test]
async fn moto_takes_an_alias_flip_between_two_load_balancers() {
    let moto = Moto::start();
    let (p, _) = start(&moto).await;
    let lb = |n: &str, zone: &str| rtoguard_provider_api::AliasTarget::new(n, zone, false);
    let alias =
        |target, id: &str, w: u32| RecordSet::alias(NAME, RecordType::A, target).with_weight(id, w);
    let eu = lb("app-eu-1234.eu-west-1.elb.amazonaws.com", "Z32O12XQLNTSW2");
    let us = lb("app-us-5678.us-east-1.elb.amazonaws.com", "Z35SXDOTRQ7X7K");
    let first = vec![
        alias(eu.clone(), "primary", 100),
        alias(us.clone(), "standby", 0),
    ];
    let second = vec![alias(eu, "primary", 0), alias(us, "standby", 100)];
    flip(&p, vec![], first.clone()).await;
    assert_eq!(read(&p).await, first);
    flip(&p, first, second.clone()).await;
    assert_eq!(read(&p).await, second);
}
