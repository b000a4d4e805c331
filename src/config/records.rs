//! Validation of a service's records: the single-record form (`record` +
//! `type`) or a record group (`records`), always returned as a group.

use std::ops::Range;

use rtoguard_provider_api::RecordType;

use super::locate::Issues;
use super::raw::{RawService, S};
use super::service::{names, record_name, record_type, zone_name};
use super::types::Member;

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
    let fallback = || super::values::normalize_name(zone);
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
