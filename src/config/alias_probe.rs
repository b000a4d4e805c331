//! What an alias pool's probes check: its endpoints when it lists them, else its `probe_host`, else its alias target's name, a name being resolved through the service's propagation resolvers.

use std::net::IpAddr;
use std::ops::Range;

use rtoguard_provider_api::{RecordType, normalize_value};

use super::locate::Issues;
use super::pools::lists_addresses;
use super::raw::{RawPool, S};
use super::types::{Pool, Propagation};
use super::values::is_hostname;

/// Set the probed endpoints of every alias pool that lists no address of
/// its own; each refusal names its line and field.
pub(super) fn probe_targets(
    issues: &mut Issues<'_>,
    raw: &[S<RawPool>],
    pools: &mut [Pool],
    propagation: &Propagation,
    field: &str,
) {
    for (raw, pool) in raw.iter().zip(pools.iter_mut()) {
        let raw = raw.get_ref();
        let pf = format!("{field}.pools[{}]", raw.name.get_ref());
        let chosen = match &raw.probe_host {
            Some(host) => probe_host(issues, raw, host, &pf),
            None if !lists_addresses(raw) => match (&pool.alias, &raw.alias) {
                (Some(a), Some(at)) => Some((a.dns_name.clone(), true, at.span())),
                _ => None,
            },
            None => None,
        };
        let Some((endpoint, by_name, at)) = chosen else {
            continue;
        };
        if by_name && propagation.resolvers.is_empty() {
            let msg = format!(
                "pool {} is probed at the addresses {endpoint} resolves to, and no resolver is set to ask (the system resolver is never used): list one in [services.propagation] resolvers, or the pool's addresses in endpoints",
                raw.name.get_ref()
            );
            issues.add(Some(at), format!("{field}.propagation.resolvers"), msg);
        }
        pool.endpoints = vec![endpoint];
        pool.resolve_endpoints = by_name;
    }
}

/// An alias pool probed by name is one endpoint (its target, or its
/// `probe_host`): a `min_healthy` above 1 could never be met by it.
pub(super) fn min_healthy(
    issues: &mut Issues<'_>,
    pools: &[Pool],
    (min, at): (u32, Option<Range<usize>>),
    field: &str,
) {
    if let Some(p) = pools.iter().find(|p| p.resolve_endpoints && min > 1) {
        let msg = format!(
            "{min} is above the 1 endpoint of pool {}, probed by name ({}); min_healthy must be ≤ the endpoints of every pool",
            p.name, p.endpoints[0]
        );
        issues.add(at, format!("{field}.health.min_healthy"), msg);
    }
}

/// `probe_host` checked: (the endpoint, whether it is a name to resolve,
/// where it was written), or `None` when refused.
fn probe_host(
    issues: &mut Issues<'_>,
    raw: &RawPool,
    host: &S<String>,
    pf: &str,
) -> Option<(String, bool, Range<usize>)> {
    let f = format!("{pf}.probe_host");
    let refuse = |issues: &mut Issues<'_>, msg: String| {
        issues.add(Some(host.span()), f.clone(), msg);
        None
    };
    if raw.alias.is_none() {
        return refuse(
            issues,
            "probe_host says where an alias pool's probes go; this pool has no alias: list its addresses in endpoints".into(),
        );
    }
    if lists_addresses(raw) {
        return refuse(
            issues,
            "this pool lists endpoints, which its probes check: give either endpoints or probe_host".into(),
        );
    }
    let value = host.get_ref().trim();
    if let Ok(ip) = value.parse::<IpAddr>() {
        let rtype = if ip.is_ipv4() {
            RecordType::A
        } else {
            RecordType::AAAA
        };
        return Some((normalize_value(rtype, value), false, host.span()));
    }
    if !is_hostname(value) {
        return refuse(
            issues,
            format!(
                "{value:?} is neither an address nor a host name (give lb-health.example.net. or 192.0.2.10)"
            ),
        );
    }
    let name = format!("{}.", value.trim_end_matches('.').to_ascii_lowercase());
    Some((name, true, host.span()))
}
