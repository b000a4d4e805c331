//! Why an exchange failed, keeping the `io::Error` and whether the fault is local.

use std::fmt;
use std::io;
use std::net::SocketAddr;

/// The transport an exchange step used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        })
    }
}

/// The socket call that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Bind,
    Connect,
    Send,
    Receive,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Bind => "bind",
            Stage::Connect => "connect",
            Stage::Send => "send",
            Stage::Receive => "receive",
        })
    }
}

/// Why one exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The request bytes are not a DNS message or too long to send.
    #[error("cannot send this request: {0}")]
    Request(&'static str),
    /// No reply that answers the request before the deadline.
    #[error("no answer from {server} within {timeout_ms} ms ({ignored} other replies ignored)")]
    Timeout {
        server: SocketAddr,
        timeout_ms: u128,
        ignored: u64,
    },
    /// A socket call failed.
    #[error("{transport} {stage} for {server} failed: {source}")]
    Io {
        server: SocketAddr,
        transport: Transport,
        stage: Stage,
        source: io::Error,
    },
}

impl ExchangeError {
    /// True when the failure is this machine's, not the server's or the
    /// network's: out of descriptors (EMFILE, ENFILE), buffers (ENOBUFS),
    /// memory (ENOMEM), or local addresses or ports (EADDRNOTAVAIL on bind
    /// or connect).
    pub fn is_local(&self) -> bool {
        let Self::Io { stage, source, .. } = self else {
            return false;
        };
        match source.raw_os_error() {
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => true,
            Some(libc::EADDRNOTAVAIL) => matches!(stage, Stage::Bind | Stage::Connect),
            _ => source.kind() == io::ErrorKind::OutOfMemory,
        }
    }

    /// True when nothing that answers came back in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The socket error, when a socket call failed.
    pub fn io(&self) -> Option<&io::Error> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_err(stage: Stage, code: i32) -> ExchangeError {
        ExchangeError::Io {
            server: SocketAddr::from(([127, 0, 0, 1], 53)),
            transport: Transport::Udp,
            stage,
            source: io::Error::from_raw_os_error(code),
        }
    }

    #[test]
    fn local_faults_are_told_apart() {
        assert!(io_err(Stage::Bind, libc::EMFILE).is_local());
        assert!(io_err(Stage::Send, libc::ENOBUFS).is_local());
        assert!(io_err(Stage::Bind, libc::ENFILE).is_local());
        assert!(io_err(Stage::Bind, libc::ENOMEM).is_local());
        assert!(io_err(Stage::Bind, libc::EADDRNOTAVAIL).is_local());
        assert!(!io_err(Stage::Receive, libc::ECONNREFUSED).is_local());
        assert!(!io_err(Stage::Connect, libc::ENETUNREACH).is_local());
        let timeout = ExchangeError::Timeout {
            server: SocketAddr::from(([127, 0, 0, 1], 53)),
            timeout_ms: 5,
            ignored: 0,
        };
        assert!(!timeout.is_local() && timeout.is_timeout());
    }
}
