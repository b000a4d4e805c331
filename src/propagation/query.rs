//! One DNS question to one server (UDP, TCP when truncated), with no cache in between: the answer as comparable text.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use rtoguard_dns::{Exchange, ExchangeError};
use tracing::warn;

use super::PropagationError;

/// What one server answered, reduced to what the watch compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub rcode: ResponseCode,
    /// Values of the asked type in the answer section, normalised and sorted.
    pub values: Vec<String>,
    /// Smallest TTL among those values; for a negative answer the SOA's negative TTL.
    pub ttl: Option<u32>,
    /// Every A/AAAA address in the answer section (a CNAME chain's end).
    pub addrs: Vec<IpAddr>,
    /// Names of NS records in the answer section.
    pub ns: Vec<Name>,
    /// SOA serial from the answer or authority section.
    pub serial: Option<u32>,
}

impl Reply {
    /// The server answered, with exactly `expected` (normalised, sorted).
    pub fn matches(&self, expected: &[String]) -> bool {
        self.rcode == ResponseCode::NoError && self.values == expected
    }
}

/// Normalise one record value for comparison: canonical IP text for A/AAAA,
/// lowercase absolute names for name-valued types, trimmed text otherwise.
pub fn normalise(rtype: RecordType, value: &str) -> String {
    let v = value.trim();
    match rtype {
        RecordType::A | RecordType::AAAA => match v.parse::<IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => v.to_string(),
        },
        RecordType::CNAME | RecordType::NS | RecordType::PTR => {
            format!("{}.", v.trim_end_matches('.').to_ascii_lowercase())
        }
        _ => v.to_string(),
    }
}

/// Normalise and sort a whole expected set.
pub fn normalise_all(rtype: RecordType, values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = values.iter().map(|v| normalise(rtype, v)).collect();
    out.sort();
    out.dedup();
    out
}

/// Ask `server` for `name`/`rtype` once; `recurse` sets RD. Over UDP, and
/// over TCP when the answer is truncated; only a reply that answers this
/// very query counts (see `rtoguard_dns`), within `timeout` in all.
pub async fn ask(
    server: SocketAddr,
    name: &Name,
    rtype: RecordType,
    recurse: bool,
    timeout: Duration,
) -> Result<Reply, PropagationError> {
    let exchange = Exchange::new(server, timeout);
    let result = exchange
        .message(&rtoguard_dns::query(name, rtype, recurse))
        .await;
    let ignored = exchange.ignored();
    if ignored > 0 {
        warn!(%server, %name, ignored, "Ignored replies that do not answer the query.");
    }
    match result {
        Ok(reply) => Ok(reduce(&reply.message, rtype)),
        Err(ExchangeError::Timeout { .. }) => Err(PropagationError::Timeout(timeout)),
        Err(ExchangeError::Io { source, .. }) => Err(PropagationError::Io(source)),
        Err(e @ ExchangeError::Request(_)) => Err(PropagationError::Malformed(e.to_string())),
    }
}

fn reduce(m: &Message, rtype: RecordType) -> Reply {
    let mut values = Vec::new();
    let mut ttl: Option<u32> = None;
    let mut addrs = Vec::new();
    let mut ns = Vec::new();
    let mut serial = None;
    for r in &m.answers {
        match &r.data {
            RData::A(a) => addrs.push(IpAddr::V4(a.0)),
            RData::AAAA(a) => addrs.push(IpAddr::V6(a.0)),
            RData::NS(n) => ns.push(n.0.clone()),
            RData::SOA(s) => serial = Some(s.serial),
            _ => {}
        }
        if r.record_type() == rtype {
            ttl = Some(ttl.map_or(r.ttl, |t| t.min(r.ttl)));
            values.push(normalise(rtype, &text(r)));
        }
    }
    if values.is_empty() {
        for r in &m.authorities {
            if let RData::SOA(s) = &r.data {
                serial = serial.or(Some(s.serial));
                ttl = Some(r.ttl.min(s.minimum));
            }
        }
    }
    values.sort();
    Reply {
        rcode: m.metadata.response_code,
        values,
        ttl,
        addrs,
        ns,
        serial,
    }
}

fn text(r: &Record) -> String {
    match &r.data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(a) => a.0.to_string(),
        RData::CNAME(c) => c.0.to_ascii(),
        RData::NS(n) => n.0.to_ascii(),
        RData::SOA(s) => s.serial.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_makes_equal_values_equal() {
        assert_eq!(normalise(RecordType::A, " 127.0.0.2 "), "127.0.0.2");
        assert_eq!(normalise(RecordType::AAAA, "0:0::1"), "::1");
        assert_eq!(
            normalise(RecordType::CNAME, "WWW.Example.test"),
            "www.example.test."
        );
        let set = normalise_all(
            RecordType::A,
            &["10.0.0.2".into(), "10.0.0.1".into(), "10.0.0.2".into()],
        );
        assert_eq!(set, vec!["10.0.0.1".to_string(), "10.0.0.2".to_string()]);
    }
}
