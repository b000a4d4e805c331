//! The TCP relay against a real echo server on loopback: pass, cut, one-way cut, delay, loss, refuse, reset.

// The relay is timed on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rtoguard_testkit::net::lo;
use rtoguard_testkit::relay::{Direction, NewConnections, Options, Relay};

/// An echo server on 127.0.0.1 that counts the bytes it received; stopped on drop.
struct Echo {
    addr: SocketAddr,
    received: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Echo {
    fn start() -> Self {
        let listener = TcpListener::bind((lo(1), 0)).expect("bind echo");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("echo addr");
        let received = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (received.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (r, s) = (r.clone(), s.clone());
                        std::thread::spawn(move || echo(conn, &r, &s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            addr,
            received,
            stop,
            thread: Some(thread),
        }
    }

    fn received(&self) -> u64 {
        self.received.load(Ordering::SeqCst)
    }
}

fn echo(mut conn: TcpStream, received: &AtomicU64, stop: &AtomicBool) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        match conn.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                received.fetch_add(n as u64, Ordering::SeqCst);
                if conn.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn connect(relay: &Relay) -> TcpStream {
    let c = TcpStream::connect_timeout(&relay.addr(), Duration::from_secs(5)).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    c
}

/// Read exactly `n` bytes (within the stream's read timeout).
fn read_n(c: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    c.read_exact(&mut buf).expect("read the echo");
    buf
}

/// Nothing arrives on `c` within `wait`.
fn silent(c: &mut TcpStream, wait: Duration) -> bool {
    c.set_read_timeout(Some(wait)).expect("timeout");
    let mut b = [0u8; 1];
    let quiet = matches!(c.read(&mut b), Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut));
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    quiet
}

/// Wait up to 5 s for `f`.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn bytes_pass_both_ways_are_counted_and_drop_stops_the_relay() {
    let echo = Echo::start();
    let relay = Relay::tcp(lo(1), echo.addr);
    let mut c = connect(&relay);
    c.write_all(b"hello").unwrap();
    assert_eq!(read_n(&mut c, 5), b"hello");
    let s = relay.stats();
    assert_eq!(
        (s.to_upstream.bytes, s.from_upstream.bytes),
        (5, 5),
        "{s:?}"
    );
    assert_eq!(s.clients, 1);
    let addr = relay.addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    drop(relay);
    // The relay's runtime is gone: its listener and its connections with it.
    let refused = TcpStream::connect_timeout(&addr, Duration::from_secs(2));
    assert_eq!(
        refused.map_err(|e| e.kind()).err(),
        Some(ErrorKind::ConnectionRefused)
    );
    let mut b = [0u8; 1];
    assert!(
        matches!(c.read(&mut b), Ok(0) | Err(_)),
        "the old connection is closed"
    );
}

#[test]
fn a_cut_holds_bytes_on_open_and_new_connections_until_healed() {
    let echo = Echo::start();
    let relay = Relay::tcp(lo(1), echo.addr);
    let mut c = connect(&relay);
    c.write_all(b"one").unwrap();
    assert_eq!(read_n(&mut c, 3), b"one");
    let link = relay.link();
    link.cut();
    c.write_all(b"two").unwrap();
    // Black-holed by default: the kernel accepts, nothing passes.
    let mut late = connect(&relay);
    late.write_all(b"late").unwrap();
    assert!(silent(&mut c, Duration::from_millis(500)));
    assert!(silent(&mut late, Duration::from_millis(100)));
    assert_eq!(echo.received(), 3, "nothing reached upstream while cut");
    link.heal();
    assert_eq!(read_n(&mut c, 3), b"two", "held bytes flow after heal");
    assert_eq!(
        read_n(&mut late, 4),
        b"late",
        "the held connection is connected on heal"
    );
    assert_eq!(echo.received(), 10);
}

#[test]
fn a_one_way_cut_passes_one_direction_only() {
    let echo = Echo::start();
    let relay = Relay::tcp(lo(1), echo.addr);
    let mut c = connect(&relay);
    relay.cut_one_way(Direction::FromUpstream);
    c.write_all(b"abc").unwrap();
    assert!(
        eventually(|| echo.received() == 3),
        "bytes to upstream pass"
    );
    assert!(
        silent(&mut c, Duration::from_millis(300)),
        "the echo does not come back"
    );
    assert_eq!(relay.stats().from_upstream.bytes, 0);
    relay.heal();
    assert_eq!(read_n(&mut c, 3), b"abc");
    relay.cut_one_way(Direction::ToUpstream);
    assert!(relay.is_cut(Direction::ToUpstream) && !relay.is_cut(Direction::FromUpstream));
    c.write_all(b"defg").unwrap();
    assert!(silent(&mut c, Duration::from_millis(300)));
    assert_eq!(echo.received(), 3, "bytes to upstream are held");
    relay.heal();
    assert_eq!(read_n(&mut c, 4), b"defg");
    let s = relay.stats();
    assert_eq!(
        (s.to_upstream.bytes, s.from_upstream.bytes),
        (7, 7),
        "{s:?}"
    );
}

#[test]
fn a_delay_is_added_each_way() {
    let echo = Echo::start();
    let relay = Relay::tcp(lo(1), echo.addr);
    let mut c = connect(&relay);
    let delay = Duration::from_millis(300);
    relay.delay(delay);
    let start = Instant::now();
    c.write_all(b"ping").unwrap();
    assert_eq!(read_n(&mut c, 4), b"ping");
    let rtt = start.elapsed();
    assert!(
        rtt >= 2 * delay,
        "a round trip took {rtt:?} with {delay:?} each way"
    );
    relay.heal();
    c.write_all(b"pong").unwrap();
    assert_eq!(read_n(&mut c, 4), b"pong");
}

#[test]
fn losses_on_tcp_stall_and_retransmit_without_corrupting_the_stream() {
    let echo = Echo::start();
    let options = Options {
        seed: Some(12),
        ..Options::default()
    };
    let relay = Relay::tcp_with(lo(1), echo.addr, options);
    assert_eq!(relay.seed(), 12);
    let mut c = connect(&relay);
    relay.drop_fraction(0.5);
    for i in 0..6u8 {
        let msg = [b'a' + i; 3];
        c.write_all(&msg).unwrap();
        assert_eq!(read_n(&mut c, 3), msg);
    }
    let s = relay.stats();
    assert!(s.to_upstream.dropped + s.from_upstream.dropped > 0, "{s:?}");
    assert_eq!(s.to_upstream.bytes, 18, "{s:?}");
}

#[test]
fn refuse_mode_refuses_while_cut_and_listens_again_on_heal() {
    let echo = Echo::start();
    let options = Options {
        new_connections: NewConnections::Refuse,
        ..Options::default()
    };
    let relay = Relay::tcp_with(lo(1), echo.addr, options);
    relay.cut();
    assert!(eventually(|| {
        TcpStream::connect_timeout(&relay.addr(), Duration::from_secs(1))
            .is_err_and(|e| e.kind() == ErrorKind::ConnectionRefused)
    }));
    relay.heal();
    assert!(eventually(|| TcpStream::connect(relay.addr()).is_ok()));
    let mut c = connect(&relay);
    c.write_all(b"back").unwrap();
    assert_eq!(read_n(&mut c, 4), b"back");
}

#[test]
fn reset_connections_ends_open_ones_with_a_reset() {
    let echo = Echo::start();
    let relay = Relay::tcp(lo(1), echo.addr);
    let mut c = connect(&relay);
    c.write_all(b"x").unwrap();
    assert_eq!(read_n(&mut c, 1), b"x");
    relay.reset_connections();
    let mut b = [0u8; 1];
    let got = c.read(&mut b).map_err(|e| e.kind());
    assert_eq!(got, Err(ErrorKind::ConnectionReset));
    // New connections still work.
    let mut d = connect(&relay);
    d.write_all(b"y").unwrap();
    assert_eq!(read_n(&mut d, 1), b"y");
}

#[test]
#[should_panic(expected = "loopback only")]
fn a_relay_refuses_to_listen_off_loopback() {
    let _ = Relay::tcp("0.0.0.0".parse().unwrap(), "127.0.0.1:9".parse().unwrap());
}

#[tokio::test]
async fn works_from_async_tests_and_drops_inside_a_runtime() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let echo = Echo::start();
    let relay = Relay::tcp(lo(1), echo.addr);
    let mut c = tokio::net::TcpStream::connect(relay.addr()).await.unwrap();
    relay.cut_one_way(Direction::ToUpstream);
    c.write_all(b"async").await.unwrap();
    let mut buf = [0u8; 5];
    let early = tokio::time::timeout(Duration::from_millis(300), c.read_exact(&mut buf)).await;
    assert!(early.is_err(), "nothing comes back while cut");
    relay.heal();
    let read = tokio::time::timeout(Duration::from_secs(10), c.read_exact(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(5))), "{read:?}");
    assert_eq!(&buf, b"async");
    drop(relay);
}

#[test]
fn upstream_sees_connections_come_from_the_relays_own_address() {
    let server = TcpListener::bind((lo(1), 0)).expect("bind");
    let relay = Relay::tcp(lo(11), server.local_addr().expect("addr"));
    let _client = connect(&relay);
    let (_conn, from) = server.accept().expect("the relay connects upstream");
    assert_eq!(from.ip(), lo(11), "the server sees the relay's address");
}
