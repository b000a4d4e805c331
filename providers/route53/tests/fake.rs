//! The Route 53 provider against a strict in-memory fake: compare-and-set,
//! PENDING→INSYNC, throttling, the request budget, refusals.

// Request times come from the fake's wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake::{FakeRoute53, Request};
use common::*;
use rtoguard_provider_api::limits::RetryPolicy;
use rtoguard_provider_api::{Change, Provider, ProviderError, RecordSet, RecordType, SyncState};
use rtoguard_route53::api::Action;
use rtoguard_route53::{Route53Provider, Route53Settings};

const ZONE: &str = "example.test.";
const NAME: &str = "www.example.test.";

fn fake(sets: &[RecordSet]) -> Arc<FakeRoute53> {
    let other = RecordSet::new("other.example.test.", RecordType::A, 300, ["192.0.2.99"]);
    let mut all = rrsets(sets);
    all.extend(rrsets(&[other]));
    Arc::new(FakeRoute53::new(ZONE, &all))
}

fn provider(fake: &Arc<FakeRoute53>, rps: u32) -> Route53Provider {
    let mut s = Route53Settings::new("aws-fake");
    s.requests_per_second = rps;
    let policy = RetryPolicy {
        deadline: Duration::from_secs(10),
        initial: Duration::from_millis(10),
        max: Duration::from_millis(50),
    };
    Route53Provider::with_api(s, fake.clone())
        .with_retry_policy(policy)
        .with_poll_interval(Duration::from_millis(5), Duration::from_millis(20))
}

#[tokio::test]
async fn reads_weighted_sets_across_pages_and_plain_ones() {
    let f = fake(&pools(NAME, 60, 100, 0));
    f.page_size(1);
    let p = provider(&f, 1000);
    let read = sorted(p.read(ZONE, NAME, RecordType::A).await.unwrap());
    assert_eq!(read, pools(NAME, 60, 100, 0));
    let plain = p
        .read(ZONE, "other.example.test.", RecordType::A)
        .await
        .unwrap();
    assert_eq!(plain.len(), 1);
    assert_eq!((plain[0].set_id.clone(), plain[0].weight), (None, None));
    assert!(
        p.read(ZONE, "none.example.test.", RecordType::A)
            .await
            .unwrap()
            .is_empty()
    );
    let lists = f
        .requests()
        .iter()
        .filter(|r| matches!(r, Request::ListSets(..)))
        .count();
    assert!(
        lists >= 3,
        "paging should take several requests, took {lists}"
    );
}

#[tokio::test]
async fn weighted_flip_is_one_batch_and_ttl_change_keeps_weights() {
    let f = fake(&pools(NAME, 60, 100, 0));
    let p = provider(&f, 1000);
    let before = p.read(ZONE, NAME, RecordType::A).await.unwrap();
    let flip = change(NAME, before, pools(NAME, 60, 0, 100));
    let receipt = p.apply(ZONE, &flip).await.unwrap();
    assert_eq!(receipt.id, "CFAKE0001");
    let batches = f.batches();
    assert_eq!(batches.len(), 1);
    let actions: Vec<_> = batches[0].iter().map(|c| c.action).collect();
    assert_eq!(
        actions,
        [
            Action::Delete,
            Action::Delete,
            Action::Create,
            Action::Create
        ]
    );
    assert_eq!(
        sorted(p.read(ZONE, NAME, RecordType::A).await.unwrap()),
        pools(NAME, 60, 0, 100)
    );

    let lower = change(NAME, pools(NAME, 60, 0, 100), pools(NAME, 30, 0, 100));
    p.apply(ZONE, &lower).await.unwrap();
    assert_eq!(
        sorted(p.read(ZONE, NAME, RecordType::A).await.unwrap()),
        pools(NAME, 30, 0, 100)
    );
}

#[tokio::test]
async fn a_stale_expected_state_is_a_conflict_and_changes_nothing() {
    let f = fake(&pools(NAME, 60, 100, 0));
    let p = provider(&f, 1000);
    let before = p.read(ZONE, NAME, RecordType::A).await.unwrap();
    // Another controller changes the standby between our read and our write.
    // The batch's first DELETE (primary) still matches; the second does not,
    // so the whole batch must be dropped.
    let theirs = pool(NAME, "standby", STANDBY, 60, 50);
    f.put(rrsets(std::slice::from_ref(&theirs)).remove(0));
    let snapshot = f.sets();
    let err = p
        .apply(ZONE, &change(NAME, before, pools(NAME, 60, 0, 100)))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(f.sets(), snapshot, "a rejected batch must change nothing");
    assert_eq!(f.applied(), 0);
    let now = sorted(p.read(ZONE, NAME, RecordType::A).await.unwrap());
    assert_eq!(now, vec![pool(NAME, "primary", PRIMARY, 60, 100), theirs]);
    let other = p
        .read(ZONE, "other.example.test.", RecordType::A)
        .await
        .unwrap();
    assert_eq!(other[0].values, ["192.0.2.99"]);
}

#[tokio::test]
async fn waits_from_pending_to_insync_and_gives_up_at_the_timeout() {
    let f = fake(&pools(NAME, 60, 100, 0));
    f.pending_polls(3);
    let p = provider(&f, 1000);
    let flip = change(NAME, pools(NAME, 60, 100, 0), pools(NAME, 60, 0, 100));
    let receipt = p.apply(ZONE, &flip).await.unwrap();
    assert_eq!(receipt.status, "PENDING");
    let state = p
        .wait_in_sync(ZONE, &flip, &receipt, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(state, SyncState::InSync);
    let polls = f
        .requests()
        .iter()
        .filter(|r| matches!(r, Request::GetChange(_)))
        .count();
    assert_eq!(polls, 4, "three PENDING answers, then INSYNC");

    f.pending_polls(u32::MAX);
    let back = change(NAME, pools(NAME, 60, 0, 100), pools(NAME, 60, 100, 0));
    let receipt = p.apply(ZONE, &back).await.unwrap();
    let state = p
        .wait_in_sync(ZONE, &back, &receipt, Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!(state, SyncState::Pending);
}

#[tokio::test]
async fn a_throttled_flip_is_retried_and_applied_once() {
    let f = fake(&pools(NAME, 60, 100, 0));
    f.throttle_changes(2);
    let p = provider(&f, 1000);
    let flip = change(NAME, pools(NAME, 60, 100, 0), pools(NAME, 60, 0, 100));
    p.apply(ZONE, &flip).await.unwrap();
    assert_eq!(f.applied(), 1);
    let batches = f.batches();
    assert_eq!(
        batches.len(),
        3,
        "two throttled attempts, then the one applied"
    );
    assert!(
        batches.iter().all(|b| b == &batches[0]),
        "every attempt sends the same batch"
    );
    assert_eq!(
        sorted(p.read(ZONE, NAME, RecordType::A).await.unwrap()),
        pools(NAME, 60, 0, 100)
    );
}

#[tokio::test]
async fn a_lost_answer_is_found_applied_by_a_re_read_not_sent_twice() {
    let f = fake(&pools(NAME, 60, 100, 0));
    f.lose_answers(1);
    let p = provider(&f, 1000);
    let flip = change(NAME, pools(NAME, 60, 100, 0), pools(NAME, 60, 0, 100));
    let receipt = p.apply(ZONE, &flip).await.unwrap();
    assert_eq!(receipt.status, "APPLIED");
    assert_eq!((f.applied(), f.batches().len()), (1, 1));
    let state = p
        .wait_in_sync(ZONE, &flip, &receipt, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(state, SyncState::InSync);
}

#[tokio::test]
async fn a_burst_of_50_operations_stays_within_the_budget() {
    const RPS: usize = 10;
    let f = fake(&pools(NAME, 60, 100, 0));
    let p = Arc::new(provider(&f, RPS as u32));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let p = p.clone();
        tasks.spawn(async move {
            if i == 25 {
                // As the engine does: read, then change what was read (the
                // flip finds the routing fields in that read, no request more).
                let read = p.read(ZONE, NAME, RecordType::A).await?;
                let flip = change(NAME, read, pools(NAME, 60, 0, 100));
                p.apply(ZONE, &flip).await.map(|_| ())
            } else {
                p.read(ZONE, NAME, RecordType::A).await.map(|_| ())
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task").expect("operation");
    }
    let times = f.request_times();
    assert_eq!(
        times.len(),
        52,
        "one zone lookup, then one request per operation (the flip's two: read, change)"
    );
    let mut per_window = std::collections::BTreeMap::<u64, usize>::new();
    for t in times {
        *per_window
            .entry(t.duration_since(start).as_secs())
            .or_default() += 1;
    }
    for (second, n) in per_window {
        assert!(n <= RPS, "{n} requests in second {second}, budget {RPS}");
    }
}

#[tokio::test]
async fn a_change_leaving_nothing_served_is_refused_before_any_request() {
    let f = fake(&pools(NAME, 60, 100, 0));
    let p = provider(&f, 1000);
    let emptied = Change::new(NAME, RecordType::A, pools(NAME, 60, 100, 0), vec![]);
    assert!(matches!(emptied, Err(ProviderError::Refused(_))));
    let all_zero = Change::new(
        NAME,
        RecordType::A,
        pools(NAME, 60, 100, 0),
        pools(NAME, 60, 0, 0),
    );
    assert!(matches!(all_zero, Err(ProviderError::Refused(_))));
    let heavy = change(NAME, vec![], vec![pool(NAME, "primary", PRIMARY, 60, 1000)]);
    let err = p.apply(ZONE, &heavy).await.unwrap_err();
    assert!(matches!(err, ProviderError::Refused(_)), "{err}");
    assert!(f.requests().is_empty(), "the fake saw {:?}", f.requests());
}

#[tokio::test]
async fn a_noop_change_still_checks_the_expected_state() {
    let f = fake(&pools(NAME, 60, 100, 0));
    let p = provider(&f, 1000);
    let same = change(NAME, pools(NAME, 60, 100, 0), pools(NAME, 60, 100, 0));
    assert_eq!(p.apply(ZONE, &same).await.unwrap().status, "APPLIED");
    let stale = change(NAME, pools(NAME, 60, 0, 100), pools(NAME, 60, 0, 100));
    assert!(matches!(
        p.apply(ZONE, &stale).await,
        Err(ProviderError::Conflict { .. })
    ));
    assert!(f.batches().is_empty());
}
