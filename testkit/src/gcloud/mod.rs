//! A strict double of Google Cloud DNS (API v1) and its OAuth token endpoint on 127.0.0.1.
//!
//! See `README.md` beside this file for what it checks and what it does not.
//! It serves one managed zone of one project: the token endpoint
//! (`POST /token`, which verifies the RS256 assertion against the test key),
//! the metadata server's token (`GET /computeMetadata/…/token`), the zone,
//! `rrsets` (list with `name`/`type`), `changes` (create, get). A change
//! applies whole or not at all: 412 `conditionNotMet` for a deletion that
//! does not match the served set exactly, 404 `notFound` for one of a set
//! that is not there, 409 `alreadyExists` for an addition of a set that is.
//! A change is `pending` for the next `pending_polls` gets of it, then
//! `done`. Faults on demand: a status with a Google error reason (429
//! `rateLimitExceeded` with `Retry-After`, 500) for the next API requests,
//! a rival change just before the next write, and a change applied whose answer is lost (503). Every request is
//! recorded, and every breach of the API is kept for the test to assert on.

// The double stamps its changes and checks assertions on the wall clock, as
// the real service does.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod handlers;
mod jwt;

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use crate::serve::Served;

/// A 2048-bit RSA key in PKCS#8 PEM made for these tests only (it signs
/// nothing anywhere else): the double checks assertions against its public
/// half.
pub const TEST_ONLY_PRIVATE_KEY: &str = include_str!("test-only-service-account-key.pem");
/// The service account the test key belongs to.
pub const TEST_ACCOUNT: &str = "rtoguard-test@test-project.iam.gserviceaccount.com";

/// A service-account key file as Google hands it out, for the test key,
/// exchanging its assertions at `token_uri`.
pub fn service_account_json(token_uri: &str) -> String {
    service_account_json_for(TEST_ACCOUNT, token_uri)
}

/// The same key file, claiming to be `account`.
pub fn service_account_json_for(account: &str, token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": TEST_ONLY_PRIVATE_KEY,
        "client_email": account,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    })
    .to_string()
}

/// A record set in the API's shape.
pub fn rrset(name: &str, rtype: &str, ttl: u32, rrdatas: &[&str]) -> Value {
    json!({ "kind": "dns#resourceRecordSet", "name": name, "type": rtype, "ttl": ttl, "rrdatas": rrdatas })
}

/// One request as the double saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub body: Option<Value>,
    pub status: u16,
}

/// A change made by a rival writer: gets the served record sets.
pub type Rival = Box<dyn FnOnce(&mut Vec<Value>) + Send>;

/// A status to answer API requests with instead of the real one.
struct Injected {
    left: u32,
    status: u16,
    reason: String,
    retry_after: Option<u64>,
}

/// One change the double accepted.
struct Accepted {
    change: Value,
    polls_left: u32,
}

/// Everything the double holds; behind one lock.
pub(crate) struct State {
    project: String,
    managed_zone: String,
    dns_name: String,
    account: String,
    public_key: Vec<u8>,
    rrsets: Vec<Value>,
    changes: Vec<Accepted>,
    tokens: Vec<String>,
    pending_polls: u32,
    injected: Option<Injected>,
    before_write: Option<Rival>,
    lose_answer: bool,
    requests: Vec<Seen>,
    breaches: Vec<String>,
    /// Set when the double learns its own address: the `aud` assertions must carry.
    token_uri: String,
}

/// A running double; stopped on drop.
pub struct Double {
    served: Served,
    shared: Arc<Mutex<State>>,
}

impl Double {
    /// Start a double of managed zone `managed_zone` (serving `dns_name`,
    /// e.g. `example.test.`) in `project`, holding `rrsets`.
    pub fn start(project: &str, managed_zone: &str, dns_name: &str, rrsets: Vec<Value>) -> Self {
        let shared = Arc::new(Mutex::new(State {
            project: project.to_string(),
            managed_zone: managed_zone.to_string(),
            dns_name: dns_name.to_string(),
            account: TEST_ACCOUNT.to_string(),
            public_key: jwt::public_key(TEST_ONLY_PRIVATE_KEY),
            rrsets,
            changes: Vec::new(),
            tokens: Vec::new(),
            pending_polls: 1,
            injected: None,
            before_write: None,
            lose_answer: false,
            requests: Vec::new(),
            breaches: Vec::new(),
            token_uri: String::new(),
        }));
        let served = Served::start(handlers::router(shared.clone()));
        let d = Self { served, shared };
        d.state().token_uri = d.token_uri();
        d
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The API root, as `api_url` (and `metadata_url`) in the settings.
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr())
    }

    /// The token endpoint, as `token_uri` in a key file.
    pub fn token_uri(&self) -> String {
        format!("http://{}/token", self.served.addr())
    }

    /// The record sets served now.
    pub fn rrsets(&self) -> Vec<Value> {
        self.state().rrsets.clone()
    }

    /// Replace what is served (a rival writer, outside any request).
    pub fn set_rrsets(&self, rrsets: Vec<Value>) {
        self.state().rrsets = rrsets;
    }

    /// Answer the next `count` API requests (not the token endpoint's) with
    /// `status` and a Google error body giving `reason` (and `Retry-After`
    /// seconds, when given).
    pub fn inject(&self, status: u16, reason: &str, count: u32, retry_after: Option<u64>) {
        self.state().injected = Some(Injected {
            left: count,
            status,
            reason: reason.to_string(),
            retry_after,
        });
    }

    /// A new change stays `pending` for this many gets of it (1 unless set).
    pub fn pending_polls(&self, polls: u32) {
        self.state().pending_polls = polls;
    }

    /// A rival change just before the next `POST …/changes` is checked.
    pub fn before_write(&self, rival: Rival) {
        self.state().before_write = Some(rival);
    }

    /// Apply the next accepted change, then answer 503 `backendError` as if
    /// the answer were lost on the way back.
    pub fn lose_next_answer(&self) {
        self.state().lose_answer = true;
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.state().requests.clone()
    }

    /// The bodies of every `POST …/changes` so far.
    pub fn changes_posted(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/changes"))
            .filter_map(|r| r.body)
            .collect()
    }

    /// How many access tokens the double has issued.
    pub fn tokens_issued(&self) -> usize {
        self.state().tokens.len()
    }

    /// Every breach of the API seen so far, in words.
    pub fn breaches(&self) -> Vec<String> {
        self.state().breaches.clone()
    }
}
