//! Cloudflare provider for rtoguard: the v4 REST API, read-compare-write through the batch endpoint.
//!
//! - [`CloudflareSettings`], [`CloudflareProvider`]: the provider and what it needs.
//! - `api`: the wire types (envelope, records kept raw when of a type we
//!   don't manage, batches).
//! - `client`: bearer auth, the request budget, retries, errors.
//! - `plan`: records to record sets, and a change to one batch.
//! - `records`: zone lookup and paginated listing.
//! - `access`: the doctor's proof (token verify, a zone read), one request each.

#![forbid(unsafe_code)]

mod access;
mod api;
mod client;
mod plan;
mod records;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::limits::RetryPolicy;
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, Provider, ProviderError, Receipt, RecordSet, RecordType,
    SyncState,
};
use tracing::info;

pub use api::{DnsRecord, Record};
pub use plan::{TTL_AUTO, TTL_FLOOR};

use crate::api::{Batch, BatchResult};
use crate::client::{Client, Token, Who};

/// Where and how to reach Cloudflare. `Debug` never shows the token.
#[derive(Clone)]
pub struct CloudflareSettings {
    /// The provider's name in the config.
    pub name: String,
    /// The v4 API root, [`CloudflareSettings::DEFAULT_API_URL`] in production.
    pub api_url: String,
    /// The API token (secret).
    pub token: String,
    /// Where the token came from (`file /etc/rtoguard/cf-token`, `env CF_TOKEN`),
    /// for messages.
    pub token_source: String,
    /// The zone id, when known; otherwise zones are found by name.
    pub zone_id: Option<String>,
    /// The request budget; 4 a second is Cloudflare's 1200 per 5 minutes.
    pub requests_per_second: u32,
}

impl CloudflareSettings {
    pub const DEFAULT_API_URL: &'static str = "https://api.cloudflare.com/client/v4";
    pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 4;

    /// Settings with the default API URL and budget, zones found by name.
    pub fn new(name: &str, token: String, token_source: &str) -> Self {
        Self {
            name: name.to_string(),
            api_url: Self::DEFAULT_API_URL.to_string(),
            token,
            token_source: token_source.to_string(),
            zone_id: None,
            requests_per_second: Self::DEFAULT_REQUESTS_PER_SECOND,
        }
    }
}

impl fmt::Debug for CloudflareSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudflareSettings")
            .field("name", &self.name)
            .field("api_url", &self.api_url)
            .field("token", &"REDACTED")
            .field("token_source", &self.token_source)
            .field("zone_id", &self.zone_id)
            .field("requests_per_second", &self.requests_per_second)
            .finish()
    }
}

/// The Cloudflare provider. Flips replace record contents (no weights).
#[derive(Debug)]
pub struct CloudflareProvider {
    name: String,
    client: Client,
    zones: records::Zones,
    page_size: u32,
    ttl_floor: u32,
}

impl CloudflareProvider {
    /// Check the settings and build the HTTP client; no request is sent.
    pub fn new(s: CloudflareSettings) -> Result<Self, ProviderError> {
        let bad = |message: String| ProviderError::BadRequest {
            provider: s.name.clone(),
            message,
        };
        if s.token.trim().is_empty() {
            return Err(bad(format!(
                "the API token from {} is empty",
                s.token_source
            )));
        }
        if !(s.api_url.starts_with("https://") || s.api_url.starts_with("http://")) {
            return Err(bad(format!(
                "api_url {:?} is not an http(s) URL",
                s.api_url
            )));
        }
        let who = Who {
            provider: s.name.clone(),
            token_source: s.token_source.clone(),
        };
        let token = Token::new(s.token.trim().to_string());
        let client = Client::new(&s.api_url, token, who, s.requests_per_second)?;
        Ok(Self {
            name: s.name,
            client,
            zones: records::Zones::new(s.zone_id),
            page_size: records::DEFAULT_PAGE_SIZE,
            ttl_floor: TTL_FLOOR,
        })
    }

    /// The lowest TTL this zone accepts, when it is not [`TTL_FLOOR`]
    /// (Enterprise zones accept lower); clamped to at least 1.
    pub fn with_ttl_floor(mut self, floor: u32) -> Self {
        self.ttl_floor = floor.max(1);
        self
    }

    /// Records per page when listing (5 to 5000; default 100).
    pub fn with_page_size(mut self, per_page: u32) -> Self {
        self.page_size = per_page.clamp(5, 5000);
        self
    }

    /// How long and how often to retry retryable failures.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.client = self.client.with_policy(policy);
        self
    }

    /// Every record of `zone`, or of one name in it, of any type: the types
    /// rtoguard manages parsed, every other kept as raw JSON.
    pub async fn list_records(
        &self,
        zone: &str,
        name: Option<&str>,
    ) -> Result<Vec<Record>, ProviderError> {
        let id = self.zones.id(&self.client, zone).await?;
        records::list(&self.client, &id, name, None, self.page_size).await
    }

    async fn current(
        &self,
        zone_id: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<DnsRecord>, ProviderError> {
        let all = records::list(
            &self.client,
            zone_id,
            Some(name),
            Some(rtype),
            self.page_size,
        )
        .await?;
        let managed = all.iter().filter_map(Record::managed);
        Ok(plan::matching(name, rtype, managed)
            .into_iter()
            .cloned()
            .collect())
    }

    async fn sets(
        &self,
        zone_id: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        let cur = self.current(zone_id, name, rtype).await?;
        Ok(plan::to_sets(name, rtype, &cur.iter().collect::<Vec<_>>()))
    }

    async fn serves(&self, zone_id: &str, change: &Change) -> Result<bool, ProviderError> {
        let cur = self.current(zone_id, change.name(), change.rtype()).await?;
        Ok(plan::serves(change, &cur.iter().collect::<Vec<_>>()))
    }

    /// Send the batch. A conflict says whether the desired state is in place
    /// anyway: a retried batch whose first attempt landed also ends here.
    async fn write(
        &self,
        zone_id: &str,
        change: &Change,
        batch: &Batch,
    ) -> Result<BatchResult, ProviderError> {
        let path = format!("/zones/{zone_id}/dns_records/batch");
        match self.client.post_fenced(&path, batch).await {
            Ok(answer) => Ok(answer.result),
            Err(ProviderError::Conflict { provider, message }) => {
                let done = self.serves(zone_id, change).await.unwrap_or(false);
                let message = if done {
                    format!(
                        "{message}; the records now hold the desired state (an earlier attempt or another writer applied it)"
                    )
                } else {
                    message
                };
                Err(ProviderError::Conflict { provider, message })
            }
            Err(e) => Err(e),
        }
    }

    /// Read back after a write: anything but the desired state is a conflict.
    async fn verify(&self, zone_id: &str, change: &Change) -> Result<(), ProviderError> {
        if self.serves(zone_id, change).await? {
            return Ok(());
        }
        Err(ProviderError::Conflict {
            provider: self.name.clone(),
            message: format!(
                "{} {}: after the write the records differ from the change (another writer?)",
                change.name(),
                change.rtype()
            ),
        })
    }
}

#[async_trait]
impl Provider for CloudflareProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            weighted: false,
            ttl_floor: self.ttl_floor,
            cas: CasMode::ReadCompareWrite,
            served_here: false,
        }
    }

    async fn read(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        let zone_id = self.zones.id(&self.client, zone).await?;
        self.sets(&zone_id, name, rtype).await
    }

    /// The token-verify endpoint, then a read of the zone, one request each.
    async fn prove_access(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<String, ProviderError> {
        self.prove(zone, name, rtype).await
    }

    async fn apply(&self, zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        plan::check(&self.name, change, self.ttl_floor)?;
        let zone_id = self.zones.id(&self.client, zone).await?;
        let current = self
            .current(&zone_id, change.name(), change.rtype())
            .await?;
        let current: Vec<_> = current.iter().collect();
        let batch = plan::plan_with_floor(&self.name, change, &current, self.ttl_floor)?;
        if batch == Batch::default() {
            info!(provider = %self.name, name = change.name(), rtype = %change.rtype(), "Records already as desired, nothing written.");
            return Ok(Receipt {
                id: String::new(),
                status: "unchanged".into(),
            });
        }
        let result = self.write(&zone_id, change, &batch).await?;
        self.verify(&zone_id, change).await?;
        info!(provider = %self.name, name = change.name(), rtype = %change.rtype(),
            deleted = batch.deletes.len(), patched = batch.patches.len(), created = batch.posts.len(),
            "Replaced Cloudflare records.");
        Ok(Receipt {
            id: result.ids().join(","),
            status: "applied".into(),
        })
    }

    async fn wait_in_sync(
        &self,
        zone: &str,
        change: &Change,
        _receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        // Cloudflare applies at once: read until the API serves the change.
        let start = tokio::time::Instant::now();
        let zone_id = self.zones.id(&self.client, zone).await?;
        loop {
            if self.serves(&zone_id, change).await? {
                return Ok(SyncState::InSync);
            }
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Ok(SyncState::Pending);
            }
            tokio::time::sleep(left.min(Duration::from_secs(1))).await;
        }
    }
}
