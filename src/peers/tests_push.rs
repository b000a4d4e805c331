//! The long-poll: held until the observations change or the wait runs out,
//! never cut by the idle timeout, and a puller that hears a change long
//! before its next pull.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::header::HeaderMap;
use rtoguard_testkit::net::lo;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::push::{VERSION_HEADER, WAITED_HEADER, Wait, version};
use super::tests_api::{TOKEN, sample, secret};
use super::{Observations, PeerSet, PeerSpec, serve_with};
use crate::bounded::Limits;
use crate::controller::PoolHealth;

/// The peer API with an idle timeout far shorter than the waits below.
async fn api(rx: watch::Receiver<Observations>, cancel: &CancellationToken) -> SocketAddr {
    let limits = Limits {
        idle_timeout: Duration::from_millis(200),
        ..Limits::PEER_API
    };
    let addr = SocketAddr::new(lo(1), 0);
    serve_with(addr, None, secret(TOKEN), rx, limits, cancel.clone())
        .await
        .expect("peer API starts")
        .0
}

/// `sample` with the primary back up: a change a peer acts on.
fn recovered() -> Observations {
    let mut o = sample("eu-west-1");
    o.services[0].pools[0].health = PoolHealth::Up;
    o
}

async fn get(addr: SocketAddr, query: &str) -> (HeaderMap, Observations) {
    let url = format!("http://{addr}/v1/observations{query}");
    // Err only means a provider was installed already, which is what we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("an answer");
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    let obs = resp.json().await.expect("observations");
    (headers, obs)
}

fn header(h: &HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_wait_reads_only_what_it_knows() {
    let w = Wait::parse(Some("after=00ff&wait=1500&x=1"));
    assert_eq!(w.after.as_deref(), Some("00ff"));
    assert_eq!(w.wait, Some(Duration::from_millis(1500)));
    assert_eq!(Wait::parse(Some("wait=soon&after=")), Wait::default());
    assert_eq!(Wait::parse(None), Wait::default());
    assert_ne!(version(&sample("eu-west-1")), version(&recovered()));
    let mut later = sample("eu-west-1");
    later.generated_at_ms += 1_000;
    assert_eq!(
        version(&sample("eu-west-1")),
        version(&later),
        "times are not changes"
    );
    // A flip is news: peers hear a write and a served decision at once.
    let mut wrote = sample("eu-west-1");
    wrote.services[0].last_write = Some(crate::peers::LastWrite {
        pool: "standby".into(),
        at_ms: 7,
        incident: None,
    });
    assert_ne!(version(&sample("eu-west-1")), version(&wrote));
    let mut serves = sample("eu-west-1");
    serves.services[0].served = Some(crate::peers::Served {
        pool: "standby".into(),
        at_ms: 7,
        by: "us-east-1".into(),
        incident: None,
    });
    assert_ne!(version(&sample("eu-west-1")), version(&serves));
}

#[tokio::test]
async fn a_held_request_is_answered_when_the_observations_change() {
    let cancel = CancellationToken::new();
    let (tx, rx) = watch::channel(sample("eu-west-1"));
    let addr = api(rx, &cancel).await;
    let (plain, _) = get(addr, "").await;
    let v = header(&plain, VERSION_HEADER);
    assert_eq!(
        header(&plain, WAITED_HEADER),
        "0",
        "a pull is answered at once"
    );
    let held = tokio::spawn(async move { get(addr, &format!("?after={v}&wait=8000")).await });
    // Held past the idle timeout (200 ms): the server waits, not the client.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!held.is_finished(), "answered before anything changed");
    tx.send_replace(recovered());
    let (resp, obs) = held.await.expect("the held request");
    assert_eq!(obs.services[0].pools[0].health, PoolHealth::Up);
    assert_eq!(header(&resp, VERSION_HEADER), version(&recovered()));
    let waited: u64 = header(&resp, WAITED_HEADER).parse().expect("ms");
    // Held past the idle timeout until the change, not to the end of its wait.
    assert!((250..8_000).contains(&waited), "held {waited} ms");
    // Nothing changes: answered when the wait runs out, same version.
    let v = version(&recovered());
    let (resp, _) = get(addr, &format!("?after={v}&wait=300")).await;
    assert_eq!(header(&resp, VERSION_HEADER), v);
    cancel.cancel();
}

#[tokio::test]
async fn a_puller_hears_a_change_long_before_its_next_pull() {
    let cancel = CancellationToken::new();
    let (tx, rx) = watch::channel(sample("eu-west-1"));
    let addr = api(rx, &cancel).await;
    let peer = PeerSpec {
        id: "eu-west-1".into(),
        url: format!("http://{addr}"),
        token: secret(TOKEN),
        ca_file: None,
        max_clock_skew: Duration::from_secs(2),
    };
    let set = PeerSet::spawn(vec![peer], Duration::from_secs(10), cancel.clone());
    let first = Instant::now() + Duration::from_secs(5);
    while set.snapshot()[0].obs.is_none() {
        assert!(Instant::now() < first, "no first pull");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let the puller settle into its held request, then change.
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.send_replace(recovered());
    let limit = Instant::now() + Duration::from_secs(2);
    loop {
        let view = &set.snapshot()[0];
        let health = view.obs.as_ref().map(|o| o.services[0].pools[0].health);
        if health == Some(PoolHealth::Up) {
            assert!(view.last_error.is_none());
            break;
        }
        assert!(
            Instant::now() < limit,
            "the change waited for the 10 s pull"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
    set.stopped().await;
}

#[tokio::test]
async fn a_peer_set_tells_its_listeners_when_a_peer_changes_its_votes() {
    let cancel = CancellationToken::new();
    let (tx, rx) = watch::channel(sample("eu-west-1"));
    let addr = api(rx, &cancel).await;
    let peer = PeerSpec {
        id: "eu-west-1".into(),
        url: format!("http://{addr}"),
        token: secret(TOKEN),
        ca_file: None,
        max_clock_skew: Duration::from_secs(2),
    };
    let set = PeerSet::spawn(vec![peer], Duration::from_secs(10), cancel.clone());
    let mut news = set.news();
    // The first answer is news: a peer heard for the first time.
    tokio::time::timeout(Duration::from_secs(5), news.changed())
        .await
        .expect("news of the first answer")
        .expect("the set lives");
    assert!(set.snapshot()[0].obs.is_some());
    news.borrow_and_update();
    // Times moving are not news; a vote is.
    let mut later = sample("eu-west-1");
    later.generated_at_ms += 1_000;
    tx.send_replace(later);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !news.has_changed().expect("the set lives"),
        "times are not votes"
    );
    tx.send_replace(recovered());
    tokio::time::timeout(Duration::from_secs(5), news.changed())
        .await
        .expect("news long before the 10 s pull")
        .expect("the set lives");
    let health = set.snapshot()[0]
        .obs
        .as_ref()
        .map(|o| o.services[0].pools[0].health);
    assert_eq!(
        health,
        Some(PoolHealth::Up),
        "the news comes with the votes"
    );
    cancel.cancel();
    set.stopped().await;
}

#[test]
fn a_published_write_is_a_change_peers_hear() {
    let mut wrote = sample("eu-west-1");
    wrote.services[0].last_write = Some(super::LastWrite {
        pool: "standby".into(),
        at_ms: 1_800_000_000_000,
        incident: None,
    });
    assert_ne!(version(&sample("eu-west-1")), version(&wrote));
}
