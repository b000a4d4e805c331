//! Tests of the demo authority over the wire: queries and TCP here, updates and nsupdate in the submodules.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::tsig::{TsigAlgorithm, TsigError};
use hickory_proto::rr::rdata::{A, SOA};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType, TSigner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use super::{Authority, AuthorityConfig};

mod cache;
mod nsupdate;
mod updates;

const ZONE: &str = "demo.rtoguard.test.";
const WWW: &str = "www.demo.rtoguard.test.";
const KEY: &str = "rtoguard-demo.";
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const WAIT: Duration = Duration::from_secs(5);

fn v4(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

fn name(s: &str) -> Name {
    Name::from_str(s).expect("valid name")
}

/// An authority for ZONE with `www` = 127.0.0.2, on a free loopback port.
async fn start(dir: &tempfile::TempDir) -> Authority {
    Authority::start(AuthorityConfig {
        zone: ZONE.into(),
        records: vec![("www".into(), 300, IpAddr::V4(v4(2)))],
        listen: "127.0.0.1:0".parse().expect("valid address"),
        tsig_key_name: KEY.into(),
        tsig_secret: SECRET.to_vec(),
        state_dir: dir.path().to_path_buf(),
    })
    .await
    .expect("authority starts")
}

fn signer(key: &str, secret: &[u8]) -> TSigner {
    TSigner::new(secret.to_vec(), TsigAlgorithm::HmacSha256, name(key), 300).expect("valid key")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

async fn udp(server: SocketAddr, request: &[u8]) -> Vec<u8> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
    socket.send_to(request, server).await.expect("send UDP");
    let mut buf = vec![0; 65_535];
    let (len, _) = tokio::time::timeout(WAIT, socket.recv_from(&mut buf))
        .await
        .expect("answer in time")
        .expect("recv UDP");
    buf.truncate(len);
    buf
}

async fn tcp(server: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(server).await.expect("connect TCP");
    let len = u16::try_from(request.len()).expect("small message");
    stream
        .write_all(&len.to_be_bytes())
        .await
        .expect("write length");
    stream.write_all(request).await.expect("write message");
    let mut len = [0; 2];
    tokio::time::timeout(WAIT, stream.read_exact(&mut len))
        .await
        .expect("answer in time")
        .expect("read length");
    let mut buf = vec![0; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf).await.expect("read message");
    buf
}

/// A plain (unsigned) query for `qname`/`qtype` over UDP.
async fn query(server: SocketAddr, qname: &str, qtype: RecordType) -> Message {
    let mut msg = Message::query();
    msg.add_query(Query::query(name(qname), qtype));
    Message::from_vec(&udp(server, &msg.to_vec().expect("encode")).await).expect("decode answer")
}

async fn www(server: SocketAddr) -> Vec<Ipv4Addr> {
    let answer = query(server, WWW, RecordType::A).await;
    let mut ips: Vec<_> = answer
        .answers
        .iter()
        .filter_map(|r| match r.data {
            RData::A(A(ip)) => Some(ip),
            _ => None,
        })
        .collect();
    ips.sort();
    ips
}

async fn serial(server: SocketAddr) -> u32 {
    let answer = query(server, ZONE, RecordType::SOA).await;
    match answer.answers.first().map(|r| &r.data) {
        Some(RData::SOA(SOA { serial, .. })) => *serial,
        other => panic!("no SOA in the answer: {other:?}"),
    }
}

/// The update rtoguard's rfc2136 provider sends: "www A is exactly `old`" →
/// delete the A set, add `new`.
fn flip(old: &[Ipv4Addr], new: &[Ipv4Addr]) -> Message {
    flip_at(WWW, old, new)
}

/// Like [`flip`] for `owner`; an empty `old` means "no A set exists yet".
fn flip_at(owner: &str, old: &[Ipv4Addr], new: &[Ipv4Addr]) -> Message {
    let mut msg = Message::new(rand::random(), MessageType::Query, OpCode::Update);
    let mut zone = Query::query(name(ZONE), RecordType::SOA);
    zone.set_query_class(DNSClass::IN);
    msg.add_query(zone);
    if old.is_empty() {
        let mut absent = Record::update0(name(owner), 0, RecordType::A);
        absent.dns_class = DNSClass::NONE;
        msg.add_answer(absent);
    }
    for ip in old {
        msg.add_answer(Record::from_rdata(name(owner), 0, RData::A(A(*ip))));
    }
    let mut delete = Record::update0(name(owner), 0, RecordType::A);
    delete.dns_class = DNSClass::ANY;
    msg.add_authority(delete);
    for ip in new {
        msg.add_authority(Record::from_rdata(name(owner), 60, RData::A(A(*ip))));
    }
    msg
}

/// Signs `msg` with `key`, sends it over UDP, and checks the answer's TSIG.
async fn signed_update(server: SocketAddr, mut msg: Message) -> ResponseCode {
    let mut verifier = msg
        .finalize(&signer(KEY, SECRET), now())
        .expect("sign")
        .expect("a verifier");
    let answer = udp(server, &msg.to_vec().expect("encode")).await;
    verifier
        .verify(&answer)
        .expect("the answer is signed with our key")
        .metadata
        .response_code
}

#[tokio::test]
async fn answers_queries_authoritatively() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let answer = query(auth.addr, WWW, RecordType::A).await;
    assert_eq!(answer.metadata.response_code, ResponseCode::NoError);
    assert!(answer.metadata.authoritative, "AA bit set");
    assert!(!answer.metadata.recursion_available, "no recursion offered");
    assert_eq!(www(auth.addr).await, vec![v4(2)]);
    assert_eq!(answer.answers[0].ttl, 300);
    let missing = query(auth.addr, "nope.demo.rtoguard.test.", RecordType::A).await;
    assert_eq!(missing.metadata.response_code, ResponseCode::NXDomain);
    let outside = query(auth.addr, "www.example.test.", RecordType::A).await;
    assert_eq!(outside.metadata.response_code, ResponseCode::Refused);
    auth.stop().await;
}

#[tokio::test]
async fn tcp_serves_queries_and_updates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let mut msg = Message::query();
    msg.add_query(Query::query(name(WWW), RecordType::A));
    let answer =
        Message::from_vec(&tcp(auth.addr, &msg.to_vec().expect("encode")).await).expect("decode");
    assert!(answer.metadata.authoritative);
    assert_eq!(answer.answers.len(), 1);

    let mut update = flip(&[v4(2)], &[v4(5)]);
    let mut verifier = update
        .finalize(&signer(KEY, SECRET), now())
        .expect("sign")
        .expect("a verifier");
    let answer = tcp(auth.addr, &update.to_vec().expect("encode")).await;
    let code = verifier
        .verify(&answer)
        .expect("signed answer")
        .metadata
        .response_code;
    assert_eq!(code, ResponseCode::NoError);
    assert_eq!(www(auth.addr).await, vec![v4(5)]);
    auth.stop().await;
}

/// BIND's `nsupdate` as an independent client: TSIG, prerequisites, both outcomes.
#[test]
fn loopback_plan_picks_loopback_addresses() {
    let (a, b) = super::loopback_plan();
    assert!(a.is_loopback() && b.is_loopback());
    // Either two distinct addresses, or both on 127.0.0.1.
    assert!(a != b || a == IpAddr::V4(Ipv4Addr::LOCALHOST));
}

#[test]
fn config_debug_hides_the_secret() {
    let cfg = AuthorityConfig {
        zone: ZONE.into(),
        records: vec![],
        listen: "127.0.0.1:0".parse().expect("valid address"),
        tsig_key_name: KEY.into(),
        tsig_secret: SECRET.to_vec(),
        state_dir: "/nonexistent".into(),
    };
    let shown = format!("{cfg:?}");
    assert!(shown.contains("REDACTED") && !shown.contains("0123456789abcdef"));
}

#[tokio::test]
async fn large_answers_are_truncated_over_udp_and_whole_over_tcp() {
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let big = "big.demo.rtoguard.test.";
    let many: Vec<Ipv4Addr> = (1..=60).map(|i| Ipv4Addr::new(127, 0, 1, i)).collect();
    let code = signed_update(auth.addr, flip_at(big, &[], &many)).await;
    assert_eq!(code, ResponseCode::NoError);

    let udp_answer = query(auth.addr, big, RecordType::A).await;
    assert!(
        udp_answer.metadata.truncation,
        "60 A records do not fit in 512 bytes"
    );
    let mut msg = Message::query();
    msg.add_query(Query::query(name(big), RecordType::A));
    let tcp_answer = tcp(auth.addr, &msg.to_vec().expect("encode")).await;
    let tcp_answer = Message::from_vec(&tcp_answer).expect("decode");
    assert!(!tcp_answer.metadata.truncation);
    assert_eq!(tcp_answer.answers.len(), 60);
    auth.stop().await;
}
