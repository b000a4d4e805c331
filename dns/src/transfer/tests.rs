//! Unit tests: differences, serials, AXFR/IXFR answers, splitting, TSIG.

use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::tsig::{TsigAlgorithm, TsigError};
use hickory_proto::rr::rdata::{A, NS, SOA};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType, TSigner};
use proptest::prelude::*;

use super::*;
use crate::Transport;

const NOW: u64 = 1_800_000_000;
const SECONDARY: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));

fn name(s: &str) -> Name {
    Name::from_str(s).expect("valid name")
}

fn origin() -> Name {
    name("zone.test.")
}

fn soa(serial: u32) -> Record {
    let data = SOA::new(
        name("ns1.zone.test."),
        name("hostmaster.zone.test."),
        serial,
        60,
        30,
        600,
        5,
    );
    Record::from_rdata(origin(), 300, RData::SOA(data))
}

fn a(owner: &str, last: u8, ttl: u32) -> Record {
    Record::from_rdata(name(owner), ttl, RData::A(A::new(192, 0, 2, last)))
}

fn zone(serial: u32, www: u8) -> Vec<Record> {
    vec![
        a("www.zone.test.", www, 60),
        soa(serial),
        Record::from_rdata(origin(), 300, RData::NS(NS(name("ns1.zone.test.")))),
        a("ns1.zone.test.", 53, 300),
    ]
}

fn key(secret: &[u8]) -> TSigner {
    TSigner::new(
        secret.to_vec(),
        TsigAlgorithm::HmacSha256,
        name("xfr."),
        300,
    )
    .expect("key")
}

fn policy() -> TransferPolicy {
    TransferPolicy::new(vec![key(b"right secret")], vec![SECONDARY])
}

/// A transfer request for `qtype` (IXFR carries `client` in authority),
/// signed with `signer` at `at` when given; returns bytes and verifier.
fn request(
    qtype: RecordType,
    client: Option<u32>,
    signer: Option<&TSigner>,
    at: u64,
) -> (Vec<u8>, Option<hickory_proto::rr::TSigVerifier>) {
    let mut msg = Message::new(4242, MessageType::Query, OpCode::Query);
    msg.add_query(Query::query(origin(), qtype));
    if let Some(serial) = client {
        msg.add_authority(soa(serial));
    }
    let verifier = signer.and_then(|s| msg.finalize(s, at).expect("sign"));
    (msg.to_vec().expect("encode"), verifier)
}

/// Answers `bytes`, checks the TSIG chain, and returns the decoded messages.
fn ask(history: &ZoneHistory, qtype: RecordType, client: Option<u32>) -> Vec<Message> {
    let (bytes, verifier) = request(qtype, client, Some(&key(b"right secret")), NOW);
    let mut verifier = verifier.expect("a verifier");
    let replies = answer(history, &bytes, SECONDARY, Transport::Tcp, &policy(), NOW);
    replies
        .iter()
        .map(|r| {
            verifier
                .verify(r)
                .expect("every message is signed in the chain");
            Message::from_vec(r).expect("decodes")
        })
        .collect()
}

fn records(messages: &[Message]) -> Vec<Record> {
    messages.iter().flat_map(|m| m.answers.clone()).collect()
}

fn serials(stream: &[Record]) -> Vec<u32> {
    stream
        .iter()
        .filter_map(|r| match &r.data {
            RData::SOA(s) => Some(s.serial),
            _ => None,
        })
        .collect()
}

#[test]
fn commit_keeps_the_difference_and_bumps_the_serial() {
    let mut h = ZoneHistory::new(origin(), zone(10, 1), 3).expect("zone");
    assert_eq!(h.records()[0].record_type(), RecordType::SOA, "SOA first");
    let serial = h.commit(zone(10, 2)).expect("commit");
    assert_eq!(serial, 11, "a serial not after the current one is bumped");
    let diff = h.diffs().last().expect("a diff");
    assert_eq!(diff.removed, vec![a("www.zone.test.", 1, 60)]);
    assert_eq!(diff.added, vec![a("www.zone.test.", 2, 60)]);
    assert_eq!(diff.from_serial(), 10);
    // A TTL change alone is a removal and an addition.
    let mut lowered = zone(50, 2);
    lowered[0].ttl = 5;
    assert_eq!(
        h.commit(lowered).expect("commit"),
        50,
        "a later serial is kept"
    );
    let diff = h.diffs().last().expect("a diff");
    assert_eq!((diff.removed[0].ttl, diff.added[0].ttl), (60, 5));
    // Records without an SOA keep the current one, bumped.
    let no_soa: Vec<Record> = zone(0, 3)
        .into_iter()
        .filter(|r| r.record_type() != RecordType::SOA)
        .collect();
    assert_eq!(h.commit(no_soa).expect("commit"), 51);
}

#[test]
fn history_is_bounded() {
    let mut h = ZoneHistory::new(origin(), zone(1, 0), 2).expect("zone");
    for i in 1..=5 {
        h.commit(zone(0, i)).expect("commit");
    }
    assert_eq!(h.diffs().count(), 2);
    assert!(h.changes_since(4).is_some() && h.changes_since(5).is_some());
    assert!(h.changes_since(3).is_none(), "older versions are forgotten");
    assert!(
        h.changes_since(6).is_none(),
        "the current version has no changes"
    );
}

#[test]
fn bad_zones_are_rejected() {
    let mut two = zone(1, 1);
    two.push(soa(2));
    assert!(matches!(
        ZoneHistory::new(origin(), two, 1),
        Err(HistoryError::ManySoa(_))
    ));
    assert!(matches!(
        ZoneHistory::new(origin(), zone(1, 1)[2..].to_vec(), 1),
        Err(HistoryError::NoSoa(_))
    ));
    let mut outside = zone(1, 1);
    outside.push(a("www.other.test.", 1, 60));
    assert!(matches!(
        ZoneHistory::new(origin(), outside, 1),
        Err(HistoryError::Outside { .. })
    ));
}

#[test]
fn serials_wrap_per_rfc_1982() {
    assert!(serial_lt(1, 2));
    assert!(serial_lt(u32::MAX, 0), "0 follows 2^32 - 1");
    assert!(serial_lt(u32::MAX - 5, 10));
    assert!(!serial_lt(10, u32::MAX - 5));
    assert!(
        !serial_lt(0, 1 << 31) && !serial_lt(1 << 31, 0),
        "2^31 apart is undefined"
    );
    let mut h = ZoneHistory::new(origin(), zone(u32::MAX, 1), 4).expect("zone");
    assert_eq!(
        h.commit(zone(5, 2)).expect("commit"),
        5,
        "5 is after 2^32 - 1"
    );
    let mut h2 = ZoneHistory::new(origin(), zone(u32::MAX, 1), 4).expect("zone");
    assert_eq!(
        h2.commit(zone(u32::MAX, 2)).expect("commit"),
        0,
        "bumped past the wrap"
    );
    // IXFR across the wrap is incremental.
    h.commit(zone(0, 3)).expect("commit");
    let stream = records(&ask(&h, RecordType::IXFR, Some(u32::MAX)));
    assert_eq!(serials(&stream), vec![6, u32::MAX, 5, 5, 6, 6]);
}

#[test]
fn ixfr_for_a_current_old_and_unknown_serial() {
    let mut h = ZoneHistory::new(origin(), zone(10, 1), 4).expect("zone");
    h.commit(zone(0, 2)).expect("commit");
    h.commit(zone(0, 3)).expect("commit");

    let current = ask(&h, RecordType::IXFR, Some(12));
    assert_eq!(current.len(), 1);
    assert_eq!(
        serials(&records(&current)),
        vec![12],
        "current: the SOA alone"
    );
    let ahead = records(&ask(&h, RecordType::IXFR, Some(20)));
    assert_eq!(serials(&ahead), vec![12], "a client ahead: the SOA alone");

    let messages = ask(&h, RecordType::IXFR, Some(10));
    assert!(messages[0].metadata.authoritative);
    assert_eq!(messages[0].queries.len(), 1, "the question is copied");
    let stream = records(&messages);
    assert_eq!(serials(&stream), vec![12, 10, 11, 11, 12, 12]);
    let www: Vec<_> = stream
        .iter()
        .filter(|r| r.record_type() == RecordType::A && r.name == name("www.zone.test."))
        .collect();
    assert_eq!(www.len(), 4, "two removals and two additions");
    assert_eq!(stream.len(), 6 + 4, "only the changes travel");

    let unknown = records(&ask(&h, RecordType::IXFR, Some(3)));
    assert_eq!(
        serials(&unknown),
        vec![12, 12],
        "unknown serial: the whole zone"
    );
    assert_eq!(unknown.len(), h.records().len() + 1);
}

#[test]
fn ixfr_over_udp_is_the_soa_alone() {
    let mut h = ZoneHistory::new(origin(), zone(10, 1), 4).expect("zone");
    h.commit(zone(0, 2)).expect("commit");
    let (bytes, _) = request(RecordType::IXFR, Some(10), Some(&key(b"right secret")), NOW);
    let replies = answer(&h, &bytes, SECONDARY, Transport::Udp, &policy(), NOW);
    let msg = Message::from_vec(&replies[0]).expect("decodes");
    assert_eq!(serials(&msg.answers), vec![11]);
    assert!(msg.signature().is_some(), "signed");
}

#[test]
fn axfr_is_split_within_the_message_size() {
    let mut big = zone(7, 1);
    for i in 0..400u32 {
        big.push(a(&format!("host{i}.zone.test."), (i % 250) as u8, 60));
    }
    let h = ZoneHistory::new(origin(), big, 1).expect("zone");
    let mut p = policy();
    p.max_message = 2048;
    let (bytes, verifier) = request(RecordType::AXFR, None, Some(&key(b"right secret")), NOW);
    let mut verifier = verifier.expect("verifier");
    let replies = answer(&h, &bytes, SECONDARY, Transport::Tcp, &p, NOW);
    assert!(
        replies.len() > 3,
        "split over several messages: {}",
        replies.len()
    );
    for r in &replies {
        assert!(r.len() <= 2048, "{} bytes", r.len());
        verifier.verify(r).expect("chain verifies");
    }
    let messages: Vec<Message> = replies
        .iter()
        .map(|r| Message::from_vec(r).expect("decodes"))
        .collect();
    assert!(
        messages[1..].iter().all(|m| m.queries.is_empty()),
        "question in the first only"
    );
    let stream = records(&messages);
    assert_eq!(stream.len(), 404 + 1);
    assert_eq!(stream.first(), Some(&soa(7)));
    assert_eq!(stream.last(), Some(&soa(7)));
    assert_eq!(serials(&stream).len(), 2, "SOA first and last only");

    // The default size fits the whole zone in one message.
    let one = answer(
        &h,
        &request(RecordType::AXFR, None, Some(&key(b"right secret")), NOW).0,
        SECONDARY,
        Transport::Tcp,
        &policy(),
        NOW,
    );
    assert_eq!(one.len(), 1);
}

fn refusal(replies: &[Vec<u8>]) -> (ResponseCode, Option<TsigError>) {
    assert_eq!(replies.len(), 1, "one answer");
    let msg = Message::from_vec(&replies[0]).expect("decodes");
    assert!(msg.answers.is_empty(), "nothing of the zone");
    let error = msg.signature().and_then(|s| s.data.error);
    (msg.metadata.response_code, error)
}

#[test]
fn transfers_without_a_valid_key_or_from_elsewhere_are_refused() {
    let h = ZoneHistory::new(origin(), zone(1, 1), 1).expect("zone");
    let p = policy();
    let ask = |bytes: &[u8], from: IpAddr| answer(&h, bytes, from, Transport::Tcp, &p, NOW);

    let unsigned = request(RecordType::AXFR, None, None, NOW).0;
    assert_eq!(
        refusal(&ask(&unsigned, SECONDARY)),
        (ResponseCode::Refused, None)
    );
    let unsigned_ixfr = request(RecordType::IXFR, Some(0), None, NOW).0;
    assert_eq!(
        refusal(&ask(&unsigned_ixfr, SECONDARY)),
        (ResponseCode::Refused, None)
    );

    let wrong_secret = request(RecordType::AXFR, None, Some(&key(b"wrong secret")), NOW).0;
    assert_eq!(
        refusal(&ask(&wrong_secret, SECONDARY)),
        (ResponseCode::NotAuth, Some(TsigError::BadSig))
    );

    let other = TSigner::new(
        b"right secret".to_vec(),
        TsigAlgorithm::HmacSha256,
        name("other."),
        300,
    )
    .expect("key");
    let unknown_key = request(RecordType::AXFR, None, Some(&other), NOW).0;
    assert_eq!(
        refusal(&ask(&unknown_key, SECONDARY)),
        (ResponseCode::NotAuth, Some(TsigError::BadKey))
    );

    let stale = request(
        RecordType::AXFR,
        None,
        Some(&key(b"right secret")),
        NOW - 3600,
    )
    .0;
    assert_eq!(
        refusal(&ask(&stale, SECONDARY)),
        (ResponseCode::NotAuth, Some(TsigError::BadTime))
    );

    let (good, verifier) = request(RecordType::AXFR, None, Some(&key(b"right secret")), NOW);
    let elsewhere = ask(&good, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 9)));
    verifier
        .expect("verifier")
        .verify(&elsewhere[0])
        .expect("the refusal is signed");
    assert_eq!(refusal(&elsewhere), (ResponseCode::Refused, None));

    // Unsigned SOA queries are answered (secondaries without keys check serials).
    let soa_query = request(RecordType::SOA, None, None, NOW).0;
    let soa_answer = Message::from_vec(&ask(&soa_query, SECONDARY)[0]).expect("decodes");
    assert_eq!(serials(&soa_answer.answers), vec![1]);
}

#[test]
fn malformed_requests_get_an_error_or_nothing() {
    let h = ZoneHistory::new(origin(), zone(1, 1), 1).expect("zone");
    let p = policy();
    let ask = |bytes: &[u8]| answer(&h, bytes, SECONDARY, Transport::Tcp, &p, NOW);
    assert!(ask(&[]).is_empty());
    assert!(ask(&[1, 2, 3]).is_empty());
    let garbled = [
        0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
    ];
    assert_eq!(refusal(&ask(&garbled)).0, ResponseCode::FormErr);

    let mut chaos = Message::new(7, MessageType::Query, OpCode::Query);
    let mut q = Query::query(origin(), RecordType::AXFR);
    q.set_query_class(DNSClass::CH);
    chaos.add_query(q);
    assert_eq!(
        refusal(&ask(&chaos.to_vec().expect("encode"))).0,
        ResponseCode::Refused
    );

    let mut elsewhere = Message::new(7, MessageType::Query, OpCode::Query);
    elsewhere.add_query(Query::query(name("other.test."), RecordType::AXFR));
    assert_eq!(
        refusal(&ask(&elsewhere.to_vec().expect("encode"))).0,
        ResponseCode::NotAuth
    );

    let mut response = Message::new(7, MessageType::Response, OpCode::Query);
    response.add_query(Query::query(origin(), RecordType::AXFR));
    assert!(
        ask(&response.to_vec().expect("encode")).is_empty(),
        "responses are dropped"
    );

    let ixfr_without_soa = request(RecordType::IXFR, None, Some(&key(b"right secret")), NOW).0;
    assert_eq!(refusal(&ask(&ixfr_without_soa)).0, ResponseCode::FormErr);
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let h = ZoneHistory::new(origin(), zone(1, 1), 1).expect("zone");
        let replies = answer(&h, &bytes, SECONDARY, Transport::Tcp, &policy(), NOW);
        for r in replies {
            let msg = Message::from_vec(&r).expect("our answers decode");
            prop_assert!(msg.answers.is_empty(), "no zone data for random bytes");
        }
    }
}
