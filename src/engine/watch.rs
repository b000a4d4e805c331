//! The propagation watch after a flip: its spec from the service config, and
//! a task that hands the outcome back to the service.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ProviderKind, Service};
use crate::propagation::{self, ClientCheck, Server, WatchSpec};

/// Where the provider's own primary answers, for RFC 2136 (used as the
/// authoritative to watch when none is configured and no resolver can find them).
pub fn provider_primary(cfg: &Config, svc: &Service) -> Option<SocketAddr> {
    match &cfg.providers.get(&svc.provider)?.kind {
        ProviderKind::Rfc2136(c) => Some(c.server),
        ProviderKind::PowerDns(c) => c.dns_server,
        ProviderKind::Embedded(c) => c
            .listen
            .first()
            .map(|a| crate::providers::embedded::reachable(*a)),
        _ => None,
    }
}

/// What to watch after `svc` moved from `from` to `to`.
pub struct Move<'a> {
    pub to: &'a str,
    pub from: Option<&'a str>,
    /// The TTL the old answer was published with.
    pub old_ttl: u32,
    /// Incident start (offsets in the outcome are from here).
    pub start: Instant,
    /// When the provider accepted the flip.
    pub changed_at: Option<Instant>,
}

impl<'a> Move<'a> {
    /// A move to `to` starting now, with nothing known of the old answer.
    pub fn now(to: &'a str) -> Self {
        Move {
            to,
            from: None,
            old_ttl: 0,
            start: Instant::now(),
            changed_at: None,
        }
    }
}

/// The watch spec for a move of `svc`, from the config: the provider's
/// primary stands in when nothing else is configured (for `rtoguard watch`
/// and the demo).
pub fn spec_from_config(cfg: &Config, svc: &Service, mv: &Move<'_>) -> WatchSpec {
    spec(svc, provider_primary(cfg, svc), mv)
}

/// The watch spec for a move of `svc`.
pub fn spec(svc: &Service, primary: Option<SocketAddr>, mv: &Move<'_>) -> WatchSpec {
    let rtype = wire_type(svc.rtype);
    let server = |n: &crate::config::NamedServer| Server {
        name: n.name.clone(),
        addr: n.address,
    };
    let p = &svc.propagation;
    let mut authoritatives: Vec<Server> = p.authoritatives.iter().map(server).collect();
    if authoritatives.is_empty()
        && p.resolvers.is_empty()
        && let Some(addr) = primary
    {
        authoritatives.push(Server {
            name: "zone-primary".into(),
            addr,
        });
    }
    let target = svc.pool(mv.to);
    let client = p.client_url.as_ref().and_then(|url| {
        let m = target?.marker.as_ref()?;
        let old = mv
            .from
            .and_then(|f| svc.pool(f))
            .and_then(|p| p.marker.as_ref())
            .cloned();
        Some(ClientCheck {
            url: url.clone(),
            marker: m.clone(),
            old_marker: old,
        })
    });
    WatchSpec {
        name: svc.record.clone(),
        rtype,
        expected: target
            .map(|t| t.values_for(svc.rtype).to_vec())
            .unwrap_or_default(),
        zone: svc.zone.clone(),
        authoritatives,
        resolvers: p.resolvers.iter().map(server).collect(),
        client,
        queries_per_second: p.queries_per_second,
        start: mv.start,
        deadline: p
            .deadline
            .unwrap_or(Duration::from_secs(u64::from(mv.old_ttl) + 300)),
        old_ttl: Some(mv.old_ttl),
        changed_at: mv.changed_at,
        // An alias pool probed by name lists no values: its target's
        // addresses, as the resolvers give them, are what clients get.
        expected_from: target
            .filter(|t| t.resolve_endpoints)
            .and_then(|t| t.alias.as_ref())
            .map(|a| a.dns_name.clone()),
    }
}

/// The watch specs for a move of every record of `svc`: the first
/// record's ([`spec`], with the client check), then one per other record,
/// expecting the target pool's values for its type.
pub fn specs(svc: &Service, primary: Option<SocketAddr>, mv: &Move<'_>) -> Vec<WatchSpec> {
    let first = spec(svc, primary, mv);
    let target = svc.pool(mv.to);
    let mut out = vec![first.clone()];
    for m in svc.records.iter().skip(1) {
        let mut s = first.clone();
        s.name = m.name.clone();
        s.rtype = wire_type(m.rtype);
        s.expected = target
            .map(|t| t.values_for(m.rtype).to_vec())
            .unwrap_or_default();
        s.client = None;
        out.push(s);
    }
    out
}

fn wire_type(t: rtoguard_provider_api::RecordType) -> hickory_proto::rr::RecordType {
    match t {
        rtoguard_provider_api::RecordType::A => hickory_proto::rr::RecordType::A,
        rtoguard_provider_api::RecordType::AAAA => hickory_proto::rr::RecordType::AAAA,
        rtoguard_provider_api::RecordType::CNAME => hickory_proto::rr::RecordType::CNAME,
    }
}

/// Run a watch of every record in the background and send its outcome to `done`.
pub fn spawn<T: Send + 'static>(
    spec: Vec<WatchSpec>,
    cancel: CancellationToken,
    done: mpsc::Sender<T>,
    wrap: impl FnOnce(propagation::WatchOutcome) -> T + Send + 'static,
) {
    tokio::spawn(async move {
        crate::test_hooks::watch_delay().await;
        let outcome = propagation::watch_group(spec, cancel, None).await;
        let _ = done.send(wrap(outcome)).await;
    });
}
