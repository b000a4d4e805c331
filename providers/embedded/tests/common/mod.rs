//! A test zone served on 127.0.0.1 port 0, and dig-style queries over UDP and TCP.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use rtoguard_embedded::{Embedded, EmbeddedSettings, NameServer, StaticRecord, ZoneSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

pub const ZONE: &str = "example.test.";

fn rec(name: &str, rtype: &str, values: &[&str]) -> StaticRecord {
    StaticRecord {
        name: name.into(),
        rtype: rtype.into(),
        ttl: 30,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// The test zone: www (A, AAAA), alias (CNAME to www), out (CNAME out of
/// the zone), big (60 A records: more than 512 bytes), a.b (so b is an
/// empty non-terminal), and ns1 as the in-zone name server.
pub fn settings(rate_limit: u32) -> EmbeddedSettings {
    let big: Vec<String> = (1..=60).map(|i| format!("192.0.2.{i}")).collect();
    let big: Vec<&str> = big.iter().map(String::as_str).collect();
    EmbeddedSettings {
        name: "edge".into(),
        listen: vec!["127.0.0.1:0".parse().unwrap()],
        rate_limit,
        state_file: None,
        zones: vec![ZoneSettings {
            name: ZONE.into(),
            hostmaster: "hostmaster".into(),
            ttl: 3600,
            negative_ttl: 60,
            name_servers: vec![NameServer {
                name: "ns1".into(),
                addresses: vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            }],
            records: vec![
                rec("www", "A", &["192.0.2.10"]),
                rec("www", "AAAA", &["2001:db8::10"]),
                rec("alias", "CNAME", &["www"]),
                rec("out", "CNAME", &["elsewhere.example.net."]),
                rec("big", "A", &big),
                rec("a.b", "TXT", &["\"deep\""]),
                rec("@", "TXT", &["\"v=spf1 -all\""]),
            ],
            transfer: None,
            zone_file: None,
        }],
    }
}

pub async fn start() -> Arc<Embedded> {
    Embedded::start(&settings(0))
        .await
        .expect("the server starts")
}

pub fn query(name: &str, rtype: RecordType, edns: bool) -> Message {
    let mut m = Message::new(rand::random(), MessageType::Query, OpCode::Query);
    m.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
    if edns {
        let mut e = Edns::new();
        e.set_max_payload(1232);
        m.set_edns(e);
    }
    m
}

/// One UDP exchange of raw bytes; `None` when nothing came back in time.
pub async fn udp_raw(addr: SocketAddr, bytes: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(bytes, addr).await.unwrap();
    let mut buf = vec![0u8; 65535];
    let n = tokio::time::timeout(wait, sock.recv(&mut buf))
        .await
        .ok()?
        .ok()?;
    buf.truncate(n);
    Some(buf)
}

pub async fn udp(addr: SocketAddr, m: &Message) -> Message {
    let raw = udp_raw(addr, &m.to_vec().unwrap(), Duration::from_secs(5))
        .await
        .expect("a UDP answer");
    let r = Message::from_vec(&raw).expect("the answer parses");
    assert_eq!(r.metadata.id, m.metadata.id, "the answer's id");
    r
}

pub async fn tcp(addr: SocketAddr, m: &Message) -> Message {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let bytes = m.to_vec().unwrap();
    s.write_all(&(bytes.len() as u16).to_be_bytes())
        .await
        .unwrap();
    s.write_all(&bytes).await.unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).await.unwrap();
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut buf).await.unwrap();
    Message::from_vec(&buf).expect("the answer parses")
}

/// The answer section's values as text, sorted.
pub fn values(m: &Message) -> Vec<String> {
    let mut v: Vec<String> = m.answers.iter().map(|r| r.data.to_string()).collect();
    v.sort();
    v
}

/// The SOA serial `addr` serves for the test zone.
pub async fn served_serial(addr: SocketAddr) -> u32 {
    let soa = udp(addr, &query(ZONE, RecordType::SOA, false)).await;
    match soa.answers.first().map(|r| &r.data) {
        Some(hickory_proto::rr::RData::SOA(s)) => s.serial,
        _ => panic!("no SOA for {ZONE}"),
    }
}
