//! A strict double of an external-dns webhook provider (protocol version 1) on 127.0.0.1.
//!
//! Written from external-dns's `api/webhook.yaml` and `provider/webhook`:
//! `GET /` (negotiation, the domain filter), `GET /records`,
//! `POST /adjustendpoints`, `POST /records` (create, updateOld/updateNew,
//! delete). It checks what a lenient provider would not: the media type in
//! `Accept` and `Content-Type` on every request, the JSON shapes of the
//! document with unknown fields refused, `updateOld` matching a served record
//! exactly. Every answer carries the media type. Faults on demand: a status
//! (429 with `Retry-After`, 500) for the next requests, slow answers, a wrong
//! media type, and a rival change just before or just after a write. Every
//! request is recorded, and every breach of the protocol is kept for the
//! test to assert on.

// The double records wall-clock request times, as a real server would.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod handlers;
mod shape;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::served::Served;
use serde_json::{Value, json};

/// The protocol's media type.
pub const MEDIA_TYPE: &str = "application/external.dns.webhook+json;version=1";

/// One request as the double saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub accept: Option<String>,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    pub body: Option<Value>,
    pub status: u16,
}

/// A change made by a rival writer: gets the served endpoints.
pub type Rival = Box<dyn FnOnce(&mut Vec<Value>) + Send>;

/// A status to answer instead of the real one.
struct Injected {
    left: u32,
    status: u16,
    retry_after: Option<u64>,
    body: String,
}

/// Everything the double holds; behind one lock.
pub(crate) struct State {
    filter: Value,
    token: Option<String>,
    records: Vec<Value>,
    injected: Option<Injected>,
    slow: Option<Duration>,
    wrong_media_type: bool,
    before_write: Option<Rival>,
    after_write: Option<Rival>,
    requests: Vec<Seen>,
    breaches: Vec<String>,
}

/// A running double; stopped on drop.
pub struct Double {
    served: Served,
    shared: Arc<Mutex<State>>,
}

/// An endpoint in the document's shape.
pub fn endpoint(name: &str, rtype: &str, ttl: i64, targets: &[&str]) -> Value {
    json!({ "dnsName": name, "targets": targets, "recordType": rtype, "recordTTL": ttl })
}

impl Double {
    /// Start a double serving `domain` (its negotiation answers
    /// `{"filters": [domain]}`), holding `records`.
    pub fn start(domain: &str, records: Vec<Value>) -> Self {
        let shared = Arc::new(Mutex::new(State {
            filter: json!({ "filters": [domain] }),
            token: None,
            records,
            injected: None,
            slow: None,
            wrong_media_type: false,
            before_write: None,
            after_write: None,
            requests: Vec::new(),
            breaches: Vec::new(),
        }));
        let served = Served::start(handlers::router(shared.clone()));
        Self { served, shared }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The webhook's root, as `url` in the settings.
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr())
    }

    /// Answer the negotiation with this domain filter instead.
    pub fn set_filter(&self, filter: Value) {
        self.state().filter = filter;
    }

    /// Demand `Authorization: Bearer token` (401 otherwise).
    pub fn require_token(&self, token: &str) {
        self.state().token = Some(token.to_string());
    }

    /// The endpoints served now.
    pub fn records(&self) -> Vec<Value> {
        self.state().records.clone()
    }

    /// Replace what is served (a rival writer, outside any request).
    pub fn set_records(&self, records: Vec<Value>) {
        self.state().records = records;
    }

    /// Answer the next `count` requests with `status` (and `Retry-After`
    /// seconds, when given) and `body`.
    pub fn inject(&self, status: u16, count: u32, retry_after: Option<u64>, body: &str) {
        self.state().injected = Some(Injected {
            left: count,
            status,
            retry_after,
            body: body.to_string(),
        });
    }

    /// Hold every answer this long.
    pub fn slow(&self, delay: Option<Duration>) {
        self.state().slow = delay;
    }

    /// Answer with `Content-Type: application/json` instead of the media type.
    pub fn wrong_media_type(&self, on: bool) {
        self.state().wrong_media_type = on;
    }

    /// A rival change just before the next `POST /records` is applied.
    pub fn before_write(&self, rival: Rival) {
        self.state().before_write = Some(rival);
    }

    /// A rival change just after the next `POST /records` is applied.
    pub fn after_write(&self, rival: Rival) {
        self.state().after_write = Some(rival);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.state().requests.clone()
    }

    /// Every breach of the protocol seen so far, in words.
    pub fn breaches(&self) -> Vec<String> {
        self.state().breaches.clone()
    }
}
