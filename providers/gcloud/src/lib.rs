//! Google Cloud DNS provider for rtoguard: the Changes API, whose exact deletions are a native compare-and-set.
//!
//! - [`GcloudSettings`], [`GcloudProvider`]: the provider and what it needs.
//! - [`Credentials`]: a service-account key, or the metadata server.
//! - `api`: the wire types (record sets, changes, tokens, the error body).
//! - `auth`: the RS256-signed assertion exchanged for an access token, cached.
//! - `client`: the bearer token, the request budget, retries, errors.
//! - `plan`: record sets to ours, and a change to one Changes API body.
//!
//! A change is one `POST …/changes` that deletes exactly the expected record
//! set and adds the desired one. Cloud DNS applies it whole or refuses it
//! whole: a deletion that does not match the served set exactly is refused
//! (412 `conditionNotMet`, or 404 when the set is gone), and so is an
//! addition of a set that exists (409 `alreadyExists`). That is a real
//! compare-and-set: no read comes before the write. The change is served
//! once `GET …/changes/{id}` says `done`.

#![forbid(unsafe_code)]

mod api;
mod auth;
mod client;
mod plan;

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::limits::{RetryPolicy, retry};
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, Provider, ProviderError, Receipt, RecordSet, RecordType,
    SyncState, normalize_name, poll_in_sync,
};
use tracing::info;

pub use auth::{Credentials, DEFAULT_TOKEN_URI, SCOPE};
pub use plan::TTL_FLOOR;

use crate::api::ChangeBody;
use crate::auth::Auth;
use crate::client::{Client, Who};

/// Where and how to reach Cloud DNS. `Debug` never shows the key.
#[derive(Clone, Debug)]
pub struct GcloudSettings {
    /// The provider's name in the config.
    pub name: String,
    /// The Google Cloud project that holds the zone.
    pub project: String,
    /// The managed zone's name in Cloud DNS (`example-com`), not its DNS name.
    pub managed_zone: String,
    /// The API root ([`GcloudSettings::DEFAULT_API_URL`]).
    pub api_url: String,
    pub credentials: Credentials,
    /// The request budget.
    pub requests_per_second: u32,
}

impl GcloudSettings {
    pub const DEFAULT_API_URL: &'static str = "https://dns.googleapis.com";
    pub const DEFAULT_METADATA_URL: &'static str = "http://metadata.google.internal";
    pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 5;
}

/// The Cloud DNS provider. Flips replace the record set (no weights).
pub struct GcloudProvider {
    name: String,
    client: Client,
}

impl fmt::Debug for GcloudProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcloudProvider")
            .field("name", &self.name)
            .field("client", &self.client)
            .finish()
    }
}

/// What one attempt at the write found.
enum Wrote {
    /// Cloud DNS accepted the change.
    Change(ChangeBody),
    /// An earlier attempt landed before its answer was lost.
    Landed,
}

impl GcloudProvider {
    /// Check the settings, parse the key and build the HTTP client; no
    /// request is sent.
    pub fn new(s: GcloudSettings) -> Result<Self, ProviderError> {
        let bad = |message: String| ProviderError::BadRequest {
            provider: s.name.clone(),
            message,
        };
        if !(s.api_url.starts_with("https://") || s.api_url.starts_with("http://")) {
            return Err(bad(format!("api_url {} is not an http(s) URL", s.api_url)));
        }
        for (field, v) in [("project", &s.project), ("managed_zone", &s.managed_zone)] {
            if v.is_empty() || v.contains(['/', '?', '#', ' ']) {
                return Err(bad(format!("{field} \"{v}\" is not a Cloud DNS id")));
            }
        }
        let auth = Auth::new(&s.name, &s.credentials)?;
        let who = Who {
            provider: s.name.clone(),
            project: s.project.clone(),
            managed_zone: s.managed_zone.clone(),
        };
        let client = Client::new(&s.api_url, auth, who, s.requests_per_second)?;
        Ok(Self {
            name: s.name,
            client,
        })
    }

    /// How long and how often to retry retryable failures.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.client.policy = policy;
        self
    }

    /// The record sets at `name`/`rtype`, as ours.
    async fn sets(&self, name: &str, rtype: RecordType) -> Result<Vec<RecordSet>, ProviderError> {
        let rrsets = self
            .client
            .rrsets(&normalize_name(name), rtype.as_str())
            .await?;
        plan::to_sets(&self.name, name, rtype, &rrsets)
    }

    /// One `POST …/changes`. On a second or later attempt a refusal may mean
    /// the first attempt landed before its answer was lost: the desired state
    /// in place says so.
    async fn write_once(
        &self,
        change: &Change,
        body: &ChangeBody,
        retried: bool,
    ) -> Result<Wrote, ProviderError> {
        match self.client.create_change_once(body).await {
            Ok(c) => Ok(Wrote::Change(c)),
            Err(e @ ProviderError::Conflict { .. }) if retried => {
                let now = self.sets(change.name(), change.rtype()).await?;
                if plan::same(&now, change.desired()) {
                    Ok(Wrote::Landed)
                } else {
                    Err(e)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// A refused change, told with what Cloud DNS serves now.
    async fn conflict(&self, change: &Change, said: String) -> ProviderError {
        let found = match self.sets(change.name(), change.rtype()).await {
            Ok(found) => format!("[{}]", rtoguard_provider_api::show(&found)),
            Err(e) => format!("(unread: {e})"),
        };
        ProviderError::Conflict {
            provider: self.name.clone(),
            message: format!(
                "{} {}: expected [{}], Cloud DNS serves {found}; nothing written ({said})",
                change.name(),
                change.rtype(),
                rtoguard_provider_api::show(change.expected()),
            ),
        }
    }

    /// True when the change is served: `GET …/changes/{id}` says `done`, or
    /// (no id) the record set reads as desired.
    async fn in_sync(&self, change: &Change, id: &str) -> Result<bool, ProviderError> {
        self.client.budget.acquire().await;
        if id.is_empty() {
            let now = self.sets(change.name(), change.rtype()).await?;
            return Ok(plan::same(&now, change.desired()));
        }
        Ok(self.client.change_once(id).await?.status.as_deref() == Some("done"))
    }
}

#[async_trait]
impl Provider for GcloudProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            weighted: false,
            ttl_floor: TTL_FLOOR,
            cas: CasMode::Native,
            served_here: false,
        }
    }

    async fn read(
        &self,
        _zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        self.sets(name, rtype).await
    }

    async fn prove_access(
        &self,
        zone: &str,
        _name: &str,
        _rtype: RecordType,
    ) -> Result<String, ProviderError> {
        let served = self.client.zone_dns_name_once().await?;
        let who = &self.client.who;
        if normalize_name(&served) != normalize_name(zone) {
            return Err(ProviderError::BadRequest {
                provider: self.name.clone(),
                message: format!(
                    "managed zone {} of project {} is {served}, not {}",
                    who.managed_zone,
                    who.project,
                    normalize_name(zone)
                ),
            });
        }
        let by = self.client.auth.account().map_or_else(
            || self.client.auth.source().to_string(),
            |a| format!("service account {a}"),
        );
        Ok(format!(
            "managed zone {} ({served}) of project {} answered an authenticated read (token from {by})",
            who.managed_zone, who.project
        ))
    }

    async fn apply(&self, _zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        let body = plan::body(&self.name, change)?;
        if change.is_noop() {
            // Nothing to write; the compare alone must still hold.
            let now = self.sets(change.name(), change.rtype()).await?;
            if !plan::same(&now, change.expected()) {
                return Err(self.conflict(change, "a no-op change".into()).await);
            }
            return Ok(Receipt {
                id: String::new(),
                status: "unchanged".into(),
            });
        }
        let attempts = AtomicU32::new(0);
        let what = format!("POST change {} {}", change.name(), change.rtype());
        let wrote = retry(&self.client.budget, self.client.policy, &what, || {
            let retried = attempts.fetch_add(1, Ordering::SeqCst) > 0;
            self.write_once(change, &body, retried)
        })
        .await;
        match wrote {
            Ok(Wrote::Change(c)) => {
                let id = c.id.unwrap_or_default();
                let status = c.status.unwrap_or_else(|| "pending".into());
                info!(provider = %self.name, name = change.name(), rtype = %change.rtype(),
                    change = %id, status = %status, "Cloud DNS change accepted.");
                Ok(Receipt { id, status })
            }
            Ok(Wrote::Landed) => {
                info!(provider = %self.name, name = change.name(), rtype = %change.rtype(),
                    "Cloud DNS change landed on an earlier attempt.");
                Ok(Receipt {
                    id: String::new(),
                    status: "landed".into(),
                })
            }
            Err(ProviderError::Conflict { message, .. }) => {
                Err(self.conflict(change, message).await)
            }
            Err(e) => Err(e),
        }
    }

    async fn wait_in_sync(
        &self,
        _zone: &str,
        change: &Change,
        receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        if matches!(receipt.status.as_str(), "done" | "unchanged") {
            return Ok(SyncState::InSync);
        }
        poll_in_sync(&self.name, timeout, Duration::from_millis(500), || {
            self.in_sync(change, &receipt.id)
        })
        .await
    }
}
