//! Reading through the PowerDNS provider against a real pdns_server: the rrset, absent names, access, auth failures.

mod common;

use common::*;
use rtoguard_powerdns::PowerDnsProvider;
use rtoguard_provider_api::{Provider, ProviderError, RecordType};

#[tokio::test]
async fn reads_the_rrset_at_one_name_and_nothing_where_there_is_none() {
    let pdns = server();
    pdns.replace("api", "A", 120, &["127.0.0.7", "127.0.0.8"]);
    let p = provider(&pdns);
    let sets = p.read(ZONE, WWW, RecordType::A).await.unwrap();
    assert_eq!(sets, vec![a(300, &["127.0.0.2"])]);
    let api = p
        .read(ZONE, "API.example.test.", RecordType::A)
        .await
        .unwrap();
    assert_eq!(api.len(), 1);
    assert_eq!((api[0].ttl, api[0].values.len()), (120, 2));
    assert!(
        p.read(ZONE, "nothing.example.test.", RecordType::A)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        p.read(ZONE, WWW, RecordType::AAAA)
            .await
            .unwrap()
            .is_empty()
    );
    p.check_access(ZONE, WWW, RecordType::A).await.unwrap();
    let err = p
        .read("other.test.", "www.other.test.", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not-found", "{err}");
}

#[tokio::test]
async fn a_wrong_key_names_the_key_file_and_never_a_key() {
    let pdns = server();
    let wrong = "not-the-key-3c1f9e";
    let p = PowerDnsProvider::new(settings(&pdns, &pdns.api_url, wrong))
        .unwrap()
        .with_retry_policy(quick());
    let err = p.check_access(ZONE, WWW, RecordType::A).await.unwrap_err();
    let ProviderError::Auth {
        credential_source, ..
    } = &err
    else {
        panic!("not an auth error: {err}");
    };
    let file = pdns.key_file();
    assert_eq!(credential_source, &format!("file {}", file.display()));
    let text = err.to_string();
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert!(
        !text.contains(wrong) && !text.contains(&pdns.api_key),
        "{text}"
    );
    assert!(!err.is_retryable());
    let debug = format!("{p:?}");
    assert!(!debug.contains(wrong), "{debug}");
}
