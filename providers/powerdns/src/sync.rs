//! In-sync check on the server's DNS port: the zone's SOA serial and the record set as PowerDNS answers them.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, RecordType as WireType};
use rtoguard_dns::{Exchange, query};
use rtoguard_provider_api::{Change, ProviderError, RecordSet, RecordType, sorted};

/// Where PowerDNS answers DNS queries, and for how long to wait.
#[derive(Debug, Clone)]
pub struct DnsPort {
    pub provider: String,
    pub server: SocketAddr,
    pub timeout: Duration,
}

impl DnsPort {
    /// True when the server answers serial `want` or later for `zone` and
    /// exactly `change.desired()` at the change's name.
    pub async fn serves(
        &self,
        zone: &str,
        change: &Change,
        want: Option<u32>,
    ) -> Result<bool, ProviderError> {
        if let Some(want) = want {
            let soa = self.ask(zone, WireType::SOA).await?;
            match soa_serial(&soa) {
                Some(serial) if serial_at_least(serial, want) => {}
                _ => return Ok(false),
            }
        }
        let answer = self.ask(change.name(), wire(change.rtype())).await?;
        let found = answer_set(&answer, change.name(), change.rtype());
        Ok(sorted(&found) == sorted(change.desired()))
    }

    async fn ask(&self, name: &str, rtype: WireType) -> Result<Message, ProviderError> {
        let name = Name::from_ascii(name).map_err(|e| ProviderError::BadRequest {
            provider: self.provider.clone(),
            message: format!("{name:?} is not a DNS name: {e}"),
        })?;
        let reply = Exchange::new(self.server, self.timeout)
            .message(&query(&name, rtype, false))
            .await
            .map_err(|e| ProviderError::Transport {
                provider: self.provider.clone(),
                message: format!("DNS query to {}: {e}", self.server),
            })?;
        Ok(reply.message)
    }
}

fn wire(rtype: RecordType) -> WireType {
    match rtype {
        RecordType::A => WireType::A,
        RecordType::AAAA => WireType::AAAA,
        RecordType::CNAME => WireType::CNAME,
    }
}

/// The record set of `rtype` at `name` in an authoritative answer.
fn answer_set(answer: &Message, name: &str, rtype: RecordType) -> Vec<RecordSet> {
    if !answer.metadata.authoritative {
        return Vec::new();
    }
    let want = rtoguard_provider_api::normalize_name(name);
    let mut ttl = u32::MAX;
    let mut values = Vec::new();
    for rr in answer.answers.iter() {
        if rr.record_type() != wire(rtype)
            || rtoguard_provider_api::normalize_name(&rr.name.to_ascii()) != want
        {
            continue;
        }
        ttl = ttl.min(rr.ttl);
        values.push(match &rr.data {
            RData::A(a) => a.0.to_string(),
            RData::AAAA(a) => a.0.to_string(),
            RData::CNAME(c) => c.0.to_ascii(),
            other => other.to_string(),
        });
    }
    if values.is_empty() {
        return Vec::new();
    }
    vec![RecordSet::new(name, rtype, ttl, values)]
}

fn soa_serial(answer: &Message) -> Option<u32> {
    answer.answers.iter().find_map(|rr| match &rr.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    })
}

/// RFC 1982 serial number arithmetic: `a` is `b` or later.
fn serial_at_least(a: u32, b: u32) -> bool {
    a == b || (a.wrapping_sub(b) as i32) > 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn serials_wrap() {
        assert!(super::serial_at_least(2026120202, 2026120201));
        assert!(!super::serial_at_least(2026120201, 2026120202));
        assert!(super::serial_at_least(2, u32::MAX - 1));
    }
}
