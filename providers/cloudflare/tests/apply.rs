//! Changes through the Cloudflare provider against the local fake: flips, TTL, conflicts, throttling, refusals.

mod common;

use std::time::Duration;

use common::*;
use fake::Fake;
use rtoguard_provider_api::{Change, Provider, ProviderError, RecordSet, RecordType, SyncState};
use rtoguard_testkit::cloudflare as fake;
use serde_json::json;

#[tokio::test]
async fn a_flip_replaces_contents_and_keeps_proxied_comment_and_tags() {
    let fake = Fake::start(TOKEN, ZONE);
    let old = fake.add(
        json!({"type": "A", "name": "www.example.com", "content": "192.0.2.1", "ttl": 300,
        "proxied": true, "comment": "primary pool", "tags": ["owner:sre"]}),
    );
    fake.add_a("api.example.com", "192.0.2.50", 120);
    let before_other = fake.records_at("api.example.com", "A");
    let p = provider(&fake);

    // Proxied records read with the automatic TTL; the TTL asked is sent,
    // and Cloudflare keeps the record automatic.
    let expected = p.read(ZONE, WWW, RecordType::A).await.unwrap();
    assert_eq!(expected, vec![a(WWW, 1, &["192.0.2.1"])]);
    let desired = vec![a(WWW, 300, &["198.51.100.1"])];
    let change = Change::new(WWW, RecordType::A, expected, desired).unwrap();
    let receipt = p.apply(ZONE, &change).await.unwrap();
    assert_eq!(receipt.status, "applied");

    let now = fake.records_at("www.example.com", "A");
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["content"], "198.51.100.1");
    assert_eq!(now[0]["proxied"], true);
    assert_eq!(now[0]["comment"], "primary pool");
    assert_eq!(now[0]["tags"], json!(["owner:sre"]));
    assert_eq!(receipt.id, now[0]["id"].as_str().unwrap());
    assert_eq!(fake.records_at("api.example.com", "A"), before_other);

    let sent = batches(&fake);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].path,
        format!("/client/v4/zones/{}/dns_records/batch", fake.zone_id())
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"deletes": [{"id": old}], "posts": [{"name": "www.example.com", "type": "A",
            "content": "198.51.100.1", "ttl": 300, "proxied": true, "comment": "primary pool",
            "tags": ["owner:sre"]}]})
        )
    );
    let sync = p
        .wait_in_sync(ZONE, &change, &receipt, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(sync, SyncState::InSync);
    assert_eq!(
        p.read(ZONE, WWW, RecordType::A).await.unwrap(),
        vec![a(WWW, 1, &["198.51.100.1"])]
    );
}

#[tokio::test]
async fn a_ttl_change_patches_the_same_records() {
    let fake = Fake::start(TOKEN, ZONE);
    let ids = [
        fake.add_a("www.example.com", "192.0.2.1", 300),
        fake.add_a("www.example.com", "192.0.2.2", 300),
    ];
    let p = provider(&fake);
    let change = Change::new(
        WWW,
        RecordType::A,
        vec![a(WWW, 300, &["192.0.2.1", "192.0.2.2"])],
        vec![a(WWW, 60, &["192.0.2.1", "192.0.2.2"])],
    )
    .unwrap();
    p.apply(ZONE, &change).await.unwrap();

    let sent = batches(&fake);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body,
        Some(json!({"patches": [{"id": ids[0], "ttl": 60}, {"id": ids[1], "ttl": 60}]}))
    );
    let now = fake.records_at("www.example.com", "A");
    let kept: Vec<&str> = now.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(kept, ids);
    assert!(now.iter().all(|r| r["ttl"] == 60));
}

#[tokio::test]
async fn a_record_changed_between_read_and_write_is_a_conflict() {
    let fake = Fake::start(TOKEN, ZONE);
    let id = fake.add_a("www.example.com", "192.0.2.1", 300);
    fake.add_a("api.example.com", "192.0.2.50", 300);
    // Another writer replaces the record after our read, before our batch.
    fake.before_next_batch(move |zone| {
        zone.remove(&id).expect("the record read");
        zone.add(
            json!({"type": "A", "name": "www.example.com", "content": "203.0.113.9", "ttl": 300}),
        );
    });
    let p = provider(&fake);
    let err = p
        .apply(ZONE, &flip(&["192.0.2.1"], &["198.51.100.1"], 300))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("81044"), "{err}");
    assert_eq!(batches(&fake).len(), 1, "a conflict is final, not retried");
    assert_eq!(fake.batches_applied(), 0);
    let www = fake.records_at("www.example.com", "A");
    assert_eq!(www.len(), 1);
    assert_eq!(www[0]["content"], "203.0.113.9");
    assert_eq!(
        fake.records_at("api.example.com", "A")[0]["content"],
        "192.0.2.50"
    );

    // Our expectation is now stale: refused after the read, nothing sent.
    let err = p
        .apply(ZONE, &flip(&["192.0.2.1"], &["198.51.100.1"], 300))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("203.0.113.9"), "{err}");
    assert_eq!(batches(&fake).len(), 1);
}

#[tokio::test]
async fn a_throttled_batch_waits_for_retry_after_and_applies_once() {
    let fake = Fake::start(TOKEN, ZONE);
    fake.add_a("www.example.com", "192.0.2.1", 300);
    fake.throttle_next("POST", 1, 1);
    let p = provider(&fake);
    p.apply(ZONE, &flip(&["192.0.2.1"], &["198.51.100.1"], 300))
        .await
        .unwrap();

    let sent = batches(&fake);
    assert_eq!(
        sent.iter().map(|s| s.status).collect::<Vec<_>>(),
        [429, 200]
    );
    assert_eq!(
        sent[0].body, sent[1].body,
        "the same fenced batch is sent again"
    );
    assert!(
        sent[1].at.duration_since(sent[0].at) >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(fake.batches_applied(), 1);
    let www = fake.records_at("www.example.com", "A");
    assert_eq!(www.len(), 1);
    assert_eq!(www[0]["content"], "198.51.100.1");
}

#[tokio::test]
async fn what_cloudflare_cannot_hold_is_refused_before_any_request() {
    let fake = Fake::start(TOKEN, ZONE);
    let p = provider(&fake);
    let empty = Change::new(
        WWW,
        RecordType::A,
        vec![a(WWW, 300, &["192.0.2.1"])],
        vec![],
    );
    assert!(matches!(empty, Err(ProviderError::Refused(_))));
    let low_ttl =
        Change::new(WWW, RecordType::A, vec![], vec![a(WWW, 30, &["192.0.2.1"])]).unwrap();
    let err = p.apply(ZONE, &low_ttl).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Refused(_)) && err.to_string().contains("floor"),
        "{err}"
    );
    let weighted = a(WWW, 300, &["192.0.2.1"]).with_weight("primary", 1);
    let weighted = Change::new(WWW, RecordType::A, vec![], vec![weighted]).unwrap();
    assert!(matches!(
        p.apply(ZONE, &weighted).await,
        Err(ProviderError::Refused(_))
    ));
    assert!(fake.requests().is_empty());
    let caps = p.capabilities();
    assert!(!caps.weighted && caps.ttl_floor == 60);
}

#[tokio::test]
async fn a_record_changed_after_the_write_fails_the_read_back() {
    let fake = Fake::start(TOKEN, ZONE);
    fake.add_a("www.example.com", "192.0.2.1", 300);
    // Another writer adds a value right after our batch lands.
    fake.after_next_batch(|zone| {
        zone.add(
            json!({"type": "A", "name": "www.example.com", "content": "203.0.113.9", "ttl": 300}),
        );
    });
    let p = provider(&fake);
    let err = p
        .apply(ZONE, &flip(&["192.0.2.1"], &["198.51.100.1"], 300))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("after the write"), "{err}");
    assert_eq!(fake.batches_applied(), 1);
    assert_eq!(fake.records_at("www.example.com", "A").len(), 2);
}

#[tokio::test]
async fn a_cname_is_created_where_nothing_was_and_a_repeat_is_a_noop() {
    let fake = Fake::start(TOKEN, ZONE);
    let p = provider(&fake);
    let target = RecordSet::new(WWW, RecordType::CNAME, 1, ["Standby.Example.NET."]);
    let change = Change::new(WWW, RecordType::CNAME, vec![], vec![target.clone()]).unwrap();
    p.apply(ZONE, &change).await.unwrap();
    let now = fake.records_at("www.example.com", "CNAME");
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["content"], "standby.example.net");
    assert_eq!(now[0]["ttl"], 1);
    assert_eq!(
        p.read(ZONE, WWW, RecordType::CNAME).await.unwrap(),
        vec![target.clone()]
    );

    let again = Change::new(WWW, RecordType::CNAME, vec![target.clone()], vec![target]).unwrap();
    let receipt = p.apply(ZONE, &again).await.unwrap();
    assert_eq!(receipt.status, "unchanged");
    assert_eq!(fake.batches_applied(), 1);
}

#[tokio::test]
async fn waiting_for_a_change_that_never_lands_reports_pending() {
    let fake = Fake::start(TOKEN, ZONE);
    fake.add_a("www.example.com", "192.0.2.1", 300);
    let p = provider(&fake);
    let change = flip(&["192.0.2.1"], &["198.51.100.1"], 300);
    let receipt = rtoguard_provider_api::Receipt {
        id: "x".into(),
        status: "applied".into(),
    };
    let sync = p
        .wait_in_sync(ZONE, &change, &receipt, Duration::from_millis(1500))
        .await
        .unwrap();
    assert_eq!(sync, SyncState::Pending);
    assert!(
        fake.requests()
            .iter()
            .filter(|s| s.path.ends_with("/dns_records"))
            .count()
            >= 2
    );
}

#[tokio::test]
async fn a_batch_whose_answer_is_lost_is_retried_and_reported_as_done() {
    let fake = Fake::start(TOKEN, ZONE);
    fake.add_a("www.example.com", "192.0.2.1", 300);
    fake.add_a("api.example.com", "192.0.2.50", 300);
    // The batch lands, but its answer is lost behind a 502: the retry names
    // ids that are gone and is refused whole, so nothing is applied twice.
    fake.lose_next_batch_answer();
    let p = provider(&fake);
    let err = p
        .apply(ZONE, &flip(&["192.0.2.1"], &["198.51.100.1"], 300))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert!(
        err.to_string().contains("now hold the desired state"),
        "{err}"
    );
    let sent: Vec<u16> = batches(&fake).iter().map(|s| s.status).collect();
    assert_eq!(sent, [502, 400]);
    assert_eq!(fake.batches_applied(), 1);
    let www = fake.records_at("www.example.com", "A");
    assert_eq!(www.len(), 1);
    assert_eq!(www[0]["content"], "198.51.100.1");
    assert_eq!(fake.records_at("api.example.com", "A").len(), 1);
}
