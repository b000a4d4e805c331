//! A strict double of the Route 53 REST XML API on 127.0.0.1, for what moto
//! does not check: the SDK is pointed at it with the provider's
//! `endpoint_url`.
//!
//! It serves `ListHostedZonesByName`, `ListResourceRecordSets`,
//! `ChangeResourceRecordSets` and `GetChange` for one hosted zone, and
//! enforces: a DELETE matches only the exact set, routing fields and alias
//! target included (`InvalidChangeBatch` with Route 53's message otherwise);
//! a batch applies all of it or nothing; a change is `PENDING` until a
//! delay has passed, then `INSYNC`; throttling answers HTTP 400 `Throttling`
//! "Rate exceeded"; every request carries a SigV4 `Authorization` header.
//! What it does not do is in `README.md` beside this file.

#![allow(dead_code)]
// The double stamps requests and changes with wall-clock times, as Route 53 does.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod handlers;
mod xml;
mod zone;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use zone::{Refusal, Rrset, Zone};

/// One request as the double saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `ListHostedZonesByName`, `ListResourceRecordSets`,
    /// `ChangeResourceRecordSets`, `GetChange`, or the path when unknown.
    pub operation: String,
    pub authorization: Option<String>,
    /// The error code answered, if any.
    pub error: Option<String>,
    pub at: Instant,
}

/// A change and when it was submitted.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: String,
    pub at: Instant,
}

/// Everything the double holds; behind one lock.
pub struct State {
    zone: Zone,
    changes: Vec<Submitted>,
    sync_delay: Duration,
    throttle_next: u32,
    rate_limit: Option<usize>,
    requests: Vec<Seen>,
}

/// A running double; stopped on drop.
pub struct Route53Double {
    served: crate::serve::Served,
    shared: Arc<Mutex<State>>,
}

/// The hosted zone id the double gives its zone.
pub const ZONE_ID: &str = "Z0DOUBLE0000000000001";

impl Route53Double {
    /// Start a double holding one hosted zone named `zone`; changes turn
    /// `INSYNC` 300 ms after they are submitted.
    pub fn start(zone: &str) -> Self {
        let shared = Arc::new(Mutex::new(State {
            zone: Zone::new(ZONE_ID, zone),
            changes: Vec::new(),
            sync_delay: Duration::from_millis(300),
            throttle_next: 0,
            rate_limit: None,
            requests: Vec::new(),
        }));
        let served = crate::serve::Served::start(handlers::router(shared.clone()));
        Self { served, shared }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The endpoint, as `endpoint_url` in the provider settings.
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr())
    }

    /// Add or replace a record set (a seed, or another writer).
    pub fn put(&self, set: Rrset) {
        self.state().zone.put(set);
    }

    /// The sets at `name` of `rtype`, in Route 53's order.
    pub fn sets_at(&self, name: &str, rtype: &str) -> Vec<Rrset> {
        self.state().zone.at(name, rtype)
    }

    /// Changes turn `INSYNC` this long after they are submitted.
    pub fn sync_after(&self, delay: Duration) {
        self.state().sync_delay = delay;
    }

    /// Answer the next `n` requests (any operation) with `Throttling`.
    pub fn throttle_next(&self, n: u32) {
        self.state().throttle_next = n;
    }

    /// Answer `Throttling` to any request beyond `per_second` in a rolling second.
    pub fn rate_limit(&self, per_second: usize) {
        self.state().rate_limit = Some(per_second);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.state().requests.clone()
    }

    /// The requests of one operation.
    pub fn requests_of(&self, operation: &str) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.operation == operation)
            .collect()
    }

    /// Every change accepted so far.
    pub fn changes(&self) -> Vec<Submitted> {
        self.state().changes.clone()
    }
}
