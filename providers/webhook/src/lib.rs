//! external-dns webhook provider for rtoguard: any provider that speaks
//! external-dns's webhook protocol (version 1), run as a sidecar.
//!
//! - [`WebhookSettings`], [`WebhookProvider`]: the provider and what it needs.
//! - `api`: the protocol's wire types (endpoints, changes, the domain filter).
//! - `client`: the media type, the optional bearer token, the budget, errors.
//! - `plan`: endpoints to record sets, and a change to one `POST /records`.
//!
//! The protocol has no compare-and-set. Like the Cloudflare provider this one
//! fences by reading, comparing with the expected state, writing, reading
//! back and verifying; a read-back that differs is a conflict. A rival write
//! between our read and our write can still be overwritten (the window the
//! README's provider table names).

#![forbid(unsafe_code)]

mod api;
mod client;
mod plan;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::limits::{Budget, RetryPolicy, retry};
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, Provider, ProviderError, Receipt, RecordSet, RecordType,
    SyncState,
};
use tokio::sync::OnceCell;
use tracing::info;

pub use api::{Changes, DomainFilter, Endpoint, MEDIA_TYPE};

use crate::client::{Client, Token};

/// The lowest TTL rtoguard writes through a webhook (the provider behind it
/// may have a higher floor: `/adjustendpoints` tells, and a change it would
/// adjust is refused).
pub const TTL_FLOOR: u32 = 1;

/// Where and how to reach the webhook. `Debug` never shows the token.
#[derive(Clone)]
pub struct WebhookSettings {
    /// The provider's name in the config.
    pub name: String,
    /// The webhook's root, `http://127.0.0.1:8888`.
    pub url: String,
    /// An optional bearer token and where it came from (`file /etc/…`).
    pub token: Option<(String, String)>,
    /// The longest one request may take.
    pub timeout: Duration,
    pub requests_per_second: u32,
}

impl WebhookSettings {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 10;

    pub fn new(name: &str, url: &str) -> Self {
        Self {
            name: name.to_string(),
            url: url.to_string(),
            token: None,
            timeout: Self::DEFAULT_TIMEOUT,
            requests_per_second: Self::DEFAULT_REQUESTS_PER_SECOND,
        }
    }
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("name", &self.name)
            .field("url", &self.url)
            .field(
                "token",
                &self.token.as_ref().map(|(_, src)| ("REDACTED", src)),
            )
            .field("timeout", &self.timeout)
            .field("requests_per_second", &self.requests_per_second)
            .finish()
    }
}

/// The webhook provider. Flips replace the targets of one endpoint (no weights).
#[derive(Debug)]
pub struct WebhookProvider {
    name: String,
    client: Client,
    /// The negotiation's answer, asked for once before the first read.
    filter: OnceCell<DomainFilter>,
}

/// What one write attempt did.
enum Written {
    Already,
    Sent(Changes),
}

impl WebhookProvider {
    /// Check the settings and build the HTTP client; no request is sent.
    pub fn new(s: WebhookSettings) -> Result<Self, ProviderError> {
        if !(s.url.starts_with("http://") || s.url.starts_with("https://")) {
            return Err(ProviderError::BadRequest {
                provider: s.name.clone(),
                message: format!("url {:?} is not an http(s) URL", s.url),
            });
        }
        let token = s
            .token
            .map(|(t, source)| (Token::new(t.trim().to_string()), source));
        let client = Client::new(&s.name, &s.url, token, s.timeout, s.requests_per_second)?;
        Ok(Self {
            name: s.name,
            client,
            filter: OnceCell::new(),
        })
    }

    /// How long and how often to retry retryable failures.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.client.policy = policy;
        self
    }

    /// Negotiate once, then refuse names the provider says it does not serve.
    async fn admit(&self, name: &str) -> Result<(), ProviderError> {
        let filter = self
            .filter
            .get_or_try_init(|| self.client.negotiate_retried())
            .await?;
        self.admitted(filter, name)
    }

    fn admitted(&self, filter: &DomainFilter, name: &str) -> Result<(), ProviderError> {
        if filter.admits(name) {
            return Ok(());
        }
        Err(ProviderError::BadRequest {
            provider: self.name.clone(),
            message: format!(
                "{name} is outside the domains the webhook at {} serves ({})",
                self.client.url("/"),
                filter.describe()
            ),
        })
    }

    async fn current(&self, name: &str, rtype: RecordType) -> Result<Vec<Endpoint>, ProviderError> {
        let all = self.client.records().await?;
        Ok(plan::matching(name, rtype, &all)
            .into_iter()
            .cloned()
            .collect())
    }

    /// Read, compare with the expected state, adjust, write: one attempt.
    async fn attempt(&self, change: &Change, want: &RecordSet) -> Result<Written, ProviderError> {
        let all = self.client.records_once().await?;
        let found = plan::matching(change.name(), change.rtype(), &all);
        let sets = plan::to_sets(change.rtype(), &found);
        if plan::same(&sets, change.desired()) {
            return Ok(Written::Already);
        }
        if !plan::same(&sets, change.expected()) {
            return Err(self.conflict(change, &sets, "before the write"));
        }
        if found.len() > 1 {
            return Err(ProviderError::BadRequest {
                provider: self.name.clone(),
                message: format!(
                    "{} {}: {} records with set identifiers; rtoguard manages one plain record here",
                    change.name(),
                    change.rtype(),
                    found.len()
                ),
            });
        }
        let current = found.first().copied();
        let new = plan::wanted(want, current);
        let adjusted = self.client.adjust(std::slice::from_ref(&new)).await?;
        let new = plan::check_adjusted(&self.name, change.rtype(), &new, &adjusted)?;
        let body = plan::changes(current, new);
        self.client.apply(&body).await?;
        Ok(Written::Sent(body))
    }

    fn conflict(&self, change: &Change, found: &[RecordSet], when: &str) -> ProviderError {
        let show = |s: &[RecordSet]| {
            if s.is_empty() {
                "nothing".to_string()
            } else {
                s.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let mut message = format!(
            "{} {} {when}: the webhook serves {}, expected {}",
            change.name(),
            change.rtype(),
            show(found),
            show(change.expected())
        );
        if when == "after the write" && plan::same(found, change.expected()) {
            message.push_str(
                "; the webhook accepted the change yet serves the old records: does it read updateOld/updateNew (the protocol's names since external-dns 0.17)?",
            );
        }
        ProviderError::Conflict {
            provider: self.name.clone(),
            message,
        }
    }

    /// Read back after a write: anything but the desired state is a conflict.
    async fn verify(&self, change: &Change) -> Result<(), ProviderError> {
        let found = self.current(change.name(), change.rtype()).await?;
        let sets = plan::to_sets(change.rtype(), &found.iter().collect::<Vec<_>>());
        if plan::same(&sets, change.desired()) {
            return Ok(());
        }
        Err(self.conflict(change, &sets, "after the write"))
    }
}

#[async_trait]
impl Provider for WebhookProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            weighted: false,
            ttl_floor: TTL_FLOOR,
            cas: CasMode::ReadCompareWrite,
            served_here: false,
        }
    }

    async fn read(
        &self,
        _zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        self.admit(name).await?;
        let found = self.current(name, rtype).await?;
        Ok(plan::to_sets(rtype, &found.iter().collect::<Vec<_>>()))
    }

    /// The negotiation and one `GET /records`, each sent once.
    async fn prove_access(
        &self,
        zone: &str,
        name: &str,
        _rtype: RecordType,
    ) -> Result<String, ProviderError> {
        let filter = self.client.negotiate().await?;
        self.admitted(&filter, name)?;
        let all = self.client.records_once().await?;
        Ok(format!(
            "negotiated version 1 of the external-dns webhook protocol at {} (domains: {}); GET /records answered {} records, zone {zone}",
            self.client.url("/"),
            filter.describe(),
            all.len()
        ))
    }

    async fn apply(&self, _zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        let want = plan::check(&self.name, change)?;
        self.admit(change.name()).await?;
        // Each attempt reads and compares again: the write itself is never
        // repeated blind, since nothing at the provider fences it.
        let attempts = Budget::per_second(1000);
        let what = format!("write {} {}", change.name(), change.rtype());
        let written = retry(&attempts, self.client.policy, &what, || {
            self.attempt(change, want)
        })
        .await?;
        let Written::Sent(body) = written else {
            info!(provider = %self.name, name = change.name(), rtype = %change.rtype(), "Records already as desired, nothing written.");
            return Ok(Receipt {
                id: String::new(),
                status: "unchanged".into(),
            });
        };
        self.verify(change).await?;
        let kind = if body.create.is_empty() {
            "updated"
        } else {
            "created"
        };
        info!(provider = %self.name, name = change.name(), rtype = %change.rtype(), kind, "Wrote the record through the webhook and read it back.");
        Ok(Receipt {
            id: String::new(),
            status: kind.into(),
        })
    }

    async fn wait_in_sync(
        &self,
        _zone: &str,
        change: &Change,
        _receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        // The protocol has no change status: read until the webhook serves it.
        let start = tokio::time::Instant::now();
        loop {
            let found = self.current(change.name(), change.rtype()).await?;
            let sets = plan::to_sets(change.rtype(), &found.iter().collect::<Vec<_>>());
            if plan::same(&sets, change.desired()) {
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
