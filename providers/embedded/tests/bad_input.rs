//! Bad queries (malformed, oversized, random bytes): no panic, answered
//! FORMERR or dropped, and the server keeps answering everyone else.

mod common;

use std::time::Duration;

use common::{query, start, tcp, udp, udp_raw, values};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;
use rand::RngExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const SHORT: Duration = Duration::from_millis(200);

#[tokio::test]
async fn malformed_packets_get_formerr_or_nothing() {
    let s = start().await;
    let addr = s.addrs()[0];
    let good = query("www.example.test.", RecordType::A, false)
        .to_vec()
        .unwrap();
    // A header claiming one question with nothing after it.
    let mut cut = good[..12].to_vec();
    cut[5] = 1;
    if let Some(raw) = udp_raw(addr, &cut, SHORT).await {
        let r = Message::from_vec(&raw).expect("a FORMERR parses");
        assert_eq!(r.metadata.response_code, ResponseCode::FormErr);
    }
    // Two questions in one query.
    let mut two = query("www.example.test.", RecordType::A, false);
    two.add_query(hickory_proto::op::Query::query(
        "alias.example.test.".parse().unwrap(),
        RecordType::A,
    ));
    let r = udp(addr, &two).await;
    assert_eq!(r.metadata.response_code, ResponseCode::FormErr);
    // Too short for a header, and a 60 KB datagram of garbage.
    assert!(
        udp_raw(addr, &[0x12], SHORT)
            .await
            .is_none_or(|r| r.len() >= 12)
    );
    let huge = vec![0xffu8; 60_000];
    let _ = udp_raw(addr, &huge, SHORT).await;
    // A response sent to us is not answered as a query.
    let mut resp = good.clone();
    resp[2] |= 0x80;
    let _ = udp_raw(addr, &resp, SHORT).await;
    let ok = udp(addr, &query("www.example.test.", RecordType::A, false)).await;
    assert_eq!(values(&ok), ["192.0.2.10"], "still answering");
}

#[tokio::test]
async fn random_bytes_and_mutated_queries_never_stop_the_server() {
    let s = start().await;
    let addr = s.addrs()[0];
    let good = query("alias.example.test.", RecordType::A, true)
        .to_vec()
        .unwrap();
    let mut rng = rand::rng();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for round in 0..2000 {
        let packet: Vec<u8> = if round % 2 == 0 {
            let len = rng.random_range(0..600);
            (0..len).map(|_| rng.random()).collect()
        } else {
            let mut p = good.clone();
            for _ in 0..rng.random_range(1..6) {
                let i = rng.random_range(0..p.len());
                p[i] = rng.random();
            }
            p.truncate(rng.random_range(1..=p.len()));
            p
        };
        sock.send_to(&packet, addr).await.unwrap();
    }
    // Garbage over TCP too: a length prefix promising more than is sent, then a close.
    let mut t = TcpStream::connect(addr).await.unwrap();
    t.write_all(&[0xff, 0xff, 1, 2, 3]).await.unwrap();
    drop(t);
    let mut t = TcpStream::connect(addr).await.unwrap();
    t.write_all(&[0x00, 0x05, 1, 2, 3, 4, 5]).await.unwrap();
    drop(t);
    for _ in 0..3 {
        let ok = udp(addr, &query("www.example.test.", RecordType::A, false)).await;
        assert_eq!(values(&ok), ["192.0.2.10"], "UDP still answers");
    }
    let ok = tcp(addr, &query("www.example.test.", RecordType::A, false)).await;
    assert_eq!(values(&ok), ["192.0.2.10"], "TCP still answers");
}

#[tokio::test]
async fn a_client_over_its_rate_is_slipped_or_dropped_and_others_still_answered() {
    let s = rtoguard_embedded::Embedded::start(&common::settings(20))
        .await
        .unwrap();
    let addr = s.addrs()[0];
    let q = query("www.example.test.", RecordType::A, false);
    let mut answered = 0;
    let mut truncated = 0;
    let mut silent = 0;
    for _ in 0..60 {
        match udp_raw(addr, &q.to_vec().unwrap(), Duration::from_millis(100)).await {
            Some(raw) => {
                let r = Message::from_vec(&raw).unwrap();
                if r.metadata.truncation {
                    assert!(r.answers.is_empty());
                    truncated += 1;
                } else {
                    answered += 1;
                }
            }
            None => silent += 1,
        }
    }
    assert!(answered >= 20, "the burst is answered: {answered}");
    assert!(
        truncated > 0 && silent > 0,
        "over the rate: {truncated} slipped, {silent} dropped"
    );
    // TCP is not limited: the slipped client retries there.
    let r = tcp(addr, &q).await;
    assert_eq!(values(&r), ["192.0.2.10"]);
}
