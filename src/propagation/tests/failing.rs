//! Resolvers that never answer or answer SERVFAIL: the watch carries on with the others and says what happened.

use std::net::SocketAddr;

use hickory_proto::op::{Message, OpCode, ResponseCode};
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::unbound::Unbound;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{ZONE, flip, server, spec};
use crate::propagation::{ClientCheck, EndReason, Marker, PathState, discover, watch};

/// A UDP "resolver" on loopback that reads every query; `servfail` decides
/// whether it answers SERVFAIL or drops the query.
async fn fake_resolver(servfail: bool) -> (SocketAddr, JoinHandle<()>) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
    let addr = sock.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            if !servfail {
                continue;
            }
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut r = Message::error_msg(q.metadata.id, OpCode::Query, ResponseCode::ServFail);
            r.queries = q.queries.clone();
            if let Ok(bytes) = r.to_vec() {
                let _ = sock.send_to(&bytes, from).await;
            }
        }
    });
    (addr, task)
}

#[tokio::test]
async fn silent_and_servfail_resolvers_are_reported_not_waited_for() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let unbound = Unbound::start(ZONE, bind.addr);
    let (silent, silent_task) = fake_resolver(false).await;
    let (servfail, servfail_task) = fake_resolver(true).await;
    let start = Instant::now();
    flip(&bind, "www.example.test.", 300, "127.0.0.3").await;

    let mut s = spec("www.example.test.", "127.0.0.3", start);
    s.authoritatives = vec![server("bind", bind.addr)];
    s.resolvers = vec![
        server("unbound", unbound.addr),
        server("silent", silent),
        server("servfail", servfail),
    ];
    let out = watch(s, CancellationToken::new(), None).await;
    silent_task.abort();
    servfail_task.abort();

    assert_eq!(out.end, EndReason::ConvergedExceptFailing, "{out:#?}");
    assert_eq!(out.authoritatives[0].state, PathState::Converged);
    let [good, quiet, broken] = &out.resolvers[..] else {
        panic!("three resolvers: {out:#?}");
    };
    assert_eq!(good.state, PathState::Converged);
    assert!(good.switched_ms.is_some());
    assert_eq!(quiet.state, PathState::Failing);
    assert!(quiet.queries.timeouts >= 5 && quiet.queries.servfails == 0);
    assert!(quiet.switched_ms.is_none());
    assert_eq!(broken.state, PathState::Failing);
    assert!(broken.queries.servfails >= 5 && broken.queries.timeouts == 0);
    assert_eq!(broken.queries.last_error.as_deref(), Some("SERVFAIL"));
    assert_eq!(out.outstanding, ["resolver silent", "resolver servfail"]);
}

#[tokio::test]
async fn cancel_ends_the_watch_with_what_is_outstanding() {
    let (silent, silent_task) = fake_resolver(false).await;
    let mut s = spec("www.example.test.", "127.0.0.3", Instant::now());
    s.authoritatives = vec![server("silent-auth", silent)];
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        stopper.cancel();
    });
    let out = watch(s, cancel, None).await;
    silent_task.abort();
    assert_eq!(out.end, EndReason::Cancelled);
    assert_eq!(out.outstanding, ["authoritative silent-auth"]);
}

#[tokio::test]
async fn deadline_ends_the_watch_with_what_is_outstanding() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let mut s = spec("www.example.test.", "127.0.0.9", Instant::now());
    s.authoritatives = vec![server("bind", bind.addr)];
    s.deadline = std::time::Duration::from_millis(800);
    let out = watch(s, CancellationToken::new(), None).await;
    assert_eq!(out.end, EndReason::Deadline);
    assert_eq!(out.authoritatives[0].state, PathState::Old);
    assert_eq!(out.authoritatives[0].last_values, ["127.0.0.2"]);
    assert_eq!(out.outstanding, ["authoritative bind"]);
}

#[tokio::test]
async fn authoritatives_are_found_from_the_zone_ns_records() {
    let bind = Bind::start(ZONE, &["www 300 IN A 127.0.0.2"]);
    let unbound = Unbound::start(ZONE, bind.addr);
    let found = discover(ZONE, unbound.addr).await.expect("NS found");
    // The test zone names ns1.example.test. at 127.0.0.1; port 53 is assumed.
    assert_eq!(
        found,
        [server(
            "ns1.example.test.",
            "127.0.0.1:53".parse().expect("addr")
        )]
    );
}

#[tokio::test]
async fn a_spec_that_cannot_work_ends_at_once_and_says_why() {
    let mut s = spec("www.example.test.", "127.0.0.3", Instant::now());
    s.expected.clear();
    let out = watch(s, CancellationToken::new(), None).await;
    assert_eq!(out.end, EndReason::Invalid);
    assert!(out.notes[0].contains("nothing expected"), "{:?}", out.notes);

    let mut s = spec("www.example.test.", "127.0.0.3", Instant::now());
    s.client = Some(ClientCheck {
        url: "ftp://www.example.test/healthz".into(),
        marker: Marker::Body("standby".into()),
        old_marker: None,
    });
    let out = watch(s, CancellationToken::new(), None).await;
    assert_eq!(out.end, EndReason::Invalid);
    assert!(out.notes[0].contains("client URL"), "{:?}", out.notes);
}
