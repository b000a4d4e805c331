//! TCP and DNS probe tests against loopback listeners and BIND 9.

use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net::{free_port, lo};

use super::{ProbeSpec, probe_once};

const T: Duration = Duration::from_secs(5);

fn dns(port: u16, name: &str, rtype: RecordType) -> ProbeSpec {
    ProbeSpec::Dns {
        port,
        query_name: name.into(),
        query_type: rtype,
    }
}

#[tokio::test]
async fn tcp_open_passes_and_closed_is_refused() {
    let listener = TcpListener::bind((lo(2), 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let r = probe_once(&ProbeSpec::Tcp { port }, "127.0.0.2", T).await;
    assert_eq!((r.ok, r.detail.as_str()), (true, "connected"));
    drop(listener);
    let r = probe_once(&ProbeSpec::Tcp { port }, "127.0.0.2", T).await;
    assert_eq!((r.ok, r.detail.as_str()), (false, "connect refused"));
}

#[tokio::test]
async fn dns_against_bind() {
    let big: Vec<String> = (0..60)
        .map(|i| format!("big 300 IN TXT \"record number {i} of a large set\""))
        .collect();
    let mut records = vec!["www 300 IN A 127.0.0.2", "www 300 IN A 127.0.0.3"];
    records.extend(big.iter().map(String::as_str));
    let bind = Bind::start("example.test.", &records);
    let ip = bind.addr.ip().to_string();
    let port = bind.addr.port();

    let r = probe_once(&dns(port, "www.example.test.", RecordType::A), &ip, T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (true, "NOERROR, 2 answers"),
        "{r:?}"
    );

    let r = probe_once(&dns(port, "www.example.test.", RecordType::AAAA), &ip, T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (false, "dns NOERROR without answers")
    );

    // 60 TXT records do not fit in 512 bytes: UDP is truncated, TCP answers
    let r = probe_once(&dns(port, "big.example.test.", RecordType::TXT), &ip, T).await;
    assert_eq!(
        (r.ok, r.detail.as_str()),
        (true, "NOERROR, 60 answers"),
        "{r:?}"
    );

    let r = probe_once(&dns(port, "nope.example.test.", RecordType::A), &ip, T).await;
    assert_eq!((r.ok, r.detail.as_str()), (false, "dns NXDOMAIN"));

    let r = probe_once(&dns(port, "www.elsewhere.test.", RecordType::A), &ip, T).await;
    assert_eq!((r.ok, r.detail.as_str()), (false, "dns REFUSED"));
}

#[tokio::test]
async fn dns_to_a_dead_port_fails() {
    let port = free_port(lo(1));
    let r = probe_once(
        &dns(port, "www.example.test.", RecordType::A),
        "127.0.0.1",
        Duration::from_secs(2),
    )
    .await;
    assert!(!r.ok);
}

#[tokio::test]
async fn dns_to_a_silent_server_is_bounded_by_the_timeout() {
    let silent = UdpSocket::bind((lo(2), 0)).unwrap();
    let port = silent.local_addr().unwrap().port();
    let timeout = Duration::from_millis(300);
    let r = probe_once(
        &dns(port, "www.example.test.", RecordType::A),
        "127.0.0.2",
        timeout,
    )
    .await;
    assert_eq!((r.ok, r.detail.as_str()), (false, "timed out after 300ms"));
    let mut buf = [0u8; 512];
    silent
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    assert!(
        silent.recv(&mut buf).unwrap() > 12,
        "the query reached the server"
    );
}

#[tokio::test]
async fn a_bad_query_name_is_a_config_failure() {
    let r = probe_once(&dns(53, "bad..name", RecordType::A), "127.0.0.2", T).await;
    assert!(!r.ok);
    assert!(r.detail.starts_with("probe misconfigured"), "{r:?}");
}

#[tokio::test]
async fn probes_leave_from_the_source_address() {
    use std::net::IpAddr;
    let l = tokio::net::TcpListener::bind("127.0.0.5:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let accept = tokio::spawn(async move { l.accept().await.map(|(_, peer)| peer.ip()) });
    let spec = std::sync::Arc::new(ProbeSpec::Tcp { port });
    let from: IpAddr = [127, 0, 0, 9].into();
    let tls = crate::probe::TlsConfigs::new();
    let r = crate::probe::Prober::with_source(spec, "127.0.0.5", &tls, Some(from))
        .probe(T)
        .await;
    assert!(r.ok, "{}", r.detail);
    assert_eq!(accept.await.unwrap().unwrap(), from);
}

#[tokio::test]
async fn dns_probes_leave_from_the_source_address() {
    use std::net::IpAddr;
    let sock = tokio::net::UdpSocket::bind("127.0.0.5:0").await.unwrap();
    let port = sock.local_addr().unwrap().port();
    let seen = tokio::spawn(async move {
        let mut buf = [0u8; 512];
        sock.recv_from(&mut buf).await.map(|(_, peer)| peer.ip())
    });
    let spec = std::sync::Arc::new(dns(port, "www.example.test.", RecordType::A));
    let from: IpAddr = [127, 0, 0, 9].into();
    let tls = crate::probe::TlsConfigs::new();
    let prober = crate::probe::Prober::with_source(spec, "127.0.0.5", &tls, Some(from));
    // Nobody answers: the probe times out, but the query went out from `from`.
    let r = prober.probe(Duration::from_millis(300)).await;
    assert!(!r.ok);
    assert_eq!(seen.await.unwrap().unwrap(), from);
}
