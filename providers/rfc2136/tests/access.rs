//! The access check (readiness) against a real BIND 9: a signed,
//! prerequisite-only UPDATE that proves the key and changes nothing.

use std::time::Duration;

use rtoguard_provider_api::{Provider, ProviderError, RecordType};
use rtoguard_rfc2136::{Rfc2136Provider, Rfc2136Settings};
use rtoguard_testkit::bind::Bind;

const ZONE: &str = "example.test.";
const WWW: &str = "www.example.test.";

fn provider(bind: &Bind, secret: &str) -> Rfc2136Provider {
    Rfc2136Provider::new(Rfc2136Settings {
        name: "corp-bind".into(),
        server: bind.addr,
        key_name: bind.key.name.clone(),
        algorithm: bind.key.algorithm.parse().expect("algorithm BIND knows"),
        secret_base64: secret.to_string(),
        timeout: Duration::from_secs(2),
        requests_per_second: 50,
    })
    .expect("provider from a base64 secret")
}

#[tokio::test]
async fn the_right_key_passes_and_nothing_changes() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let before = bind.serial();
    provider(&bind, &bind.key.secret)
        .check_access(ZONE, WWW, RecordType::A)
        .await
        .expect("the key BIND holds is accepted");
    assert_eq!(bind.serial(), before, "the check changed the zone");
}

#[tokio::test]
async fn a_wrong_key_fails_the_check_although_a_plain_read_succeeds() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let wrong = rtoguard_testkit::random_secret();
    let p = provider(&bind, &wrong);
    // Reads are anonymous queries: they cannot tell a wrong key.
    assert!(p.read(ZONE, WWW, RecordType::A).await.is_ok());
    let err = p.check_access(ZONE, WWW, RecordType::A).await.unwrap_err();
    assert!(matches!(err, ProviderError::Auth { .. }), "{err}");
    assert!(!err.to_string().contains(&wrong), "{err}");
    assert!(!err.to_string().contains(&bind.key.secret), "{err}");
}

#[tokio::test]
async fn the_doctor_s_proof_is_the_signed_update_in_words() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let before = bind.serial();
    let proved = provider(&bind, &bind.key.secret)
        .prove_access(ZONE, WWW, RecordType::A)
        .await
        .expect("the key BIND holds is accepted");
    assert!(proved.contains("signed with key rtoguard."), "{proved}");
    assert!(proved.contains("nothing changed"), "{proved}");
    assert_eq!(bind.serial(), before, "the proof changed the zone");
    let wrong = provider(&bind, &rtoguard_testkit::random_secret());
    let err = wrong
        .prove_access(ZONE, WWW, RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Auth { .. }), "{err}");
}
