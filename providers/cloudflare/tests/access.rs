//! The doctor's access proof against the local fake: the token-verify endpoint, then a zone read, one request each and no retries.

mod common;

use common::*;
use fake::Fake;
use rtoguard_cloudflare::CloudflareProvider;
use rtoguard_provider_api::{Provider, ProviderError, RecordType};
use rtoguard_testkit::cloudflare as fake;

fn paths(fake: &Fake) -> Vec<String> {
    fake.requests().iter().map(|r| r.path.clone()).collect()
}

#[tokio::test]
async fn a_good_token_is_verified_and_the_zone_read_once_each() {
    let fake = Fake::start(TOKEN, ZONE);
    fake.add_a("www.example.com", "192.0.2.10", 300);
    let proved = provider(&fake)
        .prove_access(ZONE, WWW, RecordType::A)
        .await
        .expect("the token works");
    assert!(proved.contains("env CF_TOKEN is active"), "{proved}");
    assert!(
        proved.contains("1 record(s) at www.example.com A"),
        "{proved}"
    );
    let id = fake.zone_id();
    assert_eq!(
        paths(&fake),
        [
            "/client/v4/user/tokens/verify".to_string(),
            "/client/v4/zones".to_string(),
            format!("/client/v4/zones/{id}/dns_records"),
        ]
    );
}

#[tokio::test]
async fn a_refused_token_is_one_request_and_an_auth_error() {
    let fake = Fake::start(TOKEN, ZONE);
    let p = CloudflareProvider::new(settings(&fake, "not-the-token", 100)).expect("provider");
    let err = p.prove_access(ZONE, WWW, RecordType::A).await.unwrap_err();
    assert!(matches!(err, ProviderError::Auth { .. }), "{err}");
    assert!(!err.to_string().contains("not-the-token"), "{err}");
    assert_eq!(paths(&fake), ["/client/v4/user/tokens/verify"]);
}

#[tokio::test]
async fn a_zone_this_token_cannot_see_is_not_found_without_retries() {
    let fake = Fake::start(TOKEN, "other.example.");
    let err = provider(&fake)
        .prove_access(ZONE, WWW, RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err}");
    assert_eq!(fake.requests().len(), 2, "verify, then one zone lookup");
}
