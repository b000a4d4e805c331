//! Validation of one `[[services]]` entry: names, TTLs, health, damping.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_spanned::Spanned;
use toml::de::DeValue;

use super::limits::{self, Floor, Owners};
use super::locate::Issues;
use super::raw::{RawDamping, RawFailback, RawHealth, RawService, RawTtl, S};
use super::tables::{as_table, elements, parse_section};
use super::types::*;
use super::{alias, alias_probe, fast, pools, probe, records};

/// What the services are checked against: the providers declared (even
/// broken ones), their TTL floors, and how many vantages probe.
pub(super) struct Known<'a> {
    pub declared: &'a BTreeSet<String>,
    pub floors: BTreeMap<String, Floor>,
    pub vantages: usize,
}

/// Validate every service; duplicates and broken ones are reported and left out.
pub(super) fn services(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    value: Option<&Spanned<DeValue<'_>>>,
    known: &Known<'_>,
) -> Vec<Service> {
    let mut seen = BTreeSet::new();
    let mut owners = Owners::new();
    let mut out = Vec::new();
    for (i, item) in elements(issues, value, "services").iter().enumerate() {
        let Some(raw) = parse_section::<RawService>(issues, root, item, &format!("services[{i}]"))
        else {
            continue;
        };
        let name = raw.name.get_ref().clone();
        if !seen.insert(name.clone()) {
            let msg = format!("duplicate service name {name:?}; service names must be unique");
            issues.add(Some(raw.name.span()), format!("services[{name}].name"), msg);
        }
        let probe_value = as_table(item).and_then(|t| t.get("probe"));
        let field = format!("services[{name}]");
        let service = service(issues, root, raw, probe_value, known, &field, item.span());
        if let Some((service, owned)) = service {
            limits::one_owner(issues, &mut owners, &service.name, &owned, &field);
            out.push(service);
        }
    }
    out
}

fn service(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    raw: RawService,
    probe_value: Option<&Spanned<DeValue<'_>>>,
    known: &Known<'_>,
    field: &str,
    span: std::ops::Range<usize>,
) -> Option<(Service, records::Placed)> {
    if raw.name.get_ref().trim().is_empty() {
        issues.add(
            Some(raw.name.span()),
            format!("{field}.name"),
            "must not be empty",
        );
    }
    provider_ref(issues, &raw.provider, known.declared, field);
    let (zone, members) = records::members(issues, &raw, field, span.clone());
    let members = members?;
    let records: Vec<Member> = members.iter().map(|(m, _)| m.clone()).collect();
    // A group holds at least one record (see `records`).
    let first = records.first()?.clone();
    let record = first.name.clone();
    let rto_field = format!("{field}.rto");
    let rto = issues.duration(
        &Some(raw.rto.clone()),
        &rto_field,
        Duration::from_secs(300),
        true,
    );
    let mut ttl = ttl(issues, &raw.ttl, field);
    let floor = known.floors.get(raw.provider.get_ref());
    limits::ttl_floor(issues, &mut ttl, &raw.ttl, floor, field);
    let failback = failback(issues, &raw.failback, floor, field);
    let mut health = health(issues, &raw.health, field, known.vantages);
    let damping = damping(issues, &raw.damping, field);
    let probe = probe_value.and_then(|p| probe::probe(issues, root, p, field, &record));
    let timeout_at = probe_value
        .and_then(as_table)
        .and_then(|t| t.get("timeout"))
        .map(Spanned::span);
    let timeout = probe.as_ref().map(|p| (p.timeout, timeout_at));
    limits::timing(issues, &health, &raw.health, timeout.clone(), field);
    fast::check(
        issues,
        &mut health,
        &raw.health,
        timeout.map(|(t, _)| t),
        field,
    );
    let pools = pools::pools(
        issues,
        &raw.pools,
        &records,
        (&health, raw.health.min_healthy.as_ref().map(Spanned::span)),
        field,
        span,
    );
    let mut pools = pools;
    let kind = floor.map(|f| f.kind);
    for (pool, target) in pools
        .iter_mut()
        .zip(alias::targets(issues, &raw.pools, &records, kind, field))
    {
        pool.alias = target;
    }
    let propagation = pools::propagation(issues, &raw.propagation, field);
    let min_healthy = (
        health.min_healthy,
        raw.health.min_healthy.as_ref().map(Spanned::span),
    );
    alias_probe::probe_targets(issues, &raw.pools, &mut pools, &propagation, field);
    alias_probe::min_healthy(issues, &pools, min_healthy, field);
    let service = Service {
        name: raw.name.into_inner(),
        provider: raw.provider.into_inner(),
        zone,
        record,
        rtype: first.rtype,
        records,
        rto,
        ttl,
        failback,
        probe: probe?,
        health,
        damping,
        pools,
        propagation,
        // Filled from `[[risk_windows]]` once every service is known.
        risk_windows: Vec::new(),
        // Filled from `controller.shared_risk` once the groups are known.
        shared_risk: Default::default(),
    };
    Some((service, members))
}

fn provider_ref(
    issues: &mut Issues<'_>,
    provider: &S<String>,
    providers: &BTreeSet<String>,
    field: &str,
) {
    if providers.contains(provider.get_ref()) {
        return;
    }
    let configured: Vec<&str> = providers.iter().map(String::as_str).collect();
    let known = if configured.is_empty() {
        "no providers are configured; add a [providers.NAME] table".to_string()
    } else {
        format!("configured providers: {}", configured.join(", "))
    };
    let msg = format!("unknown provider {:?}; {known}", provider.get_ref());
    issues.add(Some(provider.span()), format!("{field}.provider"), msg);
}

fn ttl(issues: &mut Issues<'_>, raw: &RawTtl, field: &str) -> Ttl {
    let normal = issues.ttl(&raw.normal, &format!("{field}.ttl.normal"), 300);
    let lowered = issues.ttl(&raw.lowered, &format!("{field}.ttl.lowered"), 30);
    if lowered > normal {
        let at = raw
            .lowered
            .as_ref()
            .or(raw.normal.as_ref())
            .map(Spanned::span);
        let msg = format!("{lowered}s is above ttl.normal ({normal}s); lowered must be ≤ normal");
        issues.add(at, format!("{field}.ttl.lowered"), msg);
    }
    let restore_after = issues.duration(
        &raw.restore_after,
        &format!("{field}.ttl.restore_after"),
        Duration::from_secs(300),
        false,
    );
    Ttl {
        normal,
        lowered,
        restore_after,
    }
}

fn failback(
    issues: &mut Issues<'_>,
    raw: &RawFailback,
    floor: Option<&Floor>,
    field: &str,
) -> Failback {
    let (steps, step_hold) = super::gradual::steps(issues, raw, floor, field);
    Failback {
        steps,
        step_hold,
        mode: raw.mode,
        stable_for: issues.duration(
            &raw.stable_for,
            &format!("{field}.failback.stable_for"),
            Duration::from_secs(300),
            false,
        ),
    }
}

fn health(issues: &mut Issues<'_>, raw: &RawHealth, field: &str, vantages: usize) -> Health {
    let f = |k: &str| format!("{field}.health.{k}");
    let interval = issues.duration(&raw.interval, &f("interval"), Duration::from_secs(5), true);
    // Checked (and defaulted) against the interval and timeout by fast::check.
    let fast_interval = issues.duration(
        &raw.fast_interval,
        &f("fast_interval"),
        super::DEFAULT_FAST_INTERVAL,
        true,
    );
    // More than 1000 in a row would take hours to change a verdict.
    let rise = issues.count_to(&raw.rise, &f("rise"), 5, 1000);
    let fall = issues.count_to(&raw.fall, &f("fall"), 3, 1000);
    let min_healthy = issues.count(&raw.min_healthy, &f("min_healthy"), 1);
    let max_age = raw.max_age.as_ref().map(|_| {
        issues.duration(
            &raw.max_age,
            &f("max_age"),
            interval.saturating_mul(3),
            true,
        )
    });
    let quorum = raw.quorum.as_ref().map(|q| {
        let n = *q.get_ref();
        if n == 0 || n as usize > vantages {
            let msg = format!(
                "quorum {n} is not possible with {vantages} vantage(s) (this controller + {} peer(s)); allowed: 1 to {vantages}, or leave it out for a majority",
                vantages - 1
            );
            issues.add(Some(q.span()), f("quorum"), msg);
        }
        n
    });
    Health {
        interval,
        fast_interval,
        rise,
        fall,
        quorum,
        min_healthy,
        max_age,
        accept_single_region_risk: raw
            .accept_single_region_risk
            .as_ref()
            .is_some_and(|a| *a.get_ref()),
        // On unless written off: it only moves a probe earlier.
        watch: raw.watch.as_ref().is_none_or(|w| *w.get_ref()),
    }
}

fn damping(issues: &mut Issues<'_>, raw: &RawDamping, field: &str) -> Damping {
    let f = |k: &str| format!("{field}.damping.{k}");
    let hold_down = issues.duration(
        &raw.hold_down,
        &f("hold_down"),
        Duration::from_secs(120),
        false,
    );
    let flip_window = issues.duration(
        &raw.flip_window,
        &f("flip_window"),
        Duration::from_secs(3600),
        true,
    );
    Damping {
        hold_down,
        max_flips: issues.count_to(&raw.max_flips, &f("max_flips"), 3, 1000),
        flip_window,
    }
}
