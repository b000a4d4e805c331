//! DNS probes: one query over UDP (TCP when truncated); NOERROR with answers passes.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RecordType};
use rtoguard_dns::{Exchange, ExchangeError};

use super::connect::endpoint_addrs;
use super::lookup::Lookup;
use super::{LocalFault, ProbeError};

/// A backstop only: the prober's own timeout bounds every probe first.
const EXCHANGE_BOUND: Duration = Duration::from_secs(60);

/// One query for `(name, type)` to `endpoint:port`, sent from `source` when set.
pub(super) async fn dns(
    endpoint: &str,
    port: u16,
    (name, rtype): (&str, RecordType),
    source: Option<IpAddr>,
    lookup: Option<&Lookup>,
) -> Result<String, ProbeError> {
    let server = endpoint_addrs(endpoint, port, lookup).await?[0];
    let qname = Name::from_str(name).map_err(|e| ProbeError::Config(e.to_string()))?;
    let query = rtoguard_dns::query(&qname, rtype, false);
    let reply = Exchange::new(server, EXCHANGE_BOUND)
        .from_source(source)
        .message(&query)
        .await
        .map_err(exchange_error)?;
    verdict(&reply.message)
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

/// A failed exchange as a probe failure: this vantage's own faults
/// (descriptors, buffers, the source address) are local, never the endpoint's.
fn exchange_error(e: ExchangeError) -> ProbeError {
    if let Some(l) = e.io().and_then(LocalFault::from_io) {
        return ProbeError::Local(l);
    }
    match &e {
        ExchangeError::Timeout { .. } => ProbeError::Timeout(EXCHANGE_BOUND),
        ExchangeError::Io { source, .. }
            if source.kind() == std::io::ErrorKind::ConnectionRefused =>
        {
            ProbeError::Dns("port unreachable".into())
        }
        _ => ProbeError::Dns(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    //! DNS probes against a hostile server: a forged reply never passes a probe.
    use std::net::Ipv4Addr;

    use rtoguard_testkit::forger::{Forger, Forgery, Script};
    use rtoguard_testkit::net::lo;

    use super::*;

    async fn probe(forgeries: Vec<Forgery>, truth: Option<Ipv4Addr>) -> Result<String, ProbeError> {
        let claim = Ipv4Addr::new(127, 0, 0, 3);
        let f = Forger::start(
            lo(1),
            Script {
                forgeries,
                claim,
                truth,
            },
        );
        let q = ("www.example.test.", RecordType::A);
        let port = f.addr.port();
        let work = dns("127.0.0.1", port, q, None, None);
        tokio::time::timeout(Duration::from_millis(500), work)
            .await
            .unwrap_or(Err(ProbeError::Timeout(Duration::from_millis(500))))
    }

    #[tokio::test]
    async fn forged_replies_never_pass() {
        for forgery in Forgery::HOSTILE {
            let r = probe(vec![forgery], None).await;
            assert!(
                matches!(r, Err(ProbeError::Timeout(_))),
                "{forgery:?}: {r:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_truncated_answer_is_fetched_over_tcp() {
        let mut forgeries = Forgery::HOSTILE.to_vec();
        forgeries.push(Forgery::Truncated);
        let r = probe(forgeries, Some(Ipv4Addr::new(127, 0, 0, 3))).await;
        assert_eq!(r.ok().as_deref(), Some("NOERROR, 1 answers"));
    }
}
