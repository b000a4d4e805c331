//! A record group on the embedded server: every record of the group is
//! swapped at once (one swap, one serial), or none when any member is not
//! what its change expects.

mod common;

use std::time::Duration;

use common::{ZONE, query, served_serial, start, udp, values};
use hickory_proto::rr::RecordType as Wire;
use rtoguard_embedded::EmbeddedProvider;
use rtoguard_provider_api::{
    Change, ChangeSet, Provider, ProviderError, RecordSet, RecordType, SyncState,
};

const WWW: &str = "www.example.test.";
const ALIAS: &str = "alias.example.test.";

fn set(name: &str, rtype: RecordType, value: &str) -> RecordSet {
    RecordSet::new(name, rtype, 30, [value])
}

/// A member: name, type, the value served, the value it moves to.
type Member = (&'static str, RecordType, &'static str, &'static str);

/// The group's members as the test zone serves them, and where they go.
fn members() -> [Member; 3] {
    [
        (WWW, RecordType::A, "192.0.2.10", "198.51.100.7"),
        (WWW, RecordType::AAAA, "2001:db8::10", "2001:db8::7"),
        (
            ALIAS,
            RecordType::CNAME,
            "www.example.test.",
            "out.example.test.",
        ),
    ]
}

/// The group change from what is served to the new values; `stale` makes
/// the last member expect a value that is not served.
fn flip(stale: bool) -> ChangeSet {
    let n = members().len();
    let changes = members()
        .into_iter()
        .enumerate()
        .map(|(i, (name, rtype, old, new))| {
            let old = if stale && i + 1 == n {
                "gone.example.test."
            } else {
                old
            };
            Change::new(
                name,
                rtype,
                vec![set(name, rtype, old)],
                vec![set(name, rtype, new)],
            )
            .expect("a valid change")
        })
        .collect();
    ChangeSet::new(changes).expect("a valid group")
}

/// One value of each member, as [`answers`] gives them.
fn values_of(value: fn(&Member) -> &'static str) -> Vec<Vec<String>> {
    members()
        .iter()
        .map(|m| vec![value(m).to_string()])
        .collect()
}

/// What the server answers for every member of the group.
async fn answers(addr: std::net::SocketAddr) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (name, rtype, _, _) in members() {
        let wire = match rtype {
            RecordType::A => Wire::A,
            RecordType::AAAA => Wire::AAAA,
            RecordType::CNAME => Wire::CNAME,
        };
        out.push(values(&udp(addr, &query(name, wire, false)).await));
    }
    out
}

#[tokio::test]
async fn a_group_is_swapped_whole_with_one_serial() {
    let s = start().await;
    let addr = s.addrs()[0];
    let p = EmbeddedProvider::new(s.clone());
    let before = served_serial(addr).await;
    let group = flip(false);
    let receipt = p.apply_all(ZONE, &group).await.expect("the group applies");
    let after = served_serial(addr).await;
    assert!(after > before, "serial {before} -> {after}");
    assert_eq!(
        receipt.id,
        after.to_string(),
        "one swap: one serial for all"
    );
    assert_eq!(
        p.wait_in_sync_all(ZONE, &group, &receipt, Duration::ZERO)
            .await
            .expect("in sync"),
        SyncState::InSync
    );
    assert_eq!(answers(addr).await, values_of(|m| m.3));
}

#[tokio::test]
async fn one_stale_member_refuses_the_whole_group() {
    let s = start().await;
    let addr = s.addrs()[0];
    let p = EmbeddedProvider::new(s.clone());
    let before = served_serial(addr).await;
    let err = p.apply_all(ZONE, &flip(true)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains(ALIAS), "names the member: {err}");
    assert_eq!(served_serial(addr).await, before, "no new serial");
    assert_eq!(answers(addr).await, values_of(|m| m.2), "no member moved");
}

#[tokio::test]
async fn a_restarted_server_serves_every_member_last_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = common::settings(0);
    settings.state_file = Some(dir.path().join("embedded-edge.json"));
    let first = rtoguard_embedded::Embedded::start(&settings).await.unwrap();
    EmbeddedProvider::new(first.clone())
        .apply_all(ZONE, &flip(false))
        .await
        .expect("the group applies");
    drop(first);
    let again = rtoguard_embedded::Embedded::start(&settings).await.unwrap();
    assert_eq!(answers(again.addrs()[0]).await, values_of(|m| m.3));
}
