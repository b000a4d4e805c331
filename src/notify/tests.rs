//! Tests against a webhook receiver started on loopback (axum on 127.0.0.1).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::config::{Secret, Webhook, WebhookFormat, WebhookUrl};

/// The secret part of every test URL: it must never reach a log or error.
pub(super) const SECRET: &str = "sEcReTpAtH";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Mode {
    Ok,
    Fail,
    NotFound,
    /// 429 with `Retry-After: 1`.
    Throttle,
    Hang,
}

/// What one request brought.
#[derive(Debug, Clone)]
pub(super) struct Hit {
    pub path: String,
    pub content_type: String,
    pub body: Value,
}

#[derive(Clone)]
struct Shared {
    mode: Arc<Mutex<Mode>>,
    hits: Arc<Mutex<Vec<Hit>>>,
    count: Arc<watch::Sender<usize>>,
}

/// An HTTP webhook receiver on 127.0.0.1; stops when dropped.
pub(super) struct Receiver {
    pub url: String,
    shared: Shared,
    stop: CancellationToken,
}

impl Receiver {
    pub async fn start(mode: Mode) -> Self {
        let shared = Shared {
            mode: Arc::new(Mutex::new(mode)),
            hits: Arc::default(),
            count: Arc::new(watch::channel(0).0),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("bound address");
        let app = Router::new().fallback(hook).with_state(shared.clone());
        let stop = CancellationToken::new();
        let done = stop.clone().cancelled_owned();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(done)
                .await
        });
        Self {
            url: format!("http://{addr}/services/T000/B000/{SECRET}"),
            shared,
            stop,
        }
    }

    pub fn set(&self, mode: Mode) {
        *self.shared.mode.lock().expect("lock") = mode;
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().expect("lock").clone()
    }

    /// Wait until a request of `incident` arrived (bounded).
    pub async fn wait_for_incident(&self, incident: &str) -> Vec<Hit> {
        let mut rx = self.shared.count.subscribe();
        let hits = self.shared.hits.clone();
        let seen = move || {
            hits.lock()
                .expect("lock")
                .iter()
                .any(|h| h.body["incident"] == incident)
        };
        let waited = tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|_| seen())).await;
        assert!(
            waited.is_ok(),
            "no request for {incident}: {:?}",
            self.hits()
        );
        self.hits()
    }

    /// Wait until `n` requests arrived (bounded, so a bug fails instead of hanging).
    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        let mut rx = self.shared.count.subscribe();
        let waited = tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|c| *c >= n)).await;
        assert!(
            waited.is_ok(),
            "expected {n} requests, got {:?}",
            self.hits()
        );
        self.hits()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn hook(State(s): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    // The answer is fixed before the request is counted, so a test that
    // changes the mode after `wait_for` never changes an answer in flight.
    let mode = *s.mode.lock().expect("lock");
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.hits.lock().expect("lock").push(Hit {
        path: uri.path().to_string(),
        content_type,
        body,
    });
    s.count.send_modify(|c| *c += 1);
    match mode {
        Mode::Ok => StatusCode::NO_CONTENT.into_response(),
        Mode::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Mode::NotFound => StatusCode::NOT_FOUND.into_response(),
        Mode::Throttle => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response(),
        Mode::Hang => std::future::pending().await,
    }
}

pub(super) fn webhook(url: &str, format: WebhookFormat, retries: u32) -> Webhook {
    Webhook {
        url: WebhookUrl::Inline(Secret::new(url)),
        format,
        events: NotifyEvent::ALL.iter().map(|(e, _)| *e).collect(),
        timeout: Duration::from_millis(300),
        retries,
        backoff: Duration::from_millis(10),
    }
}

pub(super) fn start(
    hooks: Vec<Webhook>,
    queue: usize,
) -> (Notifier, tokio::task::JoinHandle<()>, CancellationToken) {
    let cancel = CancellationToken::new();
    let (n, task) = Notifier::start_with(
        &Notify { webhooks: hooks },
        "us-east-1",
        cancel.clone(),
        queue,
    )
    .expect("notifier starts");
    (n, task, cancel)
}

pub(super) fn flip(incident: &str) -> Event {
    Event::flip(
        "checkout",
        incident,
        Some("primary"),
        "standby",
        "primary down",
        &["us-east-1".into(), "eu-west-1".into()],
    )
}

/// Everything logged at DEBUG and above on this thread, as text.
pub(super) fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct W(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for W {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Arc::new(Mutex::new(Vec::new()));
    let w = W(buf.clone());
    let sub = tracing_subscriber::fmt()
        .with_writer(move || w.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    (buf, tracing::subscriber::set_default(sub))
}

pub(super) fn text(buf: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&buf.lock().expect("lock")).into_owned()
}

#[tokio::test]
async fn incident_flip_and_recovery_arrive_in_order_as_json() {
    let rx = Receiver::start(Mode::Ok).await;
    let (n, _task, _cancel) = start(vec![webhook(&rx.url, WebhookFormat::Json, 3)], QUEUE_LEN);
    let vantages = vec!["us-east-1".to_string()];
    n.send(Event::incident(
        "checkout",
        "checkout-7",
        "primary",
        "down",
        &vantages,
    ));
    n.send(flip("checkout-7"));
    n.send(Event::recovery(
        "checkout",
        "checkout-7",
        "standby",
        Duration::from_secs(95),
        Duration::from_secs(300),
    ));
    let hits = rx.wait_for(3).await;
    let kinds: Vec<_> = hits
        .iter()
        .map(|h| h.body["event"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["incident", "flip", "recovery"]);
    for h in &hits {
        assert_eq!(h.content_type, "application/json");
        assert_eq!(h.path, format!("/services/T000/B000/{SECRET}"));
        assert_eq!(
            (h.body["version"].as_u64(), h.body["incident"].as_str()),
            (Some(1), Some("checkout-7"))
        );
        assert_eq!(
            (h.body["service"].as_str(), h.body["controller"].as_str()),
            (Some("checkout"), Some("us-east-1"))
        );
    }
    assert_eq!(hits[1].body["summary"], flip("checkout-7").summary.as_str());
    assert_eq!(
        hits[1].body["confirmed_by"],
        serde_json::json!(["us-east-1", "eu-west-1"])
    );
    assert_eq!(hits[2].body["elapsed_seconds"].as_f64(), Some(95.0));
    let at = hits[0].body["at"].as_str().unwrap_or_default();
    assert!(
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{at}"
    );
}

#[tokio::test]
async fn a_slack_webhook_gets_text_and_only_its_events() {
    let rx = Receiver::start(Mode::Ok).await;
    let mut hook = webhook(&rx.url, WebhookFormat::Slack, 3);
    hook.events = vec![NotifyEvent::Flip];
    let (n, _task, _cancel) = start(vec![hook], QUEUE_LEN);
    n.send(Event::incident(
        "checkout",
        "checkout-8",
        "primary",
        "down",
        &[],
    ));
    n.send(flip("checkout-8"));
    n.send(Event::recovery(
        "checkout",
        "checkout-8",
        "standby",
        Duration::from_secs(9),
        Duration::from_secs(300),
    ));
    n.send(flip("checkout-9"));
    let hits = rx.wait_for(2).await;
    for (h, id) in hits.iter().zip(["checkout-8", "checkout-9"]) {
        let obj = h.body.as_object().expect("an object");
        assert_eq!(obj.keys().collect::<Vec<_>>(), ["text"]);
        let text = obj["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("flipped from primary to standby") && text.contains(id),
            "{text}"
        );
    }
}
