//! Prometheus metrics: the `rtoguard_*` families, their `/metrics` endpoint,
//! and a provider wrapper that counts and times every provider call.
//!
//! - [`Metrics`]: the registry and its families; cheap to clone. One method
//!   per thing that happens (`probe`, `flip`, `set_active_pool`, ...).
//! - [`serve`]: `GET /metrics` in the OpenMetrics text format.
//! - [`Metered`]: an `Arc<dyn Provider>` that records `provider_requests_total`
//!   and `provider_request_duration_seconds` around the provider it wraps.

mod families;
mod forget;
mod http;
mod impaired;
mod labels;
mod metered;
mod record;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dashboard;
#[cfg(test)]
mod tests_serve;

use std::sync::Arc;

use prometheus_client::registry::Registry;

pub use http::{CONTENT_TYPE, serve};
pub use labels::{IncidentKind, OPS, Phase, RequestResult};
pub use metered::Metered;

use families::Families;

/// Every rtoguard metric family in one registry. Clones share the values.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    f: Families,
    /// The services that see this vantage impaired now.
    impaired: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Held while the ignored-DNS counter catches up, so two scrapes at once
    /// cannot both add the same difference.
    dns_catch_up: std::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every family registered and no series yet.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("rtoguard");
        let f = Families::new();
        f.register(&mut registry);
        Self {
            inner: Arc::new(Inner {
                registry,
                f,
                impaired: Default::default(),
                dns_catch_up: Default::default(),
            }),
        }
    }

    fn f(&self) -> &Families {
        &self.inner.f
    }

    /// The whole registry in the OpenMetrics text format, `# EOF` included.
    pub fn render(&self) -> String {
        self.catch_up_dns_ignored();
        let mut out = String::new();
        // Writing into a String cannot fail; an Err would be a bug in an
        // encoder, and a partial page is still better than none.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.inner.registry) {
            tracing::error!(error = %e, "Encoding the metrics failed.");
        }
        out
    }

    /// The DNS exchange counts ignored replies process-wide; the counter
    /// follows it at each scrape.
    fn catch_up_dns_ignored(&self) {
        // A poisoned lock only means another scrape panicked; the count is fine.
        let _one = self
            .inner
            .dns_catch_up
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let c = &self.f().dns_replies_ignored;
        let behind = rtoguard_dns::ignored_total().saturating_sub(c.get());
        if behind > 0 {
            c.inc_by(behind);
        }
    }
}
