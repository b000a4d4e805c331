//! A provider wrapper that counts and times every call.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::{
    Capabilities, Change, ChangeSet, Provider, ProviderError, Receipt, RecordSet, RecordType,
    SyncState,
};
use tokio::time::Instant;

use super::{Metrics, RequestResult};

/// Wraps a provider: every `read`, `apply` and `wait_in_sync` is counted in
/// `provider_requests_total` (result from the error kind) and timed in
/// `provider_request_duration_seconds`, labelled with the provider's name.
#[derive(Debug, Clone)]
pub struct Metered {
    inner: Arc<dyn Provider>,
    metrics: Metrics,
}

impl Metered {
    pub fn new(inner: Arc<dyn Provider>, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }

    /// The wrapped provider, ready to hold where the plain one was.
    pub fn wrap(inner: Arc<dyn Provider>, metrics: Metrics) -> Arc<dyn Provider> {
        Arc::new(Self::new(inner, metrics))
    }

    fn record<T>(&self, op: &'static str, started: Instant, r: &Result<T, ProviderError>) {
        let result = RequestResult::of(r);
        self.metrics
            .provider_request(self.inner.name(), op, result, started.elapsed());
    }
}

#[async_trait]
impl Provider for Metered {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn read(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        let started = Instant::now();
        let r = self.inner.read(zone, name, rtype).await;
        self.record("read", started, &r);
        r
    }

    async fn check_access(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<(), ProviderError> {
        let started = Instant::now();
        let r = self.inner.check_access(zone, name, rtype).await;
        self.record("check-access", started, &r);
        r
    }

    async fn prove_access(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<String, ProviderError> {
        let started = Instant::now();
        let r = self.inner.prove_access(zone, name, rtype).await;
        self.record("check-access", started, &r);
        r
    }

    async fn apply(&self, zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        let started = Instant::now();
        let r = self.inner.apply(zone, change).await;
        self.record("apply", started, &r);
        r
    }

    async fn apply_all(&self, zone: &str, set: &ChangeSet) -> Result<Receipt, ProviderError> {
        let started = Instant::now();
        let r = self.inner.apply_all(zone, set).await;
        self.record("apply", started, &r);
        r
    }

    async fn wait_in_sync_all(
        &self,
        zone: &str,
        set: &ChangeSet,
        receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        let started = Instant::now();
        let r = self
            .inner
            .wait_in_sync_all(zone, set, receipt, timeout)
            .await;
        self.record("wait_in_sync", started, &r);
        r
    }

    async fn wait_in_sync(
        &self,
        zone: &str,
        change: &Change,
        receipt: &Receipt,
        timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        let started = Instant::now();
        let r = self
            .inner
            .wait_in_sync(zone, change, receipt, timeout)
            .await;
        self.record("wait_in_sync", started, &r);
        r
    }
}
