//! Local faults: a probe that could not run for reasons of this host says nothing about the endpoint.

use std::time::Duration;

/// Why this vantage could not probe. A result carrying one counts toward
/// neither `rise` nor `fall`: the endpoint is unknown from here until a real
/// result arrives, and the vantage is impaired meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalFault {
    /// No file descriptors left (EMFILE, ENFILE).
    Descriptors(String),
    /// No kernel buffers or memory for the socket (ENOBUFS, ENOMEM).
    Buffers(String),
    /// The probe source address (or a local port) cannot be used (EADDRNOTAVAIL).
    SourceAddress(String),
    /// The scheduler started the probe more than one interval late.
    Late(Duration),
    /// The name probed (an alias pool's target, or its `probe_host`) could
    /// not be resolved through the configured resolvers.
    Resolve(String),
}

impl std::fmt::Display for LocalFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Descriptors(e) => write!(f, "out of file descriptors ({e})"),
            Self::Buffers(e) => write!(f, "out of socket buffers ({e})"),
            Self::SourceAddress(e) => write!(f, "probe source address unusable ({e})"),
            Self::Late(by) => write!(f, "probe scheduler {}ms behind", by.as_millis()),
            Self::Resolve(e) => write!(f, "cannot resolve the probe target ({e})"),
        }
    }
}

impl LocalFault {
    /// A short word for the kind, for metrics and JSON: `descriptors`,
    /// `buffers`, `source_address`, `late`, `resolve`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Descriptors(_) => "descriptors",
            Self::Buffers(_) => "buffers",
            Self::SourceAddress(_) => "source_address",
            Self::Late(_) => "late",
            Self::Resolve(_) => "resolve",
        }
    }

    /// The local fault behind an I/O error from making, binding or using a
    /// probe's socket, if it is one (else the error is the endpoint's).
    pub fn from_io(e: &std::io::Error) -> Option<Self> {
        let text = e.to_string();
        match e.raw_os_error()? {
            libc::EMFILE | libc::ENFILE => Some(Self::Descriptors(text)),
            libc::ENOBUFS | libc::ENOMEM => Some(Self::Buffers(text)),
            libc::EADDRNOTAVAIL => Some(Self::SourceAddress(text)),
            _ => None,
        }
    }

    /// The local fault anywhere in an error's chain of causes (looking
    /// inside I/O errors too, where hyper and rustls put theirs).
    pub fn in_chain(e: &(dyn std::error::Error + 'static)) -> Option<Self> {
        let mut next = Some(e);
        while let Some(c) = next {
            if let Some(io) = c.downcast_ref::<std::io::Error>() {
                if let Some(l) = Self::from_io(io) {
                    return Some(l);
                }
                if let Some(inner) = io.get_ref() {
                    next = Some(inner as &(dyn std::error::Error + 'static));
                    continue;
                }
            }
            next = c.source();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_hosts_errors_are_local() {
        let os = std::io::Error::from_raw_os_error;
        assert_eq!(
            LocalFault::from_io(&os(libc::EMFILE)).map(|l| l.kind()),
            Some("descriptors")
        );
        assert_eq!(
            LocalFault::from_io(&os(libc::ENFILE)).map(|l| l.kind()),
            Some("descriptors")
        );
        assert_eq!(
            LocalFault::from_io(&os(libc::ENOBUFS)).map(|l| l.kind()),
            Some("buffers")
        );
        assert_eq!(
            LocalFault::from_io(&os(libc::ENOMEM)).map(|l| l.kind()),
            Some("buffers")
        );
        assert_eq!(
            LocalFault::from_io(&os(libc::EADDRNOTAVAIL)).map(|l| l.kind()),
            Some("source_address")
        );
        for target in [
            libc::ECONNREFUSED,
            libc::ECONNRESET,
            libc::ETIMEDOUT,
            libc::EHOSTUNREACH,
        ] {
            assert_eq!(LocalFault::from_io(&os(target)), None, "errno {target}");
        }
        let plain = std::io::Error::other("tls handshake");
        assert_eq!(LocalFault::from_io(&plain), None);
    }

    #[test]
    fn found_under_wrapping_errors() {
        let inner = std::io::Error::from_raw_os_error(libc::EMFILE);
        let wrapped = std::io::Error::other(inner);
        let l = LocalFault::in_chain(&wrapped).map(|l| l.to_string());
        assert!(l.is_some_and(|t| t.starts_with("out of file descriptors")));
    }
}
