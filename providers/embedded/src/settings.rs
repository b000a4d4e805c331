//! What the embedded server serves and where: built by the config, checked again when a zone is built.

use std::net::{IpAddr, SocketAddr};

/// One embedded provider instance (`[providers.NAME] type = "embedded"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedSettings {
    /// The provider's name in the config.
    pub name: String,
    /// Where to answer, over UDP and TCP; port 0 picks a free port.
    pub listen: Vec<SocketAddr>,
    /// The zones served.
    pub zones: Vec<ZoneSettings>,
    /// UDP responses per second per client /24 (IPv4) or /56 (IPv6); 0: no limit.
    pub rate_limit: u32,
    /// Where the record sets written through the provider are kept, so a
    /// restarted server serves what was last written (None: memory only).
    pub state_file: Option<std::path::PathBuf>,
}

/// One zone: its SOA, its name servers with glue, and its static records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSettings {
    /// The zone's apex, e.g. `gslb.example.com.`.
    pub name: String,
    /// The SOA's responsible mailbox as a name (`hostmaster.example.com.`).
    pub hostmaster: String,
    /// TTL of the SOA, NS and glue records, in seconds.
    pub ttl: u32,
    /// The TTL of a negative answer (the SOA minimum), in seconds.
    pub negative_ttl: u32,
    /// The name servers (NS at the apex); the first one is the SOA's primary.
    pub name_servers: Vec<NameServer>,
    /// Other records served from the start; a service's record named here is
    /// what rtoguard serves until its first write.
    pub records: Vec<StaticRecord>,
    /// Outgoing zone transfers to secondaries (None: refused).
    pub transfer: Option<TransferSettings>,
    /// More static records from a zone file (RFC 1035 syntax; not its SOA
    /// nor the apex NS, which come from the settings above).
    pub zone_file: Option<std::path::PathBuf>,
}

/// Zone transfers of one zone (rtoguard as a hidden primary): where
/// secondaries transfer from, with which keys, and whom to NOTIFY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSettings {
    /// The transfer address, TCP (AXFR, IXFR) and UDP (the SOA query before
    /// a transfer); port 0 picks a free port.
    pub listen: SocketAddr,
    /// The keys a secondary may sign with; every request must be signed.
    pub keys: Vec<TransferKey>,
    /// The secondaries' addresses allowed to transfer (empty: any, key still required).
    pub allow: Vec<IpAddr>,
    /// Where to send NOTIFY after every write, signed with the first key.
    pub notify: Vec<SocketAddr>,
    /// How many changes are kept for IXFR (older secondaries get AXFR).
    pub keep: usize,
}

/// A TSIG key (RFC 8945). `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TransferKey {
    /// The key's name, as the secondary's `key` statement names it.
    pub name: String,
    pub algorithm: rtoguard_provider_api::TsigAlgorithm,
    /// The secret, decoded.
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for TransferKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"REDACTED")
            .finish()
    }
}

/// A name server of the zone with its addresses (glue when inside the zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameServer {
    pub name: String,
    pub addresses: Vec<IpAddr>,
}

/// A static record set: name (absolute, or relative to the zone), type
/// (A, AAAA, CNAME, TXT, MX, NS, ...), TTL, values in zone-file syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticRecord {
    pub name: String,
    pub rtype: String,
    pub ttl: u32,
    pub values: Vec<String>,
}
