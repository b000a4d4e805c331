//! Bounded HTTP/1 servers for the peer API and the control socket: a connection cap, a per-source cap, header and idle timeouts, a body limit.
//!
//! `axum::serve` has none of these knobs, so the accept loop is ours:
//!
//! - [`gate`]: who may hold a connection (the total cap, the per-source cap);
//!   a connection over a cap is accepted and closed at once.
//! - [`activity`]: what a connection is doing (waiting for a request head,
//!   handling one, reading its body) and when it last moved a byte.
//! - [`conn`]: one connection: hyper's HTTP/1, the axum router, and a
//!   supervisor that closes it when a timeout runs out.
//! - [`descriptors`]: the process's descriptor limit, raised at start-up,
//!   and the share of it the peer API may take.
//!
//! The timeouts follow nginx's model: a request head must arrive within
//! `header_timeout` of the connection opening (or of its first byte on a
//! kept-alive connection); a kept-alive connection may wait `idle_timeout`
//! for its next request; and while the server waits on the client, a
//! connection that moves no byte for `idle_timeout` is closed.

mod accept;
mod activity;
mod conn;
pub mod descriptors;
mod gate;

use std::time::Duration;

pub use accept::{Acceptor, serve};
pub use conn::serve_connection;
pub use gate::{Admission, Gate, Refused};

/// The bounds of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once, handshakes included.
    pub max_connections: usize,
    /// Connections open at once from one IP address (TCP only).
    pub per_source: Option<usize>,
    /// From the connection opening (or a new request's first byte) to its whole head.
    pub header_timeout: Duration,
    /// Silence allowed while the server waits on the client, and between requests.
    pub idle_timeout: Duration,
    /// The largest request body, in bytes.
    pub max_body: usize,
}

/// The peer API's connection cap before the descriptor budget (see [`descriptors::peer_cap`]).
pub const PEER_MAX_CONNECTIONS: usize = 256;
/// Connections from one IP address to the peer API.
pub const PEER_PER_SOURCE: usize = 8;
/// The control socket's connection cap.
pub const CONTROL_MAX_CONNECTIONS: usize = 64;
/// How long a request head may take.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a connection may sit silent.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request body.
pub const MAX_BODY: usize = 64 * 1024;
/// How long in-flight requests get to finish once the server stops.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

impl Limits {
    /// The peer API's defaults.
    pub const PEER_API: Self = Self {
        max_connections: PEER_MAX_CONNECTIONS,
        per_source: Some(PEER_PER_SOURCE),
        header_timeout: HEADER_TIMEOUT,
        idle_timeout: IDLE_TIMEOUT,
        max_body: MAX_BODY,
    };

    /// The control socket's defaults.
    pub const CONTROL: Self = Self {
        max_connections: CONTROL_MAX_CONNECTIONS,
        per_source: None,
        header_timeout: HEADER_TIMEOUT,
        idle_timeout: IDLE_TIMEOUT,
        max_body: MAX_BODY,
    };
}

#[cfg(test)]
pub(crate) mod test_io;
#[cfg(test)]
mod tests;
