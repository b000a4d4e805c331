//! The raw serde types: the TOML as written, before validation.
//!
//! Leaf values that validation checks are `Spanned` so each issue can name
//! its line. Tagged tables (providers, probes) are dispatched on `type` by
//! `validate`, then deserialized into one of the structs here.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, Visitor};
use serde_spanned::Spanned;

use crate::controller::FailbackMode;

pub(super) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawController {
    pub id: S<String>,
    pub region: Option<S<String>>,
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    #[serde(default = "default_control_socket")]
    pub control_socket: PathBuf,
    pub metrics_listen: Option<S<String>>,
    pub peer_listen: Option<S<String>>,
    pub peer_token: Option<S<IgnoredAny>>,
    pub peer_token_file: Option<S<PathBuf>>,
    pub peer_token_env: Option<S<String>>,
    pub peer_tls_cert_file: Option<S<PathBuf>>,
    pub peer_tls_key_file: Option<S<PathBuf>>,
    pub probe_source: Option<S<String>>,
    pub intent_max_age: Option<S<String>>,
    pub stop_timeout: Option<S<String>>,
    pub shared_risk: Option<S<String>>,
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/rtoguard")
}

fn default_control_socket() -> PathBuf {
    PathBuf::from("/run/rtoguard/control.sock")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPeer {
    pub id: S<String>,
    pub region: Option<S<String>>,
    pub url: S<String>,
    pub token: Option<S<IgnoredAny>>,
    pub token_file: Option<S<PathBuf>>,
    pub token_env: Option<S<String>>,
    pub ca_file: Option<PathBuf>,
    pub max_clock_skew: Option<S<String>>,
}

/// `[notify]`; its webhooks are checked one by one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    #[serde(rename = "webhooks")]
    pub _webhooks: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    pub url: Option<S<String>>,
    pub url_file: Option<S<PathBuf>>,
    pub url_env: Option<S<String>>,
    pub format: Option<S<String>>,
    pub events: Option<S<Vec<S<String>>>>,
    pub timeout: Option<S<String>>,
    pub retries: Option<S<u32>>,
    pub backoff: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRfc2136 {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub server: S<String>,
    pub tsig_key_name: S<String>,
    pub tsig_algorithm: Option<S<String>>,
    pub tsig_secret: Option<S<IgnoredAny>>,
    pub tsig_secret_file: Option<S<PathBuf>>,
    pub tsig_secret_env: Option<S<String>>,
    pub timeout: Option<S<String>>,
    pub requests_per_second: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute53 {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub region: Option<String>,
    pub endpoint_url: Option<S<String>>,
    pub hosted_zone_id: Option<String>,
    pub requests_per_second: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCloudflare {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub api_token: Option<S<IgnoredAny>>,
    pub api_token_file: Option<S<PathBuf>>,
    pub api_token_env: Option<S<String>>,
    pub api_url: Option<S<String>>,
    pub zone_id: Option<String>,
    pub requests_per_second: Option<S<u32>>,
    pub min_ttl: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPowerDns {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub api_url: S<String>,
    pub server_id: Option<S<String>>,
    pub api_key: Option<S<IgnoredAny>>,
    pub api_key_file: Option<S<PathBuf>>,
    pub api_key_env: Option<S<String>>,
    pub dns_server: Option<S<String>>,
    pub requests_per_second: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhookProvider {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub url: S<String>,
    pub token: Option<S<IgnoredAny>>,
    pub token_file: Option<S<PathBuf>>,
    pub token_env: Option<S<String>>,
    pub timeout: Option<S<String>>,
    pub requests_per_second: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGcloud {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub project: S<String>,
    pub managed_zone: S<String>,
    pub credentials_file: Option<S<PathBuf>>,
    pub metadata_url: Option<S<String>>,
    pub api_url: Option<S<String>>,
    pub requests_per_second: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawService {
    pub name: S<String>,
    pub provider: S<String>,
    pub zone: S<String>,
    /// The single-record form: `record` + `type` (else `records`).
    pub record: Option<S<String>>,
    #[serde(rename = "type")]
    pub rtype: Option<S<String>>,
    /// A record group: several names and types that move together.
    pub records: Option<S<Vec<S<RawMember>>>>,
    pub rto: S<String>,
    #[serde(default)]
    pub ttl: RawTtl,
    #[serde(default)]
    pub failback: RawFailback,
    /// Checked on its own (a tagged table): see `probe.rs`.
    #[serde(rename = "probe")]
    pub _probe: IgnoredAny,
    #[serde(default)]
    pub health: RawHealth,
    #[serde(default)]
    pub damping: RawDamping,
    #[serde(default)]
    pub pools: Vec<S<RawPool>>,
    #[serde(default)]
    pub propagation: RawPropagation,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTtl {
    pub normal: Option<S<String>>,
    pub lowered: Option<S<String>>,
    pub restore_after: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFailback {
    #[serde(default)]
    pub mode: FailbackMode,
    pub stable_for: Option<S<String>>,
    /// A gradual failback: percent of weight on the preferred pool per step.
    pub steps: Option<S<Vec<S<i64>>>>,
    pub step_hold: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHealth {
    pub interval: Option<S<String>>,
    pub fast_interval: Option<S<String>>,
    pub rise: Option<S<u32>>,
    pub fall: Option<S<u32>>,
    pub quorum: Option<S<u32>>,
    pub min_healthy: Option<S<u32>>,
    pub max_age: Option<S<String>>,
    pub accept_single_region_risk: Option<S<bool>>,
    pub watch: Option<S<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDamping {
    pub hold_down: Option<S<String>>,
    pub max_flips: Option<S<u32>>,
    pub flip_window: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPool {
    pub name: S<String>,
    pub region: S<String>,
    pub endpoints: Option<S<Vec<S<String>>>>,
    pub marker: Option<S<RawMarker>>,
    pub alias: Option<S<RawAlias>>,
    /// A record group's per-type values: A, AAAA, and a CNAME target.
    pub endpoints_v4: Option<S<Vec<S<String>>>>,
    pub endpoints_v6: Option<S<Vec<S<String>>>>,
    pub cname: Option<S<String>>,
    /// An alias pool's probes go to this host (an address, or a name
    /// resolved through the service's propagation resolvers).
    pub probe_host: Option<S<String>>,
}

/// A Route 53 alias target as a pool's answer (`alias = { dns_name = ... }`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlias {
    pub dns_name: S<String>,
    pub hosted_zone_id: S<String>,
    #[serde(default)]
    pub evaluate_target_health: bool,
}

/// One entry of a service's `records`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMember {
    pub name: S<String>,
    #[serde(rename = "type")]
    pub rtype: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMarker {
    pub header: Option<String>,
    pub value: Option<String>,
    pub body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPropagation {
    #[serde(default)]
    pub resolvers: Vec<RawNamedServer>,
    #[serde(default)]
    pub authoritatives: Vec<RawNamedServer>,
    pub client_url: Option<S<String>>,
    pub queries_per_second: Option<S<u32>>,
    pub deadline: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNamedServer {
    pub name: String,
    pub address: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttpProbe {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub timeout: Option<S<String>>,
    #[serde(default)]
    pub tls: bool,
    pub port: Option<S<u16>>,
    pub path: Option<S<String>>,
    pub expect_status: Option<Vec<S<RawStatus>>>,
    pub body_contains: Option<String>,
    pub header: Option<RawHeader>,
    pub host: Option<String>,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHeader {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTcpProbe {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub timeout: Option<S<String>>,
    pub port: S<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDnsProbe {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub timeout: Option<S<String>>,
    pub port: Option<S<u16>>,
    pub query_name: Option<S<String>>,
    pub query_type: Option<S<String>>,
}

/// One `expect_status` entry: `200` or `"200-299"`.
#[derive(Debug)]
pub(super) enum RawStatus {
    Code(i64),
    Range(String),
}

impl<'de> Deserialize<'de> for RawStatus {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawStatus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status code like 200 or a range like \"200-299\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawStatus, E> {
                Ok(RawStatus::Code(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawStatus, E> {
                Ok(RawStatus::Code(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawStatus, E> {
                Ok(RawStatus::Range(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}
