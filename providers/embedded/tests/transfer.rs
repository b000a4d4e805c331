//! rtoguard as a hidden primary: BIND 9, a keyed secondary of the embedded
//! server, loads the zone by AXFR; a write through the provider reaches it
//! by NOTIFY and IXFR; a secondary without the key is refused.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::RecordType as Wire;
use rtoguard_embedded::{Embedded, EmbeddedProvider, TransferKey, TransferSettings};
use rtoguard_provider_api::{Change, Provider, RecordSet, RecordType, TsigAlgorithm};
use rtoguard_testkit::bind::{Bind, TsigKey, assert_unkeyed_secondary_refused};
use rtoguard_testkit::eventually;
use rtoguard_testkit::net::{free_port, lo};

const WWW: &str = "www.example.test.";

/// A fresh key: as BIND's config, and as the embedded server's.
fn key() -> (TsigKey, TransferKey) {
    let secret: [u8; 32] = rand::random();
    let bind = TsigKey {
        name: "xfr.".into(),
        algorithm: "hmac-sha256".into(),
        secret: rtoguard_testkit::base64(&secret),
    };
    let ours = TransferKey {
        name: "xfr.".into(),
        algorithm: TsigAlgorithm::HmacSha256,
        secret: secret.to_vec(),
    };
    (bind, ours)
}

/// The test zone with transfers on a port of their own, NOTIFY to `notify`.
async fn primary(key: TransferKey, notify: Vec<SocketAddr>) -> Arc<Embedded> {
    let mut settings = common::settings(0);
    settings.zones[0].transfer = Some(TransferSettings {
        listen: "127.0.0.1:0".parse().expect("address"),
        keys: vec![key],
        allow: vec![lo(1)],
        notify,
        keep: 8,
    });
    Embedded::start(&settings).await.expect("the server starts")
}

fn set(values: &[&str], ttl: u32) -> RecordSet {
    RecordSet::new(WWW, RecordType::A, ttl, values)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_secondary_loads_the_zone_and_follows_a_write_by_notify_and_ixfr() {
    let (tsig, ours) = key();
    let port = free_port(lo(1));
    let server = primary(ours, vec![SocketAddr::new(lo(1), port)]).await;
    let xfr = server
        .transfer_addr(common::ZONE)
        .expect("transfers are served");
    assert!(
        !server.addrs().contains(&xfr),
        "a transfer address of its own"
    );
    let serial = server.store().zone(common::ZONE).expect("zone").serial();
    let secondary = tokio::task::spawn_blocking(move || {
        Bind::builder(common::ZONE)
            .key(tsig)
            .signed_transfers()
            .debug(3)
            .port(port)
            .secondary_of(xfr)
            .start()
    })
    .await
    .expect("start BIND");
    assert_eq!(secondary.query(WWW, Wire::A).values, vec!["192.0.2.10"]);
    assert_eq!(
        secondary.serial(),
        serial,
        "the serial served is the one transferred"
    );

    let provider = EmbeddedProvider::new(server.clone());
    let served = provider
        .read(common::ZONE, WWW, RecordType::A)
        .await
        .expect("read");
    let change =
        Change::new(WWW, RecordType::A, served, vec![set(&["198.51.100.7"], 5)]).expect("change");
    let receipt = provider.apply(common::ZONE, &change).await.expect("write");
    let written: u32 = receipt.id.parse().expect("the receipt is the serial");
    assert!(
        eventually(|| secondary.query(WWW, Wire::A).values == ["198.51.100.7"]).await,
        "BIND serves the written value:\n{}",
        secondary.log()
    );
    assert_eq!(secondary.serial(), written);
    // BIND's account: AXFR for the first version, then NOTIFY and IXFR.
    let log = secondary.log();
    let mut from = 0;
    for line in [
        "requesting AXFR of initial version",
        "got nonincremental response",
        "notify from",
        &format!("requesting IXFR for serial {serial}"),
        "got incremental response",
    ] {
        let at = log[from..].find(line).map(|i| from + i);
        from = at.unwrap_or_else(|| panic!("no {line:?} after byte {from} of:\n{log}"));
    }
    assert_eq!(log.matches("nonincremental").count(), 1, "{log}");

    // Stopped with the server: nothing answers on the transfer address.
    server.stop().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        tokio::net::TcpStream::connect(xfr).await.is_err(),
        "the transfer listener stopped with the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_secondary_without_the_key_is_refused() {
    let (_, ours) = key();
    let server = primary(ours, Vec::new()).await;
    let xfr = server.transfer_addr(common::ZONE).expect("transfers");
    assert_unkeyed_secondary_refused(common::ZONE, xfr, WWW).await;
}

#[tokio::test]
async fn without_a_transfer_table_transfers_are_refused_and_no_port_opens() {
    let server = common::start().await;
    assert_eq!(server.transfer_addr(common::ZONE), None);
    assert!(server.store().transfers().is_empty());
}

/// Zones with the same transfer address share one listener: each request is
/// answered by the zone it names (its SOA, its transfer), another zone is
/// NOTAUTH, and a BIND secondary of the second zone loads it from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_zones_share_one_transfer_address() {
    use hickory_proto::op::ResponseCode;
    use rtoguard_embedded::{NameServer, StaticRecord};

    let (tsig, ours) = key();
    let mut settings = common::settings(0);
    settings.zones[0].transfer = Some(TransferSettings {
        listen: "127.0.0.1:0".parse().expect("address"),
        keys: vec![ours],
        allow: Vec::new(),
        notify: Vec::new(),
        keep: 8,
    });
    let mut other = settings.zones[0].clone();
    other.name = "other.test.".into();
    other.name_servers = vec![NameServer {
        name: "ns1".into(),
        addresses: vec![lo(1)],
    }];
    other.records = vec![StaticRecord {
        name: "www".into(),
        rtype: "A".into(),
        ttl: 30,
        values: vec!["192.0.2.20".into()],
    }];
    settings.zones.push(other);
    let server = Embedded::start(&settings).await.expect("the server starts");
    let xfr = server.transfer_addr(common::ZONE).expect("transfers");
    assert_eq!(
        server.transfer_addr("other.test."),
        Some(xfr),
        "one transfer address for both zones"
    );
    for zone in [common::ZONE, "other.test."] {
        let r = common::udp(xfr, &common::query(zone, Wire::SOA, false)).await;
        assert_eq!(r.metadata.response_code, ResponseCode::NoError, "{zone}");
        assert_eq!(
            r.answers[0].name.to_ascii(),
            zone,
            "the SOA of the zone asked"
        );
    }
    let r = common::udp(xfr, &common::query("elsewhere.test.", Wire::SOA, false)).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NotAuth);

    let secondary = tokio::task::spawn_blocking(move || {
        Bind::builder("other.test.")
            .key(tsig)
            .signed_transfers()
            .secondary_of(xfr)
            .start()
    })
    .await
    .expect("start BIND");
    assert_eq!(
        secondary.query("www.other.test.", Wire::A).values,
        vec!["192.0.2.20"]
    );
    server.stop().await;
}

/// In a zone with transfers a change of the TTL alone takes a new serial
/// (committed for the secondaries, with a NOTIFY), so they serve the
/// lowered TTL too; without transfers it keeps the serial (tests/write.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_transferred_zone_a_ttl_change_takes_a_new_serial() {
    let (_, ours) = key();
    let server = primary(ours, Vec::new()).await;
    let before = server.store().zone(common::ZONE).expect("zone").serial();
    let provider = EmbeddedProvider::new(server.clone());
    let change = Change::new(
        WWW,
        RecordType::A,
        vec![set(&["192.0.2.10"], 30)],
        vec![set(&["192.0.2.10"], 5)],
    )
    .expect("change");
    let receipt = provider.apply(common::ZONE, &change).await.expect("write");
    let after: u32 = receipt.id.parse().expect("the receipt is the serial");
    assert!(after > before, "serial {before} -> {after}");
    let transfers = server.store().transfers();
    let t = transfers.values().next().expect("the zone's transfers");
    assert_eq!(t.serial(), after, "committed for the secondaries");
}
