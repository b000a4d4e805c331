//! The Cloudflare provider against the local fake of the v4 API.

mod fake;

use std::sync::Arc;
use std::time::Duration;

use fake::Fake;
use rtoguard_cloudflare::{CloudflareProvider, CloudflareSettings, Record};
use rtoguard_provider_api::{Change, Provider, ProviderError, RecordSet, RecordType, SyncState};
use serde_json::json;

const TOKEN: &str = "cf-test-token-9f8e7d6c5b4a";
const ZONE: &str = "example.com.";
const WWW: &str = "www.example.com.";

fn settings(fake: &Fake, token: &str, rps: u32) -> CloudflareSettings {
    CloudflareSettings {
        name: "cf-test".into(),
        api_url: fake.api_url(),
        token: token.into(),
        token_source: "env CF_TOKEN".into(),
        zone_id: None,
        requests_per_second: rps,
    }
}

fn provider(fake: &Fake) -> CloudflareProvider {
    CloudflareProvider::new(settings(fake, TOKEN, 100)).expect("provider")
}

fn a(name: &str, ttl: u32, values: &[&str]) -> RecordSet {
    RecordSet::new(name, RecordType::A, ttl, values)
}

fn flip(from: &[&str], to: &[&str], ttl: u32) -> Change {
    Change::new(
        WWW,
        RecordType::A,
        vec![a(WWW, ttl, from)],
        vec![a(WWW, ttl, to)],
    )
    .unwrap()
}

fn batches(fake: &Fake) -> Vec<fake::Seen> {
    fake.requests()
        .into_iter()
        .filter(|s| s.method == "POST" && s.path.ends_with("/dns_records/batch"))
        .collect()
}

#[tokio::test]
async fn reads_follow_every_page_and_the_zone_is_looked_up_once() {
    let fake = Fake::start(TOKEN, ZONE);
    for i in 0..120 {
        fake.add_a(
            "big.example.com",
            &format!("10.0.{}.{}", i / 100, i % 100),
            300,
        );
    }
    fake.add_a("other.example.com", "192.0.2.7", 300);
    let p = provider(&fake).with_page_size(50);
    let sets = p
        .read(ZONE, "big.example.com.", RecordType::A)
        .await
        .unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].values.len(), 120);
    assert!(sets[0].values.contains(&"10.0.1.19".to_string()));
    p.read(ZONE, "other.example.com.", RecordType::A)
        .await
        .unwrap();

    let seen = fake.requests();
    let zones: Vec<_> = seen
        .iter()
        .filter(|s| s.path == "/client/v4/zones")
        .collect();
    assert_eq!(zones.len(), 1, "the zone id is cached");
    assert_eq!(zones[0].query["name"], "example.com");
    let pages: Vec<_> = seen
        .iter()
        .filter(|s| s.path.ends_with("/dns_records") && s.query["name"] == "big.example.com")
        .map(|s| {
            (
                s.query["page"].clone(),
                s.query["per_page"].clone(),
                s.query["type"].clone(),
            )
        })
        .collect();
    let want: Vec<_> = ["1", "2", "3"]
        .map(|p| (p.to_string(), "50".to_string(), "A".to_string()))
        .to_vec();
    assert_eq!(pages, want);
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")[..]))
    );
}

#[tokio::test]
async fn caa_and_https_records_do_not_break_listing() {
    let fake = Fake::start(TOKEN, ZONE);
    fake.add(json!({"type": "CAA", "name": "example.com", "content": "0 issue \"letsencrypt.org\"", "ttl": 3600,
        "data": {"flags": 0, "tag": "issue", "value": "letsencrypt.org"}}));
    fake.add(
        json!({"type": "HTTPS", "name": "www.example.com", "ttl": 300,
        "data": {"priority": 1, "target": ".", "value": "alpn=\"h3,h2\""}}),
    );
    fake.add_a("www.example.com", "192.0.2.1", 300);
    let p = provider(&fake).with_page_size(5);

    let all = p.list_records(ZONE, None).await.unwrap();
    assert_eq!(all.len(), 3);
    let raw_types: Vec<&str> = all
        .iter()
        .filter_map(|r| match r {
            Record::Other(v) => v["type"].as_str(),
            Record::Managed(_) => None,
        })
        .collect();
    assert_eq!(raw_types, ["CAA", "HTTPS"]);
    let at_www = p.list_records(ZONE, Some(WWW)).await.unwrap();
    assert_eq!(at_www.iter().filter_map(Record::managed).count(), 1);
    assert_eq!(at_www.len(), 2);
    assert_eq!(
        p.read(ZONE, WWW, RecordType::A).await.unwrap(),
        vec![a(WWW, 300, &["192.0.2.1"])]
    );
}

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

    let change = flip(&["192.0.2.1"], &["198.51.100.1"], 300);
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
        change.desired()
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
async fn a_refused_token_names_its_source_and_never_the_token() {
    let fake = Fake::start(TOKEN, ZONE);
    let wrong = "wrong-secret-token-5e5e5e";
    let s = settings(&fake, wrong, 100);
    assert!(!format!("{s:?}").contains(wrong));
    let p = CloudflareProvider::new(s).unwrap();
    assert!(!format!("{p:?}").contains(wrong));

    let err = p.read(ZONE, WWW, RecordType::A).await.unwrap_err();
    assert!(matches!(err, ProviderError::Auth { .. }), "{err}");
    let text = err.to_string();
    for part in ["cf-test", "env CF_TOKEN", "9109", "Invalid access token"] {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
    assert!(!text.contains(wrong) && !format!("{err:?}").contains(wrong));
    assert_eq!(fake.requests().len(), 1, "auth failures are final");
    assert_eq!(fake.requests()[0].status, 403);
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
async fn a_burst_of_fifty_operations_stays_within_the_budget() {
    const RPS: u32 = 20;
    let fake = Fake::start(TOKEN, ZONE);
    fake.add_a("www.example.com", "192.0.2.1", 300);
    let p = Arc::new(CloudflareProvider::new(settings(&fake, TOKEN, RPS)).unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let p = p.clone();
        tasks.spawn(async move { p.read(ZONE, WWW, RecordType::A).await });
    }
    while let Some(r) = tasks.join_next().await {
        assert_eq!(r.unwrap().unwrap(), vec![a(WWW, 300, &["192.0.2.1"])]);
    }
    assert_eq!(fake.requests().len(), 51, "one zone lookup, fifty listings");
    let peak = fake.max_requests_per_second();
    // One request may land on the window's edge as arrival times jitter.
    assert!(
        peak <= RPS as usize + 1,
        "{peak} requests in one second, budget {RPS}"
    );
}
