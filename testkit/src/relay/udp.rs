//! The UDP side of a relay: one upstream socket per client, so each reply goes back to the client that asked.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::net::UdpSocket;

use super::link::{Direction, Shared};

/// Relay datagrams for as long as the relay runs.
pub async fn serve(sock: std::net::UdpSocket, upstream: SocketAddr, shared: Arc<Shared>) {
    let sock = sock
        .set_nonblocking(true)
        .and_then(|()| UdpSocket::from_std(sock));
    if let Ok(sock) = sock {
        from_clients(Arc::new(sock), upstream, shared).await;
    }
}

/// Where a datagram goes: upstream from a client's own socket, or back to the client.
#[derive(Clone)]
enum Out {
    Upstream(Arc<UdpSocket>),
    Client(Arc<UdpSocket>, SocketAddr),
}

impl Out {
    async fn send(&self, bytes: &[u8]) -> bool {
        match self {
            Out::Upstream(s) => s.send(bytes).await.is_ok(),
            Out::Client(s, to) => s.send_to(bytes, *to).await.is_ok(),
        }
    }
}

async fn from_clients(sock: Arc<UdpSocket>, upstream: SocketAddr, shared: Arc<Shared>) {
    let mut clients: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, client)) = sock.recv_from(&mut buf).await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let up = match clients.get(&client) {
            Some(up) => up.clone(),
            None => {
                let Some(up) = open_upstream(&sock, upstream).await else {
                    continue;
                };
                shared.clients.fetch_add(1, Ordering::SeqCst);
                let back = Out::Client(sock.clone(), client);
                tokio::spawn(from_upstream(up.clone(), back, shared.clone()));
                clients.insert(client, up.clone());
                up
            }
        };
        forward(
            &shared,
            Direction::ToUpstream,
            buf[..n].to_vec(),
            Out::Upstream(up),
        )
        .await;
    }
}

/// A socket on the relay's own address, any port, connected to `upstream`.
async fn open_upstream(sock: &UdpSocket, upstream: SocketAddr) -> Option<Arc<UdpSocket>> {
    let ip = sock.local_addr().ok()?.ip();
    let up = UdpSocket::bind((ip, 0)).await.ok()?;
    up.connect(upstream).await.ok()?;
    Some(Arc::new(up))
}

/// Replies from upstream to one client.
async fn from_upstream(up: Arc<UdpSocket>, back: Out, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        // An ICMP "port unreachable" from a stopped upstream shows up here
        // as an error; the socket is still good.
        let Ok(n) = up.recv(&mut buf).await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        forward(
            &shared,
            Direction::FromUpstream,
            buf[..n].to_vec(),
            back.clone(),
        )
        .await;
    }
}

/// Send one datagram going `dir` unless it is cut or lost, after the delay.
async fn forward(shared: &Arc<Shared>, dir: Direction, bytes: Vec<u8>, out: Out) {
    let cut = shared.now().cut[dir.index()];
    // Draw even when cut, so a cut does not shift the losses that follow.
    let lost = shared.lose(dir);
    if cut || lost {
        shared.dropped(dir);
        return;
    }
    let delay = shared.now().delay;
    if delay.is_zero() {
        send(shared, dir, &bytes, &out).await;
        return;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        send(&shared, dir, &bytes, &out).await;
    });
}

/// Count the datagram, then send it: counted first so that whoever has
/// received it also sees it counted. A send that fails (the peer's socket is
/// gone) takes the count back as a drop.
async fn send(shared: &Shared, dir: Direction, bytes: &[u8], out: &Out) {
    shared.passed(dir, bytes.len());
    if !out.send(bytes).await {
        shared.unpass(dir, bytes.len());
        shared.dropped(dir);
    }
}
