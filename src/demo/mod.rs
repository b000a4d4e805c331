//! The `rtoguard demo` peers: two HTTP "regions" on loopback, and for
//! `--provider rfc2136` an authoritative DNS server of its own (by default
//! the controller serves the demo zone itself, the `embedded` provider).
//!
//! - [`authority`]: the authoritative server for the demo zone, updatable over
//!   RFC 2136 with TSIG so the real `rfc2136` provider drives it.
//! - `zone` and `prereq` (private): the update gate in front of hickory's
//!   store (TSIG check, RFC 2136 prerequisites, one update at a time).
//! - [`cache`]: a caching resolver in front of the authority, kept warm by
//!   a few clients, so resolver caches hold the old answer as they do in life.
//! - [`region`]: a region's HTTP server with its `x-region` marker, which the
//!   demo kills and revives.
//! - [`loopback_plan`]: which loopback addresses the two regions use.
//! - [`run`]: `rtoguard demo` itself; `setup` (private) starts the peers and
//!   writes the daemon's config, `story` (private) kills the primary and
//!   fails back, `follow` (private) turns the journal into live lines.

#[cfg(feature = "demo")]
use std::net::{IpAddr, Ipv4Addr, TcpListener};

pub mod authority;
mod prereq;
mod zone;

// The rest is `rtoguard demo` itself (feature `demo`; the authority above is
// feature `embedded`, which `demo` needs).
#[cfg(feature = "demo")]
pub mod cache;
#[cfg(feature = "demo")]
mod follow;
#[cfg(feature = "demo")]
pub mod region;
#[cfg(feature = "demo")]
pub mod run;
#[cfg(feature = "demo")]
mod setup;
#[cfg(feature = "demo")]
mod story;
#[cfg(feature = "demo")]
mod timeline;

#[cfg(all(test, feature = "demo"))]
mod tests;

pub use authority::{Authority, AuthorityConfig};
#[cfg(feature = "demo")]
pub use region::DemoRegion;

/// The provider the demo's controller flips through.
#[cfg(feature = "demo")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoProvider {
    /// The controller serves the zone itself: a flip is an in-memory swap,
    /// served at once (no provider write to wait for).
    #[default]
    Embedded,
    /// A separate authoritative server the controller updates over RFC 2136
    /// with TSIG, as with BIND or Knot (its write is the report's provider phase).
    Rfc2136,
}

/// The addresses of the two demo regions: 127.0.0.2 and 127.0.0.3 where this
/// machine lets us bind them (Linux does), else 127.0.0.1 for both (then the
/// regions must use different ports).
#[cfg(feature = "demo")]
pub fn loopback_plan() -> (IpAddr, IpAddr) {
    let primary = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let standby = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    if can_bind(primary) && can_bind(standby) {
        (primary, standby)
    } else {
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        (localhost, localhost)
    }
}

/// Whether a TCP listener can be bound on `ip` (it is closed at once).
#[cfg(feature = "demo")]
fn can_bind(ip: IpAddr) -> bool {
    TcpListener::bind((ip, 0)).is_ok()
}
