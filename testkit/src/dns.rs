//! A direct DNS client for assertions: one UDP query to one server, no cache.

use std::net::{SocketAddr, UdpSocket};
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

/// What one server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub rcode: ResponseCode,
    /// The answer values of the queried type, sorted, as text.
    pub values: Vec<String>,
    /// The smallest TTL among them (0 when there are none).
    pub ttl: u32,
    pub authoritative: bool,
}

/// Ask `server` for `name`/`rtype`, recursion desired when `recurse`.
pub fn query(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    recurse: bool,
) -> std::io::Result<Answer> {
    let sock = UdpSocket::bind(if server.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    })?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut msg = Message::query();
    msg.metadata.id = rand::random();
    msg.metadata.recursion_desired = recurse;
    let qname = Name::from_str(name).map_err(|e| std::io::Error::other(e.to_string()))?;
    msg.add_query(Query::query(qname, rtype));
    let bytes = msg
        .to_vec()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    sock.send_to(&bytes, server)?;
    let mut buf = [0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf)?;
    let resp = Message::from_vec(&buf[..n]).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut values = Vec::new();
    let mut ttl = u32::MAX;
    for r in &resp.answers {
        if r.record_type() != rtype {
            continue;
        }
        ttl = ttl.min(r.ttl);
        values.push(match &r.data {
            RData::A(a) => a.0.to_string(),
            RData::AAAA(a) => a.0.to_string(),
            RData::CNAME(c) => c.0.to_ascii().to_lowercase(),
            RData::SOA(s) => s.serial.to_string(),
            other => other.to_string(),
        });
    }
    values.sort();
    Ok(Answer {
        rcode: resp.metadata.response_code,
        values,
        ttl: if ttl == u32::MAX { 0 } else { ttl },
        authoritative: resp.metadata.authoritative,
    })
}

/// The SOA serial `server` serves for `zone`.
pub fn soa_serial(server: SocketAddr, zone: &str) -> std::io::Result<u32> {
    let a = query(server, zone, RecordType::SOA, false)?;
    a.values
        .first()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no SOA for {zone} at {server}: {a:?}")))
}
