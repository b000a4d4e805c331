//! The webhook provider against our strict double of the protocol
//! (testkit's `webhook`): every request's media type and JSON shape is
//! checked there, and each test asserts the double saw no breach.

use std::time::Duration;

use rtoguard_provider_api::limits::RetryPolicy;
use rtoguard_provider_api::{Change, Provider, RecordSet, RecordType};
use rtoguard_testkit::webhook::{Double, MEDIA_TYPE, endpoint};
use rtoguard_webhook::{WebhookProvider, WebhookSettings};
use serde_json::{Value, json};

const NAME: &str = "www.example.test.";

fn double() -> Double {
    Double::start(
        "example.test",
        vec![
            endpoint("www.example.test", "A", 300, &["192.0.2.1"]),
            endpoint("api.example.test", "A", 300, &["192.0.2.7"]),
        ],
    )
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        deadline: Duration::from_secs(3),
        initial: Duration::from_millis(50),
        max: Duration::from_millis(500),
    }
}

fn provider(d: &Double) -> WebhookProvider {
    WebhookProvider::new(WebhookSettings::new("hook", &d.url()))
        .unwrap()
        .with_retry_policy(quick())
}

fn set(ttl: u32, values: &[&str]) -> RecordSet {
    RecordSet::new(NAME, RecordType::A, ttl, values)
}

fn change(from: RecordSet, to: RecordSet) -> Change {
    Change::new(NAME, RecordType::A, vec![from], vec![to]).unwrap()
}

/// The flip every test makes: the primary's address to the standby's.
fn flip() -> Change {
    change(set(300, &["192.0.2.1"]), set(300, &["198.51.100.1"]))
}

fn assert_www(d: &Double, ttl: i64, targets: &[&str]) {
    assert_eq!(www(d), endpoint("www.example.test", "A", ttl, targets));
}

fn www(d: &Double) -> Value {
    d.records()
        .into_iter()
        .find(|r| r["dnsName"] == "www.example.test")
        .expect("www served")
}

fn no_breach(d: &Double) {
    assert_eq!(d.breaches(), Vec::<String>::new());
    for r in d.requests() {
        assert_eq!(
            r.accept.as_deref(),
            Some(MEDIA_TYPE),
            "{} {}",
            r.method,
            r.path
        );
        if r.body.is_some() {
            assert_eq!(
                r.content_type.as_deref(),
                Some(MEDIA_TYPE),
                "{} {}",
                r.method,
                r.path
            );
        }
    }
}

#[tokio::test]
async fn reads_after_negotiating() {
    let d = double();
    let p = provider(&d);
    let sets = p.read("example.test.", NAME, RecordType::A).await.unwrap();
    assert_eq!(sets, vec![set(300, &["192.0.2.1"])]);
    let paths: Vec<_> = d
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(paths, ["GET /", "GET /records"]);
    p.read("example.test.", NAME, RecordType::AAAA)
        .await
        .unwrap();
    assert_eq!(d.requests().len(), 3, "the negotiation is asked once");
    no_breach(&d);
}

#[tokio::test]
async fn a_flip_is_one_update_pair_and_is_read_back() {
    let d = double();
    let p = provider(&d);
    let c = flip();
    let receipt = p.apply("example.test.", &c).await.unwrap();
    assert_eq!(receipt.status, "updated");
    assert_www(&d, 300, &["198.51.100.1"]);
    let writes: Vec<_> = d
        .requests()
        .into_iter()
        .filter(|r| r.path == "/records" && r.method == "POST")
        .collect();
    assert_eq!(writes.len(), 1);
    let body = writes[0].body.clone().unwrap();
    assert_eq!(
        body,
        json!({
            "updateOld": [endpoint("www.example.test", "A", 300, &["192.0.2.1"])],
            "updateNew": [endpoint("www.example.test", "A", 300, &["198.51.100.1"])],
        })
    );
    let paths: Vec<_> = d
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            "GET /",
            "GET /records",
            "POST /adjustendpoints",
            "POST /records",
            "GET /records"
        ]
    );
    // The other record is untouched, and a second apply writes nothing.
    assert_eq!(d.records().len(), 2);
    assert_eq!(
        p.apply("example.test.", &c).await.unwrap().status,
        "unchanged"
    );
    no_breach(&d);
}

#[tokio::test]
async fn a_ttl_change_keeps_the_targets() {
    let d = double();
    let p = provider(&d);
    let c = change(set(300, &["192.0.2.1"]), set(30, &["192.0.2.1"]));
    let receipt = p.apply("example.test.", &c).await.unwrap();
    assert_www(&d, 30, &["192.0.2.1"]);
    let sync = p
        .wait_in_sync("example.test.", &c, &receipt, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(sync, rtoguard_provider_api::SyncState::InSync);
    no_breach(&d);
}

#[tokio::test]
async fn a_name_never_served_is_created() {
    let d = Double::start("example.test", vec![]);
    let p = provider(&d);
    let c = Change::new(NAME, RecordType::A, vec![], vec![set(60, &["192.0.2.5"])]).unwrap();
    assert_eq!(
        p.apply("example.test.", &c).await.unwrap().status,
        "created"
    );
    assert_www(&d, 60, &["192.0.2.5"]);
    no_breach(&d);
}

#[tokio::test]
async fn a_rival_before_the_read_is_a_conflict_and_nothing_is_written() {
    let d = double();
    let p = provider(&d);
    let rival = endpoint("www.example.test", "A", 300, &["203.0.113.9"]);
    d.set_records(vec![rival.clone()]);
    let c = flip();
    let e = p.apply("example.test.", &c).await.unwrap_err();
    assert_eq!(e.kind(), "conflict", "{e}");
    assert!(e.to_string().contains("203.0.113.9"), "{e}");
    assert!(
        d.requests().iter().all(|r| r.method == "GET"),
        "a write was sent"
    );
    assert_eq!(www(&d), rival);
    no_breach(&d);
}

#[tokio::test]
async fn a_rival_between_read_and_write_is_a_conflict() {
    let d = double();
    let p = provider(&d);
    let rival = endpoint("www.example.test", "A", 300, &["203.0.113.9"]);
    let r = rival.clone();
    d.before_write(Box::new(move |records| {
        records.retain(|x| x["dnsName"] != "www.example.test");
        records.push(r);
    }));
    let c = flip();
    let e = p.apply("example.test.", &c).await.unwrap_err();
    // The double refuses an updateOld it no longer serves; the next attempt
    // reads again and finds the rival.
    assert_eq!(e.kind(), "conflict", "{e}");
    assert!(e.to_string().contains("before the write"), "{e}");
    assert_eq!(www(&d), rival, "the rival's write survives");
    no_breach(&d);
}

#[tokio::test]
async fn a_rival_after_our_write_fails_the_read_back() {
    let d = double();
    let p = provider(&d);
    d.after_write(Box::new(|records| {
        for r in records
            .iter_mut()
            .filter(|x| x["dnsName"] == "www.example.test")
        {
            r["targets"] = json!(["203.0.113.9"]);
        }
    }));
    let c = flip();
    let e = p.apply("example.test.", &c).await.unwrap_err();
    assert_eq!(e.kind(), "conflict", "{e}");
    let text = e.to_string();
    assert!(
        text.contains("after the write") && text.contains("203.0.113.9"),
        "{text}"
    );
    no_breach(&d);
}

#[tokio::test]
async fn throttling_is_retried_after_the_pause_asked_for() {
    // The doctor's proof sends each request once: it reports the 429.
    let d = double();
    d.inject(429, 1, Some(1), "slow down");
    let e = provider(&d)
        .prove_access("example.test.", NAME, RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "throttled");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
    // The daemon's reads wait and try again.
    let d = double();
    let p = provider(&d);
    d.inject(429, 2, Some(1), "slow down");
    let sets = p.read("example.test.", NAME, RecordType::A).await.unwrap();
    assert_eq!(sets, vec![set(300, &["192.0.2.1"])]);
    let statuses: Vec<u16> = d.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200, 200]);
    no_breach(&d);
}

#[tokio::test]
async fn a_write_throttled_is_retried_from_the_read() {
    let d = double();
    let p = provider(&d);
    p.read("example.test.", NAME, RecordType::A).await.unwrap();
    d.inject(429, 1, Some(0), "slow down");
    let c = flip();
    p.apply("example.test.", &c).await.unwrap();
    assert_www(&d, 300, &["198.51.100.1"]);
    no_breach(&d);
}

#[tokio::test]
async fn a_server_failure_is_explained_with_the_url() {
    let d = double();
    let p = provider(&d);
    p.read("example.test.", NAME, RecordType::A).await.unwrap();
    d.inject(500, 1000, None, "backend database is locked");
    let c = flip();
    let e = p.apply("example.test.", &c).await.unwrap_err();
    assert_eq!(e.kind(), "server");
    let text = e.to_string();
    let url = format!(
        "GET {}/records answered 500 Internal Server Error: backend database is locked",
        d.url()
    );
    assert!(text.contains(&url), "{text}");
    assert_www(&d, 300, &["192.0.2.1"]);
}

#[tokio::test]
async fn a_wrong_media_type_is_explained() {
    let d = double();
    d.wrong_media_type(true);
    let p = provider(&d);
    let e = p
        .read("example.test.", NAME, RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "bad-request");
    let text = e.to_string();
    assert!(
        text.contains(&format!(
            "GET {}/ answered with Content-Type \"application/json\", not {MEDIA_TYPE}",
            d.url()
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_slow_webhook_times_out_naming_the_url() {
    let d = double();
    d.slow(Some(Duration::from_secs(3)));
    let mut s = WebhookSettings::new("hook", &d.url());
    s.timeout = Duration::from_millis(300);
    let p = WebhookProvider::new(s).unwrap();
    let e = p
        .prove_access("example.test.", NAME, RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "timeout", "{e}");
    assert!(e.to_string().contains(&format!("{}/", d.url())), "{e}");
}

#[tokio::test]
async fn the_bearer_token_is_sent_and_never_shown() {
    let d = double();
    d.require_token("s3cr3t-hook-token");
    let anonymous = provider(&d);
    let e = anonymous
        .read("example.test.", NAME, RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "auth");
    assert!(
        e.to_string().contains("no token (token_file is not set)"),
        "{e}"
    );

    let mut s = WebhookSettings::new("hook", &d.url());
    s.token = Some((
        "s3cr3t-hook-token\n".into(),
        "file /etc/rtoguard/hook-token".into(),
    ));
    assert!(!format!("{s:?}").contains("s3cr3t"));
    let p = WebhookProvider::new(s).unwrap();
    let proof = p
        .prove_access("example.test.", NAME, RecordType::A)
        .await
        .unwrap();
    assert!(proof.contains("GET /records answered 2 records"), "{proof}");
    let seen = d.requests();
    assert_eq!(
        seen.last().unwrap().authorization.as_deref(),
        Some("Bearer s3cr3t-hook-token")
    );

    d.require_token("another");
    let e = p
        .read("example.test.", NAME, RecordType::A)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("file /etc/rtoguard/hook-token"),
        "{e}"
    );
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
}

#[tokio::test]
async fn names_outside_the_domain_filter_are_refused() {
    let d = double();
    d.set_filter(json!({ "include": ["example.org"] }));
    let p = provider(&d);
    let e = p
        .read("example.test.", NAME, RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "bad-request");
    assert!(
        e.to_string().contains("outside the domains")
            && e.to_string().contains("include example.org"),
        "{e}"
    );
}
