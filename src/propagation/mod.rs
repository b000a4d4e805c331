//! Propagation timing: authoritatives, resolvers and clients after a change.
//!
//! [`watch`] asks every authoritative server directly (RD=0) until it serves
//! the expected data, asks every resolver (RD=1, paced by `governor`, no cache
//! of our own) until it hands the new data out, and, with a [`ClientCheck`],
//! sends HTTP(S) requests through each resolver's answer until the new pool's
//! marker comes back. The [`WatchOutcome`] says when each path converged,
//! what TTL the old answers still had, when every cache should have let go,
//! and which resolvers held on longer. [`watch_group`] watches every record
//! of a record group at once and merges their outcomes.

mod alias;
mod auth;
mod client;
mod error;
mod group;
mod outcome;
mod progress;
mod query;
mod resolver;
mod run;
mod track;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::rr::RecordType;

pub use error::PropagationError;
pub use group::{merge, watch_group};
pub use outcome::{
    AuthOutcome, ClientOutcome, EndReason, OVERSTAY_TOLERANCE_MS, PathState, Queries,
    ResolverOutcome, WatchOutcome,
};
pub use progress::{Progress, render_progress};
pub use query::{normalise, normalise_all};
pub use run::{discover, watch};

/// A DNS server to watch: a name for the report and where to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub name: String,
    pub addr: SocketAddr,
}

/// How a response shows which pool answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// A response header with this value (`x-region: eu-west-1`).
    Header { name: String, value: String },
    /// A piece of text in the response body.
    Body(String),
}

/// Client reach: request `url` through each resolver's answer until the new pool answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCheck {
    /// `http(s)://checkout.example.test:PORT/healthz`; its host is the watched name.
    pub url: String,
    /// The marker of the NEW pool.
    pub marker: Marker,
    /// The marker of the old pool, to count requests it still answered.
    pub old_marker: Option<Marker>,
}

/// What to watch, and for how long.
#[derive(Debug, Clone)]
pub struct WatchSpec {
    /// The record's name (`checkout.example.test.`).
    pub name: String,
    pub rtype: RecordType,
    /// The values the change publishes (normalised again here, order free).
    pub expected: Vec<String>,
    pub zone: String,
    /// Empty: found from the zone's NS records through the first resolver.
    pub authoritatives: Vec<Server>,
    pub resolvers: Vec<Server>,
    pub client: Option<ClientCheck>,
    /// Pace per server (authoritative, resolver, client path); 0 means 5.
    pub queries_per_second: u32,
    /// Incident start: every offset in the outcome is from here.
    pub start: tokio::time::Instant,
    /// How long the watch may run, counted from the call to [`watch`].
    pub deadline: Duration,
    /// TTL the old answer was published with, for the prediction.
    pub old_ttl: Option<u32>,
    /// When the provider accepted the change.
    pub changed_at: Option<tokio::time::Instant>,
    /// With no `expected` values: expect the addresses this name (an alias
    /// target) resolves to through `resolvers` when the watch starts.
    pub expected_from: Option<String>,
}

impl WatchSpec {
    /// A spec with no paths yet, 5 queries a second, a 10-minute deadline,
    /// starting now.
    pub fn new(name: &str, rtype: RecordType, expected: &[&str], zone: &str) -> Self {
        Self {
            name: name.to_string(),
            rtype,
            expected: expected.iter().map(|s| s.to_string()).collect(),
            zone: zone.to_string(),
            authoritatives: Vec::new(),
            resolvers: Vec::new(),
            client: None,
            queries_per_second: 5,
            start: tokio::time::Instant::now(),
            deadline: Duration::from_secs(600),
            old_ttl: None,
            changed_at: None,
            expected_from: None,
        }
    }
}
