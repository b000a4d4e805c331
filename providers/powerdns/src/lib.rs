//! PowerDNS Authoritative provider for rtoguard: the HTTP API, read-compare-write with rrset REPLACE.
//!
//! - [`PowerDnsSettings`], [`PowerDnsProvider`]: the provider and what it needs.
//! - `api`: the wire types (zone, rrsets, the PATCH body, the error body).
//! - `client`: the `X-API-Key` header, the request budget, retries, errors.
//! - `plan`: rrsets to record sets, and a change to one REPLACE.
//! - `sync`: the in-sync check on the server's DNS port (SOA serial, values).
//!
//! PowerDNS has no compare-and-set: a change reads the rrset, compares it
//! with the expected state, PATCHes `changetype: REPLACE`, then reads it back
//! and reports a conflict when it differs. PowerDNS serves a change from its
//! backend at once and bumps the SOA serial by the zone's SOA-EDIT-API. For
//! primary zones rtoguard asks it to NOTIFY the secondaries at once
//! (`PUT …/notify`); left alone it would at its next `xfr-cycle-interval`.

#![forbid(unsafe_code)]

mod api;
mod client;
mod plan;
mod sync;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::limits::{RetryPolicy, retry};
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, Provider, ProviderError, Receipt, RecordSet, RecordType,
    SyncState, poll_in_sync,
};
use tracing::{debug, info, warn};

pub use plan::TTL_FLOOR;

use crate::api::{Zone, zone_id};
use crate::client::{ApiKey, Client, Who};
use crate::plan::Step;
use crate::sync::DnsPort;

/// Where and how to reach PowerDNS. `Debug` never shows the key.
#[derive(Clone)]
pub struct PowerDnsSettings {
    /// The provider's name in the config.
    pub name: String,
    /// The API root, `http://127.0.0.1:8081/api/v1`.
    pub api_url: String,
    /// The server id in API paths ([`PowerDnsSettings::DEFAULT_SERVER_ID`]).
    pub server_id: String,
    /// The API key (secret).
    pub api_key: String,
    /// Where the key came from (`file /etc/rtoguard/pdns-key`), for messages.
    pub key_source: String,
    /// The server's DNS port, to confirm a change is served; without it the
    /// API is read instead.
    pub dns_server: Option<SocketAddr>,
    /// The request budget.
    pub requests_per_second: u32,
}

impl PowerDnsSettings {
    pub const DEFAULT_SERVER_ID: &'static str = "localhost";
    pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 10;
}

impl fmt::Debug for PowerDnsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PowerDnsSettings")
            .field("name", &self.name)
            .field("api_url", &self.api_url)
            .field("server_id", &self.server_id)
            .field("api_key", &"REDACTED")
            .field("key_source", &self.key_source)
            .field("dns_server", &self.dns_server)
            .field("requests_per_second", &self.requests_per_second)
            .finish()
    }
}

/// The PowerDNS provider. Flips replace the rrset (no weights).
#[derive(Debug)]
pub struct PowerDnsProvider {
    name: String,
    client: Client,
    dns: Option<DnsPort>,
}

impl PowerDnsProvider {
    /// Check the settings and build the HTTP client; no request is sent.
    pub fn new(s: PowerDnsSettings) -> Result<Self, ProviderError> {
        let bad = |message: String| ProviderError::BadRequest {
            provider: s.name.clone(),
            message,
        };
        if s.api_key.trim().is_empty() {
            return Err(bad(format!("the API key from {} is empty", s.key_source)));
        }
        if !(s.api_url.starts_with("https://") || s.api_url.starts_with("http://")) {
            return Err(bad(format!("api_url {} is not an http(s) URL", s.api_url)));
        }
        if s.server_id.is_empty() || s.server_id.contains('/') {
            return Err(bad(format!(
                "server_id \"{}\" is not a server id",
                s.server_id
            )));
        }
        let who = Who {
            provider: s.name.clone(),
            key_source: s.key_source.clone(),
        };
        let key = ApiKey::new(s.api_key.trim().to_string());
        let client = Client::new(&s.api_url, &s.server_id, key, who, s.requests_per_second)?;
        let dns = s.dns_server.map(|server| DnsPort {
            provider: s.name.clone(),
            server,
            timeout: Duration::from_secs(2),
        });
        Ok(Self {
            name: s.name,
            client,
            dns,
        })
    }

    /// How long and how often to retry retryable failures.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.client.policy = policy;
        self
    }

    /// The zone with only the rrset at `name`/`rtype` (PowerDNS 4.7 and later
    /// filter; an older server sends every rrset, which `plan` filters).
    async fn zone(&self, zone: &str, name: &str, rtype: RecordType) -> Result<Zone, ProviderError> {
        self.client.zone(&zone_id(zone), &filter(name, rtype)).await
    }

    /// One read-compare-write, one attempt. It reads the whole zone: PowerDNS
    /// 4.7 leaves disabled records out of an rrset-filtered answer, and a
    /// REPLACE must carry them over or they are lost.
    async fn compare_and_write(
        &self,
        zone: &str,
        change: &Change,
        retried: bool,
    ) -> Result<Step, ProviderError> {
        let id = zone_id(zone);
        let now = self.client.zone_once(&id, &[]).await?;
        let step = plan::compare(&self.name, change, &now.rrsets, retried)?;
        if let Step::Write(patch) = &step {
            self.client.patch_once(&id, patch).await?;
        }
        Ok(step)
    }

    /// Read back after a write: anything but the desired state is a conflict.
    async fn verify(&self, zone: &str, change: &Change) -> Result<Zone, ProviderError> {
        let back = self.zone(zone, change.name(), change.rtype()).await?;
        if plan::serves(change, &back.rrsets) {
            return Ok(back);
        }
        let found = plan::to_sets(change.name(), change.rtype(), &back.rrsets);
        Err(ProviderError::Conflict {
            provider: self.name.clone(),
            message: format!(
                "{} {}: after the write PowerDNS serves [{}], not the change (another writer?)",
                change.name(),
                change.rtype(),
                rtoguard_provider_api::show(&found)
            ),
        })
    }

    /// NOTIFY the secondaries of a primary zone now: PowerDNS would on its
    /// own only at its next `xfr-cycle-interval` check (60 s by default).
    /// The change is made already, so a refusal is logged, not returned.
    async fn notify(&self, zone: &str) {
        match self.client.notify(&zone_id(zone)).await {
            Ok(()) => debug!(provider = %self.name, zone, "NOTIFY queued for the secondaries."),
            Err(e) => warn!(provider = %self.name, zone, error = %e,
                "NOTIFY not queued; secondaries follow at PowerDNS's next check."),
        }
    }

    /// True when the server serves the change: on its DNS port when known
    /// (serial `want` or later), else through the API.
    async fn in_sync(
        &self,
        zone: &str,
        change: &Change,
        want: Option<u32>,
    ) -> Result<bool, ProviderError> {
        match &self.dns {
            Some(dns) => dns.serves(zone, change, want).await,
            None => {
                let now = self.zone(zone, change.name(), change.rtype()).await?;
                Ok(plan::serves(change, &now.rrsets))
            }
        }
    }
}

fn filter(name: &str, rtype: RecordType) -> Vec<(&'static str, String)> {
    vec![
        ("rrset_name", rtoguard_provider_api::normalize_name(name)),
        ("rrset_type", rtype.as_str().to_string()),
    ]
}

#[async_trait]
impl Provider for PowerDnsProvider {
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
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        let z = self.zone(zone, name, rtype).await?;
        Ok(plan::to_sets(name, rtype, &z.rrsets))
    }

    async fn apply(&self, zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        plan::check(&self.name, change)?;
        let attempts = AtomicU32::new(0);
        let what = format!("PATCH {} {}", change.name(), change.rtype());
        let step = retry(&self.client.budget, self.client.policy, &what, || {
            let retried = attempts.fetch_add(1, Ordering::SeqCst) > 0;
            self.compare_and_write(zone, change, retried)
        })
        .await?;
        let back = self.verify(zone, change).await?;
        let written = matches!(step, Step::Write(_));
        if written && back.is_primary() {
            self.notify(zone).await;
        }
        if written {
            info!(provider = %self.name, name = change.name(), rtype = %change.rtype(),
                serial = back.serial, kind = %back.kind, "PowerDNS rrset replaced and read back.");
        } else {
            info!(provider = %self.name, name = change.name(), rtype = %change.rtype(),
                serial = back.serial, "PowerDNS rrset already as desired, nothing written.");
        }
        Ok(Receipt {
            id: back.serial.to_string(),
            status: if written { "applied" } else { "unchanged" }.into(),
        })
    }

    async fn wait_in_sync(
        &self,
        zone: &str,
        change: &Change,
        receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        // The receipt carries the serial read back after the write; the DNS
        // port serves the change once it answers that serial or later.
        let want = receipt.id.parse::<u32>().ok();
        poll_in_sync(&self.name, timeout, Duration::from_millis(250), || {
            self.in_sync(zone, change, want)
        })
        .await
    }
}
