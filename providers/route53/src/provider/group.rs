//! A group change as one change batch: every record's DELETE and CREATE in
//! one `ChangeResourceRecordSets` call, which Route 53 applies whole or not
//! at all (a DELETE that does not match refuses the batch).

use std::sync::atomic::{AtomicU32, Ordering};

use rtoguard_provider_api::limits::retry;
use rtoguard_provider_api::{ChangeSet, ProviderError, Receipt};
use tracing::info;

use super::{ChangeStatus, Route53Provider, STATUS_APPLIED, plan};

impl Route53Provider {
    /// Apply every change of `set` in one change batch.
    pub(super) async fn apply_group(
        &self,
        zone: &str,
        set: &ChangeSet,
    ) -> Result<Receipt, ProviderError> {
        // Checked before any request is made.
        let mut unchanged = true;
        for c in set.changes() {
            unchanged &= plan::batch(c)?.is_empty();
        }
        let zone_id = self.zone_id(zone).await?;
        if unchanged {
            for c in set.changes() {
                self.confirm_noop(&zone_id, c).await?;
            }
            return Ok(applied());
        }
        // The routing fields of the sets replaced (HealthCheckId, region,
        // ...) go back unchanged: Route 53's DELETE matches on them too.
        let mut batch = Vec::new();
        for c in set.changes() {
            let read = self.routing_source(&zone_id, c).await?;
            batch.extend(plan::batch_with(c, &read)?);
        }
        let attempts = AtomicU32::new(0);
        let sent = retry(&self.budget, self.policy, "change record sets", || async {
            // After a failed attempt, re-read: the batch may have landed.
            if attempts.fetch_add(1, Ordering::SeqCst) > 0
                && self.group_applied(&zone_id, set).await?
            {
                return Ok(None);
            }
            self.budget.acquire().await;
            self.api
                .change_resource_record_sets(&zone_id, &batch)
                .await
                .map(Some)
                .map_err(|e| self.judge(e))
        })
        .await?;
        let Some(info) = sent else {
            info!(provider = %self.name, zone, "Group change found applied after a failed attempt.");
            return Ok(applied());
        };
        info!(provider = %self.name, zone, change_id = info.id, records = set.changes().len(), changes = batch.len(), "Applied the group change in one batch.");
        let status = match info.status {
            ChangeStatus::InSync => "INSYNC",
            ChangeStatus::Pending => "PENDING",
        };
        Ok(Receipt {
            id: info.id,
            status: status.into(),
        })
    }

    /// Whether every change of `set` is served.
    async fn group_applied(&self, zone_id: &str, set: &ChangeSet) -> Result<bool, ProviderError> {
        for c in set.changes() {
            let current = self.list_sets(zone_id, c.name(), c.rtype()).await?;
            if !plan::applied(&current, c) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn applied() -> Receipt {
    Receipt {
        id: String::new(),
        status: STATUS_APPLIED.into(),
    }
}
