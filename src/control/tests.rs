//! The control socket over a real Unix socket.

use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::*;

/// A typed answer to any request: an empty status, or an acceptance.
pub(super) fn answer(request: &Request) -> Reply {
    match request.service() {
        None => Reply::status(StatusReply {
            controller: "test".into(),
            daemon: true,
            services: Vec::new(),
        }),
        Some(service) => Reply::accepted(Accepted {
            accepted: true,
            service: service.to_string(),
            actions: Vec::new(),
        }),
    }
}

/// What reached the daemon: the request and who sent it.
type Seen = mpsc::UnboundedReceiver<(Request, String)>;

/// Serve on a temp socket; pass every request on to the test and answer it.
async fn echo_server() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    CancellationToken,
    Seen,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("control.sock");
    let (tx, mut rx) = mpsc::channel::<Envelope>(8);
    let (seen_tx, seen) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    serve(&path, tx, cancel.clone()).await.unwrap();
    tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            let _ = e.reply.send(answer(&e.request));
            let _ = seen_tx.send((e.request, e.actor));
        }
    });
    (dir, path, cancel, seen)
}

#[tokio::test]
async fn requests_reach_the_daemon_with_the_peer_user() {
    let (_d, path, cancel, mut seen) = echo_server().await;
    let (code, body) = client::call(
        &path,
        "POST",
        "/v1/services/checkout/failover",
        Some(&json!({ "to": "standby", "planned": true })),
    )
    .await
    .unwrap();
    assert_eq!(code, 202, "{body}");
    let (request, actor) = seen.recv().await.unwrap();
    let want = MoveRequest {
        to: Some("standby".into()),
        planned: true,
        force: false,
        dry_run: false,
    };
    assert_eq!(
        request,
        Request::Failover {
            service: "checkout".into(),
            mv: want
        }
    );
    let me = super::users::actor_for_uid(
        std::fs::metadata("/proc/self")
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
            .unwrap(),
    );
    assert_eq!(actor, me);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o660);
    cancel.cancel();
}

#[tokio::test]
async fn bad_requests_get_a_4xx_with_the_reason() {
    let (_d, path, _cancel, _seen) = echo_server().await;
    let (code, body) = client::call(
        &path,
        "POST",
        "/v1/services/checkout/failover",
        Some(&json!({ "planned": true })),
    )
    .await
    .unwrap();
    assert_eq!(code, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("needs a target pool"),
        "{body}"
    );
    let (code, body) = client::call(
        &path,
        "POST",
        "/v1/services/checkout/failover",
        Some(&json!({ "to": "x", "yolo": 1 })),
    )
    .await
    .unwrap();
    assert_eq!(code, 400);
    assert!(body["error"].as_str().unwrap().contains("yolo"), "{body}");
    let (code, _) = client::call(&path, "GET", "/v2/nothing", None)
        .await
        .unwrap();
    assert_eq!(code, 404);
}

#[tokio::test]
async fn a_missing_daemon_is_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let err = client::call(&dir.path().join("none.sock"), "GET", "/v1/status", None)
        .await
        .unwrap_err();
    assert!(client::is_no_daemon(&err), "{err}");
}

#[tokio::test]
async fn a_second_daemon_on_the_same_socket_is_refused() {
    let (_d, path, _cancel, _seen) = echo_server().await;
    let (tx, _rx) = mpsc::channel(1);
    let err = serve(&path, tx, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is in use"), "{err}");
}

#[tokio::test]
async fn a_silent_client_is_closed_within_the_header_timeout() {
    use crate::bounded::test_io::{SLACK, eof_within};
    let (_d, path, cancel, _seen) = echo_server().await;
    let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
    let limit = crate::bounded::HEADER_TIMEOUT + SLACK;
    assert!(eof_within(&mut s, limit).await.is_some(), "still open");
    cancel.cancel();
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_and_status_still_answers_after() {
    use crate::bounded::test_io::eof_within;
    let (_d, path, cancel, _seen) = echo_server().await;
    let mut held = Vec::new();
    for _ in 0..crate::bounded::CONTROL_MAX_CONNECTIONS {
        held.push(tokio::net::UnixStream::connect(&path).await.unwrap());
    }
    let mut over = tokio::net::UnixStream::connect(&path).await.unwrap();
    let closed = eof_within(&mut over, std::time::Duration::from_secs(1)).await;
    assert!(closed.is_some(), "a connection over the cap was kept");
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (code, _) = client::call(&path, "GET", "/v1/status", None)
        .await
        .unwrap();
    assert_eq!(code, 200);
    cancel.cancel();
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413() {
    let (_d, path, cancel, _seen) = echo_server().await;
    let big = json!({ "to": "standby", "pad": "x".repeat(crate::bounded::MAX_BODY) });
    let (code, body) = client::call(&path, "POST", "/v1/services/checkout/failover", Some(&big))
        .await
        .unwrap();
    assert_eq!(code, 413, "{body}");
    cancel.cancel();
}

#[tokio::test]
async fn wait_until_returns_what_the_status_first_satisfies_and_times_out_with_the_last() {
    let (_d, path, cancel, _seen) = echo_server().await;
    let client = Client::new(&path);
    let poll = std::time::Duration::from_millis(10);
    let mut reads = 0;
    let got = client
        .wait_until(std::time::Duration::from_secs(10), poll, |s| {
            reads += 1;
            (reads == 3).then(|| s.controller.clone())
        })
        .await
        .unwrap();
    assert_eq!((got.as_str(), reads), ("test", 3));
    let limit = std::time::Duration::from_millis(100);
    let err = client
        .wait_until(limit, poll, |_| None::<()>)
        .await
        .unwrap_err();
    assert_eq!(err.limit, limit);
    assert!(err.last.is_some_and(|s| s.daemon));
    let gone = Client::new(path.with_extension("none"));
    let err = gone
        .wait_until(limit, poll, |_| Some(()))
        .await
        .unwrap_err();
    assert!(err.last.is_none());
    cancel.cancel();
}

#[tokio::test]
async fn a_refusal_carries_the_daemons_status_and_reason() {
    let (_d, path, cancel, _seen) = echo_server().await;
    let bad = Request::Failover {
        service: "checkout".into(),
        mv: MoveRequest {
            to: None,
            planned: false,
            force: false,
            dry_run: false,
        },
    };
    match Client::new(&path).ask(&bad).await {
        Err(ClientError::Refused { status, message }) => {
            assert_eq!(status, 400);
            assert!(message.contains("needs a target pool"), "{message}");
        }
        other => panic!("not refused: {other:?}"),
    }
    cancel.cancel();
}

#[test]
fn a_pin_needs_a_reason_and_may_carry_a_duration() {
    let pin = |body: &str| parse_request("POST", "/v1/services/checkout/pin", body.as_bytes());
    assert_eq!(
        pin(r#"{"reason": "db maintenance", "for_secs": 7200}"#),
        Ok(Request::Pin {
            service: "checkout".into(),
            pin: PinRequest {
                reason: "db maintenance".into(),
                for_secs: Some(7200),
            },
        })
    );
    for bad in [
        "",
        "{}",
        r#"{"reason": "  "}"#,
        r#"{"reason": "x", "for": 1}"#,
    ] {
        assert_eq!(pin(bad).map_err(|r| r.status), Err(400), "{bad}");
    }
}

#[test]
fn a_pin_longer_than_ten_years_is_refused() {
    let body = format!(r#"{{"reason": "x", "for_secs": {}}}"#, u64::MAX);
    let r = parse_request("POST", "/v1/services/checkout/pin", body.as_bytes());
    assert_eq!(r.map_err(|r| r.status), Err(400));
}
