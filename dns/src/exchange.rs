//! One request to one server: UDP from a fresh random port, TCP when truncated, one deadline.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};
use tracing::debug;

use crate::check::{Expected, Mismatch};
use crate::error::{ExchangeError, Stage, Transport};

/// Requests above this go straight to TCP (RFC 1035 §4.2.1).
const UDP_REQUEST_LIMIT: usize = 512;
/// The receive buffer for one UDP datagram: above our EDNS size, with room
/// for servers that ignore it; anything longer is cut and then ignored.
const UDP_BUFFER: usize = 4096;
/// The smallest message: a header.
const HEADER: usize = 12;

/// Every ignored message, process-wide.
static IGNORED_TOTAL: AtomicU64 = AtomicU64::new(0);

/// How many received messages were ignored because they did not answer the
/// request they came back to (forged, stray, late or garbled), process-wide.
pub fn ignored_total() -> u64 {
    IGNORED_TOTAL.load(Ordering::Relaxed)
}

/// An answer that passed every check.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The decoded message.
    pub message: Message,
    /// The bytes as received (to verify a TSIG signature over them).
    pub bytes: Vec<u8>,
    /// How it came.
    pub transport: Transport,
}

/// One server, the deadline of each exchange, where to send from, and a
/// counter of ignored messages that callers may share and read.
#[derive(Debug, Clone)]
pub struct Exchange {
    server: SocketAddr,
    timeout: Duration,
    source: Option<IpAddr>,
    ignored: Arc<AtomicU64>,
}

impl Exchange {
    /// Exchanges with `server`, each bounded by `timeout` from start to answer.
    pub fn new(server: SocketAddr, timeout: Duration) -> Self {
        Self {
            server,
            timeout,
            source: None,
            ignored: Arc::default(),
        }
    }

    /// Send from `source` (any port) instead of the system's choice.
    pub fn from_source(mut self, source: Option<IpAddr>) -> Self {
        self.source = source;
        self
    }

    /// Count ignored messages into `counter` (shared with other exchanges).
    pub fn counting(mut self, counter: Arc<AtomicU64>) -> Self {
        self.ignored = counter;
        self
    }

    /// How many received messages this exchange's counter has ignored.
    pub fn ignored(&self) -> u64 {
        self.ignored.load(Ordering::Relaxed)
    }

    /// Encode `msg` and [`send`](Self::send) it.
    pub async fn message(&self, msg: &Message) -> Result<Reply, ExchangeError> {
        let bytes = msg
            .to_vec()
            .map_err(|_| ExchangeError::Request("the message does not encode"))?;
        self.send(&bytes).await
    }

    /// Send `request` (encoded, signed if need be) and wait for the message
    /// that answers it: over UDP, then over TCP when that answer has TC set
    /// (or straight over TCP when the request exceeds 512 bytes). Everything
    /// else received is ignored and counted. One deadline bounds it all.
    pub async fn send(&self, request: &[u8]) -> Result<Reply, ExchangeError> {
        let expected =
            Expected::from_request(request).ok_or(ExchangeError::Request("not a DNS message"))?;
        if request.len() > usize::from(u16::MAX) {
            return Err(ExchangeError::Request("longer than 65535 bytes"));
        }
        let start = Instant::now();
        let work = async {
            if request.len() <= UDP_REQUEST_LIMIT {
                let reply = self.udp(request, &expected).await?;
                if !reply.message.metadata.truncation {
                    return Ok(reply);
                }
                debug!(server = %self.server, "Answer truncated, asking again over TCP.");
            }
            self.tcp(request, &expected).await
        };
        match timeout_at(start + self.timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(ExchangeError::Timeout {
                server: self.server,
                timeout_ms: self.timeout.as_millis(),
                ignored: self.ignored(),
            }),
        }
    }

    fn io(&self, transport: Transport, stage: Stage) -> impl FnOnce(io::Error) -> ExchangeError {
        let server = self.server;
        move |source| ExchangeError::Io {
            server,
            transport,
            stage,
            source,
        }
    }

    fn ignore(&self, transport: Transport, from: SocketAddr, why: &str) {
        self.ignored.fetch_add(1, Ordering::Relaxed);
        IGNORED_TOTAL.fetch_add(1, Ordering::Relaxed);
        debug!(server = %self.server, %from, %transport, why, "Ignored a message that does not answer the request.");
    }

    fn local(&self) -> SocketAddr {
        match self.source {
            Some(ip) => SocketAddr::new(ip, 0),
            None if self.server.is_ipv4() => (Ipv4Addr::UNSPECIFIED, 0).into(),
            None => (Ipv6Addr::UNSPECIFIED, 0).into(),
        }
    }

    async fn udp(&self, request: &[u8], expected: &Expected) -> Result<Reply, ExchangeError> {
        let io = |stage| self.io(Transport::Udp, stage);
        // Port 0: the kernel picks a random ephemeral port for each exchange.
        let sock = UdpSocket::bind(self.local())
            .await
            .map_err(io(Stage::Bind))?;
        // Connected: the kernel drops datagrams from any other address or
        // port, and reports the server's port unreachable as refused.
        sock.connect(self.server)
            .await
            .map_err(io(Stage::Connect))?;
        sock.send(request).await.map_err(io(Stage::Send))?;
        let mut buf = vec![0u8; UDP_BUFFER];
        loop {
            let (n, from) = sock.recv_from(&mut buf).await.map_err(io(Stage::Receive))?;
            if from != self.server {
                self.ignore(Transport::Udp, from, "another source");
                continue;
            }
            match expected.check(&buf[..n]) {
                Ok(message) => {
                    return Ok(Reply {
                        message,
                        bytes: buf[..n].to_vec(),
                        transport: Transport::Udp,
                    });
                }
                Err(why) => self.ignore(Transport::Udp, from, reason(why)),
            }
        }
    }

    async fn tcp(&self, request: &[u8], expected: &Expected) -> Result<Reply, ExchangeError> {
        let io = |stage| self.io(Transport::Tcp, stage);
        let mut stream = self.connect().await?;
        // Checked in `send`: the request fits a two-byte length.
        let len = u16::try_from(request.len()).unwrap_or(u16::MAX);
        let mut framed = Vec::with_capacity(request.len() + 2);
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(request);
        stream.write_all(&framed).await.map_err(io(Stage::Send))?;
        loop {
            // The two-byte prefix bounds every message at 65535 bytes.
            let n = stream.read_u16().await.map_err(io(Stage::Receive))?;
            let mut bytes = vec![0u8; usize::from(n)];
            stream
                .read_exact(&mut bytes)
                .await
                .map_err(io(Stage::Receive))?;
            if bytes.len() < HEADER {
                self.ignore(Transport::Tcp, self.server, "shorter than a header");
                continue;
            }
            match expected.check(&bytes) {
                Ok(message) => {
                    return Ok(Reply {
                        message,
                        bytes,
                        transport: Transport::Tcp,
                    });
                }
                Err(why) => self.ignore(Transport::Tcp, self.server, reason(why)),
            }
        }
    }

    async fn connect(&self) -> Result<TcpStream, ExchangeError> {
        let io = |stage| self.io(Transport::Tcp, stage);
        let sock = if self.server.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
        .map_err(io(Stage::Bind))?;
        if self.source.is_some() {
            sock.bind(self.local()).map_err(io(Stage::Bind))?;
        }
        sock.connect(self.server).await.map_err(io(Stage::Connect))
    }
}

fn reason(why: Mismatch) -> &'static str {
    match why {
        Mismatch::Malformed => "not a DNS message",
        Mismatch::Id => "another ID",
        Mismatch::NotResponse => "QR clear",
        Mismatch::OpCode => "another opcode",
        Mismatch::Question => "another question",
    }
}
