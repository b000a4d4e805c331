//! Transfers over TCP: a listener loop and one connection's requests, each
//! answered from the shared [`ZoneHistory`](super::ZoneHistory) of one zone
//! ([`Transfers`]), or of the zone the request names among several on one
//! address ([`TransferZones`]).

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::time::timeout;
use tracing::debug;

use super::answer::{TransferPolicy, answer};
use super::history::ZoneHistory;
use crate::Transport;

/// How long a connection may stay idle (or take to send one request)
/// before it is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a server holds to answer transfers: the zone's history (written by
/// whoever commits, read by every transfer) and the policy.
#[derive(Clone)]
pub struct Transfers {
    pub history: Arc<RwLock<ZoneHistory>>,
    pub policy: TransferPolicy,
}

impl Transfers {
    /// The messages answering one request (see [`answer`]), read under the
    /// history's lock with the wall clock's time for TSIG.
    pub fn answer(&self, request: &[u8], from: SocketAddr, transport: Transport) -> Vec<Vec<u8>> {
        let history = self.history.read().unwrap_or_else(|e| e.into_inner());
        answer(
            &history,
            request,
            from.ip(),
            transport,
            &self.policy,
            unix_now(),
        )
    }
}

/// What answers the requests on a transfer address: one zone's
/// [`Transfers`], or several zones' ([`TransferZones`]).
pub trait AnswerTransfers: Send + Sync + 'static {
    /// The messages answering one request.
    fn answer_request(&self, request: &[u8], from: SocketAddr, via: Transport) -> Vec<Vec<u8>>;
}

impl AnswerTransfers for Transfers {
    fn answer_request(&self, request: &[u8], from: SocketAddr, via: Transport) -> Vec<Vec<u8>> {
        self.answer(request, from, via)
    }
}

/// The transfers of several zones on one address: a request is answered by
/// the zone its question names, each zone with its own keys and allowed
/// addresses; a zone not served here gets the first zone's NOTAUTH.
#[derive(Clone)]
pub struct TransferZones(pub Vec<Arc<Transfers>>);

impl AnswerTransfers for TransferZones {
    fn answer_request(&self, request: &[u8], from: SocketAddr, via: Transport) -> Vec<Vec<u8>> {
        let asked = hickory_proto::op::Message::from_vec(request)
            .ok()
            .and_then(|m| m.queries.first().map(|q| q.name().clone()));
        let zone = self
            .0
            .iter()
            .find(|t| {
                let h = t.history.read().unwrap_or_else(|e| e.into_inner());
                asked.as_ref() == Some(h.origin())
            })
            .or_else(|| self.0.first());
        zone.map_or_else(Vec::new, |t| t.answer(request, from, via))
    }
}

/// Accepts connections on `listener` and serves each in its own task,
/// until the task running this is dropped or aborted.
pub async fn serve_transfers<T: AnswerTransfers>(
    listener: TcpListener,
    transfers: Arc<T>,
) -> io::Result<()> {
    loop {
        let (stream, from) = listener.accept().await?;
        let transfers = Arc::clone(&transfers);
        tokio::spawn(async move {
            if let Err(e) = serve_connection(stream, from, transfers.as_ref()).await {
                debug!(%from, error = %e, "Transfer connection closed on an error.");
            }
        });
    }
}

/// Answers the SOA queries (signed or not) and IXFR requests secondaries
/// send over UDP to the transfer address, one datagram each, until the
/// task running this is dropped or aborted. Secondaries ask the SOA here
/// before they transfer; BIND signs that query when it has the key.
pub async fn serve_transfers_udp<T: AnswerTransfers>(
    socket: UdpSocket,
    transfers: Arc<T>,
) -> io::Result<()> {
    let mut buf = vec![0u8; usize::from(u16::MAX)];
    loop {
        let (n, from) = socket.recv_from(&mut buf).await?;
        let replies = transfers.answer_request(&buf[..n], from, Transport::Udp);
        // Over UDP every answer is a single message (IXFR: the SOA alone).
        if let Some(reply) = replies.first()
            && let Err(e) = socket.send_to(reply, from).await
        {
            debug!(%from, error = %e, "Could not send a transfer-port answer over UDP.");
        }
    }
}

/// Answers the length-prefixed requests on `stream` (RFC 7766) in turn;
/// returns when the peer closes, stays idle past [`IDLE_TIMEOUT`], or
/// sends something that gets no answer.
pub async fn serve_connection<T: AnswerTransfers>(
    mut stream: TcpStream,
    from: SocketAddr,
    transfers: &T,
) -> io::Result<()> {
    loop {
        let mut len = [0u8; 2];
        match timeout(IDLE_TIMEOUT, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Ok(Err(e)) => return Err(e),
            Err(_) => return Ok(()),
        }
        let mut request = vec![0u8; usize::from(u16::from_be_bytes(len))];
        timeout(IDLE_TIMEOUT, stream.read_exact(&mut request))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        let replies = transfers.answer_request(&request, from, Transport::Tcp);
        if replies.is_empty() {
            return Ok(());
        }
        let mut out = Vec::with_capacity(replies.iter().map(|r| r.len() + 2).sum());
        for reply in &replies {
            // answer() never returns a message over 65535 bytes.
            let len = u16::try_from(reply.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(reply);
        }
        stream.write_all(&out).await?;
    }
}

/// Seconds since the Unix epoch (TSIG's clock).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
