//! One DNS exchange with one server: UDP first, TCP when the answer is truncated.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};

/// The largest message sent over UDP without EDNS (RFC 1035 §4.2.1).
const UDP_LIMIT: usize = 512;

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    #[error("no answer from {server} over {transport} within {timeout:?}")]
    Timeout {
        server: SocketAddr,
        transport: &'static str,
        timeout: Duration,
    },
    #[error("{transport} exchange with {server} failed: {source}")]
    Io {
        server: SocketAddr,
        transport: &'static str,
        source: io::Error,
    },
}

/// Send `request` (an encoded message) to `server` and return the raw answer.
///
/// Requests above 512 bytes go straight to TCP; a UDP answer with the TC bit
/// set is asked again over TCP. `timeout` bounds each transport separately.
pub(crate) async fn exchange(
    server: SocketAddr,
    request: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>, WireError> {
    if request.len() <= UDP_LIMIT {
        let answer = bounded(server, "UDP", timeout, udp(server, request)).await?;
        if !truncated(&answer) {
            return Ok(answer);
        }
        tracing::debug!(%server, "Answer truncated, asking again over TCP.");
    }
    bounded(server, "TCP", timeout, tcp(server, request)).await
}

async fn bounded(
    server: SocketAddr,
    transport: &'static str,
    timeout: Duration,
    fut: impl Future<Output = io::Result<Vec<u8>>>,
) -> Result<Vec<u8>, WireError> {
    match timeout_at(Instant::now() + timeout, fut).await {
        Err(_) => Err(WireError::Timeout {
            server,
            transport,
            timeout,
        }),
        Ok(Err(source)) => Err(WireError::Io {
            server,
            transport,
            source,
        }),
        Ok(Ok(answer)) => Ok(answer),
    }
}

fn id_of(message: &[u8]) -> Option<u16> {
    message.first_chunk::<2>().map(|b| u16::from_be_bytes(*b))
}

fn truncated(answer: &[u8]) -> bool {
    answer.get(2).is_some_and(|flags| flags & 0x02 != 0)
}

async fn udp(server: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = UdpSocket::bind(local).await?;
    // A connected socket only receives datagrams from the server.
    sock.connect(server).await?;
    sock.send(request).await?;
    let mut buf = vec![0u8; 65535];
    loop {
        let n = sock.recv(&mut buf).await?;
        // Ignore stray datagrams that do not answer this request.
        if n >= 12 && id_of(&buf[..n]) == id_of(request) {
            buf.truncate(n);
            return Ok(buf);
        }
    }
}

async fn tcp(server: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let len = u16::try_from(request.len())
        .map_err(|_| io::Error::other("request longer than 65535 bytes"))?;
    let mut stream = TcpStream::connect(server).await?;
    let mut framed = Vec::with_capacity(request.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(request);
    stream.write_all(&framed).await?;
    loop {
        let n = stream.read_u16().await?;
        let mut answer = vec![0u8; usize::from(n)];
        stream.read_exact(&mut answer).await?;
        if answer.len() >= 12 && id_of(&answer) == id_of(request) {
            return Ok(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_truncation_bit() {
        let mut header = [0u8; 12];
        assert!(!truncated(&header));
        header[2] = 0x02;
        assert!(truncated(&header));
        assert!(!truncated(&[0u8; 2]));
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        // A bound socket that never answers.
        let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = silent.local_addr().unwrap();
        let err = exchange(server, &[0u8; 12], Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(matches!(err, WireError::Timeout { .. }), "{err}");
    }
}
