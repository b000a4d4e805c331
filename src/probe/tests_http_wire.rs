//! The HTTP probe's own response reader against raw servers on 127.0.0.2:
//! chunked and close-framed bodies, interim responses, heads too long,
//! connections that end early, and bytes that are not HTTP.

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use rtoguard_testkit::net::lo;

use super::ProbeSpec;
use super::probe_once;
use super::tests_http::{RawServer, http, read_head};

const T: Duration = Duration::from_secs(5);

fn wanting(port: u16, text: &str) -> ProbeSpec {
    let mut spec = http(port);
    if let ProbeSpec::Http { body_contains, .. } = &mut spec {
        *body_contains = Some(text.into());
    }
    spec
}

/// A server that answers each request with `parts`, written one by one
/// with a pause between them (so the probe reads them apart), then closes.
fn in_parts(parts: Vec<Vec<u8>>) -> u16 {
    let listener = TcpListener::bind((lo(2), 0)).expect("bind 127.0.0.2");
    let port = listener.local_addr().expect("local addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            read_head(&mut conn);
            for p in &parts {
                if conn.write_all(p).is_err() {
                    break;
                }
                let _ = conn.flush();
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    });
    port
}

#[tokio::test]
async fn a_chunked_body_is_read_across_chunks_and_reads() {
    let port = in_parts(vec![
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n7\r\nregion \r\n".to_vec(),
        b"4;ext=1\r\nus-e\r\n5\r\nast-1".to_vec(),
        b"\r\n0\r\n\r\n".to_vec(),
    ]);
    let r = probe_once(&wanting(port, "region us-east-1"), "127.0.0.2", T).await;
    assert!(r.ok, "{r:?}");
    let r = probe_once(&wanting(port, "eu-west-1"), "127.0.0.2", T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (false, "status 200, body lacks the expected text")
    );
    // The chunk sizes and extensions are framing, never body text.
    let r = probe_once(&wanting(port, "ext=1"), "127.0.0.2", T).await;
    assert!(!r.ok, "{r:?}");
}

#[tokio::test]
async fn a_chunked_body_cut_short_fails_the_probe() {
    let port = in_parts(vec![
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n20\r\nregion us-east-1".to_vec(),
    ]);
    let r = probe_once(&wanting(port, "region us-east-1"), "127.0.0.2", T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (false, "http: the connection closed in a chunked body")
    );
    let bad = in_parts(vec![
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nregion\r\n0\r\n\r\n".to_vec(),
    ]);
    let r = probe_once(&wanting(bad, "region"), "127.0.0.2", T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (
            false,
            "http: bad chunked body: a chunk size is not hexadecimal"
        )
    );
}

#[tokio::test]
async fn a_body_without_length_is_read_until_the_close() {
    let port = in_parts(vec![
        b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nregion ".to_vec(),
        b"us-east-1\n".to_vec(),
    ]);
    let r = probe_once(&wanting(port, "region us-east-1"), "127.0.0.2", T).await;
    assert!(r.ok, "{r:?}");
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_fails_only_when_read() {
    let port = in_parts(vec![
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nregion us-east-1".to_vec(),
    ]);
    let r = probe_once(&wanting(port, "region"), "127.0.0.2", T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (false, "http: the body ended before its Content-Length")
    );
    // Without a body check the verdict comes from the head alone.
    assert!(probe_once(&http(port), "127.0.0.2", T).await.ok);
}

#[tokio::test]
async fn interim_responses_are_skipped_for_the_final_one() {
    let port = in_parts(vec![
        b"HTTP/1.1 100 Continue\r\n\r\n".to_vec(),
        b"HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\nHTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n".to_vec(),
    ]);
    let r = probe_once(&http(port), "127.0.0.2", T).await;
    assert_eq!((r.ok, r.detail.as_str()), (false, "status 503"));
}

#[tokio::test]
async fn a_head_split_byte_by_byte_is_read_whole() {
    let head = b"HTTP/1.1 200 OK\r\nx-region: us-east-1\r\ncontent-length: 2\r\n\r\nok";
    let port = in_parts(head.chunks(7).map(<[u8]>::to_vec).collect());
    let mut spec = wanting(port, "ok");
    if let ProbeSpec::Http { header, .. } = &mut spec {
        *header = Some(("X-Region".into(), "us-east-1".into()));
    }
    let r = probe_once(&spec, "127.0.0.2", T).await;
    assert!(r.ok, "{r:?}");
}

#[tokio::test]
async fn a_head_too_long_or_not_http_fails_with_what_it_was() {
    let long = format!(
        "HTTP/1.1 200 OK\r\nx-pad: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let port = in_parts(vec![long.into_bytes()]);
    let r = probe_once(&http(port), "127.0.0.2", T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (false, "http: the response head is longer than 16 KiB")
    );
    let ssh = RawServer::start("SSH-2.0-OpenSSH_9.2\r\n");
    let r = probe_once(&http(ssh.addr.port()), "127.0.0.2", T).await;
    assert!(!r.ok, "{r:?}");
    assert!(
        r.detail.starts_with("http: not an HTTP/1 response: "),
        "{}",
        r.detail
    );
}

#[tokio::test]
async fn a_connection_closed_before_or_in_the_head_fails() {
    let none = in_parts(vec![]);
    let r = probe_once(&http(none), "127.0.0.2", T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (false, "http: the connection closed before a response")
    );
    let half = in_parts(vec![b"HTTP/1.1 200 OK\r\ncontent-le".to_vec()]);
    let r = probe_once(&http(half), "127.0.0.2", T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (false, "http: the connection closed in the response head")
    );
}

#[tokio::test]
async fn the_request_asks_the_server_to_close() {
    let server = RawServer::start("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    let r = probe_once(&http(server.addr.port()), "127.0.0.2", T).await;
    assert!(r.ok, "{r:?}");
    let head = server.heads.lock().unwrap()[0].to_ascii_lowercase();
    assert!(head.contains("\r\nconnection: close\r\n"), "{head}");
    assert!(head.contains("\r\nuser-agent: rtoguard/"), "{head}");
}
