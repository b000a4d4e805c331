//! A local fake of the Cloudflare v4 API (token verify, zones, DNS record listing, the batch endpoint) on 127.0.0.1.
//!
//! It follows the published API for these endpoints: the `{success, errors,
//! messages, result, result_info}` envelope, `page`/`per_page` pagination,
//! all-or-nothing batches (deletes, patches, puts, posts in that order; an
//! unknown id fails the batch with 81044 "Record does not exist."), bearer
//! tokens (a wrong one is 403 with 9109 "Invalid access token"), and 429 with
//! `Retry-After` and code 971 when told to throttle. Every request is recorded
//! (method, path, query, body, time, status) so tests can check its shape.

#![allow(dead_code)]
// The fake records wall-clock request times, as a real server would.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod handlers;
mod zone;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::served::Served;
use serde_json::{Value, json};

pub use zone::Zone;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub body: Option<Value>,
    pub authorization: Option<String>,
    pub status: u16,
    pub at: Instant,
}

type Hook = Box<dyn FnOnce(&mut Zone) + Send>;

/// A fault to answer instead of the real response.
pub struct Injected {
    pub method: String,
    pub left: u32,
    pub status: u16,
    /// `Some`: a 429 with this `Retry-After`; `None`: a bare non-JSON body,
    /// as an edge proxy sends.
    pub retry_after: Option<u64>,
}

/// Everything the fake holds; behind one lock.
pub struct State {
    token: String,
    zone: Zone,
    injected: Option<Injected>,
    before_batch: Option<Hook>,
    after_batch: Option<Hook>,
    lose_batch_answer: bool,
    batches_applied: u32,
    requests: Vec<Seen>,
}

/// A running fake; stopped on drop.
pub struct Fake {
    served: Served,
    shared: Arc<Mutex<State>>,
}

impl Fake {
    /// Start a fake holding one zone, answering only `token`.
    pub fn start(token: &str, zone_name: &str) -> Self {
        let shared = Arc::new(Mutex::new(State {
            token: token.to_string(),
            zone: Zone::new("023e105f4ecef8ad9ca31a8372d0c353", zone_name),
            injected: None,
            before_batch: None,
            after_batch: None,
            lose_batch_answer: false,
            batches_applied: 0,
            requests: Vec::new(),
        }));
        let served = Served::start(handlers::router(shared.clone()));
        Self { served, shared }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The v4 API root, as `api_url` in the settings.
    pub fn api_url(&self) -> String {
        format!("http://{}/client/v4", self.served.addr())
    }

    pub fn zone_id(&self) -> String {
        self.state().zone.id.clone()
    }

    /// Add a record (any type, any fields); returns its id.
    pub fn add(&self, record: Value) -> String {
        self.state().zone.add(record)
    }

    /// Add an A record with proxied/comment/tags; returns its id.
    pub fn add_a(&self, name: &str, content: &str, ttl: u32) -> String {
        self.add(
            json!({"type": "A", "name": name, "content": content, "ttl": ttl,
            "proxied": false, "comment": null, "tags": []}),
        )
    }

    /// Every record the zone holds, in order.
    pub fn records(&self) -> Vec<Value> {
        self.state().zone.records.clone()
    }

    /// The records at `name` of `rtype`.
    pub fn records_at(&self, name: &str, rtype: &str) -> Vec<Value> {
        self.records()
            .into_iter()
            .filter(|r| r["name"] == name && r["type"] == rtype)
            .collect()
    }

    /// Answer the next `n` requests with `method` with 429 and `Retry-After`.
    pub fn throttle_next(&self, method: &str, n: u32, retry_after_secs: u64) {
        self.state().injected = Some(Injected {
            method: method.to_string(),
            left: n,
            status: 429,
            retry_after: Some(retry_after_secs),
        });
    }

    /// Answer the next `n` requests with `method` with `status` and a
    /// non-JSON body.
    pub fn fail_next(&self, method: &str, n: u32, status: u16) {
        self.state().injected = Some(Injected {
            method: method.to_string(),
            left: n,
            status,
            retry_after: None,
        });
    }

    /// Run `f` on the zone just before the next batch is handled (another
    /// writer acting between our read and our write).
    pub fn before_next_batch(&self, f: impl FnOnce(&mut Zone) + Send + 'static) {
        self.state().before_batch = Some(Box::new(f));
    }

    /// Run `f` on the zone just after the next batch succeeds (another
    /// writer acting between our write and our read-back).
    pub fn after_next_batch(&self, f: impl FnOnce(&mut Zone) + Send + 'static) {
        self.state().after_batch = Some(Box::new(f));
    }

    /// Apply the next batch but answer it with a 502 page, as when the
    /// answer is lost on the way back.
    pub fn lose_next_batch_answer(&self) {
        self.state().lose_batch_answer = true;
    }

    /// Batches that succeeded.
    pub fn batches_applied(&self) -> u32 {
        self.state().batches_applied
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.state().requests.clone()
    }

    /// The most requests seen in any one-second window.
    pub fn max_requests_per_second(&self) -> usize {
        let times: Vec<Instant> = self.requests().iter().map(|s| s.at).collect();
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end].duration_since(times[start]) >= Duration::from_secs(1) {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }
}
