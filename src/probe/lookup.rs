//! Where a probe by name goes: the name resolved through the configured resolvers (never the system's), cached for its TTL with a floor.
//!
//! An alias pool without endpoints is probed at the addresses its target
//! (a load balancer's name) resolves to; a load balancer's addresses
//! change, so they are asked again once the answer's TTL has run out (at
//! most once per [`FLOOR`]). A name that cannot be resolved is this
//! vantage's trouble, not the endpoint's: the probe reports a
//! [`LocalFault::Resolve`] and votes neither up nor down.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType};
use rtoguard_dns::Exchange;
use tokio::time::Instant;

use super::{LocalFault, ProbeError};

/// The shortest time an answer is kept, whatever its TTL.
pub const FLOOR: Duration = Duration::from_secs(1);

/// One name, resolved through `servers` in turn; the last answer kept
/// until its TTL (at least [`FLOOR`]) has run out.
#[derive(Debug)]
pub struct Lookup {
    name: String,
    servers: Vec<SocketAddr>,
    cached: Mutex<Option<(Vec<IpAddr>, Instant)>>,
}

impl Lookup {
    /// `name` asked of `servers` (recursive resolvers; tried in order).
    pub fn new(name: &str, servers: &[SocketAddr]) -> Self {
        Self {
            name: name.to_string(),
            servers: servers.to_vec(),
            cached: Mutex::new(None),
        }
    }

    /// The addresses of the name on `port`: the kept answer while it is
    /// fresh, else asked again, each server bounded by `timeout`.
    pub async fn addrs(&self, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, ProbeError> {
        let now = Instant::now();
        let kept = self.kept(now);
        let ips = match kept {
            Some(ips) => ips,
            None => {
                let (ips, ttl) = self.ask(timeout).await.map_err(|why| {
                    ProbeError::Local(LocalFault::Resolve(format!("{}: {why}", self.name)))
                })?;
                let until = now + ttl.max(FLOOR);
                *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some((ips.clone(), until));
                ips
            }
        };
        Ok(ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect())
    }

    fn kept(&self, now: Instant) -> Option<Vec<IpAddr>> {
        let g = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        g.as_ref()
            .filter(|(_, until)| now < *until)
            .map(|(ips, _)| ips.clone())
    }

    /// A and AAAA from the first server that answers either; the smallest TTL.
    async fn ask(&self, timeout: Duration) -> Result<(Vec<IpAddr>, Duration), String> {
        let name = Name::from_str(&self.name).map_err(|e| format!("not a DNS name ({e})"))?;
        let mut why = "no resolver configured".to_string();
        for server in &self.servers {
            let mut ips = Vec::new();
            let mut ttl: Option<u32> = None;
            let mut answered = false;
            for rtype in [RecordType::A, RecordType::AAAA] {
                let query = rtoguard_dns::query(&name, rtype, true);
                match Exchange::new(*server, timeout).message(&query).await {
                    Ok(reply) if reply.message.metadata.response_code == ResponseCode::NoError => {
                        answered = true;
                        for r in &reply.message.answers {
                            let ip = match &r.data {
                                RData::A(a) => IpAddr::V4(a.0),
                                RData::AAAA(a) => IpAddr::V6(a.0),
                                _ => continue,
                            };
                            ips.push(ip);
                            ttl = Some(ttl.map_or(r.ttl, |t| t.min(r.ttl)));
                        }
                    }
                    Ok(reply) => {
                        let rcode = reply.message.metadata.response_code;
                        why = format!("{server} answered {rcode}");
                    }
                    Err(e) => why = format!("{server}: {e}"),
                }
            }
            if !ips.is_empty() {
                let ttl = Duration::from_secs(u64::from(ttl.unwrap_or(0)));
                return Ok((ips, ttl));
            }
            if answered {
                why = format!("{server} answered without an address");
            }
        }
        Err(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A resolver that never answers (a bound UDP socket nobody reads):
    /// the lookup fails as this vantage's fault, naming the name.
    #[tokio::test]
    async fn an_unanswered_lookup_is_a_local_fault() {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let l = Lookup::new("lb.example.test.", &[silent.local_addr().expect("addr")]);
        let err = l
            .addrs(80, Duration::from_millis(100))
            .await
            .expect_err("nothing answers");
        let ProbeError::Local(LocalFault::Resolve(why)) = err else {
            panic!("not a local fault: {err}");
        };
        assert!(why.starts_with("lb.example.test.: "), "{why}");
    }

    /// A probe whose name cannot be resolved votes neither way: its
    /// result carries the local fault (the vantage is impaired).
    #[tokio::test]
    async fn a_probe_that_cannot_resolve_is_impaired_not_failed() {
        use std::sync::Arc;

        use crate::probe::{ProbeSpec, Prober, TlsConfigs};
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let servers = [silent.local_addr().expect("addr")];
        let lookup = Arc::new(Lookup::new("lb.example.test.", &servers));
        let spec = Arc::new(ProbeSpec::Tcp { port: 80 });
        let tls = TlsConfigs::new();
        let p = Prober::with_lookup(spec, "lb.example.test.", &tls, None, Some(lookup));
        let r = p.probe(Duration::from_millis(100)).await;
        assert!(!r.ok);
        assert!(
            matches!(r.local, Some(LocalFault::Resolve(_))),
            "{}",
            r.detail
        );
    }

    /// A probe by name connects to the address the resolver gives (a BIND
    /// on loopback), not to anything the system would find.
    #[tokio::test]
    async fn a_probe_by_name_goes_where_the_resolver_says() {
        use crate::probe::{ProbeSpec, probe_once_via};
        let bind = rtoguard_testkit::bind::Bind::start("example.test.", &["lb 60 IN A 127.0.0.1"]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let spec = ProbeSpec::Tcp { port };
        let t = Duration::from_secs(2);
        let r = probe_once_via(&spec, "lb.example.test.", t, &[bind.addr]).await;
        assert!(r.ok, "{}", r.detail);
        let r = probe_once_via(&spec, "none.example.test.", t, &[bind.addr]).await;
        assert!(
            matches!(r.local, Some(LocalFault::Resolve(_))),
            "{}",
            r.detail
        );
        drop(listener);
    }

    #[tokio::test]
    async fn without_resolvers_nothing_is_asked_of_the_system() {
        let l = Lookup::new("localhost.", &[]);
        let err = l.addrs(80, Duration::from_millis(100)).await.unwrap_err();
        assert!(err.to_string().contains("no resolver configured"), "{err}");
    }
}
