//! A strict double of Azure DNS (ARM record sets, api-version 2018-05-01) and its token issuers, on 127.0.0.1.
//!
//! Written from the published REST reference (see README.md beside this
//! file for what it checks and where it is less than Azure): the identity
//! platform's client-credentials token endpoint, IMDS's managed-identity
//! token endpoint (`Metadata: true` required), and record sets `GET`/`PUT`
//! with ETags (a new one per write, 412 when `If-Match` names another or
//! `If-None-Match: *` finds one), the api-version required, the bearer
//! token checked, errors in ARM's shape. Faults on demand: a status (429
//! with `Retry-After`, 500) for the next ARM requests, and a rival write
//! just before the next PUT. Every request is recorded, and every breach of
//! the reference is kept for the test to assert on.

mod arm;
mod handlers;
mod shape;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use crate::serve::Served;

/// The one app registration the identity platform knows.
pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const CLIENT_ID: &str = "0c1f8a3e-5b7d-4e2a-9f61-3d8b2c4a7e90";
pub const CLIENT_SECRET: &str = "Qx8~azure-test-secret-4f2a9c";
/// The resource group the double holds.
pub const SUBSCRIPTION: &str = "d2b1c0a9-8f7e-4d6c-b5a4-938271605f4e";
pub const RESOURCE_GROUP: &str = "rg-dns";

/// One request as the double saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub body: Option<Value>,
    pub status: u16,
}

/// One record set as stored: its properties (as sent) and its ETag.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub properties: Value,
    pub etag: String,
}

/// A status to answer ARM requests with instead of the real one.
struct Injected {
    left: u32,
    status: u16,
    retry_after: Option<u64>,
    code: String,
}

/// Everything the double holds; behind one lock.
pub(crate) struct State {
    zone: String,
    /// By (TYPE, relative name lower-case).
    sets: BTreeMap<(String, String), Stored>,
    writes: u64,
    tokens: Vec<String>,
    issued: u64,
    token_life: u64,
    identity: bool,
    injected: Option<Injected>,
    /// A rival's write (type, relative name, TTL, values) just before the next PUT.
    rival: Option<(String, String, u32, Vec<String>)>,
    requests: Vec<Seen>,
    breaches: Vec<String>,
}

/// A running double; stopped on drop.
pub struct Double {
    server: Served,
    shared: Arc<Mutex<State>>,
}

impl Double {
    /// Start a double holding zone `zone` (no trailing dot) in
    /// [`SUBSCRIPTION`]/[`RESOURCE_GROUP`], empty, with a managed identity.
    pub fn start(zone: &str) -> Self {
        let shared = Arc::new(Mutex::new(State {
            zone: zone.trim_end_matches('.').to_ascii_lowercase(),
            sets: BTreeMap::new(),
            writes: 0,
            tokens: Vec::new(),
            issued: 0,
            token_life: 3599,
            identity: true,
            injected: None,
            rival: None,
            requests: Vec::new(),
            breaches: Vec::new(),
        }));
        let server = Served::start(handlers::router(shared.clone()));
        Self { server, shared }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The root of every endpoint: ARM's `api_url`, the identity platform's
    /// `login_url` and IMDS's `imds_url` alike.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Hold record set `relative`/`rtype` with these values (a new ETag),
    /// as a write from outside would.
    pub fn set(&self, relative: &str, rtype: &str, ttl: u32, values: &[&str]) {
        let values: Vec<String> = values.iter().map(|v| (*v).to_string()).collect();
        arm::put_values(&mut self.state(), rtype, relative, ttl, &values);
    }

    /// Set the tags (`metadata`) of record set `relative`/`rtype`, as a
    /// write from outside would (a new ETag).
    pub fn set_metadata(&self, relative: &str, rtype: &str, metadata: Value) {
        let mut st = self.state();
        let Some(mut props) = st
            .sets
            .get(&arm::key(rtype, relative))
            .map(|s| s.properties.clone())
        else {
            return;
        };
        props["metadata"] = metadata;
        arm::store(&mut st, rtype, relative, props);
    }

    /// The TTL and values of record set `relative`/`rtype`, when it exists.
    pub fn values(&self, relative: &str, rtype: &str) -> Option<(u32, Vec<String>)> {
        let st = self.state();
        let stored = st.sets.get(&arm::key(rtype, relative))?;
        Some(arm::values(rtype, &stored.properties))
    }

    /// The ETag of record set `relative`/`rtype`, when it exists.
    pub fn etag(&self, relative: &str, rtype: &str) -> Option<String> {
        let st = self.state();
        st.sets
            .get(&arm::key(rtype, relative))
            .map(|s| s.etag.clone())
    }

    /// The properties of record set `relative`/`rtype` as stored.
    pub fn properties(&self, relative: &str, rtype: &str) -> Option<Value> {
        let st = self.state();
        st.sets
            .get(&arm::key(rtype, relative))
            .map(|s| s.properties.clone())
    }

    /// Answer the next `count` ARM requests with `status`, ARM error `code`
    /// and `Retry-After` seconds when given.
    pub fn inject(&self, status: u16, count: u32, retry_after: Option<u64>, code: &str) {
        self.state().injected = Some(Injected {
            left: count,
            status,
            retry_after,
            code: code.to_string(),
        });
    }

    /// A rival writes `relative`/`rtype` (a new ETag) just before the next
    /// PUT is weighed.
    pub fn rival_before_next_put(&self, relative: &str, rtype: &str, ttl: u32, values: &[&str]) {
        let values = values.iter().map(|v| (*v).to_string()).collect();
        self.state().rival = Some((rtype.to_string(), relative.to_string(), ttl, values));
    }

    /// Tokens issued from now on last this many seconds.
    pub fn token_life(&self, seconds: u64) {
        self.state().token_life = seconds;
    }

    /// Every token issued so far is refused from now on (revoked).
    pub fn revoke_tokens(&self) {
        self.state().tokens.clear();
    }

    /// IMDS answers that no identity is assigned to this machine.
    pub fn without_identity(&self) {
        self.state().identity = false;
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.state().requests.clone()
    }

    /// Every breach of the reference seen so far, in words.
    pub fn breaches(&self) -> Vec<String> {
        self.state().breaches.clone()
    }
}
