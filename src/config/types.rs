//! The validated config types the program uses.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use rtoguard_provider_api::RecordType;

use super::secret::SecretSource;

// Concepts owned elsewhere that the validated config carries.
pub use crate::controller::FailbackMode;
pub use crate::propagation::Marker;
pub use rtoguard_provider_api::TsigAlgorithm;

/// The whole validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from (used in messages).
    pub path: PathBuf,
    pub controller: Controller,
    pub peers: Vec<Peer>,
    pub providers: BTreeMap<String, ProviderConfig>,
    pub services: Vec<Service>,
    /// `[[groups]]`: named sets of services that move together.
    pub groups: Vec<Group>,
    /// `[notify]`; no webhooks when the section is left out.
    pub notify: super::types_notify::Notify,
    /// What validates but cannot work as written (an RTO the TTL cannot
    /// meet, a controller that is no pool's region): `check` prints them,
    /// `check --strict` refuses them.
    pub warnings: Vec<super::ConfigIssue>,
}

impl Config {
    /// The service with this name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The group with this name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// How many vantages probe: this controller and its peers.
    pub fn vantages(&self) -> usize {
        1 + self.peers.len()
    }
}

/// One `[[groups]]` entry: services that move together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    /// The services' names, in the order written; each names a service.
    pub services: Vec<String>,
    /// How many of its services an evacuation moves at once (default 1).
    pub max_parallel: usize,
}

/// This controller instance.
#[derive(Debug, Clone)]
pub struct Controller {
    /// This instance's vantage name.
    pub id: String,
    /// Where it runs: `region`, else its `id` (see `topology`).
    pub region: String,
    pub state_dir: PathBuf,
    pub control_socket: PathBuf,
    pub metrics_listen: Option<SocketAddr>,
    pub peer_listen: Option<SocketAddr>,
    /// The bearer token peers must send; set whenever `peer_listen` is.
    pub peer_token: Option<SecretSource>,
    /// Serve the peer API over TLS with this certificate and key.
    pub peer_tls: Option<PeerTls>,
    /// The local address this vantage's probes are sent from (else the OS picks).
    pub probe_source: Option<IpAddr>,
    /// An operator's flip found unfinished at start-up is dropped when it
    /// was asked longer ago than this (else re-validated, never forced).
    pub intent_max_age: std::time::Duration,
    /// How long a stop (or a reload's restart of a service) waits for
    /// provider calls in flight; the unit's `TimeoutStopSec` must exceed it.
    pub stop_timeout: Duration,
    /// Whose incident raises a service's risk (`group` by default).
    pub shared_risk: super::SharedRiskMode,
}

/// `controller.stop_timeout` when not written.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(45);

/// The peer API's TLS certificate chain and private key (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerTls {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// Another region's controller.
#[derive(Debug, Clone)]
pub struct Peer {
    pub id: String,
    /// Where it runs: `region`, else its `id` (see `topology`).
    pub region: String,
    pub url: String,
    pub token: SecretSource,
    /// PEM file of the only CA trusted for this peer (else the system roots).
    pub ca_file: Option<PathBuf>,
    /// A peer whose clock is further from ours than this is stale (default 2 s).
    pub max_clock_skew: Duration,
}

/// One configured DNS provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    pub kind: ProviderKind,
}

#[derive(Debug, Clone)]
pub enum ProviderKind {
    Rfc2136(Rfc2136Config),
    Route53(Route53Config),
    Cloudflare(CloudflareConfig),
    PowerDns(PowerDnsConfig),
    Embedded(super::embedded::EmbeddedConfig),
    Webhook(WebhookProviderConfig),
    Azure(super::azure::AzureConfig),
    Gcloud(GcloudConfig),
}

impl ProviderKind {
    /// The `type` word of this kind in the config.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Rfc2136(_) => "rfc2136",
            Self::Route53(_) => "route53",
            Self::Cloudflare(_) => "cloudflare",
            Self::PowerDns(_) => "powerdns",
            Self::Embedded(_) => "embedded",
            Self::Webhook(_) => "webhook",
            Self::Azure(_) => "azure",
            Self::Gcloud(_) => "gcloud",
        }
    }

    /// The lowest TTL this provider accepts, in seconds: each provider
    /// crate's own floor, or Cloudflare's `min_ttl` when set.
    pub fn ttl_floor(&self) -> u32 {
        match self {
            Self::Rfc2136(_) => super::compiled::RFC2136_TTL_FLOOR,
            Self::Route53(_) => super::compiled::ROUTE53_TTL_FLOOR,
            Self::Cloudflare(c) => c.ttl_floor,
            Self::PowerDns(_) => super::compiled::POWERDNS_TTL_FLOOR,
            Self::Embedded(_) => super::compiled::EMBEDDED_TTL_FLOOR,
            Self::Webhook(_) => super::compiled::WEBHOOK_TTL_FLOOR,
            Self::Azure(_) => super::compiled::AZURE_TTL_FLOOR,
            Self::Gcloud(_) => super::compiled::GCLOUD_TTL_FLOOR,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rfc2136Config {
    pub server: SocketAddr,
    pub tsig_key_name: String,
    pub tsig_algorithm: TsigAlgorithm,
    pub tsig_secret: SecretSource,
    pub timeout: Duration,
    pub requests_per_second: u32,
}

#[derive(Debug, Clone)]
pub struct Route53Config {
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub hosted_zone_id: Option<String>,
    pub requests_per_second: u32,
}

#[derive(Debug, Clone)]
pub struct CloudflareConfig {
    pub api_token: SecretSource,
    pub api_url: String,
    pub zone_id: Option<String>,
    pub requests_per_second: u32,
    /// The zone's lowest TTL: `min_ttl`, else Cloudflare's 60 s.
    pub ttl_floor: u32,
}

#[derive(Debug, Clone)]
pub struct PowerDnsConfig {
    /// The API root, `http://127.0.0.1:8081/api/v1`.
    pub api_url: String,
    /// The server id in API paths (default `localhost`).
    pub server_id: String,
    pub api_key: SecretSource,
    /// The server's DNS port, to confirm a change is served; without it the
    /// API is read back instead.
    pub dns_server: Option<SocketAddr>,
    pub requests_per_second: u32,
}

#[derive(Debug, Clone)]
pub struct WebhookProviderConfig {
    /// The webhook's root, `http://127.0.0.1:8888`.
    pub url: String,
    /// An optional bearer token.
    pub token: Option<SecretSource>,
    /// The longest one request may take.
    pub timeout: Duration,
    pub requests_per_second: u32,
}

#[derive(Debug, Clone)]
pub struct GcloudConfig {
    /// The Google Cloud project that holds the zone.
    pub project: String,
    /// The managed zone's name in Cloud DNS (`example-com`).
    pub managed_zone: String,
    pub credentials: GcloudCredentials,
    /// The API root (default `https://dns.googleapis.com`).
    pub api_url: String,
    pub requests_per_second: u32,
}

/// Where a gcloud provider's access tokens come from.
#[derive(Debug, Clone)]
pub enum GcloudCredentials {
    /// `credentials_file`: a service-account JSON key (a secret file).
    KeyFile(SecretSource),
    /// The metadata server at this root (`metadata_url`, default
    /// `http://metadata.google.internal`).
    MetadataServer(String),
}

impl GcloudCredentials {
    /// Where the credential comes from, in words: never its value.
    pub fn describe(&self) -> String {
        match self {
            Self::KeyFile(src) => src.describe(),
            Self::MetadataServer(url) => format!("the metadata server {url}"),
        }
    }
}

/// One DNS name served by an ordered list of pools.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub provider: String,
    /// Absolute, lower-case.
    pub zone: String,
    /// Absolute, lower-case: the first record of [`Service::records`]
    /// (the name the service is known by in messages and probes).
    pub record: String,
    /// The type of the first record of [`Service::records`].
    pub rtype: RecordType,
    /// Every record the service publishes, in the order written: a group
    /// of one for the single-record form (`record` + `type`). A flip
    /// changes all of them.
    pub records: Vec<Member>,
    pub rto: Duration,
    pub ttl: Ttl,
    pub failback: Failback,
    pub probe: Probe,
    pub health: Health,
    pub damping: Damping,
    /// In preference order.
    pub pools: Vec<Pool>,
    pub propagation: Propagation,
    /// The `[[risk_windows]]` that name this service.
    pub risk_windows: Vec<crate::controller::ScheduledRisk>,
    /// Whose incidents open a risk window on it (`controller.shared_risk`).
    pub shared_risk: crate::controller::SharedRisk,
}

impl Service {
    /// The pool with this name.
    pub fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.name == name)
    }

    /// The service's records as `status` names them: the record's name for
    /// a single record, else every record's name and type.
    pub fn records_label(&self) -> String {
        match self.records.as_slice() {
            [_] | [] => self.record.clone(),
            many => many
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// How many vantages must agree a pool is down: the configured quorum,
    /// or a majority of `vantages`.
    pub fn quorum(&self, vantages: usize) -> u32 {
        self.health
            .quorum
            .unwrap_or_else(|| u32::try_from(vantages / 2 + 1).unwrap_or(u32::MAX))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl {
    pub normal: u32,
    pub lowered: u32,
    /// After a planned move, restore the normal TTL this long after the flip.
    pub restore_after: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failback {
    pub mode: FailbackMode,
    pub stable_for: Duration,
    /// A gradual failback (providers with weights): percent of weight on
    /// the preferred pool at each step, strictly increasing, ending at 100.
    /// Empty: the failback is one flip.
    pub steps: Vec<u8>,
    /// How long each step holds while the preferred pool stays healthy.
    pub step_hold: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub interval: Duration,
    /// How often an endpoint in doubt (a failure while up, a success while
    /// down) is probed until rise or fall settles it; equal to `interval`
    /// turns fast confirmation off.
    pub fast_interval: Duration,
    pub rise: u32,
    pub fall: u32,
    /// None: a majority of vantages.
    pub quorum: Option<u32>,
    pub min_healthy: u32,
    /// None: 3 × interval.
    pub max_age: Option<Duration>,
    /// With an explicit `quorum`: run although losing one pool's region
    /// leaves fewer vantages than the quorum (see `topology`).
    pub accept_single_region_risk: bool,
    /// Hold an idle connection to each TCP/HTTP(S) endpoint and probe it at
    /// once when the endpoint closes it (never a verdict by itself).
    pub watch: bool,
}

impl Health {
    /// How old an observation may be and still count: `max_age`, or
    /// 3 × the interval (saturating, so no config value can overflow it).
    pub fn max_age(&self) -> Duration {
        self.max_age
            .unwrap_or_else(|| self.interval.saturating_mul(3))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damping {
    pub hold_down: Duration,
    pub max_flips: u32,
    pub flip_window: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub timeout: Duration,
    pub kind: ProbeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeKind {
    Http {
        tls: bool,
        port: u16,
        path: String,
        /// Inclusive ranges.
        expect_status: Vec<(u16, u16)>,
        body_contains: Option<String>,
        header: Option<(String, String)>,
        host: Option<String>,
        ca_file: Option<PathBuf>,
    },
    Tcp {
        port: u16,
    },
    Dns {
        port: u16,
        query_name: String,
        query_type: RecordType,
    },
}

/// The endpoints of one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    pub name: String,
    pub region: String,
    /// What probes check: the pool's IPv4 and IPv6 addresses, or its CNAME
    /// target when it publishes no address. Normalised with
    /// `rtoguard_provider_api::normalize_value`.
    pub endpoints: Vec<String>,
    /// What the pool publishes for each record type of the service.
    pub values: BTreeMap<RecordType, Vec<String>>,
    pub marker: Option<Marker>,
    /// Route 53: the pool is served as an alias to this target (a load
    /// balancer); `endpoints` are then the addresses probed.
    pub alias: Option<rtoguard_provider_api::AliasTarget>,
    /// An alias pool probed by name (its target's, or its `probe_host`):
    /// `endpoints` holds that name, resolved for each probe round through
    /// the service's `propagation.resolvers` (never the system resolver).
    pub resolve_endpoints: bool,
}

impl Pool {
    /// The values this pool publishes in records of `rtype` (empty when
    /// it gives none).
    pub fn values_for(&self, rtype: RecordType) -> &[String] {
        self.values.get(&rtype).map_or(&[], Vec::as_slice)
    }
}

/// One record of a service (a member of its record group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Absolute, lower-case.
    pub name: String,
    pub rtype: RecordType,
}

impl std::fmt::Display for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name, self.rtype)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagation {
    pub resolvers: Vec<NamedServer>,
    /// Empty: find them from the zone's NS records.
    pub authoritatives: Vec<NamedServer>,
    pub client_url: Option<String>,
    pub queries_per_second: u32,
    /// None: the old TTL + 5m.
    pub deadline: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedServer {
    pub name: String,
    pub address: SocketAddr,
}
