//! The doctor's live checks of providers, pools and DNS servers: each bounded by one short timeout, never retried.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType as WireType};
use rtoguard_provider_api::ProviderError;

use super::doctor_line::{Line, human};
use crate::config::{Config, NamedServer, Service};

/// How long a provider or a DNS server may take to answer one check.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// Each provider a service uses, once per zone: it answers and accepts us.
pub async fn providers(cfg: &Config) -> Vec<Line> {
    let mut seen = BTreeSet::new();
    let mut lines = Vec::new();
    for s in &cfg.services {
        if seen.insert((s.provider.clone(), s.zone.clone())) {
            lines.push(provider(cfg, s).await);
        }
    }
    lines
}

async fn provider(cfg: &Config, s: &Service) -> Line {
    let kind = cfg
        .providers
        .get(&s.provider)
        .map_or("unknown", |p| p.kind.type_name());
    let what = format!("{} ({kind}) for {}", s.provider, s.zone);
    let p = match crate::providers::build(cfg, &s.provider).await {
        Ok(p) => p,
        Err(e) => return Line::fail("provider", what, format!("cannot be set up: {}", e.message)),
    };
    let check = p.prove_access(&s.zone, &s.record, s.rtype);
    match tokio::time::timeout(ANSWER_TIMEOUT, check).await {
        Ok(Ok(proved)) => Line::ok("provider", what, proved),
        Ok(Err(e)) => Line::fail("provider", what, refused(&e)),
        Err(_) => Line::fail(
            "provider",
            what,
            format!(
                "no answer within {}: is it running, and reachable from here?",
                human(ANSWER_TIMEOUT)
            ),
        ),
    }
}

/// What a provider's refusal means, then its own words.
fn refused(e: &ProviderError) -> String {
    let hint = match e {
        ProviderError::Auth { .. } => {
            "our credentials were refused: the secret is wrong, or not allowed to change this zone"
        }
        ProviderError::Timeout { .. } | ProviderError::Transport { .. } => {
            "not reachable: is it running, and reachable from here?"
        }
        ProviderError::NotFound { .. } => "the zone is not there for these credentials",
        ProviderError::Throttled { .. } => "busy (throttled): try again in a minute",
        ProviderError::Server { .. } => "the provider failed to answer properly",
        _ => "the provider refused the check",
    };
    format!("{hint} ({e})")
}

/// Every pool's endpoints, probed now.
pub async fn pools(cfg: &Config) -> Vec<Line> {
    let mut lines = Vec::new();
    for s in &cfg.services {
        let spec = crate::config::specs::probe_spec(s);
        for p in &s.pools {
            let via = crate::config::specs::resolve_via(s, p);
            let failed = probe_all(&spec, &p.endpoints, s.probe.timeout, &via).await;
            let up = p.endpoints.len() - failed.len();
            let need = s.health.min_healthy.max(1) as usize;
            let what = format!("{}/{}", s.name, p.name);
            let head = format!(
                "{up} of {} endpoint(s) pass the probe now",
                p.endpoints.len()
            );
            lines.push(match (up >= need, failed.is_empty()) {
                (true, true) => Line::ok("pool", what, head),
                (true, false) => {
                    Line::warn("pool", what, format!("{head} ({})", failed.join("; ")))
                }
                (false, _) => Line::fail(
                    "pool",
                    what,
                    format!(
                        "{head}, fewer than min_healthy {need}: a flip could not go there ({})",
                        failed.join("; ")
                    ),
                ),
            });
        }
    }
    lines
}

/// Probe every endpoint at once (a host name resolved through `via` when
/// given); "endpoint: what was seen" for each that failed.
async fn probe_all(
    spec: &crate::probe::ProbeSpec,
    endpoints: &[String],
    timeout: Duration,
    via: &[std::net::SocketAddr],
) -> Vec<String> {
    let mut set = tokio::task::JoinSet::new();
    for (i, ep) in endpoints.iter().enumerate() {
        let (spec, ep, via) = (spec.clone(), ep.clone(), via.to_vec());
        set.spawn(async move {
            let r = crate::probe::probe_once_via(&spec, &ep, timeout, &via).await;
            (i, (!r.ok).then(|| format!("{ep}: {}", r.detail)))
        });
    }
    let mut failed: Vec<(usize, String)> = Vec::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok((i, Some(why))) => failed.push((i, why)),
            Ok((_, None)) => {}
            Err(e) => failed.push((usize::MAX, format!("a probe task failed: {e}"))),
        }
    }
    failed.sort();
    failed.into_iter().map(|(_, why)| why).collect()
}

/// The propagation servers of every service: resolvers answer the record,
/// authoritatives answer it with authority.
pub async fn dns(cfg: &Config) -> Vec<Line> {
    let mut lines = Vec::new();
    for s in &cfg.services {
        let Ok(name) = Name::from_ascii(&s.record) else {
            continue;
        };
        let rtype = match s.rtype {
            rtoguard_provider_api::RecordType::A => WireType::A,
            rtoguard_provider_api::RecordType::AAAA => WireType::AAAA,
            rtoguard_provider_api::RecordType::CNAME => WireType::CNAME,
        };
        for r in &s.propagation.resolvers {
            lines.push(server("resolver", s, r, &name, rtype, true).await);
        }
        let found;
        let auths = match (
            s.propagation.authoritatives.is_empty(),
            s.propagation.resolvers.first(),
        ) {
            (true, Some(r)) => match discover(s, r).await {
                Ok(servers) => {
                    found = servers;
                    &found
                }
                Err(line) => {
                    lines.push(line);
                    continue;
                }
            },
            _ => &s.propagation.authoritatives,
        };
        for a in auths {
            lines.push(server("authority", s, a, &name, rtype, false).await);
        }
    }
    lines
}

async fn server(
    check: &'static str,
    s: &Service,
    named: &NamedServer,
    name: &Name,
    rtype: WireType,
    recurse: bool,
) -> Line {
    let what = format!("{} {} for {}", named.name, named.address, s.name);
    let asked = ask(named.address, name, rtype, recurse).await;
    let reply = match asked {
        Ok(m) => m,
        Err(why) => return Line::fail(check, what, why),
    };
    let rcode = reply.metadata.response_code;
    if !recurse && !reply.metadata.authoritative {
        return Line::fail(
            check,
            what,
            format!(
                "answered {rcode} without authority: it does not serve {}",
                s.zone
            ),
        );
    }
    let values: Vec<String> = reply
        .answers
        .iter()
        .filter(|r| r.record_type() == rtype)
        .map(|r| match &r.data {
            RData::A(a) => a.0.to_string(),
            RData::AAAA(a) => a.0.to_string(),
            other => other.to_string(),
        })
        .collect();
    match rcode {
        ResponseCode::NoError if !values.is_empty() => Line::ok(
            check,
            what,
            format!("answers {name} {rtype}: {}", values.join(", ")),
        ),
        ResponseCode::NoError | ResponseCode::NXDomain => Line::warn(
            check,
            what,
            format!("answers, but has no {rtype} record at {name} ({rcode})"),
        ),
        _ => Line::fail(check, what, format!("answered {rcode} for {name} {rtype}")),
    }
}

/// The zone's authoritative servers from its NS records through
/// `resolver`, as the propagation watch finds them; a warning when it cannot.
async fn discover(s: &Service, resolver: &NamedServer) -> Result<Vec<NamedServer>, Line> {
    let what = format!("{} (from its NS records through {})", s.zone, resolver.name);
    let found = tokio::time::timeout(
        ANSWER_TIMEOUT,
        crate::propagation::discover(&s.zone, resolver.address),
    )
    .await;
    let why = match found {
        Ok(Ok(servers)) => {
            return Ok(servers
                .into_iter()
                .map(|a| NamedServer {
                    name: a.name,
                    address: a.addr,
                })
                .collect());
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {}", human(ANSWER_TIMEOUT)),
    };
    Err(Line::warn(
        "authority",
        what,
        format!(
            "cannot find them ({why}): the propagation watch will not time authoritative servers; list them in propagation.authoritatives"
        ),
    ))
}

/// One query, no retry, within [`ANSWER_TIMEOUT`].
async fn ask(
    server: SocketAddr,
    name: &Name,
    rtype: WireType,
    recurse: bool,
) -> Result<hickory_proto::op::Message, String> {
    let exchange = rtoguard_dns::Exchange::new(server, ANSWER_TIMEOUT);
    match exchange
        .message(&rtoguard_dns::query(name, rtype, recurse))
        .await
    {
        Ok(reply) => Ok(reply.message),
        Err(e) if e.is_timeout() => Err(format!("no answer within {}", human(ANSWER_TIMEOUT))),
        Err(e) => Err(format!("cannot ask it: {e}")),
    }
}
