//! Client reach: requests through unbound's answer find the new region when an independent client loop does.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::time::Duration;

use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net;
use rtoguard_testkit::region::Region;
use rtoguard_testkit::unbound::Unbound;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{ZONE, align_late_in_second, flip, flip_record, prime, server, spec};
use crate::propagation::{ClientCheck, EndReason, Marker, watch};

const NAME: &str = "www.example.test.";

/// A port free on both 127.0.0.2 and 127.0.0.3.
fn shared_port() -> u16 {
    loop {
        let port = net::free_port(net::lo(2));
        if TcpListener::bind((net::lo(3), port)).is_ok() {
            return port;
        }
    }
}

/// The test's own client: ask unbound, connect to what it says, look for the
/// standby marker; returns when it is first seen.
async fn independent_client(resolver: SocketAddr, port: u16) -> Instant {
    loop {
        let answer = tokio::task::spawn_blocking(move || {
            rtoguard_testkit::dns::query(resolver, NAME, RecordType::A, true)
        })
        .await
        .expect("query task");
        if let Some(ip) = answer
            .ok()
            .and_then(|a| a.values.first()?.parse::<IpAddr>().ok())
            && marker_seen(SocketAddr::new(ip, port)).await
        {
            return Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn marker_seen(to: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect(to).await else {
        return false;
    };
    let req = "GET /healthz HTTP/1.0\r\nHost: www.example.test\r\n\r\n";
    if s.write_all(req.as_bytes()).await.is_err() {
        return false;
    }
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp).await;
    let ok = resp.starts_with("HTTP/1.0 200") || resp.starts_with("HTTP/1.1 200");
    ok && resp.to_ascii_lowercase().contains("x-region: standby")
}

#[tokio::test]
async fn first_client_success_agrees_with_an_independent_client() {
    let port = shared_port();
    let primary = Region::start_at(SocketAddr::new(net::lo(2), port), "primary");
    let standby = Region::start_at(SocketAddr::new(net::lo(3), port), "standby");
    let bind = Bind::start(ZONE, &["www 5 IN A 127.0.0.2"]);
    let unbound = Unbound::start(ZONE, bind.addr);
    align_late_in_second().await;
    let start = Instant::now();
    assert_eq!(prime(unbound.addr, NAME).await.0, ["127.0.0.2"]);
    flip(&bind, NAME, 5, "127.0.0.3").await;

    let mut s = spec(NAME, "127.0.0.3", start);
    s.authoritatives = vec![server("bind", bind.addr)];
    s.resolvers = vec![server("unbound", unbound.addr)];
    let header = |v: &str| Marker::Header {
        name: "x-region".into(),
        value: v.into(),
    };
    s.client = Some(ClientCheck {
        url: format!("http://www.example.test:{port}/healthz"),
        marker: header("standby"),
        old_marker: Some(header("primary")),
    });
    let independent = tokio::spawn(independent_client(unbound.addr, port));
    let out = watch(s, CancellationToken::new(), None).await;
    let seen = independent.await.expect("independent client");

    assert_eq!(out.end, EndReason::Converged, "{out:#?}");
    let c = &out.clients[0];
    let reached = c.reached_ms.expect("client reached the standby");
    let independent_ms = u64::try_from((seen - start).as_millis()).expect("small");
    assert!(
        reached.abs_diff(independent_ms) <= 500,
        "watch {reached} ms, independent client {independent_ms} ms"
    );
    assert!(c.old_pool >= 1, "requests went to the primary first: {c:?}");
    assert_eq!(
        c.last_addr,
        Some(SocketAddr::new(net::lo(3), port).to_string())
    );
    assert!(primary.requests() >= 1 && standby.requests() >= 1);
    let switched = out.resolvers[0].switched_ms.expect("unbound switched");
    assert!(
        reached >= switched,
        "reached {reached} ms before the switch {switched} ms"
    );
}

#[tokio::test]
async fn cname_flip_is_followed_to_the_new_target() {
    let port = shared_port();
    let primary = Region::start_at(SocketAddr::new(net::lo(2), port), "primary");
    let standby = Region::start_at(SocketAddr::new(net::lo(3), port), "standby");
    let bind = Bind::start(
        ZONE,
        &[
            "www 5 IN CNAME blue",
            "blue 300 IN A 127.0.0.2",
            "green 300 IN A 127.0.0.3",
        ],
    );
    let unbound = Unbound::start(ZONE, bind.addr);
    let start = Instant::now();
    assert_eq!(prime(unbound.addr, NAME).await.0, ["127.0.0.2"]);
    flip_record(&bind, NAME, 5, "CNAME", "green.example.test.").await;

    let mut s = spec(NAME, "green.example.test", start);
    s.rtype = RecordType::CNAME;
    s.authoritatives = vec![server("bind", bind.addr)];
    s.resolvers = vec![server("unbound", unbound.addr)];
    s.client = Some(ClientCheck {
        url: format!("http://www.example.test:{port}/healthz"),
        marker: Marker::Body("region standby".into()),
        old_marker: Some(Marker::Body("region primary".into())),
    });
    let out = watch(s, CancellationToken::new(), None).await;

    assert_eq!(out.end, EndReason::Converged, "{out:#?}");
    assert_eq!(out.expected, ["green.example.test."]);
    assert_eq!(out.resolvers[0].last_values, ["green.example.test."]);
    let c = &out.clients[0];
    assert!(
        c.old_pool >= 1,
        "the cached CNAME led to the primary first: {c:?}"
    );
    assert_eq!(
        c.last_addr,
        Some(SocketAddr::new(net::lo(3), port).to_string())
    );
    assert!(primary.requests() >= 1 && standby.requests() >= 1);
}

/// A planned move with a healthy old pool: its answers (200, its own
/// marker) are old-pool answers, never failures, even when the watch was
/// not told the old pool's marker.
#[tokio::test]
async fn answers_from_a_healthy_old_pool_are_not_failures() {
    let port = shared_port();
    let _primary = Region::start_at(SocketAddr::new(net::lo(2), port), "primary");
    let _standby = Region::start_at(SocketAddr::new(net::lo(3), port), "standby");
    let bind = Bind::start(ZONE, &["www 3 IN A 127.0.0.2"]);
    let unbound = Unbound::start(ZONE, bind.addr);
    align_late_in_second().await;
    let start = Instant::now();
    assert_eq!(prime(unbound.addr, NAME).await.0, ["127.0.0.2"]);
    flip(&bind, NAME, 3, "127.0.0.3").await;

    let mut s = spec(NAME, "127.0.0.3", start);
    s.authoritatives = vec![server("bind", bind.addr)];
    s.resolvers = vec![server("unbound", unbound.addr)];
    s.client = Some(ClientCheck {
        url: format!("http://www.example.test:{port}/healthz"),
        marker: Marker::Body("region standby".into()),
        old_marker: None,
    });
    let out = watch(s, CancellationToken::new(), None).await;

    assert_eq!(out.end, EndReason::Converged, "{out:#?}");
    let c = &out.clients[0];
    assert!(c.reached_ms.is_some(), "{c:?}");
    assert!(
        c.old_pool >= 1,
        "the cached answer led to the primary: {c:?}"
    );
    assert_eq!(c.failed, 0, "the old pool answered 200: {c:?}");
}
