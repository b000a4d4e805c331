//! Where an endpoint is and how to reach it over TCP: its addresses, a connection from the probe source, and what a connect error means.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use tokio::net::{TcpSocket, TcpStream};

use super::lookup::Lookup;
use super::{LocalFault, ProbeError};

/// How long one resolver may take to answer a probe's lookup.
const LOOKUP_BOUND: std::time::Duration = std::time::Duration::from_secs(2);

/// The socket addresses of `endpoint` (an IP, or a host name looked up:
/// through `lookup`'s resolvers when given, else the system's).
pub(super) async fn endpoint_addrs(
    endpoint: &str,
    port: u16,
    lookup: Option<&Lookup>,
) -> Result<Vec<SocketAddr>, ProbeError> {
    if let Ok(ip) = IpAddr::from_str(endpoint.trim_start_matches('[').trim_end_matches(']')) {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if let Some(l) = lookup {
        return l.addrs(port, LOOKUP_BOUND).await;
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((endpoint, port))
        .await
        .map_err(|e| match LocalFault::from_io(&e) {
            Some(l) => ProbeError::Local(l),
            None => ProbeError::Resolve(endpoint.to_string(), e.to_string()),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(ProbeError::Resolve(
            endpoint.to_string(),
            "no addresses".into(),
        ));
    }
    Ok(addrs)
}

/// The TCP probe: a connection to any address of `endpoint` on `port`.
pub(super) async fn tcp(
    endpoint: &str,
    port: u16,
    source: Option<IpAddr>,
    lookup: Option<&Lookup>,
) -> Result<String, ProbeError> {
    connect_any(endpoint, port, source, lookup)
        .await
        .map(|_| "connected".into())
}

/// A connection to the first address of `endpoint` on `port` that takes
/// one, tried in turn; the last error when none does.
pub(super) async fn connect_any(
    endpoint: &str,
    port: u16,
    source: Option<IpAddr>,
    lookup: Option<&Lookup>,
) -> Result<TcpStream, ProbeError> {
    let addrs = endpoint_addrs(endpoint, port, lookup).await?;
    let mut last = None;
    for addr in addrs {
        match connect_from(addr, source).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    // endpoint_addrs never returns an empty list.
    Err(connect_error(&last.expect("at least one address")))
}

/// A TCP connection to `addr`, bound first to `source` when set.
pub(super) async fn connect_from(
    addr: SocketAddr,
    source: Option<IpAddr>,
) -> std::io::Result<TcpStream> {
    let Some(ip) = source else {
        return TcpStream::connect(addr).await;
    };
    let sock = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    sock.bind(SocketAddr::new(ip, 0))?;
    sock.connect(addr).await
}

/// A connect's error: this host's own trouble (descriptors, buffers, the
/// source address) is [`ProbeError::Local`]; anything else is the endpoint's.
pub(super) fn connect_error(e: &std::io::Error) -> ProbeError {
    if let Some(l) = LocalFault::from_io(e) {
        ProbeError::Local(l)
    } else if e.kind() == std::io::ErrorKind::ConnectionRefused {
        ProbeError::Refused
    } else {
        ProbeError::Connect(e.to_string())
    }
}
