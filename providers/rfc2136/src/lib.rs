//! RFC 2136 dynamic update provider for rtoguard, signed with TSIG.
//!
//! - [`provider`]: [`Rfc2136Provider`], the `Provider` implementation: direct
//!   reads from the primary, compare-and-set UPDATEs, sync checks by SOA serial.
//! - [`settings`]: [`Rfc2136Settings`] and [`TsigAlgorithm`]; the secret never
//!   shows in `Debug` or errors.
//! - `group`: a group change (several record sets) as one UPDATE.
//! - `message`: the query and UPDATE messages (RFC 2136 §2.4.2/§2.4.3
//!   prerequisites, §2.5.2 delete, §2.5.1 add) and reading answers back.
//! - `response`: response codes and TSIG errors mapped to `ProviderError`.
//!
//! Every exchange with the server goes through `rtoguard_dns::Exchange`.

#![forbid(unsafe_code)]

mod group;
mod message;
pub mod provider;
mod response;
pub mod settings;

/// The lowest TTL this provider accepts, in seconds (its `Capabilities`).
pub const TTL_FLOOR: u32 = 1;

pub use provider::Rfc2136Provider;
pub use settings::{Rfc2136Settings, TsigAlgorithm};
