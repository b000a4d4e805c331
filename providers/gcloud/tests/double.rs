//! The Cloud DNS provider against our strict double of the API and its token
//! endpoint (testkit's `gcloud`): reads, flips and TTL changes as one exact
//! compare-and-set change, conflicts, throttling, credentials. Each test
//! asserts the double saw no breach of the API.

use std::time::Duration;

use rtoguard_gcloud::{Credentials, GcloudProvider, GcloudSettings};
use rtoguard_provider_api::limits::RetryPolicy;
use rtoguard_provider_api::{Change, Provider, RecordSet, RecordType, SyncState};
use rtoguard_testkit::gcloud::{
    Double, TEST_ONLY_PRIVATE_KEY, rrset, service_account_json, service_account_json_for,
};
use serde_json::Value;

const ZONE: &str = "example.test.";
const NAME: &str = "www.example.test.";

fn double() -> Double {
    Double::start(
        "test-project",
        "example-test",
        ZONE,
        vec![
            rrset(NAME, "A", 300, &["192.0.2.1"]),
            rrset("api.example.test.", "A", 300, &["192.0.2.7"]),
        ],
    )
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        deadline: Duration::from_secs(5),
        initial: Duration::from_millis(50),
        max: Duration::from_millis(500),
    }
}

fn settings(d: &Double, credentials: Credentials) -> GcloudSettings {
    GcloudSettings {
        name: "gdns".into(),
        project: "test-project".into(),
        managed_zone: "example-test".into(),
        api_url: d.url(),
        credentials,
        requests_per_second: 50,
    }
}

fn key_file(json: String) -> Credentials {
    Credentials::ServiceAccount {
        json,
        source: "file /etc/rtoguard/gcloud.json".into(),
    }
}

fn provider(d: &Double) -> GcloudProvider {
    GcloudProvider::new(settings(d, key_file(service_account_json(&d.token_uri()))))
        .unwrap()
        .with_retry_policy(quick())
}

fn set(ttl: u32, values: &[&str]) -> RecordSet {
    RecordSet::new(NAME, RecordType::A, ttl, values)
}

fn change(from: Vec<RecordSet>, to: RecordSet) -> Change {
    Change::new(NAME, RecordType::A, from, vec![to]).unwrap()
}

fn www(d: &Double) -> Option<Value> {
    d.rrsets().into_iter().find(|r| r["name"] == NAME)
}

fn no_breach(d: &Double) {
    assert_eq!(d.breaches(), Vec::<String>::new());
}

#[tokio::test]
async fn reads_the_set_and_nothing_where_none_is() {
    let d = double();
    let p = provider(&d);
    assert_eq!(
        p.read(ZONE, NAME, RecordType::A).await.unwrap(),
        vec![set(300, &["192.0.2.1"])]
    );
    assert!(
        p.read(ZONE, NAME, RecordType::AAAA)
            .await
            .unwrap()
            .is_empty()
    );
    // One token, cached for every request after it.
    assert_eq!(d.tokens_issued(), 1);
    let r = &d.requests()[1];
    assert_eq!(r.query, "name=www.example.test.&type=A");
    assert_eq!(r.authorization.as_deref(), Some("Bearer ya29.double-1"));
    no_breach(&d);
}

#[tokio::test]
async fn a_flip_deletes_exactly_the_expected_set_and_is_in_sync_when_done() {
    let d = double();
    d.pending_polls(2);
    let p = provider(&d);
    let flip = change(vec![set(300, &["192.0.2.1"])], set(300, &["198.51.100.1"]));
    let receipt = p.apply(ZONE, &flip).await.unwrap();
    assert_eq!(
        (receipt.id.as_str(), receipt.status.as_str()),
        ("1", "pending")
    );
    let posted = d.changes_posted();
    assert_eq!(posted.len(), 1, "one write, no read before it");
    assert_eq!(
        posted[0]["deletions"][0],
        rrset(NAME, "A", 300, &["192.0.2.1"])
    );
    assert_eq!(
        posted[0]["additions"][0],
        rrset(NAME, "A", 300, &["198.51.100.1"])
    );
    let state = p
        .wait_in_sync(ZONE, &flip, &receipt, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(state, SyncState::InSync);
    let polls = d
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/changes/1"))
        .count();
    assert_eq!(polls, 3, "pending twice, then done");
    assert_eq!(www(&d), Some(rrset(NAME, "A", 300, &["198.51.100.1"])));
    // The other set is untouched; applying the flip again conflicts.
    assert_eq!(d.rrsets().len(), 2);
    let again = p.apply(ZONE, &flip).await.unwrap_err();
    assert_eq!(again.kind(), "conflict");
    assert!(again.to_string().contains("198.51.100.1"), "{again}");
    no_breach(&d);
}

#[tokio::test]
async fn a_ttl_change_is_a_compare_and_set_too() {
    let d = double();
    d.pending_polls(0);
    let p = provider(&d);
    let lower = change(vec![set(300, &["192.0.2.1"])], set(30, &["192.0.2.1"]));
    let r = p.apply(ZONE, &lower).await.unwrap();
    assert_eq!(r.status, "done");
    assert_eq!(
        p.wait_in_sync(ZONE, &lower, &r, Duration::from_secs(1))
            .await
            .unwrap(),
        SyncState::InSync
    );
    assert_eq!(www(&d), Some(rrset(NAME, "A", 30, &["192.0.2.1"])));
    // A change whose expected TTL is stale is refused whole: the TTL is part
    // of the exact match.
    let stale = change(vec![set(300, &["192.0.2.1"])], set(60, &["192.0.2.1"]));
    let e = p.apply(ZONE, &stale).await.unwrap_err();
    assert_eq!(e.kind(), "conflict");
    assert!(e.to_string().contains("conditionNotMet"), "{e}");
    assert_eq!(www(&d), Some(rrset(NAME, "A", 30, &["192.0.2.1"])));
    no_breach(&d);
}

#[tokio::test]
async fn a_rival_change_between_read_and_write_is_a_conflict_and_nothing_is_written() {
    let d = double();
    let p = provider(&d);
    let now = p.read(ZONE, NAME, RecordType::A).await.unwrap();
    // A rival moves the record after our read, before our write.
    d.before_write(Box::new(|sets: &mut Vec<Value>| {
        sets[0] = rrset(NAME, "A", 300, &["203.0.113.9"]);
    }));
    let e = p
        .apply(ZONE, &change(now, set(300, &["198.51.100.1"])))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "conflict");
    let text = e.to_string();
    assert!(
        text.contains("Cloud DNS serves [www.example.test. 300 A [203.0.113.9]]"),
        "{text}"
    );
    assert!(text.contains("nothing written"), "{text}");
    assert_eq!(www(&d), Some(rrset(NAME, "A", 300, &["203.0.113.9"])));
    assert_eq!(d.changes_posted().len(), 1, "a conflict is not retried");
    // A rival that deleted the set: the exact deletion finds nothing.
    d.set_rrsets(vec![]);
    let e = p
        .apply(
            ZONE,
            &change(
                vec![set(300, &["203.0.113.9"])],
                set(300, &["198.51.100.1"]),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "conflict");
    assert!(e.to_string().contains("does not exist"), "{e}");
    no_breach(&d);
}

#[tokio::test]
async fn a_missing_set_is_created_and_a_rival_creation_conflicts() {
    let d = double();
    d.set_rrsets(vec![]);
    let p = provider(&d);
    let create = change(vec![], set(300, &["198.51.100.1"]));
    p.apply(ZONE, &create).await.unwrap();
    let posted = d.changes_posted();
    assert!(posted[0].get("deletions").is_none(), "{}", posted[0]);
    assert_eq!(www(&d), Some(rrset(NAME, "A", 300, &["198.51.100.1"])));
    let e = p.apply(ZONE, &create).await.unwrap_err();
    assert_eq!(e.kind(), "conflict");
    assert!(e.to_string().contains("alreadyExists"), "{e}");
    no_breach(&d);
}

#[tokio::test]
async fn throttling_is_retried_after_the_retry_after() {
    let d = double();
    let p = provider(&d);
    p.read(ZONE, NAME, RecordType::A).await.unwrap();
    d.inject(429, "rateLimitExceeded", 2, Some(1));
    let flip = change(vec![set(300, &["192.0.2.1"])], set(300, &["198.51.100.1"]));
    p.apply(ZONE, &flip).await.unwrap();
    let statuses: Vec<u16> = d.requests().iter().skip(2).map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    assert_eq!(www(&d), Some(rrset(NAME, "A", 300, &["198.51.100.1"])));
    // Google also says "slow down" with 403 and a rate reason: retried, not an auth failure.
    d.inject(403, "userRateLimitExceeded", 1, None);
    assert_eq!(p.read(ZONE, NAME, RecordType::A).await.unwrap().len(), 1);
    // A wait past the deadline is not waited: the refusal comes back, still throttled.
    d.inject(429, "rateLimitExceeded", 100, Some(30));
    let e = p.read(ZONE, NAME, RecordType::A).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    no_breach(&d);
}

#[tokio::test]
async fn a_refused_key_is_named_by_its_file_and_never_shown() {
    let d = double();
    let stranger =
        service_account_json_for("stranger@elsewhere.iam.gserviceaccount.com", &d.token_uri());
    let p = GcloudProvider::new(settings(&d, key_file(stranger)))
        .unwrap()
        .with_retry_policy(quick());
    let e = p.read(ZONE, NAME, RecordType::A).await.unwrap_err();
    assert_eq!(e.kind(), "auth");
    let text = e.to_string();
    assert!(
        text.contains("credentials from file /etc/rtoguard/gcloud.json"),
        "{text}"
    );
    assert!(
        text.contains("invalid_grant: Invalid grant: account not found"),
        "{text}"
    );
    let body: String = TEST_ONLY_PRIVATE_KEY.lines().nth(1).unwrap().into();
    assert!(
        !text.contains(&body) && !text.contains("PRIVATE KEY"),
        "{text}"
    );
    assert_eq!(d.tokens_issued(), 0);
    // A project the account has no role in: the API's 403 names the source too.
    let mut elsewhere = settings(&d, key_file(service_account_json(&d.token_uri())));
    elsewhere.project = "other-project".into();
    let e = GcloudProvider::new(elsewhere)
        .unwrap()
        .read(ZONE, NAME, RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "auth");
    assert!(
        e.to_string().contains("file /etc/rtoguard/gcloud.json"),
        "{e}"
    );
    assert!(!e.to_string().contains("ya29."), "{e}");
    no_breach(&d);
}

#[tokio::test]
async fn the_metadata_server_gives_the_token_when_no_key_is_set() {
    let d = double();
    let p = GcloudProvider::new(settings(&d, Credentials::MetadataServer { url: d.url() }))
        .unwrap()
        .with_retry_policy(quick());
    assert_eq!(p.read(ZONE, NAME, RecordType::A).await.unwrap().len(), 1);
    let first = &d.requests()[0];
    assert!(
        first.path.starts_with("/computeMetadata/v1/"),
        "{}",
        first.path
    );
    let proof = p.prove_access(ZONE, NAME, RecordType::A).await.unwrap();
    assert!(
        proof.contains("managed zone example-test (example.test.)"),
        "{proof}"
    );
    assert!(
        proof.contains(&format!("the metadata server {}", d.url())),
        "{proof}"
    );
    // A zone that is not the managed zone's is named.
    let e = p
        .prove_access("other.test.", NAME, RecordType::A)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("is example.test., not other.test."),
        "{e}"
    );
    no_breach(&d);
}

#[tokio::test]
async fn a_revoked_token_is_dropped_and_a_new_one_fetched() {
    let d = double();
    let p = provider(&d);
    p.read(ZONE, NAME, RecordType::A).await.unwrap();
    d.inject(401, "authError", 1, None);
    let e = p.read(ZONE, NAME, RecordType::A).await.unwrap_err();
    assert_eq!(e.kind(), "auth");
    p.read(ZONE, NAME, RecordType::A).await.unwrap();
    assert_eq!(d.tokens_issued(), 2);
    no_breach(&d);
}

#[tokio::test]
async fn a_change_whose_answer_was_lost_is_found_landed_on_the_retry() {
    let d = double();
    let p = provider(&d);
    d.lose_next_answer();
    let flip = change(vec![set(300, &["192.0.2.1"])], set(300, &["198.51.100.1"]));
    let receipt = p.apply(ZONE, &flip).await.unwrap();
    assert_eq!(receipt.status, "landed");
    // The retry was refused (its exact deletion no longer matched): the read
    // after it found the desired set, so no conflict was reported.
    let statuses: Vec<u16> = d
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/changes"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 412]);
    assert_eq!(
        p.wait_in_sync(ZONE, &flip, &receipt, Duration::from_secs(5))
            .await
            .unwrap(),
        SyncState::InSync
    );
    assert_eq!(www(&d), Some(rrset(NAME, "A", 300, &["198.51.100.1"])));
    no_breach(&d);
}
