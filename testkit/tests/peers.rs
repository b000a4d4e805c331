//! The test peers themselves start, answer and stop.

use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net::lo;
use rtoguard_testkit::region::Region;

#[test]
fn bind_serves_its_zone_and_stops_on_drop() {
    let bind = Bind::start(
        "example.test.",
        &["www 300 IN A 127.0.0.2", "www 300 IN A 127.0.0.3"],
    );
    let a = bind.query("www.example.test.", RecordType::A);
    assert_eq!(a.values, vec!["127.0.0.2", "127.0.0.3"]);
    assert_eq!(a.ttl, 300);
    assert!(a.authoritative);
    assert_eq!(bind.serial(), 1);
    let addr = bind.addr;
    drop(bind);
    assert!(rtoguard_testkit::dns::query(addr, "www.example.test.", RecordType::A, false).is_err());
}

#[test]
fn region_answers_with_its_marker_and_can_stop() {
    let mut r = Region::start(lo(2), "primary");
    let body = http_get(r.addr);
    assert!(body.contains("x-region: primary"), "{body}");
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    r.set_status(503);
    assert!(http_get(r.addr).starts_with("HTTP/1.1 503"));
    r.stop();
    assert!(std::net::TcpStream::connect(r.addr).is_err());
    r.resume();
    r.set_status(200);
    assert!(http_get(r.addr).starts_with("HTTP/1.1 200"));
}

fn http_get(addr: std::net::SocketAddr) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}
