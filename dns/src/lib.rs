//! One DNS exchange for rtoguard, shared by RFC 2136 reads and updates, DNS
//! probes and the propagation watch.
//!
//! - [`exchange`]: [`Exchange`], one request to one server: a fresh socket on
//!   a random port (from a chosen source address if asked), UDP first, TCP
//!   when the answer is truncated, one deadline for the whole of it.
//! - [`check`]: [`Expected`] and [`answers`], the pure test of whether a
//!   received message answers the request (ID, QR, opcode, question); every
//!   other message is ignored and counted. Callable from a fuzz target.
//! - [`query`]: [`query`](query::query), a query message with EDNS(0).
//! - [`error`]: [`ExchangeError`], which keeps the `io::Error` and says
//!   whether a failure is local ([`ExchangeError::is_local`]).
//! - [`transfer`]: outgoing AXFR/IXFR from a [`ZoneHistory`](transfer::ZoneHistory),
//!   TSIG-signed, for secondaries of the embedded authoritative.
//! - [`notify`]: [`Notifier`](notify::Notifier), TSIG-signed NOTIFY to those
//!   secondaries, retried with backoff.

#![forbid(unsafe_code)]

pub mod check;
pub mod error;
pub mod exchange;
pub mod notify;
pub mod query;
pub mod transfer;

pub use check::{Expected, Mismatch, answers};
pub use error::{ExchangeError, Stage, Transport};
pub use exchange::{Exchange, Reply, ignored_total};
pub use query::{EDNS_PAYLOAD, query};
