//! The provider contract: what every DNS provider plugin of rtoguard implements.
//!
//! - [`RecordSet`], [`RecordType`]: what a provider serves at one name.
//! - [`Change`]: a compare-and-set change (the state expected, the state wanted),
//!   checked at construction so an empty record set can never be sent.
//! - [`ChangeSet`]: the changes of one move (a service's several records),
//!   applied as one change where the provider can, else in order.
//! - [`Provider`]: read, apply, wait-in-sync, capabilities, access checks
//!   (readiness's, and the doctor's single-attempt proof).
//! - [`ProviderError`]: one error type that says whether a retry can help.
//! - [`TsigAlgorithm`]: the TSIG algorithms the config and RFC 2136 share.
//! - [`limits`]: the shared request budget (`governor`) and retry with backoff.
//! - [`table`]: the capabilities table, one row per provider type, as data.

#![forbid(unsafe_code)]

mod change_set;
pub mod limits;
mod record;
pub mod table;
mod tsig;

use std::time::Duration;

use async_trait::async_trait;

pub use change_set::{ChangeSet, split_receipt};
pub use record::{
    AliasTarget, Change, RecordSet, RecordType, normalize_name, normalize_value, show, sorted,
};
pub use tsig::{TsigAlgorithm, decode_base64};

/// What a provider can do; the planner adapts flips to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Capabilities {
    /// The provider has weighted record sets (one per pool, chosen by set id).
    /// Without weights a flip replaces the record values.
    pub weighted: bool,
    /// The lowest TTL the provider accepts, in seconds.
    pub ttl_floor: u32,
    /// How compare-and-set is enforced.
    pub cas: CasMode,
    /// The record sets live in this controller: every controller holds and
    /// serves its own copy (rtoguard answering queries itself), so a write
    /// changes only this controller's copy and the other controllers adopt
    /// the decision from the peer API. False for a provider every
    /// controller writes to in common (RFC 2136, Route 53, ...).
    pub served_here: bool,
}

/// How a provider fences concurrent writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CasMode {
    /// The provider rejects the change atomically when the expected state does
    /// not match (RFC 2136 prerequisites, Route 53 DELETE-must-match).
    Native,
    /// Read, compare, write, read back and verify. A race window remains
    /// between the read and the write.
    ReadCompareWrite,
}

/// What a provider said when it accepted a change: enough to wait for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// The provider's id for the change (Route 53 change id, SOA serial, ...).
    pub id: String,
    /// The provider's own status word when it accepted ("PENDING", "NOERROR", ...).
    pub status: String,
}

/// Whether a change is visible on the provider's own servers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SyncState {
    InSync,
    Pending,
}

/// One DNS provider. Held as `Arc<dyn Provider>`.
///
/// Names are absolute (`checkout.example.com.`); the zone is given with every
/// call because one provider instance may hold many zones.
#[async_trait]
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// The name of this provider instance in the config (`corp-bind`).
    fn name(&self) -> &str;

    /// What this provider can do.
    fn capabilities(&self) -> Capabilities;

    /// Every record set of `rtype` at `name`: one for plain records, one per
    /// set id for weighted ones. Empty when nothing exists.
    async fn read(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError>;

    /// Prove the credentials work with an authenticated request that changes
    /// nothing (the daemon is not ready until every provider answered one).
    /// The default reads `name`: right for providers whose every read is
    /// authenticated (API providers); a provider whose reads are anonymous
    /// (RFC 2136 queries) must override it.
    async fn check_access(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<(), ProviderError> {
        self.read(zone, name, rtype).await.map(|_| ())
    }

    /// What `rtoguard doctor` asks: prove that the provider answers and
    /// accepts our credentials for `zone`, sending each request once (no
    /// retries: the caller bounds the whole check with one short timeout).
    /// `Ok` says what was proved, in words for people. The default runs
    /// [`Provider::check_access`]; providers with a stronger or a
    /// single-attempt proof override it.
    async fn prove_access(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<String, ProviderError> {
        self.check_access(zone, name, rtype).await?;
        Ok(format!("an authenticated read of {name} {rtype} answered"))
    }

    /// Apply `change` only if the provider still serves `change.expected()`.
    /// A mismatch is [`ProviderError::Conflict`] and changes nothing.
    async fn apply(&self, zone: &str, change: &Change) -> Result<Receipt, ProviderError>;

    /// Poll until the change is served by the provider's own servers, or
    /// `timeout` passes (then `Ok(SyncState::Pending)`).
    async fn wait_in_sync(
        &self,
        zone: &str,
        change: &Change,
        receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError>;

    /// Apply every change of `set`, each only if its expected state is
    /// still served. The default applies them one after the other, in
    /// order, and stops at the first error (the caller re-reads and
    /// resumes: the changes already applied are served and are skipped the
    /// next time). A provider that can apply them as one transaction
    /// (RFC 2136: one UPDATE; Route 53: one change batch) overrides it.
    async fn apply_all(&self, zone: &str, set: &ChangeSet) -> Result<Receipt, ProviderError> {
        let mut ids = Vec::new();
        let mut status = String::new();
        for change in set.changes() {
            let r = self.apply(zone, change).await?;
            ids.push(r.id);
            status = r.status;
        }
        let sep = change_set::RECEIPT_SEPARATOR.to_string();
        Ok(Receipt {
            id: ids.join(&sep),
            status,
        })
    }

    /// Wait until every change of `set` is in sync, within one `timeout`
    /// in all; `Pending` when any is not.
    async fn wait_in_sync_all(
        &self,
        zone: &str,
        set: &ChangeSet,
        receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let ids = split_receipt(set, &receipt.id);
        for (change, id) in set.changes().iter().zip(ids) {
            let r = Receipt {
                id,
                status: receipt.status.clone(),
            };
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if self.wait_in_sync(zone, change, &r, left).await? == SyncState::Pending {
                return Ok(SyncState::Pending);
            }
        }
        Ok(SyncState::InSync)
    }
}

/// Ask `in_sync` every `every` until it says yes (`InSync`) or `timeout`
/// passes (`Pending`). A retryable error (a lost query, a slow API) is
/// "not yet"; any other is returned. The body of most providers'
/// [`Provider::wait_in_sync`].
pub async fn poll_in_sync<F, Fut>(
    provider: &str,
    timeout: Duration,
    every: Duration,
    mut in_sync: F,
) -> Result<SyncState, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, ProviderError>>,
{
    let start = tokio::time::Instant::now();
    loop {
        match in_sync().await {
            Ok(true) => return Ok(SyncState::InSync),
            Ok(false) => {}
            Err(e) if e.is_retryable() => {
                tracing::debug!(provider, error = %e, "In-sync check failed, asking again.");
            }
            Err(e) => return Err(e),
        }
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Ok(SyncState::Pending);
        }
        tokio::time::sleep(left.min(every)).await;
    }
}

/// Everything that can go wrong talking to a provider.
///
/// Every variant keeps the provider's own message; none carries a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    #[error("{provider}: timed out: {message}")]
    Timeout { provider: String, message: String },
    #[error("{provider}: throttled{}: {message}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs_f64())).unwrap_or_default())]
    Throttled {
        provider: String,
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("{provider}: server failure: {message}")]
    Server { provider: String, message: String },
    #[error("{provider}: transport error: {message}")]
    Transport { provider: String, message: String },
    #[error("{provider}: authentication refused (credentials from {credential_source}): {message}")]
    Auth {
        provider: String,
        credential_source: String,
        message: String,
    },
    #[error("{provider}: conflict: the records changed since they were read: {message}")]
    Conflict { provider: String, message: String },
    #[error("{provider}: bad request: {message}")]
    BadRequest { provider: String, message: String },
    #[error("{provider}: not found: {message}")]
    NotFound { provider: String, message: String },
    #[error("refused: {0}")]
    Refused(String),
}

impl ProviderError {
    /// True when the same request may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. }
                | Self::Throttled { .. }
                | Self::Server { .. }
                | Self::Transport { .. }
        )
    }

    /// How long the provider asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short stable word for metrics and JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "timeout",
            Self::Throttled { .. } => "throttled",
            Self::Server { .. } => "server",
            Self::Transport { .. } => "transport",
            Self::Auth { .. } => "auth",
            Self::Conflict { .. } => "conflict",
            Self::BadRequest { .. } => "bad-request",
            Self::NotFound { .. } => "not-found",
            Self::Refused(_) => "refused",
        }
    }
}
