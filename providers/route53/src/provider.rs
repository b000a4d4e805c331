//! [`Route53Provider`]: read, compare-and-set apply, and wait for INSYNC.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::limits::{Budget, RetryPolicy, retry};
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, ChangeSet, Provider, ProviderError, Receipt, RecordSet,
    RecordType, SyncState,
};
use tokio::time::Instant;
use tracing::{debug, info};

use crate::api::{self, ApiError, ChangeStatus, Route53Api};
use crate::sdk::SdkRoute53;
use crate::{DEFAULT_REQUESTS_PER_SECOND, Route53Settings, plan};

mod group;

/// The status of a receipt for a change that needed no request, or whose
/// change id was lost with a failed answer (the re-read showed it done).
pub const STATUS_APPLIED: &str = "APPLIED";

/// Route 53 as an rtoguard provider. Every API request first takes a token
/// from the provider's budget.
pub struct Route53Provider {
    pub(crate) name: String,
    pub(crate) api: Arc<dyn Route53Api>,
    pub(crate) hosted_zone_id: Option<String>,
    pub(crate) credential_source: &'static str,
    pub(crate) budget: Budget,
    pub(crate) policy: RetryPolicy,
    poll: (Duration, Duration),
    /// Zone name to hosted zone id; locked across a lookup so a burst of
    /// first calls asks only once.
    pub(crate) zones: tokio::sync::Mutex<HashMap<String, String>>,
    /// The sets last listed at each (zone id, name, type), in Route 53's
    /// terms: where a flip finds the routing fields to send back without
    /// another request (the engine reads before it changes).
    pub(crate) last_read: std::sync::Mutex<HashMap<ReadKey, Vec<api::ResourceRecordSet>>>,
}

/// Zone id, absolute name, type.
pub(crate) type ReadKey = (String, String, RecordType);

impl std::fmt::Debug for Route53Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route53Provider")
            .field("name", &self.name)
            .field("hosted_zone_id", &self.hosted_zone_id)
            .field("credential_source", &self.credential_source)
            .field("rps", &self.budget.rps())
            .finish_non_exhaustive()
    }
}

impl Route53Provider {
    /// A provider over the AWS SDK. Nothing is sent until the first call.
    pub async fn new(s: Route53Settings) -> Result<Self, ProviderError> {
        let api = Arc::new(SdkRoute53::new(&s).await);
        Ok(Self::with_api(s, api))
    }

    /// A provider over any implementation of the API seam (tests use fakes).
    pub fn with_api(s: Route53Settings, api: Arc<dyn Route53Api>) -> Self {
        let rps = match s.requests_per_second {
            0 => DEFAULT_REQUESTS_PER_SECOND,
            n => n,
        };
        Self {
            credential_source: s.credential_source(),
            name: s.name,
            api,
            hosted_zone_id: s.hosted_zone_id,
            budget: Budget::per_second(rps),
            policy: RetryPolicy::default(),
            poll: (Duration::from_secs(2), Duration::from_secs(15)),
            zones: tokio::sync::Mutex::new(HashMap::new()),
            last_read: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The sets at the change's name as Route 53 holds them, with their
    /// routing fields: from the last listing when it shows every expected
    /// set, else listed again.
    async fn routing_source(
        &self,
        zone_id: &str,
        change: &Change,
    ) -> Result<Vec<api::ResourceRecordSet>, ProviderError> {
        if change.expected().is_empty() {
            return Ok(Vec::new());
        }
        let key = (
            zone_id.to_string(),
            plan::absolute(change.name()),
            change.rtype(),
        );
        let cached = self
            .last_read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
            .unwrap_or_default();
        let sets: Vec<RecordSet> = cached
            .iter()
            .map(|r| plan::from_rrset(r, change.rtype()))
            .collect();
        if change.expected().iter().all(|e| sets.contains(e)) {
            return Ok(cached);
        }
        self.read_raw(zone_id, change.name(), change.rtype()).await
    }

    /// Retry with another policy (default: [`RetryPolicy::default`]).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Poll `GetChange` first after `initial`, doubling up to `max`
    /// (default 2 s to 15 s).
    pub fn with_poll_interval(mut self, initial: Duration, max: Duration) -> Self {
        self.poll = (initial, max.max(initial));
        self
    }

    pub(crate) fn judge(&self, e: ApiError) -> ProviderError {
        api::classify(&self.name, self.credential_source, e)
    }

    /// A change that alters nothing still checks that the expected state holds.
    async fn confirm_noop(&self, zone_id: &str, change: &Change) -> Result<Receipt, ProviderError> {
        let current = self.read_in(zone_id, change.name(), change.rtype()).await?;
        if !plan::matches_expected(&current, change) {
            return Err(ProviderError::Conflict {
                provider: self.name.clone(),
                message: format!(
                    "{} {} is no longer as expected",
                    change.name(),
                    change.rtype()
                ),
            });
        }
        Ok(Receipt {
            id: String::new(),
            status: STATUS_APPLIED.into(),
        })
    }

    /// Send the batch; after a retryable failure, re-read first and stop if
    /// the change is already served (the failed attempt may have landed).
    async fn send_batch(
        &self,
        zone_id: &str,
        change: &Change,
        batch: &[api::BatchChange],
    ) -> Result<Option<api::ChangeInfo>, ProviderError> {
        let attempts = AtomicU32::new(0);
        retry(&self.budget, self.policy, "change record sets", || async {
            if attempts.fetch_add(1, Ordering::SeqCst) > 0 {
                let current = self
                    .list_sets(zone_id, change.name(), change.rtype())
                    .await?;
                if plan::applied(&current, change) {
                    return Ok(None);
                }
                self.budget.acquire().await;
            }
            self.api
                .change_resource_record_sets(zone_id, batch)
                .await
                .map(Some)
                .map_err(|e| self.judge(e))
        })
        .await
    }
}

#[async_trait]
impl Provider for Route53Provider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            weighted: true,
            ttl_floor: crate::TTL_FLOOR,
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
        let zone_id = self.zone_id(zone).await?;
        self.read_in(&zone_id, name, rtype).await
    }

    /// Find the hosted zone and list its record sets, one request each.
    async fn prove_access(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<String, ProviderError> {
        self.prove(zone, name, rtype).await
    }

    async fn apply(&self, zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        let unchanged = plan::batch(change)?.is_empty();
        let zone_id = self.zone_id(zone).await?;
        if unchanged {
            return self.confirm_noop(&zone_id, change).await;
        }
        // The routing fields of the sets replaced (HealthCheckId, region, ...)
        // go back unchanged: Route 53's DELETE matches on them too.
        let read = self.routing_source(&zone_id, change).await?;
        let batch = plan::batch_with(change, &read)?;
        let provider = self.name.as_str();
        let (name, rtype) = (change.name(), change.rtype());
        match self.send_batch(&zone_id, change, &batch).await? {
            Some(info) => {
                info!(provider, zone, name, %rtype, change_id = info.id, changes = batch.len(), "Applied the change batch.");
                let status = match info.status {
                    ChangeStatus::InSync => "INSYNC",
                    ChangeStatus::Pending => "PENDING",
                };
                Ok(Receipt {
                    id: info.id,
                    status: status.into(),
                })
            }
            None => {
                info!(provider, zone, name, %rtype, "Change found applied after a failed attempt.");
                Ok(Receipt {
                    id: String::new(),
                    status: STATUS_APPLIED.into(),
                })
            }
        }
    }

    async fn apply_all(&self, zone: &str, set: &ChangeSet) -> Result<Receipt, ProviderError> {
        self.apply_group(zone, set).await
    }

    async fn wait_in_sync(
        &self,
        zone: &str,
        change: &Change,
        receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        if receipt.id.is_empty() {
            // No change id to ask about: the API's own view is the best we have.
            let current = self.read(zone, change.name(), change.rtype()).await?;
            return Ok(if plan::applied(&current, change) {
                SyncState::InSync
            } else {
                SyncState::Pending
            });
        }
        let deadline = Instant::now() + timeout;
        let mut delay = self.poll.0;
        loop {
            let policy = RetryPolicy {
                deadline: deadline.saturating_duration_since(Instant::now()),
                ..self.policy
            };
            let info = retry(&self.budget, policy, "get change", || async {
                self.api
                    .get_change(&receipt.id)
                    .await
                    .map_err(|e| self.judge(e))
            })
            .await?;
            if info.status == ChangeStatus::InSync {
                debug!(provider = %self.name, change_id = receipt.id, "Change is in sync.");
                return Ok(SyncState::InSync);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(SyncState::Pending);
            }
            tokio::time::sleep(delay.min(left)).await;
            delay = (delay * 2).min(self.poll.1);
        }
    }
}
