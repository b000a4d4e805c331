//! Validation of a service's pools and its propagation watch.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::time::Duration;

use rtoguard_provider_api::{RecordType, normalize_value};

use super::locate::Issues;
use super::raw::{RawMarker, RawNamedServer, RawPool, RawPropagation, S};
use super::tables::url_check;
use super::types::*;
use super::values::endpoint_problem;

/// The pools in preference order; issues for each problem found.
pub(super) fn pools(
    issues: &mut Issues<'_>,
    raw: &[S<RawPool>],
    records: &[Member],
    health: (&Health, Option<Range<usize>>),
    field: &str,
    service_span: Range<usize>,
) -> Vec<Pool> {
    if raw.len() < 2 {
        let msg = format!(
            "{} pool(s) given; a service needs at least 2 ([[services.pools]]: a primary and a standby) to fail over",
            raw.len()
        );
        issues.add(Some(service_span), format!("{field}.pools"), msg);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for pool in raw {
        let (span, pool) = (pool.span(), pool.get_ref());
        let name = pool.name.get_ref();
        let pf = format!("{field}.pools[{name}]");
        if !seen.insert(name.clone()) {
            let msg =
                format!("duplicate pool name {name:?} in this service; pool names must be unique");
            issues.add(Some(pool.name.span()), format!("{pf}.name"), msg);
        }
        let values = values(issues, pool, records, &pf, span.clone());
        let endpoints = probed(&values);
        let (min_healthy, min_span) = (health.0.min_healthy, health.1.clone());
        if !endpoints.is_empty() && min_healthy as usize > endpoints.len() {
            let msg = format!(
                "{min_healthy} is above the {} endpoint(s) of pool {name}; min_healthy must be ≤ the endpoints of every pool",
                endpoints.len()
            );
            issues.add(
                min_span.or(Some(span.clone())),
                format!("{field}.health.min_healthy"),
                msg,
            );
        }
        let marker = pool.marker.as_ref().and_then(|m| marker(issues, m, &pf));
        out.push(Pool {
            name: name.clone(),
            region: pool.region.get_ref().clone(),
            endpoints,
            values,
            marker,
            alias: None,
            resolve_endpoints: false,
        });
    }
    out
}

/// What probes check: the addresses of both families, else the CNAME target.
fn probed(values: &BTreeMap<RecordType, Vec<String>>) -> Vec<String> {
    let get = |t: RecordType| values.get(&t).into_iter().flatten().cloned();
    let addresses: Vec<String> = get(RecordType::A).chain(get(RecordType::AAAA)).collect();
    if addresses.is_empty() {
        get(RecordType::CNAME).collect()
    } else {
        addresses
    }
}

/// The pool's values for each record type the service publishes: from
/// `endpoints_v4`, `endpoints_v6` and `cname`, or from `endpoints` when
/// the service publishes one type only.
fn values(
    issues: &mut Issues<'_>,
    pool: &RawPool,
    records: &[Member],
    pf: &str,
    span: Range<usize>,
) -> BTreeMap<RecordType, Vec<String>> {
    let types: BTreeSet<RecordType> = records.iter().map(|m| m.rtype).collect();
    let mut out = BTreeMap::new();
    if pool.alias.is_some() && !lists_addresses(pool) {
        // Served as an alias; probed by name (see `alias_probe`).
        return out;
    }
    if types.len() > 1
        && let Some(list) = &pool.endpoints
    {
        let msg = "this service publishes several record types: give endpoints_v4, endpoints_v6 and cname instead of endpoints";
        issues.add(Some(list.span()), format!("{pf}.endpoints"), msg);
        return out;
    }
    for rtype in types {
        let (key, given) = match rtype {
            RecordType::A => ("endpoints_v4", pool.endpoints_v4.as_ref().map(list_of)),
            RecordType::AAAA => ("endpoints_v6", pool.endpoints_v6.as_ref().map(list_of)),
            RecordType::CNAME => (
                "cname",
                pool.cname.as_ref().map(|c| (c.span(), vec![c.clone()])),
            ),
        };
        let (key, given) = match (given, &pool.endpoints) {
            (Some(g), _) => (key, Some(g)),
            (None, Some(list)) => ("endpoints", Some(list_of(list))),
            (None, None) if records.len() == 1 => ("endpoints", None),
            (None, None) => {
                let need: Vec<String> = records
                    .iter()
                    .filter(|m| m.rtype == rtype)
                    .map(Member::to_string)
                    .collect();
                let msg = format!("missing: the pool gives no {key} for {}", need.join(", "));
                issues.add(Some(span.clone()), format!("{pf}.{key}"), msg);
                continue;
            }
        };
        out.insert(
            rtype,
            endpoints(issues, given, rtype, &format!("{pf}.{key}"), span.clone()),
        );
    }
    out
}

/// The pool lists addresses of its own (`endpoints`, `endpoints_v4`, `endpoints_v6`).
pub(super) fn lists_addresses(pool: &RawPool) -> bool {
    pool.endpoints.is_some() || pool.endpoints_v4.is_some() || pool.endpoints_v6.is_some()
}

fn list_of(list: &S<Vec<S<String>>>) -> (Range<usize>, Vec<S<String>>) {
    (list.span(), list.get_ref().clone())
}

fn endpoints(
    issues: &mut Issues<'_>,
    given: Option<(Range<usize>, Vec<S<String>>)>,
    rtype: RecordType,
    field: &str,
    span: Range<usize>,
) -> Vec<String> {
    let field = field.to_string();
    let (at, list) = match &given {
        Some((at, list)) => (at.clone(), list.as_slice()),
        None => (span, &[][..]),
    };
    if list.is_empty() {
        issues.add(
            Some(at),
            field.clone(),
            "no endpoints: a pool needs at least one address or target",
        );
    }
    if rtype == RecordType::CNAME && list.len() > 1 {
        let msg = format!(
            "{} endpoints given; a CNAME pool has exactly one target",
            list.len()
        );
        issues.add(Some(list[1].span()), field.clone(), msg);
    }
    let mut out = Vec::new();
    for e in list {
        match endpoint_problem(rtype, e.get_ref().trim()) {
            Some(msg) => issues.add(Some(e.span()), field.clone(), msg),
            None => out.push(normalize_value(rtype, e.get_ref())),
        }
    }
    out
}

fn marker(issues: &mut Issues<'_>, raw: &S<RawMarker>, pf: &str) -> Option<Marker> {
    let m = raw.get_ref();
    match (&m.header, &m.value, &m.body) {
        (Some(name), Some(value), None) if !name.is_empty() => Some(Marker::Header {
            name: name.to_ascii_lowercase(),
            value: value.clone(),
        }),
        (None, None, Some(body)) if !body.is_empty() => Some(Marker::Body(body.clone())),
        _ => {
            let msg = "write either { header = \"x-region\", value = \"eu-west-1\" } or { body = \"eu-west-1\" }";
            issues.add(Some(raw.span()), format!("{pf}.marker"), msg);
            None
        }
    }
}

/// The propagation watch of a service.
pub(super) fn propagation(
    issues: &mut Issues<'_>,
    raw: &RawPropagation,
    field: &str,
) -> Propagation {
    let f = |k: &str| format!("{field}.propagation.{k}");
    if let Some(url) = &raw.client_url {
        url_check(issues, url, &f("client_url"));
    }
    Propagation {
        resolvers: servers(issues, &raw.resolvers, &f("resolvers")),
        authoritatives: servers(issues, &raw.authoritatives, &f("authoritatives")),
        client_url: raw.client_url.as_ref().map(|u| u.get_ref().clone()),
        queries_per_second: issues.count(&raw.queries_per_second, &f("queries_per_second"), 5),
        deadline: raw.deadline.as_ref().map(|_| {
            issues.duration(
                &raw.deadline,
                &f("deadline"),
                Duration::from_secs(600),
                true,
            )
        }),
    }
}

fn servers(issues: &mut Issues<'_>, raw: &[RawNamedServer], field: &str) -> Vec<NamedServer> {
    raw.iter()
        .filter_map(|s| {
            let address = issues.dns_server(&s.address, &format!("{field}[{}].address", s.name))?;
            Some(NamedServer {
                name: s.name.clone(),
                address,
            })
        })
        .collect()
}
