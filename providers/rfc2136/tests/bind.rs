//! The RFC 2136 provider against a real BIND 9 on loopback, one server per test.

use std::time::Duration;

use hickory_proto::rr::RecordType as WireType;
use rtoguard_provider_api::{Change, Provider, ProviderError, RecordSet, RecordType, SyncState};
use rtoguard_rfc2136::{Rfc2136Provider, Rfc2136Settings};
use rtoguard_testkit::bind::Bind;

const ZONE: &str = "example.test.";
const WWW: &str = "www.example.test.";

fn settings(bind: &Bind) -> Rfc2136Settings {
    Rfc2136Settings {
        name: "corp-bind".into(),
        server: bind.addr,
        key_name: bind.key.name.clone(),
        algorithm: bind.key.algorithm.parse().expect("algorithm BIND knows"),
        secret_base64: bind.key.secret.clone(),
        timeout: Duration::from_secs(2),
        requests_per_second: 50,
    }
}

fn provider(bind: &Bind) -> Rfc2136Provider {
    Rfc2136Provider::new(settings(bind)).expect("provider from BIND's key")
}

fn a(ttl: u32, values: &[&str]) -> RecordSet {
    RecordSet::new(WWW, RecordType::A, ttl, values)
}

fn change(expected: Vec<RecordSet>, desired: RecordSet) -> Change {
    Change::new(WWW, RecordType::A, expected, vec![desired]).expect("valid change")
}

/// What BIND serves at www, as (values, ttl).
fn served(bind: &Bind) -> (Vec<String>, u32) {
    let answer = bind.query(WWW, WireType::A);
    (answer.values, answer.ttl)
}

#[tokio::test]
async fn creates_a_record_set_and_reads_it_back() {
    let bind = Bind::start(ZONE, &[]);
    let p = provider(&bind);
    assert_eq!(p.read(ZONE, WWW, RecordType::A).await.unwrap(), vec![]);

    let receipt = p
        .apply(ZONE, &change(vec![], a(60, &["127.0.0.2"])))
        .await
        .unwrap();

    assert_eq!(served(&bind), (vec!["127.0.0.2".to_string()], 60));
    assert_eq!(receipt.id, bind.serial().to_string());
    assert_eq!(receipt.status, "NOERROR");
    let read = p.read(ZONE, WWW, RecordType::A).await.unwrap();
    assert_eq!(read, vec![a(60, &["127.0.0.2"])]);
    assert_eq!(read[0].weight, None);
}

#[tokio::test]
async fn creating_over_an_existing_set_conflicts() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let p = provider(&bind);
    let before = bind.serial();
    let err = p
        .apply(ZONE, &change(vec![], a(60, &["127.0.0.3"])))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert_eq!(served(&bind), (vec!["127.0.0.2".to_string()], 300));
    assert_eq!(bind.serial(), before);
}

#[tokio::test]
async fn flips_the_values() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2", "www 300 IN A 127.0.0.5"]);
    let p = provider(&bind);
    let current = p.read(ZONE, WWW, RecordType::A).await.unwrap();
    assert_eq!(current, vec![a(300, &["127.0.0.2", "127.0.0.5"])]);

    p.apply(ZONE, &change(current, a(300, &["127.0.0.3"])))
        .await
        .unwrap();

    assert_eq!(served(&bind), (vec!["127.0.0.3".to_string()], 300));
}

#[tokio::test]
async fn changes_only_the_ttl() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let p = provider(&bind);
    let before = bind.serial();

    p.apply(
        ZONE,
        &change(vec![a(300, &["127.0.0.2"])], a(30, &["127.0.0.2"])),
    )
    .await
    .unwrap();

    assert_eq!(served(&bind), (vec!["127.0.0.2".to_string()], 30));
    assert!(bind.serial() > before);
}

#[tokio::test]
async fn signs_with_hmac_sha512() {
    let bind = Bind::builder(ZONE)
        .algorithm("hmac-sha512")
        .records(&["www 300 IN A 127.0.0.2"])
        .start();
    let p = provider(&bind);
    p.apply(
        ZONE,
        &change(vec![a(300, &["127.0.0.2"])], a(300, &["127.0.0.3"])),
    )
    .await
    .unwrap();
    assert_eq!(served(&bind).0, vec!["127.0.0.3".to_string()]);
}

#[tokio::test]
async fn a_wrong_key_is_an_auth_error_without_the_secret() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let wrong_secret = rtoguard_testkit::random_secret();
    let p = Rfc2136Provider::new(Rfc2136Settings {
        secret_base64: wrong_secret.clone(),
        ..settings(&bind)
    })
    .unwrap();
    let before = bind.serial();

    let err = p
        .apply(
            ZONE,
            &change(vec![a(300, &["127.0.0.2"])], a(300, &["127.0.0.3"])),
        )
        .await
        .unwrap_err();

    let ProviderError::Auth {
        credential_source, ..
    } = &err
    else {
        panic!("expected an auth error, got {err}");
    };
    assert_eq!(credential_source, "TSIG key rtoguard.");
    assert!(!err.is_retryable());
    for shown in [err.to_string(), format!("{err:?}"), format!("{p:?}")] {
        assert!(!shown.contains(&wrong_secret), "{shown}");
        assert!(!shown.contains(&bind.key.secret), "{shown}");
    }
    assert_eq!(served(&bind).0, vec!["127.0.0.2".to_string()]);
    assert_eq!(bind.serial(), before);
}

#[tokio::test]
async fn a_concurrent_writer_wins_and_the_late_one_conflicts() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let us = provider(&bind);
    let other = provider(&bind);
    let seen = us.read(ZONE, WWW, RecordType::A).await.unwrap();

    // Another controller flips between our read and our write.
    other
        .apply(ZONE, &change(seen.clone(), a(300, &["127.0.0.4"])))
        .await
        .unwrap();
    let err = us
        .apply(ZONE, &change(seen, a(300, &["127.0.0.3"])))
        .await
        .unwrap_err();

    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(served(&bind).0, vec!["127.0.0.4".to_string()]);
}

#[tokio::test]
async fn a_stale_expected_state_after_a_flip_conflicts() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let p = provider(&bind);
    let flip = change(vec![a(300, &["127.0.0.2"])], a(300, &["127.0.0.3"]));
    p.apply(ZONE, &flip).await.unwrap();
    let after_flip = bind.serial();

    let stale = change(vec![a(300, &["127.0.0.2"])], a(300, &["127.0.0.6"]));
    let err = p.apply(ZONE, &stale).await.unwrap_err();

    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert_eq!(served(&bind).0, vec!["127.0.0.3".to_string()]);
    assert_eq!(bind.serial(), after_flip);
}

#[tokio::test]
async fn a_large_record_set_is_written_and_read_over_tcp() {
    let bind = Bind::start(ZONE, &[]);
    let p = provider(&bind);
    let values: Vec<String> = (1..=60).map(|i| format!("127.0.1.{i}")).collect();
    let big = RecordSet::new(WWW, RecordType::A, 300, &values);

    // 60 A records do not fit a 512-byte message: the update goes over TCP.
    p.apply(ZONE, &change(vec![], big.clone())).await.unwrap();

    // Over UDP without EDNS the answer is truncated...
    let udp = bind.query(WWW, WireType::A);
    assert!(
        udp.values.len() < values.len(),
        "UDP held {} values",
        udp.values.len()
    );
    // ...and the provider fetches it whole over TCP.
    assert_eq!(p.read(ZONE, WWW, RecordType::A).await.unwrap(), vec![big]);
}

#[tokio::test]
async fn waits_until_the_flip_is_in_sync() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let p = provider(&bind);
    let flip = change(vec![a(300, &["127.0.0.2"])], a(300, &["127.0.0.3"]));
    let receipt = p.apply(ZONE, &flip).await.unwrap();

    let state = p
        .wait_in_sync(ZONE, &flip, &receipt, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(state, SyncState::InSync);

    // A change the server never got stays pending.
    let never = change(vec![a(300, &["127.0.0.3"])], a(300, &["127.0.0.9"]));
    let state = p
        .wait_in_sync(ZONE, &never, &receipt, Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(state, SyncState::Pending);
}

#[tokio::test]
async fn an_empty_desired_set_is_never_sent() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let before = bind.serial();

    let err = Change::new(WWW, RecordType::A, vec![a(300, &["127.0.0.2"])], vec![]).unwrap_err();
    assert!(matches!(err, ProviderError::Refused(_)), "{err}");
    let err = Change::new(WWW, RecordType::A, vec![], vec![a(300, &[])]).unwrap_err();
    assert!(matches!(err, ProviderError::Refused(_)), "{err}");

    assert_eq!(bind.serial(), before);
    assert_eq!(served(&bind).0, vec!["127.0.0.2".to_string()]);
}

#[tokio::test]
async fn weighted_and_foreign_changes_are_bad_requests() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let p = provider(&bind);
    let before = bind.serial();

    let weighted = change(vec![], a(300, &["127.0.0.3"]).with_weight("primary", 100));
    let err = p.apply(ZONE, &weighted).await.unwrap_err();
    assert!(matches!(err, ProviderError::BadRequest { .. }), "{err}");

    let err = p
        .apply("other.test.", &change(vec![], a(300, &["127.0.0.3"])))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::BadRequest { .. }), "{err}");

    assert_eq!(bind.serial(), before);
    assert_eq!(p.capabilities().ttl_floor, 1);
    assert!(!p.capabilities().weighted);
}

#[tokio::test]
async fn creates_aaaa_and_cname_sets() {
    let bind = Bind::start(ZONE, &[]);
    let p = provider(&bind);
    let v6 = RecordSet::new("v6.example.test.", RecordType::AAAA, 60, ["2001:DB8::1"]);
    p.apply(
        ZONE,
        &Change::new(
            "v6.example.test.",
            RecordType::AAAA,
            vec![],
            vec![v6.clone()],
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let alias = RecordSet::new(
        "alias.example.test.",
        RecordType::CNAME,
        60,
        ["WWW.example.test"],
    );
    p.apply(
        ZONE,
        &Change::new(
            "alias.example.test.",
            RecordType::CNAME,
            vec![],
            vec![alias.clone()],
        )
        .unwrap(),
    )
    .await
    .unwrap();

    assert_eq!(
        p.read(ZONE, "v6.example.test.", RecordType::AAAA)
            .await
            .unwrap(),
        vec![v6]
    );
    assert_eq!(
        bind.query("alias.example.test.", WireType::CNAME).values,
        vec![WWW.to_string()]
    );
    assert_eq!(
        p.read(ZONE, "alias.example.test.", RecordType::CNAME)
            .await
            .unwrap(),
        vec![alias]
    );
}

#[tokio::test]
async fn a_stopped_server_times_out_on_read() {
    let mut bind = Bind::start(ZONE, &[]);
    let p = Rfc2136Provider::new(Rfc2136Settings {
        timeout: Duration::from_millis(200),
        ..settings(&bind)
    })
    .unwrap();
    bind.stop();
    let err = p.read(ZONE, WWW, RecordType::A).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
}

/// Send SIGSTOP or SIGCONT to named.
fn signal(bind: &Bind, sig: &str) {
    let pid = bind.pid().expect("named runs").to_string();
    let status = std::process::Command::new("kill")
        .args([sig, &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {sig} {pid}");
}

#[tokio::test]
async fn an_update_whose_answer_was_lost_is_reported_done() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let p = Rfc2136Provider::new(Rfc2136Settings {
        timeout: Duration::from_millis(300),
        ..settings(&bind)
    })
    .unwrap();
    let flip = change(vec![a(300, &["127.0.0.2"])], a(300, &["127.0.0.3"]));

    // The server stalls: the first attempt times out, but named still holds
    // the update and applies it once it runs again. A blind retry would then
    // fail its prerequisite; the provider must see its own work done instead.
    signal(&bind, "-STOP");
    let task = tokio::spawn(async move { p.apply(ZONE, &flip).await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    signal(&bind, "-CONT");
    let receipt = task
        .await
        .expect("apply task")
        .expect("apply after a stall");

    assert_eq!(served(&bind).0, vec!["127.0.0.3".to_string()]);
    assert_eq!(receipt.id, bind.serial().to_string());
}
