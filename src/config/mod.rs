//! The TOML config: strict parsing and validation. (Stub for integration; replaced by the real module.)
#![allow(missing_docs, dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rtoguard_provider_api::RecordType;

#[derive(Debug)]
pub struct ConfigError { pub issues: Vec<ConfigIssue> }
impl std::fmt::Display for ConfigError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { for i in &self.issues { writeln!(f, "{}: {}", i.field, i.message)?; } Ok(()) } }
impl std::error::Error for ConfigError {}
#[derive(Debug, Clone)]
pub struct ConfigIssue { pub file: PathBuf, pub line: Option<usize>, pub field: String, pub message: String }
pub fn load(_path: &Path) -> Result<Config, ConfigError> { unimplemented!() }
pub fn summary(_cfg: &Config) -> String { unimplemented!() }
#[derive(Debug, Clone)]
pub struct Config { pub path: PathBuf, pub controller: Controller, pub peers: Vec<Peer>, pub providers: BTreeMap<String, ProviderConfig>, pub services: Vec<Service> }
impl Config { pub fn service(&self, name: &str) -> Option<&Service> { self.services.iter().find(|s| s.name == name) } pub fn vantages(&self) -> usize { 1 + self.peers.len() } }
#[derive(Debug, Clone)]
pub struct Controller { pub id: String, pub state_dir: PathBuf, pub control_socket: PathBuf, pub metrics_listen: Option<SocketAddr>, pub peer_listen: Option<SocketAddr> }
#[derive(Debug, Clone)]
pub struct Peer { pub id: String, pub url: String, pub token: SecretSource }
#[derive(Debug, Clone)]
pub struct ProviderConfig { pub name: String, pub kind: ProviderKind }
#[derive(Debug, Clone)]
pub enum ProviderKind { Rfc2136(Rfc2136Config), Route53(Route53Config), Cloudflare(CloudflareConfig) }
#[derive(Debug, Clone)]
pub struct Rfc2136Config { pub server: SocketAddr, pub tsig_key_name: String, pub tsig_algorithm: TsigAlgorithm, pub tsig_secret: SecretSource, pub timeout: Duration, pub requests_per_second: u32 }
#[derive(Debug, Clone, Copy)]
pub enum TsigAlgorithm { HmacSha256, HmacSha384, HmacSha512 }
#[derive(Debug, Clone)]
pub struct Route53Config { pub region: Option<String>, pub endpoint_url: Option<String>, pub hosted_zone_id: Option<String>, pub requests_per_second: u32 }
#[derive(Debug, Clone)]
pub struct CloudflareConfig { pub api_token: SecretSource, pub api_url: String, pub zone_id: Option<String>, pub requests_per_second: u32 }
#[derive(Debug, Clone)]
pub enum SecretSource { File(PathBuf), Env(String) }
impl SecretSource { pub fn read(&self) -> Result<Secret, String> { unimplemented!() } pub fn describe(&self) -> String { unimplemented!() } }
pub struct Secret(String);
impl Secret { pub fn expose(&self) -> &str { &self.0 } }
#[derive(Debug, Clone)]
pub struct Service { pub name: String, pub provider: String, pub zone: String, pub record: String, pub rtype: RecordType, pub rto: Duration, pub ttl: Ttl, pub failback: Failback, pub probe: Probe, pub health: Health, pub damping: Damping, pub pools: Vec<Pool>, pub propagation: Propagation }
impl Service { pub fn pool(&self, name: &str) -> Option<&Pool> { self.pools.iter().find(|p| p.name == name) } }
#[derive(Debug, Clone)]
pub struct Ttl { pub normal: u32, pub lowered: u32, pub restore_after: Duration }
#[derive(Debug, Clone)]
pub struct Failback { pub mode: FailbackMode, pub stable_for: Duration }
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailbackMode { Manual, Auto }
#[derive(Debug, Clone)]
pub struct Health { pub interval: Duration, pub rise: u32, pub fall: u32, pub quorum: Option<u32>, pub min_healthy: u32, pub max_age: Option<Duration> }
#[derive(Debug, Clone)]
pub struct Damping { pub hold_down: Duration, pub max_flips: u32, pub flip_window: Duration }
#[derive(Debug, Clone)]
pub struct Probe { pub timeout: Duration, pub kind: ProbeKind }
#[derive(Debug, Clone)]
pub enum ProbeKind {
  Http { tls: bool, port: u16, path: String, expect_status: Vec<(u16, u16)>, body_contains: Option<String>, header: Option<(String, String)>, host: Option<String>, ca_file: Option<PathBuf> },
  Tcp { port: u16 },
  Dns { port: u16, query_name: String, query_type: RecordType },
}
#[derive(Debug, Clone)]
pub struct Pool { pub name: String, pub region: String, pub endpoints: Vec<String>, pub marker: Option<Marker> }
#[derive(Debug, Clone)]
pub enum Marker { Header { name: String, value: String }, Body(String) }
#[derive(Debug, Clone)]
pub struct Propagation { pub resolvers: Vec<NamedServer>, pub authoritatives: Vec<NamedServer>, pub client_url: Option<String>, pub queries_per_second: u32, pub deadline: Option<Duration> }
#[derive(Debug, Clone)]
pub struct NamedServer { pub name: String, pub address: SocketAddr }
