//! The bounded server's limits, against the real peer API and control socket on loopback, with short timeouts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::Limits;
use super::test_io::{connect_from, eof_within, response, trickle};
use crate::control::{Envelope, Reply, StatusReply};

/// Short bounds, so each test takes a second or two.
pub(crate) const SHORT: Limits = Limits {
    max_connections: 4,
    per_source: Some(2),
    header_timeout: Duration::from_millis(400),
    idle_timeout: Duration::from_millis(1500),
    max_body: 1024,
};

const TOKEN: &str = "bounded-token-51c2";

/// The peer API on 127.0.0.1 within `limits`.
async fn peer_api(limits: Limits, cancel: &CancellationToken) -> SocketAddr {
    let obs = crate::peers::Observations::empty("v", "fnv1a64:0", 0);
    let (tx, rx) = watch::channel(obs);
    std::mem::forget(tx);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("token");
    std::fs::write(&path, TOKEN).expect("write token");
    let token = crate::config::SecretSource::File(path)
        .read()
        .expect("token");
    let addr = SocketAddr::new(rtoguard_testkit::net::lo(1), 0);
    let (addr, _task) = crate::peers::serve_with(addr, None, token, rx, limits, cancel.clone())
        .await
        .expect("peer API starts");
    addr
}

/// The control socket within `limits`, answering every request 200.
async fn control(limits: Limits, cancel: &CancellationToken) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("control.sock");
    let (tx, mut rx) = mpsc::channel::<Envelope>(8);
    crate::control::serve_with(&path, tx, limits, cancel.clone())
        .await
        .expect("control socket starts");
    tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            let _ = e.reply.send(Reply::status(StatusReply {
                controller: "test".into(),
                daemon: true,
                services: Vec::new(),
            }));
        }
    });
    (dir, path)
}

fn get(path: &str, token: Option<&str>) -> Vec<u8> {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n").into_bytes()
}

use super::test_io::SLACK;

#[tokio::test]
async fn slow_and_silent_clients_are_closed_by_the_header_timeout_on_both_servers() {
    let cancel = CancellationToken::new();
    let addr = peer_api(SHORT, &cancel).await;
    let (_d, sock) = control(SHORT, &cancel).await;
    let mut silent = connect_from(rtoguard_testkit::net::lo(1), addr).await;
    let mut slow = connect_from(rtoguard_testkit::net::lo(2), addr).await;
    let mut silent_ctl = UnixStream::connect(&sock).await.unwrap();
    let mut slow_ctl = UnixStream::connect(&sock).await.unwrap();
    let gap = Duration::from_millis(100);
    let (a, b) = tokio::join!(
        trickle(
            &mut slow,
            b"GET /v1/observations HTTP/1.1\r\nHost: x\r\n",
            gap
        ),
        trickle(
            &mut slow_ctl,
            b"GET /v1/status HTTP/1.1\r\nHost: x\r\n",
            gap
        ),
    );
    assert!(!a && !b, "a head trickled over 4 s was never cut");
    for s in [&mut silent, &mut slow] {
        assert!(eof_within(s, SLACK).await.is_some());
    }
    for s in [&mut silent_ctl, &mut slow_ctl] {
        assert!(eof_within(s, SLACK).await.is_some());
    }
    cancel.cancel();
}

#[tokio::test]
async fn a_kept_alive_connection_outlives_the_header_timeout_and_closes_when_idle() {
    let cancel = CancellationToken::new();
    let addr = peer_api(SHORT, &cancel).await;
    let (_d, sock) = control(SHORT, &cancel).await;
    let mut peer = connect_from(rtoguard_testkit::net::lo(1), addr).await;
    let mut ctl = UnixStream::connect(&sock).await.unwrap();
    peer.write_all(&get("/v1/observations", Some(TOKEN)))
        .await
        .unwrap();
    ctl.write_all(&get("/v1/status", None)).await.unwrap();
    assert!(response(&mut peer).await.starts_with("HTTP/1.1 200"));
    assert!(response(&mut ctl).await.starts_with("HTTP/1.1 200"));
    // Past the header timeout the connections still serve a second request.
    tokio::time::sleep(SHORT.header_timeout * 2).await;
    peer.write_all(&get("/v1/observations", Some(TOKEN)))
        .await
        .unwrap();
    ctl.write_all(&get("/v1/status", None)).await.unwrap();
    assert!(response(&mut peer).await.starts_with("HTTP/1.1 200"));
    assert!(response(&mut ctl).await.starts_with("HTTP/1.1 200"));
    // Then silence: closed after the idle timeout, not before the header timeout.
    let started = tokio::time::Instant::now();
    assert!(
        eof_within(&mut peer, SHORT.idle_timeout + SLACK)
            .await
            .is_some()
    );
    assert!(
        eof_within(&mut ctl, SHORT.idle_timeout + SLACK)
            .await
            .is_some()
    );
    assert!(
        started.elapsed() >= SHORT.header_timeout * 2,
        "closed as soon as idle"
    );
    cancel.cancel();
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_and_the_connection_closes() {
    let cancel = CancellationToken::new();
    let addr = peer_api(SHORT, &cancel).await;
    let (_d, sock) = control(SHORT, &cancel).await;
    let big = "x".repeat(SHORT.max_body + 1);
    let declared = format!(
        "POST /v1/services/checkout/failover HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{big}",
        big.len()
    );
    let chunked = format!(
        "POST /v1/services/checkout/failover HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    for req in [&declared, &chunked] {
        let mut ctl = UnixStream::connect(&sock).await.unwrap();
        ctl.write_all(req.as_bytes()).await.unwrap();
        let got = eof_within(&mut ctl, SLACK)
            .await
            .expect("closed after the 413");
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    }
    let mut peer = connect_from(rtoguard_testkit::net::lo(1), addr).await;
    let req = declared.replace(
        "POST /v1/services/checkout/failover",
        "GET /v1/observations",
    );
    peer.write_all(req.as_bytes()).await.unwrap();
    let got = eof_within(&mut peer, SLACK)
        .await
        .expect("closed after the 413");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 413"));
    cancel.cancel();
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once_and_places_come_back() {
    let cancel = CancellationToken::new();
    let addr = peer_api(SHORT, &cancel).await;
    let (_d, sock) = control(SHORT, &cancel).await;
    let lo = rtoguard_testkit::net::lo;
    // Per source: a third connection from 127.0.0.1 is closed, one from 127.0.0.2 is not.
    let mut held = vec![
        connect_from(lo(1), addr).await,
        connect_from(lo(1), addr).await,
    ];
    let mut third = connect_from(lo(1), addr).await;
    assert!(
        eof_within(&mut third, Duration::from_millis(500))
            .await
            .is_some()
    );
    held.push(connect_from(lo(2), addr).await);
    held.push(connect_from(lo(3), addr).await);
    // The total: four held, a fifth from a new source is closed.
    let mut fifth = connect_from(lo(4), addr).await;
    assert!(
        eof_within(&mut fifth, Duration::from_millis(500))
            .await
            .is_some()
    );
    let mut ctls = Vec::new();
    for _ in 0..SHORT.max_connections {
        ctls.push(UnixStream::connect(&sock).await.unwrap());
    }
    let mut over = UnixStream::connect(&sock).await.unwrap();
    assert!(
        eof_within(&mut over, Duration::from_millis(500))
            .await
            .is_some()
    );
    // A held connection still works; dropping one frees its place.
    held[0]
        .write_all(&get("/v1/observations", Some(TOKEN)))
        .await
        .unwrap();
    assert!(response(&mut held[0]).await.starts_with("HTTP/1.1 200"));
    held.truncate(1);
    ctls.truncate(1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = connect_from(lo(4), addr).await;
    again
        .write_all(&get("/v1/observations", Some(TOKEN)))
        .await
        .unwrap();
    assert!(response(&mut again).await.starts_with("HTTP/1.1 200"));
    let mut ctl = UnixStream::connect(&sock).await.unwrap();
    ctl.write_all(&get("/v1/status", None)).await.unwrap();
    assert!(response(&mut ctl).await.starts_with("HTTP/1.1 200"));
    cancel.cancel();
}

#[tokio::test]
async fn a_body_that_stops_coming_is_closed_by_the_idle_timeout() {
    let cancel = CancellationToken::new();
    let (_d, sock) = control(SHORT, &cancel).await;
    let mut ctl = UnixStream::connect(&sock).await.unwrap();
    let head =
        "POST /v1/services/checkout/pin HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"a\":";
    ctl.write_all(head.as_bytes()).await.unwrap();
    let started = tokio::time::Instant::now();
    // The head is whole, so the header timeout no longer applies: the
    // handler waits on the body until the connection has been silent too long.
    assert!(
        eof_within(&mut ctl, SHORT.idle_timeout + SLACK)
            .await
            .is_some()
    );
    assert!(started.elapsed() >= SHORT.idle_timeout - Duration::from_millis(100));
    cancel.cancel();
}
