//! Validation of a service's probe (a table tagged by `type`).

use std::time::Duration;

use rtoguard_provider_api::RecordType;
use serde_spanned::Spanned;
use toml::de::DeValue;

use super::locate::Issues;
use super::raw::{RawDnsProbe, RawHttpProbe, RawStatus, RawTcpProbe, S};
use super::tables::{parse_section, tag};
use super::types::{Probe, ProbeKind};

const PROBE_TYPES: &str = "http, tcp, dns";

/// The probe of service `field` whose record is `record`.
pub(super) fn probe(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    value: &Spanned<DeValue<'_>>,
    field: &str,
    record: &str,
) -> Option<Probe> {
    let field = format!("{field}.probe");
    let timeout_field = format!("{field}.timeout");
    let default_timeout = Duration::from_secs(2);
    let (timeout, kind) = match tag(issues, value, &field, PROBE_TYPES)? {
        "http" => {
            let raw = parse_section::<RawHttpProbe>(issues, root, value, &field)?;
            let timeout = issues.duration(&raw.timeout, &timeout_field, default_timeout, true);
            (timeout, http(issues, raw, &field, record)?)
        }
        "tcp" => {
            let raw = parse_section::<RawTcpProbe>(issues, root, value, &field)?;
            let timeout = issues.duration(&raw.timeout, &timeout_field, default_timeout, true);
            let port = port(issues, &Some(raw.port), &field, 0);
            (timeout, ProbeKind::Tcp { port })
        }
        _ => {
            let raw = parse_section::<RawDnsProbe>(issues, root, value, &field)?;
            let timeout = issues.duration(&raw.timeout, &timeout_field, default_timeout, true);
            (timeout, dns(issues, raw, &field, record)?)
        }
    };
    Some(Probe { timeout, kind })
}

fn port(issues: &mut Issues<'_>, value: &Option<S<u16>>, field: &str, default: u16) -> u16 {
    match value {
        Some(p) if *p.get_ref() == 0 => {
            issues.add(
                Some(p.span()),
                format!("{field}.port"),
                "port 0 is not allowed: 1 to 65535",
            );
            default
        }
        Some(p) => *p.get_ref(),
        None => default,
    }
}

fn http(
    issues: &mut Issues<'_>,
    raw: RawHttpProbe,
    field: &str,
    record: &str,
) -> Option<ProbeKind> {
    let port = port(issues, &raw.port, field, if raw.tls { 443 } else { 80 });
    let path = match raw.path {
        Some(p) if !p.get_ref().starts_with('/') => {
            let msg = format!(
                "{:?} is not a path: it must start with '/', e.g. \"/healthz\"",
                p.get_ref()
            );
            issues.add(Some(p.span()), format!("{field}.path"), msg);
            return None;
        }
        Some(p) => p.into_inner(),
        None => "/".to_string(),
    };
    let expect_status = match raw.expect_status {
        None => vec![(200, 299)],
        Some(list) if list.is_empty() => {
            issues.add(
                None,
                format!("{field}.expect_status"),
                "is empty: give at least one status, e.g. [200] or [\"200-299\"]",
            );
            return None;
        }
        Some(list) => list
            .iter()
            .map(|s| status(issues, s, field))
            .collect::<Option<Vec<_>>>()?,
    };
    Some(ProbeKind::Http {
        tls: raw.tls,
        port,
        path,
        expect_status,
        body_contains: raw.body_contains,
        header: raw.header.map(|h| (h.name.to_ascii_lowercase(), h.value)),
        host: Some(
            raw.host
                .unwrap_or_else(|| record.trim_end_matches('.').to_string()),
        ),
        ca_file: raw.ca_file,
    })
}

/// One status entry as an inclusive range.
fn status(issues: &mut Issues<'_>, s: &S<RawStatus>, field: &str) -> Option<(u16, u16)> {
    let code = |n: i64| u16::try_from(n).ok().filter(|c| (100..=599).contains(c));
    let parsed = match s.get_ref() {
        RawStatus::Code(n) => code(*n).map(|c| (c, c)),
        RawStatus::Range(text) => match text.split_once('-') {
            Some((a, b)) => {
                let lo = a.trim().parse().ok().and_then(code);
                let hi = b.trim().parse().ok().and_then(code);
                lo.zip(hi).filter(|(lo, hi)| lo <= hi)
            }
            None => text.trim().parse().ok().and_then(code).map(|c| (c, c)),
        },
    };
    if parsed.is_none() {
        let msg =
            "not a status: write a code from 100 to 599 like 200, or a range like \"200-299\"";
        issues.add(Some(s.span()), format!("{field}.expect_status"), msg);
    }
    parsed
}

fn dns(issues: &mut Issues<'_>, raw: RawDnsProbe, field: &str, record: &str) -> Option<ProbeKind> {
    let port = port(issues, &raw.port, field, 53);
    let query_type = match &raw.query_type {
        None => RecordType::A,
        Some(t) => t
            .get_ref()
            .parse()
            .map_err(|e: String| issues.add(Some(t.span()), format!("{field}.query_type"), e))
            .ok()?,
    };
    let query_name = raw.query_name.map_or_else(
        || record.to_string(),
        |n| super::values::normalize_name(n.get_ref()),
    );
    Some(ProbeKind::Dns {
        port,
        query_name,
        query_type,
    })
}
