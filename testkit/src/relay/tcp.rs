//! The TCP side of a relay: accepting (or refusing, or black-holing) clients and pumping bytes each way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::link::{Direction, Shared, State};
use super::{NewConnections, TCP_RETRANSMIT};

/// Accept clients (or refuse them) for as long as the relay runs.
pub async fn serve(
    listener: std::net::TcpListener,
    upstream: SocketAddr,
    mode: NewConnections,
    shared: Arc<Shared>,
) {
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    let mut listener = listener
        .set_nonblocking(true)
        .and_then(|()| TcpListener::from_std(listener))
        .ok();
    let mut state = shared.state.subscribe();
    loop {
        let refuse = mode == NewConnections::Refuse
            && state.borrow_and_update().cut[Direction::ToUpstream.index()];
        if refuse {
            listener = None;
            if state.changed().await.is_err() {
                return;
            }
            continue;
        }
        let Some(l) = &listener else {
            listener = Some(rebind(addr).await);
            continue;
        };
        tokio::select! {
            got = l.accept() => match got {
                Ok((client, _)) => {
                    shared.clients.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(connection(client, addr, upstream, shared.clone()));
                }
                // Out of descriptors, say: do not spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            changed = state.changed() => if changed.is_err() { return },
        }
    }
}

/// Listen on `addr` again after a refusing cut (it was ours a moment ago).
async fn rebind(addr: SocketAddr) -> TcpListener {
    loop {
        if let Ok(l) = TcpListener::bind(addr).await {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Relay one client: connect upstream (from the relay's own address, as
/// UDP does) once the way there is open, then pump both ways until both
/// ends close, an error, or a reset.
async fn connection(
    mut client: TcpStream,
    local: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
) {
    let mut state = shared.state.subscribe();
    let resets = state.borrow().resets;
    if !open(&mut state, Direction::ToUpstream).await {
        return;
    }
    let Ok(mut server) = connect_from(local, upstream).await else {
        let _ = client.set_zero_linger();
        return;
    };
    let reset = async {
        let _ = state.wait_for(|s| s.resets != resets).await;
    };
    let (cr, cw) = client.split();
    let (sr, sw) = server.split();
    let pumps = async {
        tokio::try_join!(
            pump(cr, sw, Direction::ToUpstream, &shared),
            pump(sr, cw, Direction::FromUpstream, &shared),
        )
    };
    let clean = tokio::select! {
        done = pumps => done.is_ok(),
        () = reset => false,
    };
    if !clean {
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
    }
}

/// A connection to `upstream` from `local`'s address (any port), so the
/// server sees the relay's address as the client's, whatever the route.
async fn connect_from(local: SocketAddr, upstream: SocketAddr) -> std::io::Result<TcpStream> {
    let sock = match local {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    sock.bind(SocketAddr::new(local.ip(), 0))?;
    sock.connect(upstream).await
}

/// Wait until `dir` is not cut; false when the relay is going away.
async fn open(state: &mut watch::Receiver<State>, dir: Direction) -> bool {
    state.wait_for(|s| !s.cut[dir.index()]).await.is_ok()
}

/// Copy `from` to `to` going `dir`, chunk by chunk, through the link's
/// impairments; shut `to`'s write side down at the end of `from`.
async fn pump<R, W>(mut from: R, mut to: W, dir: Direction, shared: &Shared) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    // A short queue: a held direction soon stops reading, so the sender's
    // buffers fill as they would across a real partition.
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(8);
    let read = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = from.read(&mut buf).await?;
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).await.is_err() {
                return Ok::<(), std::io::Error>(());
            }
        }
    };
    let write = async move {
        let mut state = shared.state.subscribe();
        while let Some((at, bytes)) = rx.recv().await {
            deliver(&mut state, shared, dir, at, &bytes, &mut to).await?;
        }
        to.shutdown().await
    };
    tokio::try_join!(read, write).map(|_| ())
}

/// Write one chunk read at `at`, once `dir` is open, its delay has passed
/// and it was not "lost" (a lost chunk is tried again after a retransmit).
async fn deliver<W: AsyncWrite + Unpin>(
    state: &mut watch::Receiver<State>,
    shared: &Shared,
    dir: Direction,
    mut at: Instant,
    bytes: &[u8],
    to: &mut W,
) -> std::io::Result<()> {
    loop {
        if !open(state, dir).await {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        tokio::time::sleep_until(at + shared.now().delay).await;
        if shared.now().cut[dir.index()] {
            continue;
        }
        if shared.lose(dir) {
            shared.dropped(dir);
            tokio::time::sleep(TCP_RETRANSMIT).await;
            at = Instant::now();
            continue;
        }
        // Counted before the write, so whoever has read the bytes also sees
        // them counted (the other order raced the tests' reads).
        shared.passed(dir, bytes.len());
        to.write_all(bytes).await?;
        return Ok(());
    }
}
