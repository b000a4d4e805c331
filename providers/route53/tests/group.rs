//! A record group on Route 53: one change batch holds every record's
//! change, and a DELETE that does not match refuses all of them.

mod common;

use std::sync::Arc;

use common::fake::FakeRoute53;
use common::*;
use rtoguard_provider_api::{Change, ChangeSet, Provider, ProviderError, RecordSet, RecordType};
use rtoguard_route53::{Route53Provider, Route53Settings};

const ZONE: &str = "example.test.";
const NAME: &str = "www.example.test.";

fn aaaa(ip: &str) -> Vec<RecordSet> {
    vec![RecordSet::new(NAME, RecordType::AAAA, 60, [ip])]
}

fn a(ip: &str) -> Vec<RecordSet> {
    vec![RecordSet::new(NAME, RecordType::A, 60, [ip])]
}

fn flip(from_v6: &str) -> ChangeSet {
    let v4 = Change::new(NAME, RecordType::A, a(PRIMARY), a(STANDBY)).expect("a change");
    let v6 = Change::new(
        NAME,
        RecordType::AAAA,
        aaaa(from_v6),
        aaaa("2001:db8:1::10"),
    )
    .expect("a change");
    ChangeSet::new(vec![v4, v6]).expect("a group")
}

fn setup() -> (Arc<FakeRoute53>, Route53Provider) {
    let mut seed = rrsets(&a(PRIMARY));
    seed.extend(rrsets(&aaaa("2001:db8::10")));
    let fake = Arc::new(FakeRoute53::new(ZONE, &seed));
    let p = Route53Provider::with_api(Route53Settings::new("aws-fake"), fake.clone());
    (fake, p)
}

#[tokio::test]
async fn one_change_batch_holds_every_record_of_the_group() {
    let (fake, p) = setup();
    p.apply_all(ZONE, &flip("2001:db8::10"))
        .await
        .expect("the group applies");
    let batches = fake.batches();
    assert_eq!(batches.len(), 1, "one batch: {batches:?}");
    // DELETE and CREATE of each record.
    assert_eq!(batches[0].len(), 4);
    assert_eq!(p.read(ZONE, NAME, RecordType::A).await.unwrap(), a(STANDBY));
    assert_eq!(
        p.read(ZONE, NAME, RecordType::AAAA).await.unwrap(),
        aaaa("2001:db8:1::10")
    );
}

#[tokio::test]
async fn a_stale_record_refuses_the_whole_batch() {
    let (fake, p) = setup();
    let err = p
        .apply_all(ZONE, &flip("2001:db8::99"))
        .await
        .expect_err("the AAAA record is not as expected");
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    // Nothing moved: not even the A record whose DELETE matched.
    assert_eq!(fake.applied(), 0);
    assert_eq!(p.read(ZONE, NAME, RecordType::A).await.unwrap(), a(PRIMARY));
}
