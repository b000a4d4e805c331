//! Validation of a service's records: the single-record form (`record` +
//! `type`) or a record group (`records`), always returned as a group.

use std::ops::Range;

use rtoguard_provider_api::RecordType;

use super::locate::Issues;
use super::raw::{RawService, S};
use super::types::Member;
use super::values::{is_hostname, normalize_name};

/// A service's records, each with where it was written.
pub(super) type Placed = Vec<(Member, Range<usize>)>;

/// The zone and the service's records (a group of one for the
/// single-record form), each with where it was written; `None` for the
/// records when they cannot be known.
pub(super) fn members(
    issues: &mut Issues<'_>,
    raw: &RawService,
    field: &str,
    span: Range<usize>,
) -> (String, Option<Placed>) {
    let zone = raw.zone.get_ref();
    let fallback = || normalize_name(zone);
    match (&raw.record, &raw.rtype, &raw.records) {
        (Some(_), _, Some(list)) => {
            let msg = "give either record + type (one record) or records (a group), not both";
            issues.add(Some(list.span()), format!("{field}.records"), msg);
            (fallback(), None)
        }
        (None, Some(t), Some(_)) => {
            let msg = "with records, each record names its own type: remove this type";
            issues.add(Some(t.span()), format!("{field}.type"), msg);
            (fallback(), None)
        }
        (Some(record), Some(t), None) => {
            let (zone, name) = names(issues, &raw.zone, record, field);
            let one = record_type(issues, t, field)
                .map(|rtype| vec![(Member { name, rtype }, record.span())]);
            (zone, one)
        }
        (Some(record), None, None) => {
            let msg = "missing: the record's type (\"A\", \"AAAA\" or \"CNAME\")";
            issues.add(Some(record.span()), format!("{field}.type"), msg);
            (fallback(), None)
        }
        (None, _, None) => {
            let msg = "missing: record + type, or records = [{ name = \"example.com.\", type = \"A\" }, ...]";
            issues.add(Some(span), format!("{field}.record"), msg);
            (fallback(), None)
        }
        (None, None, Some(list)) => group(issues, raw, list, field),
    }
}

fn group(
    issues: &mut Issues<'_>,
    raw: &RawService,
    list: &S<Vec<S<super::raw::RawMember>>>,
    field: &str,
) -> (String, Option<Placed>) {
    let zone = zone_name(issues, &raw.zone, field);
    if list.get_ref().is_empty() {
        let msg = "no records: a group holds at least one { name, type }";
        issues.add(Some(list.span()), format!("{field}.records"), msg);
        return (zone, None);
    }
    let mut out: Vec<(Member, Range<usize>)> = Vec::new();
    let mut broken = false;
    for (i, item) in list.get_ref().iter().enumerate() {
        let f = format!("{field}.records[{i}]");
        let m = item.get_ref();
        let name = record_name(issues, &zone, &m.name, &format!("{f}.name"));
        let Some(rtype) = record_type(issues, &m.rtype, &f) else {
            broken = true;
            continue;
        };
        if let Some(msg) = clash(&out, &name, rtype) {
            issues.add(Some(item.span()), f, msg);
            broken = true;
            continue;
        }
        out.push((Member { name, rtype }, item.span()));
    }
    (zone, (!broken).then_some(out))
}

/// Why `name` `rtype` cannot join the records already in the group.
fn clash(group: &[(Member, Range<usize>)], name: &str, rtype: RecordType) -> Option<String> {
    let same = group.iter().map(|(m, _)| m).find(|m| m.name == name)?;
    Some(if same.rtype == rtype {
        format!("{name} {rtype} is written twice in records; each name and type once")
    } else if same.rtype == RecordType::CNAME || rtype == RecordType::CNAME {
        format!(
            "{name} has both {} and {rtype} records: a CNAME cannot share its name with another record",
            same.rtype
        )
    } else {
        return None;
    })
}

fn record_type(issues: &mut Issues<'_>, rtype: &S<String>, field: &str) -> Option<RecordType> {
    rtype
        .get_ref()
        .parse::<RecordType>()
        .map_err(|e| issues.add(Some(rtype.span()), format!("{field}.type"), e))
        .ok()
}

/// The zone and record, absolute and lower-case; the record must be in the zone.
fn names(
    issues: &mut Issues<'_>,
    zone: &S<String>,
    record: &S<String>,
    field: &str,
) -> (String, String) {
    let z = zone_name(issues, zone, field);
    let r = record_name(issues, &z, record, &format!("{field}.record"));
    (z, r)
}

/// The zone, absolute and lower-case.
fn zone_name(issues: &mut Issues<'_>, zone: &S<String>, field: &str) -> String {
    not_a_name(issues, zone, &format!("{field}.zone"));
    normalize_name(zone.get_ref())
}

/// A record's name (at `key`), absolute and lower-case; it must be `zone`
/// or a name under it.
fn record_name(issues: &mut Issues<'_>, zone: &str, record: &S<String>, key: &str) -> String {
    not_a_name(issues, record, key);
    let r = normalize_name(record.get_ref());
    if r != zone && !r.ends_with(&format!(".{zone}")) {
        let msg = format!(
            "{r} is outside its zone {zone}; the record must be the zone or a name under it"
        );
        issues.add(Some(record.span()), key.to_string(), msg);
    }
    r
}

fn not_a_name(issues: &mut Issues<'_>, value: &S<String>, key: &str) {
    if !is_hostname(value.get_ref()) {
        let msg = format!(
            "{:?} is not a DNS name: write e.g. \"example.com.\"",
            value.get_ref()
        );
        issues.add(Some(value.span()), key.to_string(), msg);
    }
}
