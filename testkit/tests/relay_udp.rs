//! The UDP (and DNS: UDP + TCP) relay in front of a real BIND: answers, losses, one-way cuts,
//! per-client replies, replayable loss patterns.

// The relay is timed on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::str::FromStr;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RData, RecordType};
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::dns;
use rtoguard_testkit::net::lo;
use rtoguard_testkit::relay::{Direction, Options, Relay};

const WWW: &str = "www.example.test.";

fn bind() -> Bind {
    Bind::start(
        "example.test.",
        &["www 300 IN A 127.0.0.9", "api 300 IN A 127.0.0.8"],
    )
}

/// A client socket on 127.0.0.1 that waits at most `wait` for a reply.
fn client(wait: Duration) -> UdpSocket {
    let s = UdpSocket::bind((lo(1), 0)).expect("bind a client");
    s.set_read_timeout(Some(wait)).expect("timeout");
    s
}

fn send_query(sock: &UdpSocket, to: SocketAddr, id: u16, name: &str) {
    let mut m = Message::query();
    m.metadata.id = id;
    let name = Name::from_str(name).expect("a valid name");
    m.add_query(Query::query(name, RecordType::A));
    let bytes = m.to_vec().expect("encode a query");
    sock.send_to(&bytes, to).expect("send a query");
}

/// The next reply on `sock`: its ID and A records, or None on timeout.
fn reply(sock: &UdpSocket) -> Option<(u16, Vec<String>)> {
    let mut buf = [0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    let m = Message::from_vec(&buf[..n]).ok()?;
    let values = m
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.0.to_string()),
            _ => None,
        })
        .collect();
    Some((m.metadata.id, values))
}

#[test]
fn answers_pass_with_no_loss_and_time_out_with_total_loss() {
    let bind = bind();
    let relay = Relay::udp(lo(1), bind.addr);
    relay.drop_fraction(0.0);
    let a = dns::query(relay.addr(), WWW, RecordType::A, false).expect("an answer");
    assert_eq!(a.values, ["127.0.0.9"]);
    relay.drop_fraction(1.0);
    assert!(dns::query(relay.addr(), WWW, RecordType::A, false).is_err());
    let s = relay.stats();
    assert_eq!(
        (s.to_upstream.packets, s.to_upstream.dropped),
        (1, 1),
        "{s:?}"
    );
    assert_eq!(
        (s.from_upstream.packets, s.from_upstream.dropped),
        (1, 0),
        "{s:?}"
    );
    relay.heal();
    let a = dns::query(relay.addr(), WWW, RecordType::A, false).expect("an answer after heal");
    assert_eq!(a.values, ["127.0.0.9"]);
}

#[test]
fn a_one_way_cut_lets_the_query_in_and_loses_the_answer() {
    let bind = bind();
    let relay = Relay::udp(lo(1), bind.addr);
    relay.cut_one_way(Direction::FromUpstream);
    let sock = client(Duration::from_millis(500));
    send_query(&sock, relay.addr(), 7, WWW);
    assert_eq!(reply(&sock), None);
    let s = relay.stats();
    assert_eq!(s.to_upstream.packets, 1, "the query reached BIND: {s:?}");
    assert_eq!(s.from_upstream.dropped, 1, "BIND's answer was lost: {s:?}");
    relay.heal();
    send_query(&sock, relay.addr(), 8, WWW);
    assert_eq!(reply(&sock), Some((8, vec!["127.0.0.9".to_string()])));
}

#[test]
fn each_client_gets_its_own_replies() {
    let bind = bind();
    let relay = Relay::udp(lo(1), bind.addr);
    let (a, b) = (
        client(Duration::from_secs(5)),
        client(Duration::from_secs(5)),
    );
    for round in 0..3u16 {
        send_query(&a, relay.addr(), 100 + round, WWW);
        send_query(&b, relay.addr(), 200 + round, "api.example.test.");
        assert_eq!(reply(&a), Some((100 + round, vec!["127.0.0.9".into()])));
        assert_eq!(reply(&b), Some((200 + round, vec!["127.0.0.8".into()])));
    }
    assert_eq!(relay.stats().clients, 2);
}

/// Send 16 queries through a fresh relay seeded `seed` losing half the
/// queries; the IDs answered.
fn answered_with_seed(bind: &Bind, seed: u64) -> (BTreeSet<u16>, u64) {
    let options = Options {
        seed: Some(seed),
        ..Options::default()
    };
    let relay = Relay::udp_with(lo(1), bind.addr, options);
    relay.drop_fraction_one_way(Direction::ToUpstream, 0.5);
    let sock = client(Duration::from_millis(100));
    for id in 0..16 {
        send_query(&sock, relay.addr(), id, WWW);
    }
    let mut got = BTreeSet::new();
    let start = Instant::now();
    // Every query that passed reaches BIND; wait for each answer (bounded).
    while start.elapsed() < Duration::from_secs(10) {
        let s = relay.stats();
        if s.to_upstream.packets + s.to_upstream.dropped == 16
            && got.len() as u64 == s.to_upstream.packets
        {
            break;
        }
        if let Some((id, _)) = reply(&sock) {
            got.insert(id);
        }
    }
    (got, relay.stats().to_upstream.dropped)
}

#[test]
fn half_loss_with_a_fixed_seed_replays_the_same_pattern() {
    let bind = bind();
    let (first, dropped) = answered_with_seed(&bind, 42);
    let (second, _) = answered_with_seed(&bind, 42);
    assert_eq!(first, second, "the same seed loses the same queries");
    let (other, _) = answered_with_seed(&bind, 43);
    assert_ne!(first, other, "another seed, another pattern");
    assert_eq!(first.len() as u64, 16 - dropped, "answered: {first:?}");
    assert!(
        !first.is_empty() && first.len() < 16,
        "half loss answers some and not all: {first:?}"
    );
}

/// One query over TCP (RFC 1035 framing) with `wait` for the answer; the A records.
fn tcp_query(to: SocketAddr, wait: Duration) -> Option<Vec<String>> {
    let mut c = TcpStream::connect_timeout(&to, Duration::from_secs(2)).ok()?;
    c.set_read_timeout(Some(wait)).ok()?;
    let mut m = Message::query();
    m.metadata.id = 9;
    m.add_query(Query::query(Name::from_str(WWW).ok()?, RecordType::A));
    let bytes = m.to_vec().ok()?;
    let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&bytes);
    c.write_all(&framed).ok()?;
    let mut len = [0u8; 2];
    c.read_exact(&mut len).ok()?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    c.read_exact(&mut buf).ok()?;
    let m = Message::from_vec(&buf).ok()?;
    let a = m.answers.iter().filter_map(|r| match &r.data {
        RData::A(a) => Some(a.0.to_string()),
        _ => None,
    });
    Some(a.collect())
}

#[test]
fn a_dns_relay_carries_udp_and_tcp_on_one_port_under_one_link() {
    let bind = bind();
    let relay = Relay::dns(lo(1), bind.addr);
    let www = vec!["127.0.0.9".to_string()];
    let udp = dns::query(relay.addr(), WWW, RecordType::A, false).expect("a UDP answer");
    assert_eq!(udp.values, www);
    assert_eq!(
        tcp_query(relay.addr(), Duration::from_secs(5)),
        Some(www.clone())
    );
    relay.cut();
    assert!(dns::query(relay.addr(), WWW, RecordType::A, false).is_err());
    assert_eq!(tcp_query(relay.addr(), Duration::from_millis(500)), None);
    relay.heal();
    assert_eq!(tcp_query(relay.addr(), Duration::from_secs(5)), Some(www));
    // Two UDP clients (a socket per query) and three TCP connections (one
    // held silent while cut).
    assert_eq!(relay.stats().clients, 5);
}
