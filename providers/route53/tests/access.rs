//! The doctor's access proof against the in-memory fake: find the hosted zone, list its record sets, one request each.

mod common;

use std::sync::Arc;

use common::fake::{FakeRoute53, Request};
use common::*;
use rtoguard_provider_api::{Provider, ProviderError, RecordType};
use rtoguard_route53::{Route53Provider, Route53Settings};

const NAME: &str = "www.example.test.";

fn provider(fake: &Arc<FakeRoute53>) -> Route53Provider {
    Route53Provider::with_api(Route53Settings::new("aws-fake"), fake.clone())
}

#[tokio::test]
async fn the_zone_is_found_and_its_record_sets_listed_once() {
    let fake = Arc::new(FakeRoute53::new(
        "example.test.",
        &rrsets(&pools(NAME, 60, 100, 0)),
    ));
    let proved = provider(&fake)
        .prove_access("example.test.", NAME, RecordType::A)
        .await
        .expect("the zone is readable");
    assert!(proved.contains("found by name"), "{proved}");
    assert!(proved.contains("2 at www.example.test. A"), "{proved}");
    let asked = fake.requests();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(matches!(asked[0], Request::ListZones(_)), "{asked:?}");
    assert!(matches!(asked[1], Request::ListSets(..)), "{asked:?}");
}

#[tokio::test]
async fn a_zone_that_is_not_there_is_not_found_after_one_request() {
    let fake = Arc::new(FakeRoute53::new("other.test.", &[]));
    let err = provider(&fake)
        .prove_access("example.test.", NAME, RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("no hosted zone named example.test."),
        "{err}"
    );
    assert_eq!(fake.requests().len(), 1);
}
