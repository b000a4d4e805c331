//! Route 53 error answers, parsed by the real SDK, judged retryable or final.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use rtoguard_provider_api::limits::RetryPolicy;
use rtoguard_provider_api::{Change, Provider, ProviderError, RecordSet, RecordType};
use rtoguard_route53::{Route53Provider, Route53Settings};

const SECRET: &str = "wJalrXUtnFEMI-not-a-real-secret";

/// What the server answers, and the headers of the requests it saw.
#[derive(Debug, Default)]
struct Script {
    answer: (u16, String),
    seen: Vec<HeaderMap>,
}

async fn answer(State(s): State<Arc<Mutex<Script>>>, headers: HeaderMap) -> (StatusCode, String) {
    let mut s = s.lock().expect("lock");
    s.seen.push(headers);
    let (status, body) = s.answer.clone();
    (StatusCode::from_u16(status).expect("status"), body)
}

/// An HTTP server on loopback answering every request from the script.
async fn serve(script: Arc<Mutex<Script>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new().fallback(answer).with_state(script);
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"#
    )
}

async fn provider(endpoint: String) -> Route53Provider {
    let mut s = Route53Settings::new("aws-test");
    s.region = Some("us-east-1".into());
    s.endpoint_url = Some(endpoint);
    s.hosted_zone_id = Some("Z1".into());
    s.credentials = Some(("AKIDEXAMPLE".into(), SECRET.into()));
    s.requests_per_second = 1000;
    let no_retry = RetryPolicy {
        deadline: Duration::ZERO,
        ..RetryPolicy::default()
    };
    Route53Provider::new(s)
        .await
        .expect("provider")
        .with_retry_policy(no_retry)
}

fn flip() -> Change {
    let old = RecordSet::new("www.example.test.", RecordType::A, 60, ["192.0.2.1"]);
    let new = RecordSet::new("www.example.test.", RecordType::A, 60, ["192.0.2.2"]);
    Change::new("www.example.test.", RecordType::A, vec![old], vec![new]).expect("change")
}

#[tokio::test]
async fn error_answers_are_judged_by_their_code() {
    let script = Arc::new(Mutex::new(Script::default()));
    let addr = serve(script.clone()).await;
    let p = provider(format!("http://{addr}")).await;
    let cases = [
        (400, "InvalidChangeBatch", "conflict"),
        (400, "Throttling", "throttled"),
        (400, "PriorRequestNotComplete", "throttled"),
        (503, "ServiceUnavailable", "server"),
        (500, "InternalFailure", "server"),
        (404, "NoSuchHostedZone", "not-found"),
        (400, "InvalidInput", "bad-request"),
        (403, "SignatureDoesNotMatch", "auth"),
    ];
    for (status, code, kind) in cases {
        script.lock().expect("lock").answer = (status, error_xml(code, "said the server"));
        let err = p.apply("example.test.", &flip()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{status} {code}: {err}");
        assert!(err.to_string().contains(code), "{err}");
    }
    let seen = script.lock().expect("lock").seen.len();
    assert_eq!(seen, cases.len(), "one request per case, no SDK retries");
}

#[tokio::test]
async fn auth_errors_name_the_source_never_the_secret() {
    let script = Arc::new(Mutex::new(Script::default()));
    script.lock().expect("lock").answer = (403, error_xml("InvalidClientTokenId", "bad token"));
    let addr = serve(script.clone()).await;
    let p = provider(format!("http://{addr}")).await;
    let err = p
        .read("example.test.", "www.example.test.", RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Auth { .. }), "{err}");
    assert!(!err.is_retryable());
    let text = format!("{err} {err:?} {p:?}");
    assert!(
        text.contains("static keys in the provider settings"),
        "{text}"
    );
    assert!(!text.contains(SECRET), "{text}");
    let seen = script.lock().expect("lock").seen.clone();
    let auth = seen[0].get("authorization").expect("a signed request");
    let auth = auth.to_str().expect("ascii");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256") && !auth.contains(SECRET),
        "{auth}"
    );
}

#[tokio::test]
async fn a_closed_port_is_a_retryable_transport_error() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let p = provider(format!("http://{addr}")).await;
    let err = p
        .read("example.test.", "www.example.test.", RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Transport { .. }), "{err}");
    assert!(err.is_retryable());
}
