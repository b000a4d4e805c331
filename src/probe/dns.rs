//! DNS probes: one query over UDP (TCP when truncated); NOERROR with answers passes.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;

use super::check::{connect_error, connect_from, endpoint_addrs};
use super::{LocalFault, ProbeError};

/// One query for `(name, type)` to `endpoint:port`, sent from `source` when set.
pub(super) async fn dns(
    endpoint: &str,
    port: u16,
    (name, rtype): (&str, RecordType),
    source: Option<IpAddr>,
) -> Result<String, ProbeError> {
    let server = endpoint_addrs(endpoint, port).await?[0];
    let qname = Name::from_str(name).map_err(|e| ProbeError::Config(e.to_string()))?;
    let mut msg = Message::query();
    msg.metadata.recursion_desired = false;
    msg.add_query(Query::query(qname, rtype));
    let bytes = msg.to_vec().map_err(|e| ProbeError::Dns(e.to_string()))?;
    let mut resp = udp(server, source, &bytes, msg.metadata.id).await?;
    if resp.metadata.truncation {
        resp = tcp(server, source, &bytes, msg.metadata.id).await?;
    }
    verdict(&resp)
}

async fn udp(
    server: SocketAddr,
    source: Option<IpAddr>,
    query: &[u8],
    id: u16,
) -> Result<Message, ProbeError> {
    let local: SocketAddr = match source {
        Some(ip) => (ip, 0).into(),
        None if server.is_ipv4() => ([0, 0, 0, 0], 0).into(),
        None => ([0u16; 8], 0).into(),
    };
    let sock = UdpSocket::bind(local).await.map_err(io)?;
    sock.connect(server).await.map_err(io)?;
    sock.send(query).await.map_err(io)?;
    let mut buf = vec![0u8; 4096];
    loop {
        let n = sock.recv(&mut buf).await.map_err(io)?;
        // Garbage or another query's answer: keep waiting (the timeout bounds us).
        match Message::from_vec(&buf[..n]) {
            Ok(resp) if resp.metadata.id == id => return Ok(resp),
            _ => continue,
        }
    }
}

async fn tcp(
    server: SocketAddr,
    source: Option<IpAddr>,
    query: &[u8],
    id: u16,
) -> Result<Message, ProbeError> {
    let mut conn = connect_from(server, source)
        .await
        .map_err(|e| match connect_error(&e) {
            ProbeError::Local(l) => ProbeError::Local(l),
            other => ProbeError::Dns(format!("over TCP: {other}")),
        })?;
    let len = u16::try_from(query.len()).map_err(|_| ProbeError::Dns("query too long".into()))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    conn.write_all(&framed).await.map_err(io)?;
    let len = conn.read_u16().await.map_err(io)?;
    let mut buf = vec![0u8; usize::from(len)];
    conn.read_exact(&mut buf).await.map_err(io)?;
    let resp = Message::from_vec(&buf).map_err(|e| ProbeError::Dns(e.to_string()))?;
    if resp.metadata.id != id {
        return Err(ProbeError::Dns("answer to another query over TCP".into()));
    }
    Ok(resp)
}

fn verdict(resp: &Message) -> Result<String, ProbeError> {
    let rcode = resp.metadata.response_code;
    if rcode != ResponseCode::NoError {
        // NXDOMAIN, REFUSED, SERVFAIL: the mnemonics operators know
        return Err(ProbeError::DnsRcode(
            format!("{rcode:?}").to_ascii_uppercase(),
        ));
    }
    if resp.answers.is_empty() {
        return Err(ProbeError::DnsEmpty);
    }
    Ok(format!("NOERROR, {} answers", resp.answers.len()))
}

fn io(e: std::io::Error) -> ProbeError {
    if let Some(l) = LocalFault::from_io(&e) {
        ProbeError::Local(l)
    } else if e.kind() == std::io::ErrorKind::ConnectionRefused {
        ProbeError::Dns("port unreachable".into())
    } else {
        ProbeError::Dns(e.to_string())
    }
}
