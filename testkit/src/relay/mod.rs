//! A TCP or UDP relay on loopback that a test puts on a link (vantage to
//! peer, controller to provider, client to resolver) to cut it, cut one
//! direction, delay it or lose a share of its packets, while it runs.
//!
//! ```no_run
//! # use rtoguard_testkit::relay::{Direction, Relay};
//! # let upstream = "127.0.0.1:53".parse().unwrap();
//! let relay = Relay::udp(rtoguard_testkit::net::lo(1), upstream);
//! let link = relay.link(); // cloneable, usable from any thread
//! link.cut_one_way(Direction::FromUpstream); // queries arrive, answers are lost
//! link.heal();
//! ```
//!
//! [`Relay::tcp`], [`Relay::udp`], or [`Relay::dns`] for both on one port
//! (a DNS server or an RFC 2136 primary: UDP, then TCP on truncation).
//! Upstream sees every relayed datagram and connection come from the
//! relay's own listening address, so a relay on a client's loopback
//! address (`127.0.0.11`) keeps that client recognisable in the server's
//! log.
//!
//! Each relay runs on its own thread with its own current-thread tokio
//! runtime, so it works the same from plain `#[test]`s and from
//! `#[tokio::test]`s; dropping it stops the runtime, which ends every task
//! and closes every socket (nothing outlives it).
//!
//! What a cut does:
//! - **UDP**: datagrams in the cut direction are lost (counted as dropped).
//! - **TCP, open connections**: bytes in the cut direction are held, not
//!   lost (as TCP retransmits across a real partition), and flow again on
//!   [`Link::heal`]; the other direction keeps flowing.
//!   [`Link::reset_connections`] ends them with an RST instead.
//! - **TCP, new connections** while [`Direction::ToUpstream`] is cut:
//!   [`NewConnections::BlackHole`] (default) accepts them and connects them
//!   upstream only once healed (a SYN that gets through at last), so the
//!   client sees a connection that says nothing; [`NewConnections::Refuse`]
//!   closes the listener, so connecting fails with "connection refused",
//!   and listens again on the same address on heal.
//!
//! Losses are drawn from a seeded generator, one per direction, so the
//! same seed and the same sequence of packets lose the same packets. The
//! seed is printed when the relay starts; set `RTOGUARD_RELAY_SEED` (or
//! [`Options::seed`]) to replay it. On TCP a lost chunk is held for
//! [`TCP_RETRANSMIT`] and then tried again, like a retransmission.

mod link;
mod tcp;
mod udp;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use link::Shared;
pub use link::{Direction, Flow, Link, Stats};

/// How long a "lost" TCP chunk waits before it is tried again.
pub const TCP_RETRANSMIT: Duration = Duration::from_millis(200);

/// What happens to a new TCP connection while the link to upstream is cut.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NewConnections {
    /// Accepted and held silent; connected upstream once healed.
    #[default]
    BlackHole,
    /// Refused: nothing listens until healed.
    Refuse,
}

/// How to start a relay.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The loss generator's seed; `None`: `RTOGUARD_RELAY_SEED` or random.
    pub seed: Option<u64>,
    /// TCP only: what a cut does to new connections.
    pub new_connections: NewConnections,
    /// The port to listen on; 0 (default): any free one.
    pub port: u16,
}

/// A running relay; stopped on drop.
#[derive(Debug)]
pub struct Relay {
    addr: SocketAddr,
    upstream: SocketAddr,
    link: Link,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    /// A TCP relay on `listen_ip` (loopback), any free port, to `upstream`.
    pub fn tcp(listen_ip: IpAddr, upstream: SocketAddr) -> Self {
        Self::tcp_with(listen_ip, upstream, Options::default())
    }

    /// A UDP relay on `listen_ip` (loopback), any free port, to `upstream`.
    pub fn udp(listen_ip: IpAddr, upstream: SocketAddr) -> Self {
        Self::udp_with(listen_ip, upstream, Options::default())
    }

    /// A TCP relay with `options`.
    pub fn tcp_with(listen_ip: IpAddr, upstream: SocketAddr, options: Options) -> Self {
        let listener = std::net::TcpListener::bind((loopback(listen_ip), options.port))
            .expect("bind the relay's TCP listener");
        let addr = listener.local_addr().expect("relay local addr");
        let shared = Arc::new(Shared::new(seed(options, "tcp", addr, upstream)));
        let (link, s) = (Link::new(shared.clone()), shared);
        Self::run(addr, upstream, link, async move {
            tcp::serve(listener, upstream, options.new_connections, s).await
        })
    }

    /// A UDP relay with `options` (`new_connections` does not apply).
    pub fn udp_with(listen_ip: IpAddr, upstream: SocketAddr, options: Options) -> Self {
        let sock = std::net::UdpSocket::bind((loopback(listen_ip), options.port))
            .expect("bind the relay's UDP socket");
        let addr = sock.local_addr().expect("relay local addr");
        let shared = Arc::new(Shared::new(seed(options, "udp", addr, upstream)));
        let (link, s) = (Link::new(shared.clone()), shared);
        Self::run(addr, upstream, link, udp::serve(sock, upstream, s))
    }

    /// DNS on both transports: UDP and TCP relays on one loopback port
    /// (any free one), to `upstream`'s UDP and TCP, under one [`Link`] and
    /// one set of counters (datagrams and TCP chunks together).
    pub fn dns(listen_ip: IpAddr, upstream: SocketAddr) -> Self {
        Self::dns_with(listen_ip, upstream, Options::default())
    }

    /// [`Relay::dns`] with `options` (`port` 0 or a port free for both).
    pub fn dns_with(listen_ip: IpAddr, upstream: SocketAddr, options: Options) -> Self {
        let (sock, listener) = bind_both(loopback(listen_ip), options.port);
        let addr = sock.local_addr().expect("relay local addr");
        let shared = Arc::new(Shared::new(seed(options, "tcp+udp", addr, upstream)));
        let (link, s) = (Link::new(shared.clone()), shared);
        Self::run(addr, upstream, link, async move {
            let mode = options.new_connections;
            tokio::join!(
                tcp::serve(listener, upstream, mode, s.clone()),
                udp::serve(sock, upstream, s),
            );
        })
    }

    fn run<Fut>(addr: SocketAddr, upstream: SocketAddr, link: Link, serve: Fut) -> Self
    where
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("relay-{addr}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("relay runtime");
                rt.block_on(async {
                    tokio::select! {
                        _ = stopped => {}
                        () = serve => {}
                    }
                });
                // Dropping `rt` here cancels every connection task.
            })
            .expect("spawn the relay thread");
        Self {
            addr,
            upstream,
            link,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Where clients connect (or send) instead of `upstream`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the relay forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// The control handle (cloneable).
    pub fn link(&self) -> Link {
        self.link.clone()
    }
}

impl std::ops::Deref for Relay {
    type Target = Link;
    fn deref(&self) -> &Link {
        &self.link
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `ip` itself: relays only ever listen on 127.0.0.0/8 (or ::1).
fn loopback(ip: IpAddr) -> IpAddr {
    assert!(
        ip.is_loopback(),
        "a relay listens on loopback only, not {ip}"
    );
    ip
}

/// A UDP socket and a TCP listener on the same `port` of `ip` (any free
/// one when 0).
fn bind_both(ip: IpAddr, port: u16) -> (std::net::UdpSocket, std::net::TcpListener) {
    for _ in 0..100 {
        let udp = std::net::UdpSocket::bind((ip, port)).expect("bind the relay's UDP socket");
        let got = udp.local_addr().expect("relay local addr").port();
        if let Ok(tcp) = std::net::TcpListener::bind((ip, got)) {
            return (udp, tcp);
        }
        assert_eq!(port, 0, "TCP port {port} on {ip} is taken");
    }
    panic!("no port free for both UDP and TCP on {ip}");
}

/// The seed to use, printed so that a failing run can be replayed.
fn seed(options: Options, kind: &str, addr: SocketAddr, upstream: SocketAddr) -> u64 {
    let seed = options
        .seed
        .or_else(|| std::env::var("RTOGUARD_RELAY_SEED").ok()?.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!(
        "relay {kind} {addr} -> {upstream}: seed {seed} (replay with RTOGUARD_RELAY_SEED={seed})"
    );
    seed
}
