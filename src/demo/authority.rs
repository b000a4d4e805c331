//! The demo's embedded authoritative DNS server: one zone, updatable over
//! RFC 2136 with TSIG (hmac-sha256), served over UDP and TCP on loopback.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_proto::rr::rdata::{A, AAAA, NS, SOA};
use hickory_proto::rr::{LowerName, Name, RData, Record, TSigner};
use hickory_server::Server;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::store::sqlite::{Journal, SqliteZoneHandler};
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use tokio::net::{TcpListener, UdpSocket};
use tracing::{info, warn};

use super::zone::DemoZone;

/// TTL of the SOA, NS and name server records.
const INFRA_TTL: u32 = 60;
/// Seconds a TSIG signature stays valid either side of our clock (RFC 8945).
const TSIG_FUDGE: u16 = 300;
/// Idle TCP connections are closed after this long.
const TCP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`Authority::stop`] waits for the server tasks to end.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What the demo authority serves and who may change it.
pub struct AuthorityConfig {
    /// The zone, e.g. `demo.rtoguard.test.`.
    pub zone: String,
    /// Address records: name (absolute, or relative to the zone), TTL, address.
    pub records: Vec<(String, u32, IpAddr)>,
    /// Where to listen; port 0 picks a free port (the same for UDP and TCP).
    pub listen: SocketAddr,
    /// The TSIG key name updates must be signed with (hmac-sha256).
    pub tsig_key_name: String,
    /// The TSIG secret (raw bytes, not base64).
    pub tsig_secret: Vec<u8>,
    /// Directory for the zone's SQLite journal.
    pub state_dir: PathBuf,
}

impl fmt::Debug for AuthorityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorityConfig")
            .field("zone", &self.zone)
            .field("records", &self.records)
            .field("listen", &self.listen)
            .field("tsig_key_name", &self.tsig_key_name)
            .field("tsig_secret", &"REDACTED")
            .field("state_dir", &self.state_dir)
            .finish()
    }
}

/// A running authority; its tasks end on [`Authority::stop`] or on drop.
pub struct Authority {
    /// The address it answers on, over both UDP and TCP.
    pub addr: SocketAddr,
    server: Server<Catalog>,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// Builds the zone, opens its journal, binds UDP and TCP and starts serving.
    pub async fn start(cfg: AuthorityConfig) -> anyhow::Result<Self> {
        let origin = absolute(&cfg.zone, &Name::root()).context("invalid zone name")?;
        ensure!(!cfg.tsig_secret.is_empty(), "the TSIG secret is empty");
        let key_name =
            absolute(&cfg.tsig_key_name, &Name::root()).context("invalid TSIG key name")?;
        let signer = TSigner::new(
            cfg.tsig_secret.clone(),
            TsigAlgorithm::HmacSha256,
            key_name,
            TSIG_FUDGE,
        )
        .context("cannot build the TSIG key")?;
        let (udp, tcp) = bind_pair(cfg.listen).await?;
        let addr = udp.local_addr().context("cannot read the bound address")?;
        let store = build_store(&cfg, &origin, addr.ip()).await?;

        let mut catalog = Catalog::new();
        catalog.upsert(
            LowerName::from(&origin),
            vec![Arc::new(DemoZone::new(store, signer))],
        );
        let mut server = Server::new(catalog);
        server.register_socket(udp);
        server.register_listener(tcp, TCP_TIMEOUT, 64);
        info!(%addr, zone = %origin, records = cfg.records.len(), "Demo authority is serving.");
        Ok(Self { addr, server })
    }

    /// Stops listening and waits (a few seconds at most) for the tasks to end.
    pub async fn stop(mut self) {
        match tokio::time::timeout(STOP_GRACE, self.server.shutdown_gracefully()).await {
            Ok(Ok(())) => info!(addr = %self.addr, "Demo authority stopped."),
            Ok(Err(error)) => {
                warn!(addr = %self.addr, %error, "Demo authority stopped with an error.")
            }
            Err(_) => {
                warn!(addr = %self.addr, "Demo authority did not stop in time; aborting its tasks.")
            }
        }
    }
}

impl Drop for Authority {
    fn drop(&mut self) {
        // Dropping the server's JoinSet aborts its tasks; cancel first so
        // the listeners see a clean shutdown where they can.
        self.server.shutdown_token().cancel();
    }
}

/// Parses `name`, appending `origin` when it is relative.
fn absolute(name: &str, origin: &Name) -> anyhow::Result<Name> {
    let parsed = Name::from_str(name).with_context(|| format!("cannot parse {name:?}"))?;
    if parsed.is_fqdn() {
        return Ok(parsed);
    }
    Ok(parsed.append_domain(origin)?)
}

/// Binds UDP and TCP on the same address; for port 0, the same free port.
pub(super) async fn bind_pair(listen: SocketAddr) -> anyhow::Result<(UdpSocket, TcpListener)> {
    let attempts = if listen.port() == 0 { 20 } else { 1 };
    let mut last = None;
    for _ in 0..attempts {
        let udp = UdpSocket::bind(listen)
            .await
            .with_context(|| format!("cannot bind UDP {listen}"))?;
        let addr = udp.local_addr()?;
        match TcpListener::bind(addr).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(error) => last = Some(error),
        }
    }
    match last {
        Some(error) => {
            Err(error).with_context(|| format!("cannot bind TCP on the UDP port of {listen}"))
        }
        None => bail!("cannot bind {listen}"),
    }
}

/// The zone's records: SOA, NS (`ns.ZONE` at `ns_ip`) and the configured ones.
fn zone_records(
    cfg: &AuthorityConfig,
    origin: &Name,
    ns_ip: IpAddr,
) -> anyhow::Result<Vec<Record>> {
    let ns = Name::from_str("ns")?.append_domain(origin)?;
    let hostmaster = Name::from_str("hostmaster")?.append_domain(origin)?;
    let soa = SOA::new(ns.clone(), hostmaster, 1, 3600, 600, 86_400, INFRA_TTL);
    let mut records = vec![
        Record::from_rdata(origin.clone(), INFRA_TTL, RData::SOA(soa)),
        Record::from_rdata(origin.clone(), INFRA_TTL, RData::NS(NS(ns.clone()))),
        Record::from_rdata(ns, INFRA_TTL, address(ns_ip)),
    ];
    for (name, ttl, ip) in &cfg.records {
        let name = absolute(name, origin)?;
        ensure!(origin.zone_of(&name), "{name} is not in the zone {origin}");
        records.push(Record::from_rdata(name, *ttl, address(*ip)));
    }
    Ok(records)
}

fn address(ip: IpAddr) -> RData {
    match ip {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    }
}

/// The zone in hickory's store, journalled to `state_dir/demo-zone.jrnl`.
async fn build_store(
    cfg: &AuthorityConfig,
    origin: &Name,
    ns_ip: IpAddr,
) -> anyhow::Result<SqliteZoneHandler> {
    let mut memory =
        InMemoryZoneHandler::empty(origin.clone(), ZoneType::Primary, AxfrPolicy::Deny, None);
    for record in zone_records(cfg, origin, ns_ip)? {
        let name = record.name.clone();
        ensure!(
            memory.upsert_mut(record, 1),
            "cannot add {name} to the zone"
        );
    }
    // Updates are allowed, but only through `DemoZone`, which checks TSIG.
    let mut store = SqliteZoneHandler::new(memory, AxfrPolicy::Deny, true, false);
    std::fs::create_dir_all(&cfg.state_dir)
        .with_context(|| format!("cannot create {}", cfg.state_dir.display()))?;
    let path = cfg.state_dir.join("demo-zone.jrnl");
    let journal = Journal::from_file(&path)
        .with_context(|| format!("cannot open the journal {}", path.display()))?;
    store.set_journal(journal).await;
    store
        .persist_to_journal()
        .await
        .context("cannot write the zone to its journal")?;
    Ok(store)
}
