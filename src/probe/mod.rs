//! Health probes (HTTP(S), TCP, DNS), their scheduler, and rise/fall hysteresis.
//!
//! - [`probe_once`] / [`Prober`]: one bounded check of one endpoint.
//! - [`EndpointHealth`] / [`PoolEndpoints`]: pure hysteresis and pool aggregation,
//!   driven by results and the time passed in.
//! - [`Scheduler`]: one shared scheduler for every target in the process, with
//!   a cap on probes in flight and on the start rate, and fast confirmation
//!   of an endpoint in doubt; a connection watch probes an endpoint at once
//!   when it closes an idle connection.
//! - [`ProbeNow`]: every target's wake-up, so a service task can probe an
//!   endpoint ahead of its slot (a peer doubts it).

mod check;
mod checker;
mod confirm;
mod connect;
mod dns;
mod health;
mod histogram;
mod http;
mod local;
mod lookup;
mod now;
mod scheduler;
mod test_hook;
mod tls;
mod watch;

#[cfg(test)]
mod tests_endpoint;
#[cfg(test)]
mod tests_fast;
#[cfg(test)]
mod tests_http;
#[cfg(test)]
mod tests_http_wire;
#[cfg(test)]
mod tests_local;
#[cfg(test)]
mod tests_net;
#[cfg(test)]
mod tests_pool;
#[cfg(test)]
mod tests_scheduler;
#[cfg(test)]
mod tests_tls;
#[cfg(test)]
mod tests_watch;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::RecordType;
use tokio::time::Instant;

pub use check::{Prober, probe_once, probe_once_via};
pub use health::{EndpointHealth, EndpointState, Hysteresis, PoolEndpoints};
pub use local::LocalFault;
pub use lookup::Lookup;
pub use now::ProbeNow;
pub use scheduler::{Limits, Scheduler, SchedulerHandle};
pub use tls::TlsConfigs;

/// What to check on an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeSpec {
    /// An HTTP(S) request; the connection goes to the endpoint's address while
    /// the Host header and TLS SNI carry `host`. Redirects are not followed.
    Http {
        tls: bool,
        port: u16,
        /// Path and query, starting with `/`.
        path: String,
        /// Host header and TLS SNI; empty means the endpoint itself.
        host: String,
        /// Accepted status codes as inclusive ranges (`(200, 299)`, `(204, 204)`);
        /// empty accepts any 2xx.
        expect_status: Vec<(u16, u16)>,
        /// A substring the first [`MAX_BODY`] bytes of the body must contain.
        body_contains: Option<String>,
        /// A response header (name, exact value) that must be present.
        header: Option<(String, String)>,
        /// PEM file of the only CA trusted for this probe (else the system roots).
        ca_file: Option<PathBuf>,
    },
    /// A TCP connect.
    Tcp { port: u16 },
    /// One DNS query; NOERROR with at least one answer passes.
    Dns {
        port: u16,
        query_name: String,
        query_type: RecordType,
    },
}

/// How many body bytes an HTTP probe reads at most.
pub const MAX_BODY: usize = 64 * 1024;

/// One endpoint to probe on a schedule.
#[derive(Debug, Clone)]
pub struct Target {
    pub service: String,
    pub pool: String,
    /// An IP address or a host name.
    pub endpoint: String,
    pub spec: Arc<ProbeSpec>,
    pub interval: Duration,
    /// How often to probe while the endpoint is in doubt (a failure while
    /// up, a success while down) until `rules` settle it; at most
    /// `interval` (equal turns fast confirmation off).
    pub fast_interval: Duration,
    /// The rise/fall rules that settle a doubt.
    pub rules: Hysteresis,
    pub timeout: Duration,
    /// Hold an idle connection to the endpoint and probe it at once when
    /// the endpoint closes it (TCP and HTTP(S) probes; see `health.watch`).
    pub watch: bool,
    /// The local address probes are sent from (else the OS picks).
    pub source: Option<IpAddr>,
    /// Resolvers a host-name endpoint is resolved through (an alias pool
    /// probed by name); empty: the system's resolver, as for CNAME targets.
    pub resolve_via: Vec<std::net::SocketAddr>,
}

/// The outcome of one probe.
#[derive(Debug, Clone)]
pub struct ProbeResult {
    pub ok: bool,
    /// From the probe's start to its verdict.
    pub latency: Duration,
    /// What was seen: `"status 200"`, `"connect refused"`, `"timed out after 2s"`.
    pub detail: String,
    /// When the probe started.
    pub at: Instant,
    /// How late the scheduler started it (zero outside the scheduler).
    pub lateness: Duration,
    /// Set when this host could not probe (then `ok` is false and the result
    /// says nothing about the endpoint: it counts toward neither rise nor fall).
    pub local: Option<LocalFault>,
}

/// Why a probe failed (or could not be built). Every variant is a verdict on
/// the endpoint except [`ProbeError::Config`], which a person must fix, and
/// [`ProbeError::Local`], this host's own trouble.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("connect refused")]
    Refused,
    #[error("connect failed: {0}")]
    Connect(String),
    #[error("tls: {0}")]
    Tls(String),
    #[error("http: {0}")]
    Http(String),
    #[error("status {0}")]
    Status(u16),
    #[error("status {0}, header {1} missing or different")]
    Header(u16, String),
    #[error("status {0}, body lacks the expected text")]
    Body(u16),
    #[error("dns {0}")]
    DnsRcode(String),
    #[error("dns NOERROR without answers")]
    DnsEmpty,
    #[error("dns: {0}")]
    Dns(String),
    #[error("cannot resolve endpoint {0}: {1}")]
    Resolve(String, String),
    #[error("probe misconfigured: {0}")]
    Config(String),
    #[error("cannot probe from here: {0}")]
    Local(LocalFault),
}

impl ProbeError {
    /// True when the probe itself is wrong (a person must act), not the endpoint.
    pub fn is_config(&self) -> bool {
        matches!(self, ProbeError::Config(_))
    }
}
