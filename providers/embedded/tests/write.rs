//! The provider contract on the embedded server: read what is served, a
//! write is a compare-and-set swap with a new serial, served at once.

mod common;

use std::time::Duration;

use common::{ZONE, query, served_serial, start, udp, values};
use hickory_proto::rr::RecordType as Wire;
use rtoguard_embedded::EmbeddedProvider;
use rtoguard_provider_api::{Change, Provider, ProviderError, RecordSet, RecordType, SyncState};

fn set(values: &[&str], ttl: u32) -> RecordSet {
    RecordSet::new("www.example.test.", RecordType::A, ttl, values)
}

/// The write is in sync at once; the A answer for www after it.
async fn in_sync_then_served(
    p: &EmbeddedProvider,
    change: &Change,
    receipt: &rtoguard_provider_api::Receipt,
    addr: std::net::SocketAddr,
) -> hickory_proto::op::Message {
    assert_eq!(
        p.wait_in_sync(ZONE, change, receipt, Duration::ZERO)
            .await
            .unwrap(),
        SyncState::InSync
    );
    udp(addr, &query("www.example.test.", Wire::A, false)).await
}

#[tokio::test]
async fn a_write_swaps_the_answer_and_raises_the_serial() {
    let s = start().await;
    let addr = s.addrs()[0];
    let p = EmbeddedProvider::new(s.clone());
    assert!(!p.capabilities().weighted);
    assert_eq!(p.capabilities().cas, rtoguard_provider_api::CasMode::Native);
    let served = p
        .read(ZONE, "www.example.test.", RecordType::A)
        .await
        .unwrap();
    assert_eq!(served, vec![set(&["192.0.2.10"], 30)]);
    let before = served_serial(addr).await;
    let change = Change::new(
        "www.example.test.",
        RecordType::A,
        served,
        vec![set(&["198.51.100.7"], 5)],
    )
    .unwrap();
    let receipt = p.apply(ZONE, &change).await.unwrap();
    let after = served_serial(addr).await;
    assert!(after > before, "serial {before} -> {after}");
    assert_eq!(receipt.id, after.to_string());
    let a = in_sync_then_served(&p, &change, &receipt, addr).await;
    assert_eq!(values(&a), ["198.51.100.7"]);
    assert_eq!(a.answers[0].ttl, 5, "the TTL written is the TTL served");
    // The other records at the name are untouched.
    let aaaa = udp(addr, &query("www.example.test.", Wire::AAAA, false)).await;
    assert_eq!(values(&aaaa), ["2001:db8::10"]);
}

#[tokio::test]
async fn a_write_expecting_another_state_is_a_conflict_and_changes_nothing() {
    let s = start().await;
    let addr = s.addrs()[0];
    let p = EmbeddedProvider::new(s.clone());
    let before = served_serial(addr).await;
    let stale = Change::new(
        "www.example.test.",
        RecordType::A,
        vec![set(&["203.0.113.1"], 30)],
        vec![set(&["198.51.100.7"], 30)],
    )
    .unwrap();
    let err = p.apply(ZONE, &stale).await.unwrap_err();
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert!(
        err.to_string().contains("192.0.2.10"),
        "says what is served: {err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(served_serial(addr).await, before, "no new serial");
    let a = udp(addr, &query("www.example.test.", Wire::A, false)).await;
    assert_eq!(values(&a), ["192.0.2.10"]);
    // A new name expects nothing; expecting something there conflicts.
    let new = RecordSet::new("api.example.test.", RecordType::A, 30, ["198.51.100.8"]);
    let wrong = Change::new(
        "api.example.test.",
        RecordType::A,
        vec![new.clone()],
        vec![new.clone()],
    )
    .unwrap();
    assert!(matches!(
        p.apply(ZONE, &wrong).await,
        Err(ProviderError::Conflict { .. })
    ));
    let create = Change::new("api.example.test.", RecordType::A, vec![], vec![new]).unwrap();
    p.apply(ZONE, &create).await.unwrap();
    let a = udp(addr, &query("api.example.test.", Wire::A, false)).await;
    assert_eq!(values(&a), ["198.51.100.8"]);
}

#[tokio::test]
async fn two_writers_from_the_same_state_one_wins() {
    let s = start().await;
    let p = EmbeddedProvider::new(s.clone());
    let served = p
        .read(ZONE, "www.example.test.", RecordType::A)
        .await
        .unwrap();
    let to = |v: &str| {
        Change::new(
            "www.example.test.",
            RecordType::A,
            served.clone(),
            vec![set(&[v], 30)],
        )
        .unwrap()
    };
    let (one, two) = (to("198.51.100.1"), to("198.51.100.2"));
    let (a, b) = tokio::join!(p.apply(ZONE, &one), p.apply(ZONE, &two));
    assert_eq!(
        a.is_ok() as u8 + b.is_ok() as u8,
        1,
        "exactly one wins: {a:?} {b:?}"
    );
}

#[tokio::test]
async fn bad_writes_are_refused_with_a_reason() {
    let s = start().await;
    let p = EmbeddedProvider::new(s.clone());
    let other_zone = Change::new(
        "www.example.org.",
        RecordType::A,
        vec![],
        vec![RecordSet::new(
            "www.example.org.",
            RecordType::A,
            30,
            ["192.0.2.1"],
        )],
    )
    .unwrap();
    let err = p.apply(ZONE, &other_zone).await.unwrap_err();
    assert!(matches!(err, ProviderError::BadRequest { .. }), "{err}");
    let err = p
        .read("example.org.", "www.example.org.", RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err}");
    // A CNAME cannot join the A and AAAA records at www.
    let cname = RecordSet::new(
        "www.example.test.",
        RecordType::CNAME,
        30,
        ["elsewhere.example.net."],
    );
    let c = Change::new("www.example.test.", RecordType::CNAME, vec![], vec![cname]).unwrap();
    let err = p.apply(ZONE, &c).await.unwrap_err();
    assert!(err.to_string().contains("CNAME cannot sit beside"), "{err}");
}

#[tokio::test]
async fn a_restarted_server_serves_what_was_last_written_at_a_higher_serial() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = common::settings(0);
    settings.state_file = Some(dir.path().join("embedded-edge.json"));
    let first = rtoguard_embedded::Embedded::start(&settings).await.unwrap();
    let p = EmbeddedProvider::new(first.clone());
    let served = p
        .read(ZONE, "www.example.test.", RecordType::A)
        .await
        .unwrap();
    let change = Change::new(
        "www.example.test.",
        RecordType::A,
        served,
        vec![set(&["198.51.100.7"], 5)],
    )
    .unwrap();
    // Several writes in one second push the serial ahead of the clock.
    p.apply(ZONE, &change).await.unwrap();
    let back = Change::new(
        "www.example.test.",
        RecordType::A,
        change.desired().to_vec(),
        change.expected().to_vec(),
    )
    .unwrap();
    p.apply(ZONE, &back).await.unwrap();
    let last = p.apply(ZONE, &change).await.unwrap();
    drop(p);
    drop(first);
    let again = rtoguard_embedded::Embedded::start(&settings).await.unwrap();
    let a = udp(
        again.addrs()[0],
        &query("www.example.test.", Wire::A, false),
    )
    .await;
    assert_eq!(values(&a), ["198.51.100.7"]);
    assert_eq!(a.answers[0].ttl, 5);
    let serial = served_serial(again.addrs()[0]).await;
    assert!(
        serial > last.id.parse::<u32>().unwrap(),
        "{serial} after {}",
        last.id
    );
}

/// TTL at query time: a change of the TTL alone (the same values) is served
/// at once with the serial unchanged, so lowering and restoring the TTL
/// start no zone version (no NOTIFY, nothing for a cache to refetch).
#[tokio::test]
async fn a_ttl_only_change_is_served_at_once_with_the_serial_unchanged() {
    let s = start().await;
    let addr = s.addrs()[0];
    let p = EmbeddedProvider::new(s.clone());
    let before = served_serial(addr).await;
    let ttl = |from: u32, to: u32| {
        Change::new(
            "www.example.test.",
            RecordType::A,
            vec![set(&["192.0.2.10"], from)],
            vec![set(&["192.0.2.10"], to)],
        )
        .unwrap()
    };
    for (from, to) in [(30, 5), (5, 30)] {
        let change = ttl(from, to);
        let receipt = p.apply(ZONE, &change).await.unwrap();
        assert_eq!(receipt.id, before.to_string(), "the serial stays");
        let a = in_sync_then_served(&p, &change, &receipt, addr).await;
        assert_eq!(values(&a), ["192.0.2.10"]);
        assert_eq!(a.answers[0].ttl, to, "the TTL decided is the TTL served");
        assert_eq!(
            p.read(ZONE, "www.example.test.", RecordType::A)
                .await
                .unwrap(),
            vec![set(&["192.0.2.10"], to)],
            "read returns what is served"
        );
        assert_eq!(served_serial(addr).await, before, "no new zone version");
    }
    // Compare-and-set still holds: a TTL change expecting other values is refused.
    let stale = Change::new(
        "www.example.test.",
        RecordType::A,
        vec![set(&["203.0.113.1"], 30)],
        vec![set(&["203.0.113.1"], 5)],
    )
    .unwrap();
    assert!(matches!(
        p.apply(ZONE, &stale).await,
        Err(ProviderError::Conflict { .. })
    ));
}
