//! Validation of `[[risk_windows]]`: scheduled risk windows (the TTL kept
//! lowered), each naming services, a group or a region, with a start (once,
//! RFC 3339, or every week or day at a time in UTC), a duration and a reason.

use serde::Deserialize;
use serde_spanned::Spanned;
use toml::de::DeValue;

use super::locate::Issues;
use super::raw::S;
use super::tables::{elements, parse_section};
use super::types::{Group, Service};
use crate::controller::risk::MAX_RISK;
use crate::controller::{RiskStart, ScheduledRisk};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRiskWindow {
    name: S<String>,
    services: Option<S<Vec<S<String>>>>,
    group: Option<S<String>>,
    region: Option<S<String>>,
    start: Option<S<String>>,
    every: Option<S<String>>,
    duration: S<String>,
    reason: S<String>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Validate every window and give each service the windows that name it.
pub(super) fn risk_windows(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    value: Option<&Spanned<DeValue<'_>>>,
    services: &mut [Service],
    (declared, groups): (&std::collections::BTreeSet<String>, &[Group]),
) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, item) in elements(issues, value, "risk_windows").iter().enumerate() {
        let at = format!("risk_windows[{i}]");
        let Some(raw) = parse_section::<RawRiskWindow>(issues, root, item, &at) else {
            continue;
        };
        let name = raw.name.get_ref().trim().to_owned();
        let field = format!("risk_windows[{name}]");
        let before = issues.list.len();
        if name.is_empty() {
            issues.add(
                Some(raw.name.span()),
                format!("{at}.name"),
                "must not be empty",
            );
        } else if !seen.insert(name.clone()) {
            let msg = format!("duplicate risk window name {name:?}");
            issues.add(Some(raw.name.span()), format!("{field}.name"), msg);
        }
        let named = targets(issues, &raw, &field, (declared, services), groups);
        let start = start(issues, &raw, &field, item.span());
        let duration = issues.duration(
            &Some(raw.duration.clone()),
            &format!("{field}.duration"),
            std::time::Duration::ZERO,
            true,
        );
        if duration > MAX_RISK {
            let msg = "a risk window lasts at most 7 days";
            issues.add(Some(raw.duration.span()), format!("{field}.duration"), msg);
        }
        if raw.reason.get_ref().trim().is_empty() {
            let msg = "must say why, e.g. \"weekly deploy\"";
            issues.add(Some(raw.reason.span()), format!("{field}.reason"), msg);
        }
        let (Some(start), true) = (start, issues.list.len() == before) else {
            continue;
        };
        let window = ScheduledRisk {
            name,
            start,
            duration,
            reason: raw.reason.into_inner(),
        };
        for s in services.iter_mut().filter(|s| named.contains(&s.name)) {
            s.risk_windows.push(window.clone());
        }
    }
}

/// The services a window names: exactly one of services, group or region.
fn targets(
    issues: &mut Issues<'_>,
    raw: &RawRiskWindow,
    field: &str,
    (declared, services): (&std::collections::BTreeSet<String>, &[Service]),
    groups: &[Group],
) -> Vec<String> {
    let given = [
        raw.services.is_some(),
        raw.group.is_some(),
        raw.region.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        let msg = "name exactly one of `services`, `group` or `region`";
        issues.add(Some(raw.name.span()), field.to_owned(), msg);
        return Vec::new();
    }
    if let Some(list) = &raw.services {
        for s in list.get_ref() {
            // A declared service that is broken was reported already.
            if !declared.contains(s.get_ref()) {
                let msg = format!("no service is named {:?}", s.get_ref());
                issues.add(Some(s.span()), format!("{field}.services"), msg);
            }
        }
        return list.get_ref().iter().map(|s| s.get_ref().clone()).collect();
    }
    if let Some(g) = &raw.group {
        return match groups.iter().find(|x| &x.name == g.get_ref()) {
            Some(group) => group.services.clone(),
            None => {
                let msg = format!("no group is named {:?}", g.get_ref());
                issues.add(Some(g.span()), format!("{field}.group"), msg);
                Vec::new()
            }
        };
    }
    let Some(r) = &raw.region else {
        return Vec::new();
    };
    let named: Vec<String> = services
        .iter()
        .filter(|s| s.pools.iter().any(|p| &p.region == r.get_ref()))
        .map(|s| s.name.clone())
        .collect();
    if named.is_empty() {
        let msg = format!("no service has a pool in region {:?}", r.get_ref());
        issues.add(Some(r.span()), format!("{field}.region"), msg);
    }
    named
}

/// `start` (RFC 3339) or `every` (`"tue 14:00"`, `"daily 06:30"`, UTC): exactly one.
fn start(
    issues: &mut Issues<'_>,
    raw: &RawRiskWindow,
    field: &str,
    span: std::ops::Range<usize>,
) -> Option<RiskStart> {
    match (&raw.start, &raw.every) {
        (Some(s), None) => match humantime::parse_rfc3339(s.get_ref()) {
            Ok(t) => Some(RiskStart::Once(t)),
            Err(_) => {
                let msg = "must be an RFC 3339 time in UTC, e.g. \"2026-12-24T08:00:00Z\"";
                issues.add(Some(s.span()), format!("{field}.start"), msg);
                None
            }
        },
        (None, Some(e)) => match parse_every(e.get_ref()) {
            Some(every) => Some(every),
            None => {
                let msg =
                    "must be a day (mon..sun, or daily) and a time in UTC, e.g. \"tue 14:00\"";
                issues.add(Some(e.span()), format!("{field}.every"), msg);
                None
            }
        },
        _ => {
            let msg = "needs exactly one of `start` (RFC 3339) or `every` (\"tue 14:00\")";
            issues.add(Some(span), field.to_owned(), msg);
            None
        }
    }
}

/// `"tue 14:00"` or `"daily 06:30"`, in UTC.
pub(crate) fn parse_every(text: &str) -> Option<RiskStart> {
    let (day, time) = text.trim().split_once(' ')?;
    let day = day.to_ascii_lowercase();
    let day = match day.as_str() {
        "daily" => None,
        d => Some(u8::try_from(DAYS.iter().position(|x| *x == d)?).ok()?),
    };
    let (h, m) = time.trim().split_once(':')?;
    let two = |s: &str| (s.len() == 2).then(|| s.parse::<u16>().ok()).flatten();
    let (h, m) = (two(h)?, two(m)?);
    (h < 24 && m < 60).then_some(RiskStart::Every {
        day,
        minute: h * 60 + m,
    })
}
