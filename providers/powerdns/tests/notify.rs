//! After a write to a primary zone: the serial bumped by SOA-EDIT-API, and
//! the NOTIFY rtoguard asks PowerDNS for, checked with a BIND secondary.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use hickory_proto::rr::RecordType as Wire;
use rtoguard_provider_api::Provider;
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net::{free_port, lo};
use rtoguard_testkit::pdns::Pdns;

#[tokio::test]
async fn a_flip_reaches_a_secondary_by_the_notify_powerdns_sends() {
    let port = free_port(lo(1));
    let pdns = Pdns::start_primary(
        ZONE,
        &[("www", "A", 300, &["127.0.0.2"])],
        SocketAddr::new(lo(1), port),
    );
    let secondary = Bind::builder(ZONE)
        .secondary_of(pdns.addr)
        .port(port)
        .start();
    assert_eq!(secondary.query(WWW, Wire::A).values, ["127.0.0.2"]);
    let p = provider(&pdns);
    let receipt = p
        .apply(ZONE, &flip(&["127.0.0.2"], &["127.0.0.3"], 300))
        .await
        .unwrap();
    let serial: u32 = receipt.id.parse().unwrap();
    // The zone's SOA refresh is hours and PowerDNS's own check for changed
    // serials a minute: only the NOTIFY rtoguard asks for brings the
    // secondary up to date within seconds.
    let start = tokio::time::Instant::now();
    while secondary.query(WWW, Wire::A).values != ["127.0.0.3"] {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the secondary still serves {:?} (serial {}, primary's {serial}):\n{}",
            secondary.query(WWW, Wire::A).values,
            secondary.serial(),
            pdns.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(secondary.serial(), serial);
}
