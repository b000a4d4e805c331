//! HTTP probe tests against a testkit region on 127.0.0.2 and small raw servers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtoguard_testkit::net::lo;
use rtoguard_testkit::region::Region;

use super::{ProbeSpec, probe_once};

const T: Duration = Duration::from_secs(5);

pub(super) fn http(port: u16) -> ProbeSpec {
    ProbeSpec::Http {
        tls: false,
        port,
        path: "/healthz".into(),
        host: "svc.example.test".into(),
        expect_status: vec![(200, 200)],
        body_contains: None,
        header: None,
        ca_file: None,
    }
}

fn with(spec: ProbeSpec, f: impl FnOnce(&mut ProbeSpec)) -> ProbeSpec {
    let mut s = spec;
    f(&mut s);
    s
}

fn set_header(s: &mut ProbeSpec, name: &str, value: &str) {
    if let ProbeSpec::Http { header, .. } = s {
        *header = Some((name.into(), value.into()));
    }
}

fn set_body(s: &mut ProbeSpec, text: &str) {
    if let ProbeSpec::Http { body_contains, .. } = s {
        *body_contains = Some(text.into());
    }
}

fn set_expect(s: &mut ProbeSpec, ranges: &[(u16, u16)]) {
    if let ProbeSpec::Http { expect_status, .. } = s {
        *expect_status = ranges.to_vec();
    }
}

/// A raw HTTP/1.1 server on 127.0.0.2 that records request heads and answers
/// every request with `response` (or never answers when it is empty).
pub(super) struct RawServer {
    pub addr: SocketAddr,
    pub heads: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    pub(super) fn start(response: &'static str) -> Self {
        let listener = TcpListener::bind((lo(2), 0)).expect("bind 127.0.0.2");
        let addr = listener.local_addr().expect("local addr");
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                if response.is_empty() {
                    held.push(conn); // accept and never answer
                    continue;
                }
                let head = read_head(&mut conn);
                seen.lock().unwrap().push(head);
                let _ = conn.write_all(response.as_bytes());
            }
        });
        Self { addr, heads }
    }
}

pub(super) fn read_head(conn: &mut impl Read) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn ok_on_200_with_header_and_body_matching() {
    let region = Region::start(lo(2), "us-east-1");
    let spec = with(http(region.addr.port()), |s| {
        set_header(s, "x-region", "us-east-1");
        set_body(s, "region us-east-1");
    });
    let r = probe_once(&spec, "127.0.0.2", T).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.detail, "status 200");
    assert_eq!(r.lateness, Duration::ZERO);
    assert_eq!(region.requests(), 1);
}

#[tokio::test]
async fn fails_on_503_and_when_stopped() {
    let mut region = Region::start(lo(2), "us-east-1");
    let spec = http(region.addr.port());
    region.set_status(503);
    let r = probe_once(&spec, "127.0.0.2", T).await;
    assert!(!r.ok);
    assert_eq!(r.detail, "status 503");
    region.stop();
    let r = probe_once(&spec, "127.0.0.2", T).await;
    assert!(!r.ok);
    assert_eq!(r.detail, "connect refused");
    region.resume();
    region.set_status(200);
    assert!(probe_once(&spec, "127.0.0.2", T).await.ok);
}

#[tokio::test]
async fn header_mismatch_or_absence_fails() {
    let region = Region::start(lo(2), "us-east-1");
    let port = region.addr.port();
    let wrong = with(http(port), |s| set_header(s, "x-region", "eu-west-1"));
    let r = probe_once(&wrong, "127.0.0.2", T).await;
    assert!(!r.ok);
    assert_eq!(r.detail, "status 200, header x-region missing or different");
    let absent = with(http(port), |s| set_header(s, "x-other", "us-east-1"));
    assert!(!probe_once(&absent, "127.0.0.2", T).await.ok);
}

#[tokio::test]
async fn body_substring_missing_fails() {
    let region = Region::start(lo(2), "us-east-1");
    let spec = with(http(region.addr.port()), |s| {
        set_body(s, "region eu-west-1")
    });
    let r = probe_once(&spec, "127.0.0.2", T).await;
    assert!(!r.ok);
    assert_eq!(r.detail, "status 200, body lacks the expected text");
}

#[tokio::test]
async fn status_ranges_accept_and_reject() {
    let region = Region::start(lo(2), "us-east-1");
    region.set_status(204);
    let port = region.addr.port();
    let ranged = with(http(port), |s| set_expect(s, &[(200, 299)]));
    assert!(probe_once(&ranged, "127.0.0.2", T).await.ok);
    let any_2xx = with(http(port), |s| set_expect(s, &[]));
    assert!(probe_once(&any_2xx, "127.0.0.2", T).await.ok);
    let exact = with(http(port), |s| set_expect(s, &[(200, 200), (301, 302)]));
    let r = probe_once(&exact, "127.0.0.2", T).await;
    assert_eq!((r.ok, r.detail.as_str()), (false, "status 204"));
}

#[tokio::test]
async fn redirect_is_not_followed_and_counts_as_its_status() {
    let region = Region::start(lo(2), "us-east-1");
    let response: &'static str = format!(
        "HTTP/1.1 302 Found\r\nlocation: {}/healthz\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        region.url()
    )
    .leak();
    let redirector = RawServer::start(response);
    let spec = http(redirector.addr.port());
    let r = probe_once(&spec, "127.0.0.2", T).await;
    assert_eq!((r.ok, r.detail.as_str()), (false, "status 302"));
    let accept_3xx = with(spec, |s| set_expect(s, &[(300, 399)]));
    assert!(probe_once(&accept_3xx, "127.0.0.2", T).await.ok);
    assert_eq!(region.requests(), 0, "the redirect was followed");
    assert_eq!(redirector.heads.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn sends_host_header_and_path_to_the_endpoint_address() {
    let server = RawServer::start("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    let spec = with(http(server.addr.port()), |s| {
        if let ProbeSpec::Http { path, .. } = s {
            *path = "/healthz?deep=1".into();
        }
    });
    let r = probe_once(&spec, "127.0.0.2", T).await;
    assert!(r.ok, "{r:?}");
    let heads = server.heads.lock().unwrap().clone();
    let head = heads[0].to_ascii_lowercase();
    assert!(
        head.starts_with("get /healthz?deep=1 http/1.1\r\n"),
        "{head}"
    );
    let host = format!("host: svc.example.test:{}\r\n", server.addr.port());
    assert!(head.contains(&host), "{head}");
}

#[tokio::test]
async fn a_silent_endpoint_is_bounded_by_the_timeout() {
    let silent = RawServer::start("");
    let timeout = Duration::from_millis(300);
    let r = probe_once(&http(silent.addr.port()), "127.0.0.2", timeout).await;
    assert_eq!((r.ok, r.detail.as_str()), (false, "timed out after 300ms"));
    assert!(r.latency >= timeout, "{r:?}");
    assert!(r.latency < timeout + Duration::from_secs(10), "{r:?}");
}

#[tokio::test]
async fn a_timed_out_probe_leaves_no_connection_behind() {
    // A server that reads the request, never answers, and reports when the
    // prober's side of the connection is gone (EOF or reset).
    let listener = TcpListener::bind((lo(2), 0)).expect("bind 127.0.0.2");
    let port = listener.local_addr().expect("local addr").port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else {
            return;
        };
        read_head(&mut conn);
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 64];
        let gone = match conn.read(&mut buf) {
            Ok(n) => n == 0,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        let _ = tx.send(gone);
    });
    let timeout = Duration::from_millis(300);
    let r = probe_once(&http(port), "127.0.0.2", timeout).await;
    assert_eq!((r.ok, r.detail.as_str()), (false, "timed out after 300ms"));
    // Nothing of the probe runs on after its verdict: the connection closes
    // with it, not when the server gives up.
    let gone = tokio::task::spawn_blocking(move || rx.recv().unwrap())
        .await
        .unwrap();
    assert!(gone, "the probe's connection stayed open after its timeout");
}
