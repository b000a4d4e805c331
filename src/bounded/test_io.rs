//! Raw client sockets for the servers' tests: connect from a chosen source, trickle, read to the close.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The slack allowed on top of a timeout before a test calls it missed.
pub(crate) const SLACK: Duration = Duration::from_millis(1500);

/// A TCP connection to `addr` from the loopback address `src`.
pub(crate) async fn connect_from(src: IpAddr, addr: SocketAddr) -> TcpStream {
    let s = TcpSocket::new_v4().expect("socket");
    s.bind(SocketAddr::new(src, 0)).expect("bind source");
    s.connect(addr).await.expect("connect")
}

/// Read until the server closes: Some(all bytes) when it does within `limit`.
pub(crate) async fn eof_within<S: AsyncRead + Unpin>(
    s: &mut S,
    limit: Duration,
) -> Option<Vec<u8>> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    let until = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(until, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(all),
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// Send `text` a byte at a time, `gap` apart; false once the server hangs up.
pub(crate) async fn trickle<S: AsyncWrite + Unpin>(s: &mut S, text: &[u8], gap: Duration) -> bool {
    for b in text {
        if s.write_all(&[*b]).await.is_err() {
            return false;
        }
        tokio::time::sleep(gap).await;
    }
    true
}

/// One whole response off a kept-alive connection (headers and Content-Length body).
pub(crate) async fn response<S: AsyncRead + Unpin>(s: &mut S) -> String {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("a response in time")
            .expect("read");
        assert!(
            n > 0,
            "closed before a whole response: {}",
            String::from_utf8_lossy(&all)
        );
        all.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&all).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if all.len() >= end + 4 + len {
                return text;
            }
        }
    }
}
