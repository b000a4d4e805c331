//! Tests of the puller against a real peer API: updates, a peer that stops, a wrong token.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::tests_api::{TOKEN, sample, secret, served, start, until};
use super::{Local, PeerSet, PeerSpec, Rules, decide};
use crate::controller::PoolHealth;

const INTERVAL: Duration = Duration::from_millis(50);

fn spec(addr: std::net::SocketAddr, token: &str) -> PeerSpec {
    PeerSpec {
        id: "eu-west-1".into(),
        url: format!("http://{addr}/"),
        token: secret(token),
        ca_file: None,
        max_clock_skew: std::time::Duration::from_secs(2),
    }
}

fn local() -> Local<'static> {
    Local {
        vantage: "us-east-1",
        digest: "fnv1a64:0123456789abcdef",
        health: PoolHealth::Down,
    }
}

#[tokio::test]
async fn the_puller_follows_updates_and_marks_a_silent_peer_stale() {
    let server_cancel = CancellationToken::new();
    let (tx, rx) = watch::channel(sample("eu-west-1"));
    let (addr, server) = start(None, rx, &server_cancel).await;
    let pulls = CancellationToken::new();
    let set = PeerSet::spawn(vec![spec(addr, TOKEN)], INTERVAL, pulls.clone());
    let first = until(&set, |v| v.obs.is_some()).await;
    assert_eq!(first.obs.map(served), Some(sample("eu-west-1")));

    let mut next = sample("eu-west-1");
    next.generated_at_ms += 1000;
    tx.send_replace(next.clone());
    let view = until(&set, |v| v.obs.clone().map(served).as_ref() == Some(&next)).await;
    let max_age = INTERVAL * 3;
    let rules = Rules {
        quorum: 2,
        vantages: 2,
        max_age,
    };
    let fresh = decide(
        "checkout",
        "primary",
        local(),
        std::slice::from_ref(&view),
        Instant::now(),
        rules,
    );
    assert_eq!((fresh.health, fresh.fresh), (PoolHealth::Down, 2));

    server_cancel.cancel();
    server.await.unwrap();
    let silent = until(&set, |v| v.last_error.is_some()).await;
    let last_ok = silent.last_ok.expect("it answered before");
    assert_eq!(
        silent.obs.map(served),
        Some(next.clone()),
        "the last good observations are kept"
    );
    tokio::time::sleep(max_age).await;
    let later = set.snapshot();
    assert_eq!(later[0].last_ok, Some(last_ok), "no answer since");
    let stale = decide(
        "checkout",
        "primary",
        local(),
        &later,
        Instant::now(),
        rules,
    );
    assert_eq!(stale.stale, ["eu-west-1"]);
    assert_eq!((stale.health, stale.fresh), (PoolHealth::Unknown, 1));
    let status = later[0].status(Instant::now());
    assert_eq!(status.id, "eu-west-1");
    assert!(
        status
            .age_ms
            .is_some_and(|ms| ms >= max_age.as_millis() as u64)
    );
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("unreachable")),
        "{status:?}"
    );
    assert_eq!(status.generated_at_ms, Some(next.generated_at_ms));
    pulls.cancel();
    tokio::time::timeout(Duration::from_secs(10), set.stopped())
        .await
        .expect("pulls stop");
}

#[tokio::test]
async fn a_wrong_token_is_recorded_as_unauthorized() {
    let cancel = CancellationToken::new();
    let (_tx, rx) = watch::channel(sample("eu-west-1"));
    let (addr, server) = start(None, rx, &cancel).await;
    let set = PeerSet::spawn(vec![spec(addr, "not-the-token")], INTERVAL, cancel.clone());
    let view = until(&set, |v| v.last_error.is_some()).await;
    assert!(
        view.last_error
            .as_deref()
            .is_some_and(|e| e.contains("401")),
        "{view:?}"
    );
    assert!(view.obs.is_none() && view.last_ok.is_none());
    cancel.cancel();
    server.await.unwrap();
}

#[tokio::test]
async fn an_unreadable_ca_file_is_reported_per_peer() {
    let cancel = CancellationToken::new();
    let mut peer = spec("127.0.0.1:9".parse().unwrap(), TOKEN);
    peer.ca_file = Some("/nonexistent/rtoguard-ca.pem".into());
    let set = PeerSet::spawn(vec![peer], INTERVAL, cancel.clone());
    let view = until(&set, |v| v.last_error.is_some()).await;
    assert!(
        view.last_error
            .as_deref()
            .is_some_and(|e| e.contains("rtoguard-ca.pem")),
        "{view:?}"
    );
    cancel.cancel();
}
