//! Rules across the fields of one service, and across services: probe
//! timing, TTL floors, one service per record name and type.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use rtoguard_provider_api::RecordType;

use super::locate::Issues;
use super::raw::{RawHealth, RawTtl};
use super::types::{Health, Member, Ttl};
use super::values::{MAX_TTL, show};

/// The shortest probe interval: faster is a load test, not a health check.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// A provider's TTL floor and what to say about it.
#[derive(Debug, Clone)]
pub(super) struct Floor {
    pub ttl: u32,
    pub provider: String,
    pub kind: &'static str,
}

/// `health.interval` at least 100 ms, the probe timeout below it, and
/// `max_age` at least 2 × interval + timeout. `timeout` is the probe's, with where it is written.
pub(super) fn timing(
    issues: &mut Issues<'_>,
    health: &Health,
    raw: &RawHealth,
    timeout: Option<(Duration, Option<Range<usize>>)>,
    field: &str,
) {
    let interval_at = raw.interval.as_ref().map(|v| v.span());
    let t = timeout.as_ref().map_or(Duration::ZERO, |(t, _)| *t);
    if health.interval < MIN_INTERVAL {
        let msg = format!(
            "{} is too short: allowed are 100ms and more (each probe is a request to every endpoint)",
            show(health.interval)
        );
        issues.add(interval_at.clone(), format!("{field}.health.interval"), msg);
    }
    if let Some((t, at)) = timeout
        && t >= health.interval
    {
        let msg = format!(
            "the probe timeout {} is not below health.interval {}: a probe must end before the next starts; lower the timeout or raise the interval",
            show(t),
            show(health.interval)
        );
        let (at, key) = match at {
            Some(at) => (Some(at), "probe.timeout"),
            None => (interval_at, "health.interval"),
        };
        issues.add(at, format!("{field}.{key}"), msg);
    }
    // A fresh peer's observation is up to an interval and a timeout old
    // when it answers (its last probe), and up to an interval more by our
    // next pull: a shorter max_age counts live peers stale.
    let floor = health.interval.saturating_mul(2).saturating_add(t);
    if let (Some(m), Some(v)) = (health.max_age, &raw.max_age)
        && m < floor
    {
        let msg = format!(
            "{} is shorter than 2 × health.interval {} + the probe timeout {}: a live peer's observation can be {} old (its last probe, then the wait for our next pull), so it would count as stale; allowed: at least {} (default 3 × interval)",
            show(m),
            show(health.interval),
            show(t),
            show(floor),
            show(floor)
        );
        issues.add(Some(v.span()), format!("{field}.health.max_age"), msg);
    }
}

/// TTLs at or above the provider's floor: a written TTL below it is an
/// error; a default below it is raised to it.
pub(super) fn ttl_floor(
    issues: &mut Issues<'_>,
    ttl: &mut Ttl,
    raw: &RawTtl,
    floor: Option<&Floor>,
    field: &str,
) {
    let Some(floor) = floor else { return };
    for (value, written, key) in [
        (&mut ttl.normal, &raw.normal, "normal"),
        (&mut ttl.lowered, &raw.lowered, "lowered"),
    ] {
        if *value >= floor.ttl {
            continue;
        }
        let Some(w) = written else {
            *value = floor.ttl;
            continue;
        };
        let hint = if floor.kind == "cloudflare" {
            " (set min_ttl on the provider if the zone accepts lower, e.g. \"30s\" on Enterprise)"
        } else {
            ""
        };
        let msg = format!(
            "{}s is below the TTL floor of provider {} ({}s, {}): allowed are {}s to {MAX_TTL}s{hint}",
            *value, floor.provider, floor.ttl, floor.kind, floor.ttl
        );
        issues.add(Some(w.span()), format!("{field}.ttl.{key}"), msg);
    }
}

/// Records served, by (name, type), with the service that owns each.
pub(super) type Owners = BTreeMap<(String, RecordType), String>;

/// Two services on one record name and type would fight over it; a CNAME
/// shares its name with no other record (RFC 1034 section 3.6.2). Every
/// record of `service`'s group is checked, then all are owned.
pub(super) fn one_owner(
    issues: &mut Issues<'_>,
    owners: &mut Owners,
    service: &str,
    records: &[(Member, Range<usize>)],
    field: &str,
) {
    let at_field = |i: usize| match records.len() {
        1 => format!("{field}.record"),
        _ => format!("{field}.records[{i}]"),
    };
    for (i, (m, at)) in records.iter().enumerate() {
        // Names are normalised already: lower case, trailing dot.
        let clash = owners.iter().find(|((name, rtype), _)| {
            *name == m.name
                && (*rtype == m.rtype
                    || *rtype == RecordType::CNAME
                    || m.rtype == RecordType::CNAME)
        });
        match clash {
            Some(((_, rtype), other)) if *rtype == m.rtype => {
                let msg = format!(
                    "{m} is also the record of service {other}: one service per record name and type"
                );
                issues.add(Some(at.clone()), at_field(i), msg);
            }
            Some(((_, rtype), other)) => {
                let msg = format!(
                    "{} is also the {rtype} record of service {other}: a CNAME cannot share its name with another record",
                    m.name
                );
                issues.add(Some(at.clone()), at_field(i), msg);
            }
            None => {}
        }
    }
    for (m, _) in records {
        owners
            .entry((m.name.clone(), m.rtype))
            .or_insert_with(|| service.to_string());
    }
}
