//! The propagation watch's one error type: what went wrong asking a server or setting up a path.

use std::time::Duration;

/// Why a question, a discovery or a client request failed.
#[derive(Debug, thiserror::Error)]
pub enum PropagationError {
    /// No reply within the timeout: the server may be down or dropping queries.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// A local socket failed.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    /// The question could not be encoded or the reply not decoded.
    #[error("malformed DNS message: {0}")]
    Malformed(String),
    /// The watched name or zone is not a DNS name.
    #[error("not a DNS name: {0:?}")]
    InvalidName(String),
    /// Authoritatives were to be found from NS records, but there is no resolver to ask.
    #[error("no authoritative servers given and no resolver to find them with")]
    NoResolver,
    /// The zone's NS records (or their addresses) could not be found.
    #[error("cannot find the name servers of {zone}: {reason}")]
    Discovery { zone: String, reason: String },
    /// The client URL is not a usable http(s) URL with a host name.
    #[error("client URL {0:?} is not an http(s) URL with a host")]
    ClientUrl(String),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

impl PropagationError {
    /// Whether trying again may help: network faults may pass, bad input does not.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::Io(_) | Self::Malformed(_) | Self::Discovery { .. }
        )
    }
}
