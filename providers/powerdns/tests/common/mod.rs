//! Helpers shared by the provider's tests: settings for a real PowerDNS, record sets, changes, and a relay that throttles.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rtoguard_powerdns::{PowerDnsProvider, PowerDnsSettings};
use rtoguard_provider_api::limits::RetryPolicy;
use rtoguard_provider_api::{Change, RecordSet, RecordType};
use rtoguard_testkit::pdns::{self, Pdns};

pub const ZONE: &str = "example.test.";
pub const WWW: &str = "www.example.test.";

/// A server for [`ZONE`] with `www` A 127.0.0.2 at TTL 300.
pub fn server() -> Pdns {
    Pdns::start(ZONE, &[("www", "A", 300, &["127.0.0.2"])])
}

pub fn settings(p: &Pdns, api_url: &str, key: &str) -> PowerDnsSettings {
    PowerDnsSettings {
        name: "pdns-test".into(),
        api_url: api_url.into(),
        server_id: PowerDnsSettings::DEFAULT_SERVER_ID.into(),
        api_key: key.into(),
        key_source: format!("file {}", p.key_file().display()),
        dns_server: Some(p.addr),
        requests_per_second: 100,
    }
}

pub fn provider(p: &Pdns) -> PowerDnsProvider {
    PowerDnsProvider::new(settings(p, &p.api_url, &p.api_key))
        .expect("provider")
        .with_retry_policy(quick())
}

/// Retries that give up within seconds, not the default minute.
pub fn quick() -> RetryPolicy {
    RetryPolicy {
        deadline: Duration::from_secs(10),
        initial: Duration::from_millis(50),
        max: Duration::from_millis(500),
    }
}

pub fn a(ttl: u32, values: &[&str]) -> RecordSet {
    RecordSet::new(WWW, RecordType::A, ttl, values)
}

pub fn flip(from: &[&str], to: &[&str], ttl: u32) -> Change {
    Change::new(WWW, RecordType::A, vec![a(300, from)], vec![a(ttl, to)]).expect("change")
}

/// What the relay does besides forwarding.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// Answer the first this-many requests 429 (PowerDNS never throttles).
    pub throttle: u32,
    /// Once, right after forwarding a PATCH: this rival PATCH (path, body),
    /// sent with the same key, before our answer returns.
    pub rival_after_patch: Option<(String, serde_json::Value)>,
}

/// An HTTP relay in front of PowerDNS's API, counting what it sees.
pub struct Relay {
    pub url: String,
    pub seen: Arc<AtomicU32>,
    _task: tokio::task::JoinHandle<()>,
}

impl Relay {
    pub async fn start(upstream: SocketAddr, behaviour: Behaviour) -> Self {
        let seen = Arc::new(AtomicU32::new(0));
        let count = seen.clone();
        let rival_done = Arc::new(AtomicU32::new(0));
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let n = count.fetch_add(1, Ordering::SeqCst);
                let b = behaviour.clone();
                let rival_done = rival_done.clone();
                async move {
                    if n < b.throttle {
                        return (
                            StatusCode::TOO_MANY_REQUESTS,
                            [("retry-after", "0")],
                            "slow down",
                        )
                            .into_response();
                    }
                    let patch = method == Method::PATCH;
                    let key = key_of(&headers);
                    let answer = forward(upstream, method, uri, key.clone(), body).await;
                    if let Some((path, rival)) = b.rival_after_patch.filter(|_| patch)
                        && rival_done.fetch_add(1, Ordering::SeqCst) == 0
                    {
                        let sent = tokio::task::spawn_blocking(move || {
                            pdns::http(upstream, "PATCH", &path, &key, Some(&rival))
                        })
                        .await;
                        assert!(matches!(sent, Ok(Ok((204, _)))), "rival PATCH: {sent:?}");
                    }
                    answer
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/api/v1"),
            seen,
            _task: task,
        }
    }
}

fn key_of(headers: &HeaderMap) -> String {
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn forward(to: SocketAddr, method: Method, uri: Uri, key: String, body: Bytes) -> Response {
    let path = uri
        .path_and_query()
        .map(ToString::to_string)
        .unwrap_or_default();
    let body: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let answer = tokio::task::spawn_blocking(move || {
        pdns::http(to, method.as_str(), &path, &key, body.as_ref())
    })
    .await;
    match answer {
        Ok(Ok((status, text))) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            [("content-type", "application/json")],
            text,
        )
            .into_response(),
        _ => StatusCode::BAD_GATEWAY.into_response(),
    }
}
