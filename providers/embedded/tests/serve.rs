//! dig-style queries over UDP and TCP against the embedded server: answers,
//! SOA/NS with glue, NXDOMAIN and NODATA with the SOA, ANY, truncation and
//! the TCP retry, refused transfers, EDNS.

mod common;

use common::{ZONE, query, start, tcp, udp, values};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};

#[tokio::test]
async fn answers_a_aaaa_and_cname_over_udp_and_tcp() {
    let s = start().await;
    let addr = s.addrs()[0];
    for over_tcp in [false, true] {
        let ask = |name: &str, t| {
            let q = query(name, t, true);
            async move {
                if over_tcp {
                    tcp(addr, &q).await
                } else {
                    udp(addr, &q).await
                }
            }
        };
        let a = ask("www.example.test.", RecordType::A).await;
        assert_eq!(a.metadata.response_code, ResponseCode::NoError);
        assert!(a.metadata.authoritative, "authoritative answer");
        assert_eq!(values(&a), ["192.0.2.10"]);
        assert_eq!(a.answers[0].ttl, 30);
        let aaaa = ask("WWW.Example.TEST.", RecordType::AAAA).await;
        assert_eq!(values(&aaaa), ["2001:db8::10"]);
        // A CNAME inside the zone is followed to its target's records.
        let alias = ask("alias.example.test.", RecordType::A).await;
        let types: Vec<_> = alias.answers.iter().map(|r| r.record_type()).collect();
        assert_eq!(types, [RecordType::CNAME, RecordType::A], "{alias:?}");
        // One leaving the zone is answered alone.
        let out = ask("out.example.test.", RecordType::A).await;
        assert_eq!(values(&out), ["elsewhere.example.net."]);
    }
}

#[tokio::test]
async fn soa_and_ns_with_glue() {
    let s = start().await;
    let addr = s.addrs()[0];
    let soa = udp(addr, &query(ZONE, RecordType::SOA, false)).await;
    let Some(RData::SOA(data)) = soa.answers.first().map(|r| &r.data) else {
        panic!("no SOA: {soa:?}");
    };
    assert_eq!(data.mname.to_ascii(), "ns1.example.test.");
    assert_eq!(data.rname.to_ascii(), "hostmaster.example.test.");
    assert_eq!(data.serial, s.store().zone(ZONE).unwrap().serial());
    let ns = udp(addr, &query(ZONE, RecordType::NS, false)).await;
    assert_eq!(values(&ns), ["ns1.example.test."]);
    let txt = udp(addr, &query(ZONE, RecordType::TXT, false)).await;
    assert_eq!(
        values(&txt),
        ["v=spf1 -all"],
        "a static record at the apex (@)"
    );
    let mut glue: Vec<String> = ns.additionals.iter().map(|r| r.data.to_string()).collect();
    glue.sort();
    assert_eq!(glue, ["127.0.0.1", "::1"]);
}

#[tokio::test]
async fn nxdomain_and_nodata_carry_the_soa() {
    let s = start().await;
    let addr = s.addrs()[0];
    let nx = udp(addr, &query("nope.example.test.", RecordType::A, false)).await;
    assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain);
    assert!(nx.metadata.authoritative);
    assert!(nx.answers.is_empty());
    assert_eq!(nx.authorities.len(), 1);
    assert_eq!(nx.authorities[0].record_type(), RecordType::SOA);
    assert_eq!(nx.authorities[0].ttl, 60, "the negative TTL");
    for (name, t) in [
        ("www.example.test.", RecordType::MX),
        ("b.example.test.", RecordType::A),
    ] {
        let nodata = udp(addr, &query(name, t, false)).await;
        assert_eq!(
            nodata.metadata.response_code,
            ResponseCode::NoError,
            "{name}"
        );
        assert!(nodata.answers.is_empty(), "{name}");
        assert_eq!(
            nodata.authorities[0].record_type(),
            RecordType::SOA,
            "{name}"
        );
    }
    // Outside every zone served: refused, never a referral or recursion.
    let other = udp(addr, &query("example.org.", RecordType::A, false)).await;
    assert_eq!(other.metadata.response_code, ResponseCode::Refused);
    assert!(!other.metadata.recursion_available);
}

#[tokio::test]
async fn any_is_answered_minimally() {
    let s = start().await;
    let any = udp(
        s.addrs()[0],
        &query("www.example.test.", RecordType::ANY, false),
    )
    .await;
    assert_eq!(any.metadata.response_code, ResponseCode::NoError);
    assert_eq!(any.answers.len(), 1, "{any:?}");
    assert_eq!(any.answers[0].record_type(), RecordType::HINFO);
    assert!(any.answers[0].data.to_string().contains("RFC8482"));
}

#[tokio::test]
async fn a_large_answer_is_truncated_over_udp_and_whole_over_tcp() {
    let s = start().await;
    let addr = s.addrs()[0];
    let q = query("big.example.test.", RecordType::A, false);
    let small = udp(addr, &q).await;
    assert!(small.metadata.truncation, "TC over UDP without EDNS");
    assert!(small.answers.len() < 60);
    // With EDNS the 1232-byte buffer holds it all.
    let edns = udp(addr, &query("big.example.test.", RecordType::A, true)).await;
    assert!(!edns.metadata.truncation);
    assert_eq!(edns.answers.len(), 60);
    assert!(edns.edns.is_some(), "EDNS answered with EDNS");
    // The retry over TCP gets every record.
    let whole = tcp(addr, &q).await;
    assert!(!whole.metadata.truncation);
    assert_eq!(whole.answers.len(), 60);
}

/// Transfers are served only on a zone's own transfer address, when its
/// `transfer` table is configured (tests/transfer.rs); the query address
/// refuses them, unsigned or not.
#[tokio::test]
async fn zone_transfers_on_the_query_address_are_refused() {
    let s = start().await;
    let addr = s.addrs()[0];
    for t in [RecordType::AXFR, RecordType::IXFR] {
        let r = tcp(addr, &query(ZONE, t, false)).await;
        assert_eq!(r.metadata.response_code, ResponseCode::Refused, "{t}");
        assert!(r.answers.is_empty());
    }
    // The records a transfer would send: the SOA first.
    let records = s.store().zone(ZONE).unwrap().records();
    assert_eq!(records[0].record_type(), RecordType::SOA);
    assert!(records.len() > 60);
}

#[tokio::test]
async fn a_newer_edns_version_is_badvers() {
    let s = start().await;
    let mut q = query("www.example.test.", RecordType::A, true);
    if let Some(e) = q.edns.as_mut() {
        e.set_version(1);
    }
    let r = udp(s.addrs()[0], &q).await;
    // BADVERS (16, carried partly in the OPT record).
    assert_eq!(u16::from(r.metadata.response_code), 16);
}

/// A zone file's records are served beside the configured ones, with the
/// file's `$TTL` and owner names carried from line to line.
#[tokio::test]
async fn a_zone_file_s_records_are_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("example.zone");
    std::fs::write(
        &path,
        "; the zone's other records\n$TTL 120\nmail IN MX 10 mx.example.net.\n     IN TXT \"hello; world\"\n",
    )
    .expect("write the zone file");
    let mut settings = common::settings(0);
    settings.zones[0].zone_file = Some(path);
    let s = rtoguard_embedded::Embedded::start(&settings)
        .await
        .expect("the server starts");
    let addr = s.addrs()[0];
    let mx = udp(addr, &query("mail.example.test.", RecordType::MX, false)).await;
    assert_eq!(values(&mx), ["10 mx.example.net."]);
    assert_eq!(mx.answers[0].ttl, 120);
    let txt = udp(addr, &query("mail.example.test.", RecordType::TXT, false)).await;
    assert_eq!(values(&txt), ["hello; world"]);
    // The configured records are still served.
    let www = udp(addr, &query("www.example.test.", RecordType::A, false)).await;
    assert_eq!(values(&www), ["192.0.2.10"]);
}
