//! Vantages together: observations exchanged over an authenticated peer API, and the quorum verdict.
//!
//! - [`obs`]: what one vantage says about every pool and endpoint, and the
//!   config digest that says whether two vantages probe the same things.
//! - [`server`]: `GET /v1/observations`, bearer token, optional TLS.
//! - `push`: the long-poll on it: answered as soon as the observations
//!   change, so votes travel at once; the pull stays the fallback.
//! - [`parse`]: the observation document from untrusted bytes.
//! - [`puller`]: fetches every peer's observations: held long-polls, or
//!   at the probe interval from peers that do not hold.
//! - [`quorum`]: the pure verdict over the local view and the peers' views.
//! - `doubt`: the endpoints a peer sees failing, probed here at once.
//! - [`skew`]: clock skew between vantages, measured on every pull and bounded.
//! - [`agent`]: a probe-only vantage: probes and the peer API, no providers.

mod agent;
mod doubt;
mod obs;
mod parse;
mod puller;
mod push;
mod quorum;
mod server;
mod skew;
mod tls;

#[cfg(test)]
mod tests_agent;
#[cfg(test)]
mod tests_api;
#[cfg(test)]
mod tests_bounds;
#[cfg(test)]
mod tests_doubt;
#[cfg(test)]
mod tests_fuzz;
#[cfg(test)]
mod tests_obs;
#[cfg(test)]
mod tests_puller;
#[cfg(test)]
mod tests_push;
#[cfg(test)]
mod tests_quorum;
#[cfg(test)]
mod tests_skew;

pub use agent::run_agent;
pub use doubt::{Doubt, doubted, to_probe_now};
pub use obs::{
    EndpointObs, EndpointObsState, LastWrite, Observations, PoolObs, Served, ServiceObs,
    config_digest, service_obs,
};
pub use parse::parse_observations;
pub use puller::{PeerSet, PeerSpec, PeerStatus, PeerView, pull_once};
pub use quorum::{Local, QuorumVerdict, Rules, decide, rules_for};
pub use server::{limits_for, serve, serve_with};
pub use skew::clock_skew_ms;
pub use tls::TlsFiles;

/// Why talking to a peer (or setting up the peer API) failed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// Connect, timeout or a broken answer: the next pull may work.
    #[error("peer unreachable: {0}")]
    Unreachable(String),
    /// The peer answered with an error status other than 401.
    #[error("peer answered status {0}")]
    Status(u16),
    /// The peer refused our token: a person must fix the tokens.
    #[error("peer refused our token (401)")]
    Unauthorized,
    /// The answer was not observations.
    #[error("peer answered something that is not observations: {0}")]
    Decode(String),
    /// A token, certificate, key or CA file could not be used.
    #[error("peer API setup: {0}")]
    Setup(String),
}

impl PeerError {
    /// True when trying again later can help.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable(_) | Self::Decode(_) => true,
            Self::Status(code) => *code >= 500 || *code == 429,
            Self::Unauthorized | Self::Setup(_) => false,
        }
    }
}
