//! One bounded probe of one endpoint: the [`Prober`] and the TCP and DNS checks.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::warn;

use super::connect::tcp;
use super::dns::dns;
use super::http::HttpClient;
use super::lookup::Lookup;
use super::tls::TlsConfigs;
use super::{ProbeError, ProbeResult, ProbeSpec};

/// A ready-to-run probe of one endpoint: for HTTP(S) it holds one client
/// (TLS roots loaded once, the endpoint's address pinned), reused by every probe.
#[derive(Debug)]
pub struct Prober {
    spec: Arc<ProbeSpec>,
    endpoint: String,
    /// For HTTP specs: the client, or why it could not be built.
    client: Option<Result<HttpClient, String>>,
    /// The local address probes are sent from (else the OS picks).
    source: Option<IpAddr>,
    /// Where a host-name endpoint's addresses come from (else the system).
    lookup: Option<Arc<Lookup>>,
}

impl Prober {
    /// Build the probe with its own TLS settings; for many probers share a
    /// [`TlsConfigs`] through [`Prober::with_tls`].
    pub fn new(spec: Arc<ProbeSpec>, endpoint: &str) -> Self {
        Self::with_tls(spec, endpoint, &TlsConfigs::new())
    }

    /// Build the probe; a bad HTTP setup (unreadable CA file) is kept and
    /// reported as a failed result by every probe, so it stays visible.
    pub fn with_tls(spec: Arc<ProbeSpec>, endpoint: &str, tls: &TlsConfigs) -> Self {
        Self::with_source(spec, endpoint, tls, None)
    }

    /// Like [`Prober::with_tls`], every probe sent from `source` when set.
    pub fn with_source(
        spec: Arc<ProbeSpec>,
        endpoint: &str,
        tls: &TlsConfigs,
        source: Option<IpAddr>,
    ) -> Self {
        Self::with_lookup(spec, endpoint, tls, source, None)
    }

    /// Like [`Prober::with_source`]; a host-name endpoint is resolved
    /// through `lookup` when set (else the system's resolver), and a
    /// failed lookup is this vantage's fault ([`super::LocalFault::Resolve`]).
    pub fn with_lookup(
        spec: Arc<ProbeSpec>,
        endpoint: &str,
        tls: &TlsConfigs,
        source: Option<IpAddr>,
        lookup: Option<Arc<Lookup>>,
    ) -> Self {
        let client = match &*spec {
            ProbeSpec::Http { .. } => Some(HttpClient::new(&spec, endpoint, tls, source, lookup.clone()).map_err(|e| {
                warn!(endpoint, error = %e, "HTTP probe cannot be set up; it will fail until fixed.");
                match e {
                    ProbeError::Config(m) => m,
                    other => other.to_string(),
                }
            })),
            _ => None,
        };
        Self {
            spec,
            endpoint: endpoint.to_string(),
            client,
            source,
            lookup,
        }
    }

    /// Run one probe, bounded by `timeout`. A name to resolve is resolved
    /// first, on its own bound, so a slow resolver is never taken for a
    /// slow endpoint.
    pub async fn probe(&self, timeout: Duration) -> ProbeResult {
        let at = Instant::now();
        if let Some(l) = &self.lookup
            && let Err(e) = l.addrs(0, timeout).await
        {
            return result(at, Err(e));
        }
        let lookup = self.lookup.as_deref();
        let work = async {
            match (&*self.spec, &self.client) {
                (ProbeSpec::Http { .. }, Some(Ok(c))) => c.check(&self.spec).await,
                (ProbeSpec::Http { .. }, Some(Err(e))) => Err(ProbeError::Config(e.clone())),
                (ProbeSpec::Tcp { port }, _) => {
                    tcp(&self.endpoint, *port, self.source, lookup).await
                }
                (
                    ProbeSpec::Dns {
                        port,
                        query_name,
                        query_type,
                    },
                    _,
                ) => {
                    let q = (query_name.as_str(), *query_type);
                    dns(&self.endpoint, *port, q, self.source, lookup).await
                }
                (ProbeSpec::Http { .. }, None) => {
                    Err(ProbeError::Config("HTTP probe without a client".into()))
                }
            }
        };
        let outcome = match tokio::time::timeout(timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(ProbeError::Timeout(timeout)),
        };
        result(at, outcome)
    }
}

/// The result of a probe started `at` with this outcome.
fn result(at: Instant, outcome: Result<String, ProbeError>) -> ProbeResult {
    let (ok, detail, local) = match outcome {
        Ok(d) => (true, d, None),
        Err(ProbeError::Local(l)) => (false, l.to_string(), Some(l)),
        Err(e) => (false, e.to_string(), None),
    };
    ProbeResult {
        ok,
        latency: at.elapsed(),
        detail,
        at,
        lateness: Duration::ZERO,
        local,
    }
}

/// Probe `endpoint` once with `spec`, bounded by `timeout`. Builds a fresh
/// client: for repeated probes keep a [`Prober`].
pub async fn probe_once(spec: &ProbeSpec, endpoint: &str, timeout: Duration) -> ProbeResult {
    probe_once_via(spec, endpoint, timeout, &[]).await
}

/// Like [`probe_once`]; a host-name endpoint is resolved through
/// `resolvers` when any are given (an alias pool probed by name).
pub async fn probe_once_via(
    spec: &ProbeSpec,
    endpoint: &str,
    timeout: Duration,
    resolvers: &[SocketAddr],
) -> ProbeResult {
    let lookup = (!resolvers.is_empty()).then(|| Arc::new(Lookup::new(endpoint, resolvers)));
    let tls = TlsConfigs::new();
    Prober::with_lookup(Arc::new(spec.clone()), endpoint, &tls, None, lookup)
        .probe(timeout)
        .await
}
