//! The API's HTTP side for tests: one request on a fresh connection, and an rrset as JSON.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};

pub(super) fn rrset(name: &str, rtype: &str, ttl: u32, values: &[&str]) -> Value {
    let records: Vec<Value> = values
        .iter()
        .map(|v| json!({"content": v, "disabled": false}))
        .collect();
    json!({"name": name, "type": rtype, "ttl": ttl, "changetype": "REPLACE", "records": records})
}

/// One HTTP/1.1 request on a fresh connection (PowerDNS closes it after
/// answering): the status code and the body.
pub fn http(
    to: SocketAddr,
    method: &str,
    path: &str,
    key: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut s = TcpStream::connect_timeout(&to, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {to}\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {out:?}")))?;
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}
