//! A hostile DNS server on loopback: forged replies first, then (optionally) the truth.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, Query};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// One kind of reply that must never be taken as the answer (except
/// `Truncated`, which is honest and sends the client to TCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// The right ID and question, but QR clear: a query, not a response.
    QrClear,
    /// The right ID, another question (`forged.invalid.`).
    OtherQuestion,
    /// The right question, ID plus one.
    WrongId,
    /// A perfect answer sent from another port of the same address.
    OtherPort,
    /// Random bytes that start with the right ID.
    Garbage,
    /// The right header and question with TC set and no answers: the truth
    /// is on the TCP listener of the same port.
    Truncated,
}

impl Forgery {
    /// Every forgery that must be ignored (all but `Truncated`).
    pub const HOSTILE: [Forgery; 5] = [
        Forgery::QrClear,
        Forgery::OtherQuestion,
        Forgery::WrongId,
        Forgery::OtherPort,
        Forgery::Garbage,
    ];
}

/// What the forger says to each UDP query.
#[derive(Debug, Clone)]
pub struct Script {
    /// Sent in order, each carrying `claim` as the A record.
    pub forgeries: Vec<Forgery>,
    /// The address the forged replies claim.
    pub claim: Ipv4Addr,
    /// The true A record: sent over UDP after the forgeries, or over TCP
    /// only when `forgeries` has `Truncated`. `None`: no true answer at all.
    pub truth: Option<Ipv4Addr>,
}

/// The forger: UDP and TCP on the same loopback port, stopped on drop.
pub struct Forger {
    pub addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Forger {
    /// Start on `ip` (a loopback address), any free port.
    pub fn start(ip: IpAddr, script: Script) -> Self {
        let (udp, tcp) = bind_pair(ip);
        let addr = udp.local_addr().expect("local addr");
        let side = UdpSocket::bind((ip, 0)).expect("bind the second UDP socket");
        let queries = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let script = Arc::new(script);
        let threads = vec![
            spawn_udp(udp, side, script.clone(), queries.clone(), stop.clone()),
            spawn_tcp(tcp, script, stop.clone()),
        ];
        Self {
            addr,
            queries,
            stop,
            threads,
        }
    }

    /// How many UDP queries arrived so far.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

impl Drop for Forger {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn bind_pair(ip: IpAddr) -> (UdpSocket, TcpListener) {
    for _ in 0..100 {
        let udp = UdpSocket::bind((ip, 0)).expect("bind a loopback UDP port");
        let port = udp.local_addr().expect("local addr").port();
        if let Ok(tcp) = TcpListener::bind((ip, port)) {
            return (udp, tcp);
        }
    }
    panic!("no free UDP+TCP port on {ip}");
}

const POLL: Duration = Duration::from_millis(50);

fn spawn_udp(
    sock: UdpSocket,
    side: UdpSocket,
    script: Arc<Script>,
    queries: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    sock.set_read_timeout(Some(POLL)).expect("read timeout");
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while !stop.load(Ordering::SeqCst) {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            queries.fetch_add(1, Ordering::SeqCst);
            for f in &script.forgeries {
                let bytes = forge(&query, *f, script.claim);
                let via = if *f == Forgery::OtherPort {
                    &side
                } else {
                    &sock
                };
                let _ = via.send_to(&bytes, from);
            }
            if let (Some(ip), false) =
                (script.truth, script.forgeries.contains(&Forgery::Truncated))
            {
                let _ = sock.send_to(&answer(&query, ip), from);
            }
        }
    })
}

fn spawn_tcp(listener: TcpListener, script: Arc<Script>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((conn, _)) => serve_tcp(conn, script.truth),
                Err(_) => std::thread::sleep(POLL),
            }
        }
    })
}

/// Answer each framed query on `conn` with the truth (or nothing).
fn serve_tcp(mut conn: TcpStream, truth: Option<Ipv4Addr>) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let mut len = [0u8; 2];
    while conn.read_exact(&mut len).is_ok() {
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if conn.read_exact(&mut buf).is_err() {
            return;
        }
        let (Ok(query), Some(ip)) = (Message::from_vec(&buf), truth) else {
            return;
        };
        let bytes = answer(&query, ip);
        let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        if conn.write_all(&framed).is_err() {
            return;
        }
    }
}

/// The true answer: the query's ID and question, QR and AA set, one A record.
pub fn answer(query: &Message, ip: Ipv4Addr) -> Vec<u8> {
    build(query, Some(ip), |_| {})
}

fn build(query: &Message, ip: Option<Ipv4Addr>, tweak: impl FnOnce(&mut Message)) -> Vec<u8> {
    let mut m = Message::response(query.metadata.id, query.metadata.op_code);
    m.metadata.authoritative = true;
    m.metadata.recursion_desired = query.metadata.recursion_desired;
    m.metadata.recursion_available = true;
    m.queries = query.queries.clone();
    if let (Some(ip), Some(q)) = (ip, query.queries.first()) {
        m.add_answer(Record::from_rdata(q.name().clone(), 300, RData::A(A(ip))));
    }
    tweak(&mut m);
    m.to_vec().expect("encode a reply")
}

/// One forged reply to `query` claiming `claim`.
pub fn forge(query: &Message, f: Forgery, claim: Ipv4Addr) -> Vec<u8> {
    match f {
        Forgery::QrClear => build(query, Some(claim), |m| {
            m.metadata.message_type = MessageType::Query
        }),
        Forgery::OtherQuestion => build(query, Some(claim), |m| {
            let name = Name::from_ascii("forged.invalid.").expect("a valid name");
            m.queries = vec![Query::query(name, RecordType::A)];
        }),
        Forgery::WrongId => build(query, Some(claim), |m| {
            m.metadata.id = query.metadata.id.wrapping_add(1)
        }),
        Forgery::OtherPort => build(query, Some(claim), |_| {}),
        Forgery::Garbage => {
            let mut bytes: Vec<u8> = (0..64).map(|_| rand::random::<u8>()).collect();
            bytes[..2].copy_from_slice(&query.metadata.id.to_be_bytes());
            bytes
        }
        Forgery::Truncated => build(query, None, |m| m.metadata.truncation = true),
    }
}
