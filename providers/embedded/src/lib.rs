//! The embedded authoritative provider: rtoguard serves the zone itself.
//!
//! - [`settings`]: what to serve and where (zones, SOA, NS and glue, static
//!   records, listen addresses, the rate limit).
//! - [`zone`]: one zone as served at one moment, immutable; answers a query.
//! - [`zone_file`]: a zone's other static records from a zone file, each
//!   with its line.
//! - [`store`]: the served zones, swapped whole on every write (compare-and-set,
//!   a new SOA serial each time; every record of a group in one swap).
//! - `kept`: the record sets written, kept in the state file.
//! - [`server`]: the UDP and TCP listeners (hickory-server) and the request
//!   handler: EDNS, truncation, RFC 8482 ANY, REFUSED transfers (they have
//!   their own address); the transfer listeners of each zone that has one.
//! - [`transfer`]: outgoing AXFR/IXFR with TSIG and NOTIFY of one zone,
//!   committed on every write.
//! - [`limit`]: response rate limiting per client prefix (/24, /56).
//! - [`provider`]: the [`Provider`](rtoguard_provider_api::Provider) contract
//!   over the store: read what is served, apply a change as a swap.

#![forbid(unsafe_code)]

mod kept;
pub mod limit;
pub mod provider;
pub mod server;
pub mod settings;
pub mod store;
pub mod transfer;
pub mod zone;
pub mod zone_file;

pub use provider::EmbeddedProvider;
pub use server::Embedded;
pub use settings::{
    EmbeddedSettings, NameServer, StaticRecord, TransferKey, TransferSettings, ZoneSettings,
};
pub use store::{Store, SwapError};

/// The lowest TTL the embedded server serves, in seconds.
pub const TTL_FLOOR: u32 = 1;

/// Why the embedded server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr} ({proto}): {source}")]
    Bind {
        addr: std::net::SocketAddr,
        proto: &'static str,
        source: std::io::Error,
    },
    #[error("zone {zone}: {message}")]
    Zone { zone: String, message: String },
    #[error("no listen address")]
    NoListen,
    #[error("cannot read the kept record sets in {path}: {message}")]
    State {
        path: std::path::PathBuf,
        message: String,
    },
}
