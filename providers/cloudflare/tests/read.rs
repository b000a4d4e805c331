//! Reading through the Cloudflare provider against the local fake: pages, odd types, auth, budget, retries.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use fake::Fake;
use rtoguard_cloudflare::{CloudflareProvider, CloudflareSettings, Record};
use rtoguard_provider_api::{Provider, ProviderError, RecordType};
use rtoguard_testkit::cloudflare as fake;
use serde_json::json;

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
async fn the_access_check_is_an_authenticated_read() {
    let fake = Fake::start(TOKEN, ZONE);
    provider(&fake)
        .check_access(ZONE, WWW, RecordType::A)
        .await
        .expect("the right token reads");
    let wrong = CloudflareProvider::new(settings(&fake, "wrong-token-7a7a7a", 100)).unwrap();
    let err = wrong
        .check_access(ZONE, WWW, RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Auth { .. }), "{err}");
}

#[tokio::test]
async fn a_burst_of_fifty_operations_stays_within_the_budget() {
    const RPS: u32 = 10;
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
    // Arrival times jitter on a busy machine: allow one request over the
    // budget in a window, and check the whole burst's average rate too.
    assert!(
        peak <= RPS as usize + 1,
        "{peak} requests in one second, budget {RPS}"
    );
    let seen = fake.requests();
    let span = seen[seen.len() - 1].at.duration_since(seen[0].at);
    let floor = Duration::from_secs_f64((seen.len() - 1) as f64 / f64::from(RPS) - 0.5);
    assert!(span >= floor, "51 requests in {span:?}, budget {RPS}/s");
}

#[tokio::test]
async fn a_failing_edge_is_retried_on_reads() {
    let fake = Fake::start(TOKEN, ZONE);
    fake.add_a("www.example.com", "192.0.2.1", 300);
    fake.fail_next("GET", 2, 502);
    let p = provider(&fake);
    let sets = p.read(ZONE, WWW, RecordType::A).await.unwrap();
    assert_eq!(sets, vec![a(WWW, 300, &["192.0.2.1"])]);
    let statuses: Vec<u16> = fake.requests().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [502, 502, 200, 200]);
}

#[tokio::test]
async fn a_configured_zone_id_skips_the_lookup_and_an_unknown_zone_is_not_found() {
    let fake = Fake::start(TOKEN, ZONE);
    fake.add_a("www.example.com", "192.0.2.1", 300);
    let mut s = settings(&fake, TOKEN, 100);
    s.zone_id = Some(fake.zone_id());
    let p = CloudflareProvider::new(s).unwrap();
    assert_eq!(p.read(ZONE, WWW, RecordType::A).await.unwrap().len(), 1);
    assert!(fake.requests().iter().all(|s| s.path != "/client/v4/zones"));

    let err = provider(&fake)
        .read("example.org.", "www.example.org.", RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("example.org"), "{err}");
}

#[tokio::test]
async fn nothing_at_the_name_reads_as_no_record_set() {
    let fake = Fake::start(TOKEN, ZONE);
    fake.add_a("www.example.com", "192.0.2.1", 300);
    let p = provider(&fake);
    assert!(
        p.read(ZONE, WWW, RecordType::AAAA)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        p.read(ZONE, "api.example.com.", RecordType::A)
            .await
            .unwrap()
            .is_empty()
    );
}

#[test]
fn settings_are_checked_when_built() {
    let fake = Fake::start(TOKEN, ZONE);
    let mut s = settings(&fake, "  ", 4);
    let err = CloudflareProvider::new(s.clone()).unwrap_err();
    assert!(err.to_string().contains("env CF_TOKEN"), "{err}");
    s.token = TOKEN.into();
    s.api_url = "ftp://example.invalid".into();
    assert!(CloudflareProvider::new(s).is_err());
    let d = CloudflareSettings::new("cf", TOKEN.into(), "file /etc/rtoguard/cf-token");
    assert_eq!(d.api_url, CloudflareSettings::DEFAULT_API_URL);
    assert_eq!(d.requests_per_second, 4);
    assert!(!format!("{d:?}").contains(TOKEN));
}
