//! Changes through the PowerDNS provider against a real pdns_server: flips, TTL, serial, conflicts, throttling, refusals.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use hickory_proto::rr::RecordType as Wire;
use rtoguard_powerdns::PowerDnsProvider;
use rtoguard_provider_api::{Provider, RecordType, SyncState};

#[tokio::test]
async fn a_flip_is_served_on_the_dns_port_with_a_new_serial() {
    let pdns = server();
    pdns.replace("api", "A", 120, &["127.0.0.9"]);
    let before = pdns.serial();
    let p = provider(&pdns);
    let change = flip(&["127.0.0.2"], &["127.0.0.3", "127.0.0.4"], 60);
    let receipt = p.apply(ZONE, &change).await.unwrap();
    assert_eq!(receipt.status, "applied");
    let serial: u32 = receipt.id.parse().unwrap();
    assert!(serial > before, "serial {serial} after {before}");
    let state = p
        .wait_in_sync(ZONE, &change, &receipt, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(state, SyncState::InSync);
    let answer = pdns.query("www", Wire::A);
    assert_eq!(answer.values, ["127.0.0.3", "127.0.0.4"]);
    assert_eq!(answer.ttl, 60);
    assert_eq!(pdns.serial(), serial);
    // The other rrset is untouched.
    assert_eq!(pdns.query("api", Wire::A).values, ["127.0.0.9"]);
    // Applying it again is a conflict (the expected state is gone).
    assert_eq!(p.apply(ZONE, &change).await.unwrap_err().kind(), "conflict");
}

#[tokio::test]
async fn a_ttl_change_keeps_the_values_and_a_noop_writes_nothing() {
    let pdns = server();
    let p = provider(&pdns);
    let lower = flip(&["127.0.0.2"], &["127.0.0.2"], 30);
    let r = p.apply(ZONE, &lower).await.unwrap();
    assert_eq!(r.status, "applied");
    assert_eq!(pdns.query("www", Wire::A).ttl, 30);
    let serial = pdns.serial();
    let same = rtoguard_provider_api::Change::new(
        WWW,
        RecordType::A,
        vec![a(30, &["127.0.0.2"])],
        vec![a(30, &["127.0.0.2"])],
    )
    .unwrap();
    let r = p.apply(ZONE, &same).await.unwrap();
    assert_eq!(r.status, "unchanged");
    assert_eq!(pdns.serial(), serial, "a no-op bumped the serial");
}

#[tokio::test]
async fn a_rival_write_between_read_and_write_is_a_conflict_and_stays() {
    let pdns = server();
    let p = provider(&pdns);
    // The controller read 127.0.0.2; a rival moves the record before it writes.
    let seen = p.read(ZONE, WWW, RecordType::A).await.unwrap();
    assert_eq!(seen, vec![a(300, &["127.0.0.2"])]);
    pdns.replace("www", "A", 300, &["127.0.0.5"]);
    let err = p
        .apply(ZONE, &flip(&["127.0.0.2"], &["127.0.0.3"], 300))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "conflict", "{err}");
    assert!(err.to_string().contains("127.0.0.5"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(
        pdns.query("www", Wire::A).values,
        ["127.0.0.5"],
        "the rival's write stays"
    );
}

#[tokio::test]
async fn throttling_is_retried_with_backoff_and_the_change_lands_once() {
    let pdns = server();
    let throttle = Behaviour {
        throttle: 2,
        ..Behaviour::default()
    };
    let relay = Relay::start(pdns.web_addr(), throttle).await;
    let p = PowerDnsProvider::new(settings(&pdns, &relay.url, &pdns.api_key))
        .unwrap()
        .with_retry_policy(quick());
    let before = pdns.serial();
    let r = p
        .apply(ZONE, &flip(&["127.0.0.2"], &["127.0.0.3"], 300))
        .await
        .unwrap();
    assert_eq!(r.status, "applied");
    assert_eq!(pdns.query("www", Wire::A).values, ["127.0.0.3"]);
    // Two 429s, then read, PATCH, read back.
    assert_eq!(relay.seen.load(Ordering::SeqCst), 5);
    assert_eq!(r.id.parse::<u32>().unwrap(), pdns.serial());
    assert!(pdns.serial() > before);
}

#[tokio::test]
async fn a_rival_write_right_after_ours_is_caught_by_the_read_back() {
    let pdns = server();
    let rival = serde_json::json!({"rrsets": [{"name": WWW, "type": "A", "ttl": 300,
        "changetype": "REPLACE", "records": [{"content": "127.0.0.6", "disabled": false}]}]});
    let behaviour = Behaviour {
        rival_after_patch: Some((format!("/api/v1/servers/localhost/zones/{ZONE}"), rival)),
        ..Behaviour::default()
    };
    let relay = Relay::start(pdns.web_addr(), behaviour).await;
    let p = PowerDnsProvider::new(settings(&pdns, &relay.url, &pdns.api_key))
        .unwrap()
        .with_retry_policy(quick());
    let err = p
        .apply(ZONE, &flip(&["127.0.0.2"], &["127.0.0.3"], 300))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "conflict", "{err}");
    assert!(err.to_string().contains("after the write"), "{err}");
    assert!(err.to_string().contains("127.0.0.6"), "{err}");
    assert_eq!(pdns.query("www", Wire::A).values, ["127.0.0.6"]);
}

#[tokio::test]
async fn records_powerdns_refuses_are_a_bad_request_that_says_why() {
    let pdns = server();
    let p = provider(&pdns);
    let c = rtoguard_provider_api::Change::new(
        WWW,
        RecordType::CNAME,
        vec![],
        vec![rtoguard_provider_api::RecordSet::new(
            WWW,
            RecordType::CNAME,
            60,
            ["standby.example.net."],
        )],
    )
    .unwrap();
    // A CNAME beside the A record: PowerDNS answers 422.
    let err = p.apply(ZONE, &c).await.unwrap_err();
    assert_eq!(err.kind(), "bad-request", "{err}");
    assert!(err.to_string().contains("422"), "{err}");
    assert_eq!(pdns.query("www", Wire::A).values, ["127.0.0.2"]);
}

#[tokio::test]
async fn in_sync_reads_the_api_without_a_dns_port_and_waits_out_a_silent_one() {
    let pdns = server();
    let mut s = settings(&pdns, &pdns.api_url, &pdns.api_key);
    s.dns_server = None;
    let p = PowerDnsProvider::new(s.clone()).unwrap();
    let change = flip(&["127.0.0.2"], &["127.0.0.3"], 300);
    let r = p.apply(ZONE, &change).await.unwrap();
    let state = p
        .wait_in_sync(ZONE, &change, &r, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(state, SyncState::InSync);
    // Nothing answers on this DNS port: not in sync yet, and not an error.
    let lo = rtoguard_testkit::net::lo(1);
    s.dns_server = Some(std::net::SocketAddr::new(
        lo,
        rtoguard_testkit::net::free_port(lo),
    ));
    let p = PowerDnsProvider::new(s).unwrap();
    let state = p
        .wait_in_sync(ZONE, &change, &r, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(state, SyncState::Pending);
}

#[tokio::test]
async fn a_flip_keeps_a_parked_disabled_record_and_the_comments() {
    let pdns = server();
    let path = format!("/servers/localhost/zones/{ZONE}");
    let body = serde_json::json!({"rrsets": [{"name": WWW, "type": "A", "ttl": 300,
        "changetype": "REPLACE",
        "records": [{"content": "127.0.0.2", "disabled": false}, {"content": "127.0.0.9", "disabled": true}],
        "comments": [{"content": "127.0.0.9 parked for maintenance", "account": "ops"}]}]});
    assert_eq!(pdns.api("PATCH", &path, Some(&body)).0, 204);
    let p = provider(&pdns);
    // The disabled record is not served, so not part of what is read.
    assert_eq!(
        p.read(ZONE, WWW, RecordType::A).await.unwrap(),
        vec![a(300, &["127.0.0.2"])]
    );
    p.apply(ZONE, &flip(&["127.0.0.2"], &["127.0.0.3"], 300))
        .await
        .unwrap();
    assert_eq!(pdns.query("www", Wire::A).values, ["127.0.0.3"]);
    // The whole zone: PowerDNS 4.7 leaves disabled records out of a filtered answer.
    let (_, text) = pdns.api("GET", &path, None);
    let zone: serde_json::Value = serde_json::from_str(&text).unwrap();
    let set = zone["rrsets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == WWW && s["type"] == "A")
        .unwrap();
    let parked: Vec<&serde_json::Value> = set["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["disabled"] == true)
        .collect();
    assert_eq!(parked.len(), 1, "{set}");
    assert_eq!(parked[0]["content"], "127.0.0.9");
    assert_eq!(
        set["comments"][0]["content"],
        "127.0.0.9 parked for maintenance"
    );
}
