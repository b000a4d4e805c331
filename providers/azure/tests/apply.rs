//! The Azure provider against the strict double: read, flip and TTL change fenced by the ETag, conflicts, throttling, credentials.

mod common;

use std::time::Duration;

use common::*;
use rtoguard_azure::Credentials;
use rtoguard_provider_api::{Provider, ProviderError, RecordType, SyncState};
use rtoguard_testkit::azure::{CLIENT_ID, CLIENT_SECRET, Double};
use serde_json::json;

#[tokio::test]
async fn a_flip_and_a_ttl_change_are_puts_fenced_by_the_etag_read() {
    let az = Double::start("example.test");
    az.set("www", "A", 300, &["127.0.0.2"]);
    let p = provider(&az);

    let now = p.read(ZONE, WWW, RecordType::A).await.unwrap();
    assert_eq!(now, vec![a(300, &["127.0.0.2"])]);
    let etag = az.etag("www", "A").unwrap();

    let lower = change(now, a(30, &["127.0.0.2"]));
    let r = p.apply(ZONE, &lower).await.unwrap();
    assert_eq!(r.status, "applied");
    assert_eq!(az.values("www", "A"), Some((30, vec!["127.0.0.2".into()])));
    let flip = change(vec![a(30, &["127.0.0.2"])], a(30, &["127.0.0.3"]));
    let r = p.apply(ZONE, &flip).await.unwrap();
    assert_eq!(
        r.id,
        az.etag("www", "A").unwrap(),
        "the receipt names the new ETag"
    );
    assert_eq!(az.values("www", "A"), Some((30, vec!["127.0.0.3".into()])));

    let sent = puts(&az);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].if_match.as_deref(), Some(etag.as_str()));
    assert!(
        sent.iter()
            .all(|s| s.if_none_match.is_none() && s.status == 200)
    );
    assert_eq!(
        sent[1].body,
        Some(json!({"properties": {"TTL": 30, "ARecords": [{"ipv4Address": "127.0.0.3"}]}}))
    );
    let sync = p
        .wait_in_sync(ZONE, &flip, &r, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(sync, SyncState::InSync);
    // The same flip again finds the work done and writes nothing.
    let again = p
        .apply(
            ZONE,
            &change(vec![a(30, &["127.0.0.3"])], a(30, &["127.0.0.3"])),
        )
        .await
        .unwrap();
    assert_eq!(again.status, "unchanged");
    assert_eq!(puts(&az).len(), 2);
    assert_eq!(az.breaches(), Vec::<String>::new());
}

#[tokio::test]
async fn a_new_record_set_is_created_with_if_none_match_and_tags_are_kept() {
    let az = Double::start("example.test");
    let p = provider(&az);
    assert!(p.read(ZONE, WWW, RecordType::A).await.unwrap().is_empty());
    p.apply(ZONE, &change(vec![], a(60, &["127.0.0.2"])))
        .await
        .unwrap();
    let sent = puts(&az);
    assert_eq!(
        (sent[0].if_none_match.as_deref(), sent[0].status),
        (Some("*"), 201)
    );

    // Tags set by someone else ride along the next write (a PUT replaces them).
    az.set_metadata("www", "A", json!({"owner": "sre"}));
    p.apply(
        ZONE,
        &change(vec![a(60, &["127.0.0.2"])], a(60, &["127.0.0.3"])),
    )
    .await
    .unwrap();
    let props = az.properties("www", "A").unwrap();
    assert_eq!(props["metadata"], json!({"owner": "sre"}));
    assert_eq!(props["ARecords"], json!([{"ipv4Address": "127.0.0.3"}]));
    assert_eq!(az.breaches(), Vec::<String>::new());
}

#[tokio::test]
async fn a_rival_write_between_read_and_put_is_a_conflict_and_nothing_is_written() {
    let az = Double::start("example.test");
    az.set("www", "A", 300, &["127.0.0.2"]);
    az.rival_before_next_put("www", "A", 300, &["127.0.0.9"]);
    let p = provider(&az);
    let err = p
        .apply(
            ZONE,
            &change(vec![a(300, &["127.0.0.2"])], a(300, &["127.0.0.3"])),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("PreconditionFailed"), "{err}");
    assert_eq!(puts(&az).len(), 1, "a conflict is final, not retried");
    assert_eq!(puts(&az)[0].status, 412);
    assert_eq!(az.values("www", "A"), Some((300, vec!["127.0.0.9".into()])));

    // A rival that created the set first fails our If-None-Match the same way.
    az.rival_before_next_put("api", "A", 60, &["127.0.0.9"]);
    let api = "api.example.test.";
    let c = rtoguard_provider_api::Change::new(
        api,
        RecordType::A,
        vec![],
        vec![rtoguard_provider_api::RecordSet::new(
            api,
            RecordType::A,
            60,
            ["127.0.0.3"],
        )],
    )
    .unwrap();
    let err = p.apply(ZONE, &c).await.unwrap_err();
    assert_eq!(err.kind(), "conflict", "{err}");
    assert_eq!(az.values("api", "A"), Some((60, vec!["127.0.0.9".into()])));
    assert_eq!(az.breaches(), Vec::<String>::new());
}

#[tokio::test]
async fn throttling_is_retried_after_the_time_azure_asks() {
    let az = Double::start("example.test");
    az.set("www", "A", 300, &["127.0.0.2"]);
    az.inject(429, 2, Some(1), "TooManyRequests");
    let p = provider(&az);
    let flip = change(vec![a(300, &["127.0.0.2"])], a(300, &["127.0.0.3"]));
    p.apply(ZONE, &flip).await.unwrap();
    assert_eq!(az.values("www", "A"), Some((300, vec!["127.0.0.3".into()])));
    let statuses: Vec<u16> = az
        .requests()
        .iter()
        .filter(|s| s.path.starts_with("/subscriptions/"))
        .map(|s| s.status)
        .collect();
    assert_eq!(&statuses[..2], &[429, 429], "{statuses:?}");

    // Throttled past the deadline: the error says so and is retryable.
    az.inject(429, 1000, Some(1), "TooManyRequests");
    let err = p.read(ZONE, WWW, RecordType::A).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_wrong_client_secret_names_its_source_and_never_its_value() {
    let az = Double::start("example.test");
    az.set("www", "A", 300, &["127.0.0.2"]);
    let wrong = "Wr0ng~secret-value-1234";
    let p = provider_with(&az, client_secret(wrong));
    let err = p.read(ZONE, WWW, RecordType::A).await.unwrap_err();
    let ProviderError::Auth {
        credential_source, ..
    } = &err
    else {
        panic!("not an auth error: {err}");
    };
    assert!(
        credential_source.contains("env AZURE_CLIENT_SECRET"),
        "{credential_source}"
    );
    let text = err.to_string();
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(
        !text.contains(wrong) && !text.contains(CLIENT_SECRET),
        "{text}"
    );
    assert!(!err.is_retryable());
    assert!(!format!("{p:?}").contains(wrong));
}

#[tokio::test]
async fn a_managed_identity_asks_imds_with_the_metadata_header() {
    let az = Double::start("example.test");
    az.set("www", "A", 300, &["127.0.0.2"]);
    let p = provider_with(&az, Credentials::ManagedIdentity { client_id: None });
    assert_eq!(
        p.read(ZONE, WWW, RecordType::A).await.unwrap(),
        vec![a(300, &["127.0.0.2"])]
    );
    // The token is cached: a second read asks IMDS nothing.
    p.read(ZONE, WWW, RecordType::A).await.unwrap();
    let imds = az
        .requests()
        .iter()
        .filter(|s| s.path == "/metadata/identity/oauth2/token")
        .count();
    assert_eq!(imds, 1);
    assert_eq!(az.breaches(), Vec::<String>::new());

    // A user-assigned identity is named by its client id.
    let p = provider_with(
        &az,
        Credentials::ManagedIdentity {
            client_id: Some(CLIENT_ID.into()),
        },
    );
    p.read(ZONE, WWW, RecordType::A).await.unwrap();
    let last = az
        .requests()
        .into_iter()
        .rfind(|s| s.path == "/metadata/identity/oauth2/token")
        .unwrap();
    assert!(
        last.query.contains(&format!("client_id={CLIENT_ID}")),
        "{}",
        last.query
    );
    let other = provider_with(
        &az,
        Credentials::ManagedIdentity {
            client_id: Some("11111111-2222-3333-4444-555555555555".into()),
        },
    );
    let err = other.read(ZONE, WWW, RecordType::A).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("managed identity 11111111-2222-3333-4444-555555555555 from IMDS"),
        "{err}"
    );

    let none = Double::start("example.test");
    none.without_identity();
    let p = provider_with(&none, Credentials::ManagedIdentity { client_id: None });
    let err = p.read(ZONE, WWW, RecordType::A).await.unwrap_err();
    assert_eq!(err.kind(), "auth", "{err}");
    assert!(
        err.to_string().contains("managed identity from IMDS at"),
        "{err}"
    );
    assert!(err.to_string().contains("Identity not found"), "{err}");
}

#[tokio::test]
async fn a_token_near_its_expiry_is_renewed() {
    let az = Double::start("example.test");
    az.set("www", "A", 300, &["127.0.0.2"]);
    // A token of 2 s is renewed after 1 s (half its life).
    az.token_life(2);
    let p = provider(&az);
    p.read(ZONE, WWW, RecordType::A).await.unwrap();
    p.read(ZONE, WWW, RecordType::A).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    p.read(ZONE, WWW, RecordType::A).await.unwrap();
    let logins = az
        .requests()
        .iter()
        .filter(|s| s.path.ends_with("/oauth2/v2.0/token"))
        .count();
    assert_eq!(logins, 2);
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once_and_a_refused_one_is_final() {
    let az = Double::start("example.test");
    az.set("www", "A", 300, &["127.0.0.2"]);
    let p = provider(&az);
    p.read(ZONE, WWW, RecordType::A).await.unwrap();
    az.revoke_tokens();
    // The cached token is refused: a new one is asked for, the read answers.
    p.read(ZONE, WWW, RecordType::A).await.unwrap();
    let logins = || {
        az.requests()
            .iter()
            .filter(|s| s.path.ends_with("/oauth2/v2.0/token"))
            .count()
    };
    assert_eq!(logins(), 2);
    let statuses: Vec<u16> = az.requests().iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [200, 200, 401, 200, 200],
        "login, read, refused read, login, read"
    );
}

#[tokio::test]
async fn a_missing_zone_is_not_found_and_a_name_outside_it_is_refused() {
    let az = Double::start("example.test");
    let p = provider(&az);
    let err = p
        .read("other.test.", "www.other.test.", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not-found", "{err}");
    assert!(err.to_string().contains("ParentResourceNotFound"), "{err}");
    let err = p
        .read(ZONE, "www.elsewhere.test.", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "refused", "{err}");
}
