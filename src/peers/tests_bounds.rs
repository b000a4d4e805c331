//! The peer API's default bounds: slow and silent clients are cut, a refused request closes its connection, one source holds few places.

use std::net::SocketAddr;
use std::time::Duration;

use rtoguard_testkit::net::lo;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::tests_api::{TOKEN, sample, start};
use crate::bounded::test_io::{SLACK, connect_from, eof_within, response, trickle};
use crate::bounded::{HEADER_TIMEOUT, PEER_PER_SOURCE};

async fn api(cancel: &CancellationToken) -> SocketAddr {
    let (tx, rx) = watch::channel(sample("eu-west-1"));
    std::mem::forget(tx);
    start(None, rx, cancel).await.0
}

#[tokio::test]
async fn silent_and_slow_clients_are_closed_within_the_header_timeout() {
    let cancel = CancellationToken::new();
    let addr = api(&cancel).await;
    let mut silent = connect_from(lo(1), addr).await;
    let mut slow = connect_from(lo(2), addr).await;
    let head = b"GET /v1/observations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n";
    // 69 bytes, 200 ms apart: about 14 s, far past the header timeout.
    let finished = trickle(&mut slow, head, Duration::from_millis(200)).await;
    assert!(!finished, "a head trickled over 14 s was never cut");
    assert!(eof_within(&mut slow, SLACK).await.is_some());
    // The silent one was closed long ago.
    assert!(
        eof_within(&mut silent, Duration::from_millis(100))
            .await
            .is_some()
    );
    cancel.cancel();
}

#[tokio::test]
async fn a_refused_request_closes_its_connection() {
    let cancel = CancellationToken::new();
    let addr = api(&cancel).await;
    let mut s = connect_from(lo(1), addr).await;
    s.write_all(b"GET /v1/observations HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let got = eof_within(&mut s, HEADER_TIMEOUT - Duration::from_secs(1))
        .await
        .expect("closed right after the 401, well before any timeout");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    cancel.cancel();
}

#[tokio::test]
async fn one_source_holds_at_most_its_share_of_connections() {
    let cancel = CancellationToken::new();
    let addr = api(&cancel).await;
    let mut held = Vec::new();
    for _ in 0..PEER_PER_SOURCE {
        held.push(connect_from(lo(1), addr).await);
    }
    let mut over = connect_from(lo(1), addr).await;
    assert!(
        eof_within(&mut over, Duration::from_millis(1000))
            .await
            .is_some()
    );
    // Another source still gets its observations.
    let mut other = connect_from(lo(2), addr).await;
    let req = format!(
        "GET /v1/observations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    );
    other.write_all(req.as_bytes()).await.unwrap();
    assert!(response(&mut other).await.starts_with("HTTP/1.1 200"));
    cancel.cancel();
}

#[tokio::test]
async fn tls_handshakes_hold_a_place_and_are_cut_at_the_handshake_timeout() {
    use crate::bounded::Limits;
    let dir = tempfile::tempdir().unwrap();
    let files = super::tests_api::make_tls(dir.path());
    let cancel = CancellationToken::new();
    let (_tx, rx) = watch::channel(sample("eu-west-1"));
    let limits = Limits {
        max_connections: 2,
        ..Limits::PEER_API
    };
    let token = super::tests_api::secret(TOKEN);
    let any = SocketAddr::new(lo(1), 0);
    let (addr, _server) = super::serve_with(any, Some(files), token, rx, limits, cancel.clone())
        .await
        .expect("TLS peer API starts");
    // Two clients that never start their handshake fill the cap.
    let mut silent = [
        connect_from(lo(1), addr).await,
        connect_from(lo(2), addr).await,
    ];
    let mut third = connect_from(lo(3), addr).await;
    assert!(
        eof_within(&mut third, Duration::from_millis(1000))
            .await
            .is_some()
    );
    for s in &mut silent {
        assert!(eof_within(s, HEADER_TIMEOUT + SLACK).await.is_some());
    }
    cancel.cancel();
}
