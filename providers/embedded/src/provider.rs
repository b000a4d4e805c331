//! The provider contract over the embedded store: read what is served, apply
//! a change as a compare-and-set swap; in sync as soon as the swap is done.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, ChangeSet, Provider, ProviderError, Receipt, RecordSet,
    RecordType, SyncState,
};
use tracing::info;

use crate::server::Embedded;
use crate::store::SwapError;

/// One `[providers.NAME] type = "embedded"`: a handle on its running server.
#[derive(Debug, Clone)]
pub struct EmbeddedProvider {
    server: Arc<Embedded>,
}

impl EmbeddedProvider {
    pub fn new(server: Arc<Embedded>) -> Self {
        Self { server }
    }

    /// The running server behind this provider.
    pub fn server(&self) -> &Arc<Embedded> {
        &self.server
    }

    fn error(&self, e: SwapError) -> ProviderError {
        let provider = self.server.name().to_string();
        match e {
            SwapError::NoZone(_) => ProviderError::NotFound {
                provider,
                message: e.to_string(),
            },
            SwapError::Conflict(message) => ProviderError::Conflict { provider, message },
            SwapError::BadRequest(message) => ProviderError::BadRequest { provider, message },
            SwapError::State(message) => ProviderError::Server { provider, message },
        }
    }
}

#[async_trait]
impl Provider for EmbeddedProvider {
    fn name(&self) -> &str {
        self.server.name()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            weighted: false,
            ttl_floor: crate::TTL_FLOOR,
            cas: CasMode::Native,
            // Every controller runs its own server: the others adopt the
            // writer's decision from the peer API.
            served_here: true,
        }
    }

    async fn read(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        self.server
            .store()
            .read(zone, name, rtype)
            .map_err(|e| self.error(e))
    }

    async fn prove_access(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<String, ProviderError> {
        self.read(zone, name, rtype).await?;
        let addrs: Vec<String> = self
            .server
            .addrs()
            .iter()
            .map(ToString::to_string)
            .collect();
        Ok(format!(
            "this controller serves {zone} on {}",
            addrs.join(", ")
        ))
    }

    async fn apply(&self, zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        self.apply_all(zone, &ChangeSet::one(change.clone())).await
    }

    /// Every record of the group in one swap at one serial, compared and
    /// set together: the receipt is that serial, for every member.
    async fn apply_all(&self, zone: &str, set: &ChangeSet) -> Result<Receipt, ProviderError> {
        let serial = self
            .server
            .store()
            .swap_all(zone, set)
            .map_err(|e| self.error(e))?;
        let values: Vec<String> = set.desired().iter().map(ToString::to_string).collect();
        info!(provider = %self.name(), zone, serial, served = %values.join(", "), "Embedded zone swapped.");
        Ok(Receipt {
            id: serial.to_string(),
            status: "SERVED".into(),
        })
    }

    async fn wait_in_sync(
        &self,
        zone: &str,
        _change: &Change,
        receipt: &Receipt,
        _timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        // The swap is what the server answers from: served once it returned.
        let served = self
            .server
            .store()
            .zone(zone)
            .map_err(|e| self.error(e))?
            .serial();
        let wanted: u32 = receipt.id.parse().unwrap_or(0);
        Ok(if serial_reached(served, wanted) {
            SyncState::InSync
        } else {
            SyncState::Pending
        })
    }
}

/// RFC 1982 serial arithmetic: `served` is `wanted` or later.
fn serial_reached(served: u32, wanted: u32) -> bool {
    served.wrapping_sub(wanted) < (1 << 31)
}
