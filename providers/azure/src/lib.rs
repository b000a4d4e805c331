//! Azure DNS provider for rtoguard: record sets written with `If-Match` on their ETag, a native compare-and-set.
//!
//! - [`AzureSettings`], [`AzureProvider`]: the provider and what it needs.
//! - `api`: the wire types (record set, ARM error body, token answers).
//! - `auth`: [`Credentials`]: client secret or managed identity; tokens cached until near expiry.
//! - `client`: the ARM requests: budget, retries, conditional PUTs, errors.
//! - `plan`: record sets to ours, names to ARM paths, a change to one fenced PUT.
//!
//! A change reads the record set and its ETag, compares it with the expected
//! state, and PUTs the new one with `If-Match: <etag>` (`If-None-Match: *`
//! when there was none): Azure refuses it with 412 when anyone wrote in
//! between, so two writers can never both win. Azure applies a PUT before
//! it answers; the record set is read back once to verify.

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
    SyncState,
};
use tracing::info;

pub use auth::Credentials;
pub use plan::TTL_FLOOR;

use crate::api::ArmRecordSet;
use crate::auth::Tokens;
use crate::client::{Address, Arm};
use crate::plan::Step;

/// Where and how to reach Azure DNS. `Debug` never shows the secret.
#[derive(Clone, Debug)]
pub struct AzureSettings {
    /// The provider's name in the config.
    pub name: String,
    pub subscription_id: String,
    pub resource_group: String,
    /// The Azure zone to write in; `None` takes each service's zone.
    pub zone_name: Option<String>,
    pub credentials: Credentials,
    /// Azure Resource Manager ([`AzureSettings::DEFAULT_API_URL`]).
    pub api_url: String,
    /// The identity platform ([`AzureSettings::DEFAULT_LOGIN_URL`]).
    pub login_url: String,
    /// The instance metadata service ([`AzureSettings::DEFAULT_IMDS_URL`]).
    pub imds_url: String,
    /// The request budget.
    pub requests_per_second: u32,
}

impl AzureSettings {
    pub const DEFAULT_API_URL: &'static str = "https://management.azure.com";
    pub const DEFAULT_LOGIN_URL: &'static str = "https://login.microsoftonline.com";
    pub const DEFAULT_IMDS_URL: &'static str = "http://169.254.169.254";
    pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 5;
}

/// The Azure DNS provider. Flips replace the record set (no weights).
pub struct AzureProvider {
    name: String,
    zone_name: Option<String>,
    arm: Arm,
}

impl fmt::Debug for AzureProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureProvider")
            .field("name", &self.name)
            .field("credentials", &self.arm.tokens.source())
            .finish()
    }
}

impl AzureProvider {
    /// Check the settings and build the HTTP client; no request is sent.
    pub fn new(s: AzureSettings) -> Result<Self, ProviderError> {
        let bad = |message: String| ProviderError::BadRequest {
            provider: s.name.clone(),
            message,
        };
        for (field, url) in [
            ("api_url", &s.api_url),
            ("login_url", &s.login_url),
            ("imds_url", &s.imds_url),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(bad(format!("{field} {url} is not an http(s) URL")));
            }
        }
        for (field, v) in [
            ("subscription_id", &s.subscription_id),
            ("resource_group", &s.resource_group),
        ] {
            if v.trim().is_empty() || v.contains('/') {
                return Err(bad(format!("{field} \"{v}\" is not an Azure {field}")));
            }
        }
        if let Credentials::ClientSecret {
            secret,
            secret_source,
            ..
        } = &s.credentials
            && secret.trim().is_empty()
        {
            return Err(bad(format!(
                "the client secret from {secret_source} is empty"
            )));
        }
        // Err means a provider is installed already, which is all we need.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("rtoguard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| bad(format!("cannot build the HTTP client: {e}")))?;
        let tokens = Tokens::new(
            &s.name,
            http.clone(),
            s.credentials,
            &s.login_url,
            &s.imds_url,
        );
        let base = format!(
            "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/dnsZones",
            s.api_url.trim_end_matches('/'),
            s.subscription_id.trim(),
            s.resource_group.trim()
        );
        Ok(Self {
            name: s.name,
            zone_name: s.zone_name,
            arm: Arm::new(http, base, tokens, s.requests_per_second),
        })
    }

    /// How long and how often to retry retryable failures.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.arm.policy = policy;
        self
    }

    /// Where `name`/`rtype` lives in ARM: the configured zone, else the service's.
    fn address(&self, zone: &str, name: &str, rtype: RecordType) -> Result<Address, ProviderError> {
        let zone = self.zone_name.as_deref().unwrap_or(zone);
        Ok(Address {
            zone: plan::zone_name(zone),
            rtype,
            relative: plan::relative_name(&self.name, zone, name)?,
        })
    }

    /// One compare and fenced PUT, one attempt.
    async fn compare_and_put(
        &self,
        at: &Address,
        change: &Change,
        retried: bool,
    ) -> Result<Step, ProviderError> {
        let now = self.arm.get_once(at).await?;
        let step = plan::compare(&self.name, change, now.as_ref(), retried)?;
        if let Step::Write(put, fence) = &step {
            self.arm.put_once(at, put, fence).await?;
        }
        Ok(step)
    }

    /// Read back after a write: anything but the desired state is a conflict.
    async fn verify(&self, at: &Address, change: &Change) -> Result<ArmRecordSet, ProviderError> {
        let back = self.arm.get(at).await?;
        match back {
            Some(rs) if plan::serves(change, Some(&rs)) => Ok(rs),
            other => Err(ProviderError::Conflict {
                provider: self.name.clone(),
                message: format!(
                    "{} {}: after the write Azure serves [{}], not the change (another writer?)",
                    change.name(),
                    change.rtype(),
                    plan::show(&plan::to_sets(
                        change.name(),
                        change.rtype(),
                        other.as_ref()
                    ))
                ),
            }),
        }
    }
}

#[async_trait]
impl Provider for AzureProvider {
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
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        let at = self.address(zone, name, rtype)?;
        let found = self.arm.get(&at).await?;
        Ok(plan::to_sets(name, rtype, found.as_ref()))
    }

    async fn prove_access(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<String, ProviderError> {
        let at = self.address(zone, name, rtype)?;
        self.arm.get_once(&at).await?;
        Ok(format!(
            "a token from the {} and an authenticated read of {name} {rtype} in zone {} answered",
            self.arm.tokens.source(),
            at.zone
        ))
    }

    async fn apply(&self, zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        plan::check(&self.name, change)?;
        let at = self.address(zone, change.name(), change.rtype())?;
        let attempts = AtomicU32::new(0);
        let what = format!("PUT {} {}", change.name(), change.rtype());
        let step = retry(&self.arm.budget, self.arm.policy, &what, || {
            let retried = attempts.fetch_add(1, Ordering::SeqCst) > 0;
            self.compare_and_put(&at, change, retried)
        })
        .await?;
        let back = self.verify(&at, change).await?;
        let written = matches!(step, Step::Write(..));
        if written {
            info!(provider = %self.name, name = change.name(), rtype = %change.rtype(),
                etag = %back.etag, "Azure record set replaced (If-Match) and read back.");
        } else {
            info!(provider = %self.name, name = change.name(), rtype = %change.rtype(),
                "Azure record set already as desired, nothing written.");
        }
        Ok(Receipt {
            id: back.etag,
            status: if written { "applied" } else { "unchanged" }.into(),
        })
    }

    async fn wait_in_sync(
        &self,
        zone: &str,
        change: &Change,
        _receipt: &Receipt,
        _timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        // Azure applies a PUT before it answers: one read confirms it.
        let at = self.address(zone, change.name(), change.rtype())?;
        let now = self.arm.get(&at).await?;
        Ok(if plan::serves(change, now.as_ref()) {
            SyncState::InSync
        } else {
            SyncState::Pending
        })
    }
}
