//! The accept loop shared by both servers: admit through the gate, serve each connection in its own task, drain on cancel.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

use super::{DRAIN_TIMEOUT, Gate, Limits};

/// After a failed accept (e.g. out of descriptors), wait this long.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How often a failing accept is logged while it goes on.
const ACCEPT_WARN_EVERY: Duration = Duration::from_secs(10);

/// A listener the accept loop can take connections from.
pub trait Acceptor: Send + Sync + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    type Addr: Send + 'static;
    fn accept_one(&self) -> impl Future<Output = std::io::Result<(Self::Io, Self::Addr)>> + Send;
    /// The IP address a per-source cap counts (None: not an IP socket).
    fn source(addr: &Self::Addr) -> Option<IpAddr>;
}

impl Acceptor for TcpListener {
    type Io = TcpStream;
    type Addr = SocketAddr;
    async fn accept_one(&self) -> std::io::Result<(TcpStream, SocketAddr)> {
        let (s, a) = self.accept().await?;
        // Small JSON answers: send them now rather than wait for more.
        let _ = s.set_nodelay(true);
        Ok((s, a))
    }
    fn source(addr: &SocketAddr) -> Option<IpAddr> {
        Some(addr.ip())
    }
}

impl Acceptor for UnixListener {
    type Io = UnixStream;
    type Addr = ();
    async fn accept_one(&self) -> std::io::Result<(UnixStream, ())> {
        self.accept().await.map(|(s, _)| (s, ()))
    }
    fn source(_: &()) -> Option<IpAddr> {
        None
    }
}

/// Accept on `listener` until `cancel` fires. A connection over a cap of
/// `limits` is closed at once; each other one runs `on_conn` in its own
/// task, holding its place until it ends. After `cancel`, connections get
/// [`DRAIN_TIMEOUT`] (plus a margin) to finish.
pub fn serve<A, F, Fut>(
    server: &'static str,
    listener: A,
    limits: Limits,
    cancel: CancellationToken,
    on_conn: F,
) -> JoinHandle<()>
where
    A: Acceptor,
    F: Fn(A::Io, A::Addr, CancellationToken) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let gate = Gate::new(server, limits.max_connections, limits.per_source);
    tokio::spawn(async move {
        let tracker = TaskTracker::new();
        let mut warned: Option<Instant> = None;
        loop {
            let (io, addr) = tokio::select! {
                _ = cancel.cancelled() => break,
                got = listener.accept_one() => match got {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of descriptors repeats every backoff: say it every 10 s.
                        if warned.is_none_or(|at| at.elapsed() >= ACCEPT_WARN_EVERY) {
                            warn!(server, error = %e, "Accept failed; retrying.");
                            warned = Some(Instant::now());
                        }
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                },
            };
            let Ok(admission) = gate.admit(A::source(&addr)) else {
                drop(io);
                continue;
            };
            let work = on_conn(io, addr, cancel.clone());
            tracker.spawn(async move {
                work.await;
                drop(admission);
            });
        }
        drop(listener);
        tracker.close();
        let bound = DRAIN_TIMEOUT + Duration::from_secs(1);
        if tokio::time::timeout(bound, tracker.wait()).await.is_err() {
            debug!(
                server,
                "Connections still open after the drain; leaving them."
            );
        }
    })
}
