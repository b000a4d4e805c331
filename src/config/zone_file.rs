//! A zone file of the embedded provider may not hold the record a service
//! names: that record is what rtoguard serves and flips.

use std::path::Path;

/// Why the zone file `file` of the zone `zone` may not be served with the
/// service `service`'s `record`, if it may not: it has a record at that
/// name (named by the file's line). A file that cannot be read is reported
/// with its zone.
#[cfg(feature = "embedded")]
pub(super) fn at_managed_name(
    zone: &str,
    file: Option<&Path>,
    record: &str,
    service: &str,
) -> Option<String> {
    use std::str::FromStr;
    let file = file?;
    let origin = hickory_proto::rr::Name::from_str(zone).ok()?;
    let record = hickory_proto::rr::Name::from_str(record).ok()?;
    let records = rtoguard_embedded::zone_file::read(file, &origin).ok()?;
    let (line, r) = records.iter().find(|(_, r)| r.name == record)?;
    Some(format!(
        "{}, line {line}: the zone file has a {} record at {record}, the record of service {service}, which rtoguard serves and flips: remove it from the zone file",
        file.display(),
        r.record_type(),
    ))
}

#[cfg(not(feature = "embedded"))]
pub(super) fn at_managed_name(_: &str, _: Option<&Path>, _: &str, _: &str) -> Option<String> {
    None
}
