//! Outgoing zone transfers, so that rtoguard can be the hidden primary
//! behind a customer's own secondaries.
//!
//! - [`history`]: [`ZoneHistory`], the zone as served now and its last few
//!   RFC 1995 differences; RFC 1982 serial arithmetic.
//! - [`answer`](mod@answer): [`answer`](fn@answer), the messages answering one
//!   SOA, AXFR or IXFR request, with the TSIG policy ([`TransferPolicy`]).
//! - [`tsig`]: request verification and the signed chain of answers (RFC 8945).
//! - [`serve`]: [`serve_transfers`] and [`serve_connection`] over TCP, and
//!   [`serve_transfers_udp`] for the SOA queries before a transfer, all from
//!   a shared [`Transfers`] (one zone) or [`TransferZones`] (several zones
//!   on one address).

pub mod answer;
pub mod history;
pub mod serve;
mod tsig;

#[cfg(test)]
mod tests;

pub use answer::{TCP_MESSAGE_LIMIT, TransferPolicy, answer};
pub use history::{Diff, HistoryError, ZoneHistory, serial_lt};
pub use serve::{
    AnswerTransfers, IDLE_TIMEOUT, TransferZones, Transfers, serve_connection, serve_transfers,
    serve_transfers_udp,
};
