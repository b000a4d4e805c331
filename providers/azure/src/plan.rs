//! Pure planning: Azure record sets to record sets, names to ARM paths, and a checked change to one conditional PUT.

use rtoguard_provider_api::{Change, ProviderError, RecordSet, RecordType, normalize_name, sorted};

use crate::api::{ARecord, AaaaRecord, ArmRecordSet, CnameRecord, Properties, Put};

/// Azure DNS takes any TTL from 1 up.
pub const TTL_FLOOR: u32 = 1;

/// The precondition a write carries: the fence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match: <etag>`: the record set is still the version read.
    IfMatch(String),
    /// `If-None-Match: *`: no record set exists yet.
    IfNoneMatch,
}

/// What one compare found.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The desired state is served already: nothing to write.
    Done,
    /// The expected state is served: write this, fenced by that.
    Write(Put, Precondition),
}

/// The zone's name in ARM paths: no trailing dot, lower-case.
pub fn zone_name(zone: &str) -> String {
    normalize_name(zone).trim_end_matches('.').to_string()
}

/// The record set's name relative to `zone` (`@` at the apex).
pub fn relative_name(provider: &str, zone: &str, name: &str) -> Result<String, ProviderError> {
    let (zone, name) = (normalize_name(zone), normalize_name(name));
    if name == zone {
        return Ok("@".to_string());
    }
    match name.strip_suffix(&format!(".{zone}")) {
        Some(rel) if !rel.is_empty() => Ok(rel.to_string()),
        _ => Err(ProviderError::Refused(format!(
            "{provider}: {name} is not in zone {zone}"
        ))),
    }
}

/// The record set Azure serves for `name`/`rtype` (empty when absent or
/// without records).
pub fn to_sets(name: &str, rtype: RecordType, found: Option<&ArmRecordSet>) -> Vec<RecordSet> {
    let Some(p) = found.map(|f| &f.properties) else {
        return Vec::new();
    };
    let values: Vec<String> = match rtype {
        RecordType::A => {
            p.a.iter()
                .flatten()
                .map(|r| r.ipv4_address.clone())
                .collect()
        }
        RecordType::AAAA => p
            .aaaa
            .iter()
            .flatten()
            .map(|r| r.ipv6_address.clone())
            .collect(),
        RecordType::CNAME => p.cname.iter().map(|c| c.cname.clone()).collect(),
    };
    if values.is_empty() {
        return Vec::new();
    }
    vec![RecordSet::new(name, rtype, p.ttl.unwrap_or(0), values)]
}

/// True when `found` serves exactly `change.desired()` (values and TTL).
pub fn serves(change: &Change, found: Option<&ArmRecordSet>) -> bool {
    sorted(&to_sets(change.name(), change.rtype(), found)) == sorted(change.desired())
}

/// Check what Azure DNS can't do before any request is sent.
pub fn check<'a>(provider: &str, change: &'a Change) -> Result<&'a RecordSet, ProviderError> {
    match change.desired() {
        [desired] if desired.set_id.is_none() => Ok(desired),
        _ => Err(ProviderError::Refused(format!(
            "{provider}: Azure DNS holds one record set per name and type (no weights)"
        ))),
    }
}

/// Compare what Azure serves with `change.expected()`. `retried` is true on
/// a second or later attempt, when the desired state in place means an
/// earlier attempt landed before its answer was lost.
pub fn compare(
    provider: &str,
    change: &Change,
    found: Option<&ArmRecordSet>,
    retried: bool,
) -> Result<Step, ProviderError> {
    let desired = check(provider, change)?;
    if found.is_some_and(|f| f.properties.is_alias()) {
        return Err(ProviderError::Refused(format!(
            "{provider}: {} {} is an alias record set (it points at an Azure resource): rtoguard flips record values only",
            change.name(),
            change.rtype()
        )));
    }
    let now = to_sets(change.name(), change.rtype(), found);
    let done = serves(change, found);
    if retried && done {
        return Ok(Step::Done);
    }
    if sorted(&now) != sorted(change.expected()) {
        let also = if done {
            "; it holds the desired state already (another writer applied it)"
        } else {
            ""
        };
        return Err(ProviderError::Conflict {
            provider: provider.to_string(),
            message: format!(
                "expected [{}], found [{}]; nothing written{also}",
                show(change.expected()),
                show(&now)
            ),
        });
    }
    if done {
        return Ok(Step::Done);
    }
    let (kept, fence) = match found {
        Some(f) => (
            f.properties.metadata.clone(),
            Precondition::IfMatch(f.etag.clone()),
        ),
        None => (None, Precondition::IfNoneMatch),
    };
    Ok(Step::Write(put(change.rtype(), desired, kept), fence))
}

/// The PUT that makes the record set `desired`, with its tags `kept`.
pub fn put(
    rtype: RecordType,
    desired: &RecordSet,
    kept: Option<serde_json::Map<String, serde_json::Value>>,
) -> Put {
    let values = desired.values.iter().cloned();
    let mut properties = Properties {
        ttl: Some(desired.ttl),
        metadata: kept,
        ..Properties::default()
    };
    match rtype {
        RecordType::A => {
            properties.a = Some(
                values
                    .map(|ipv4_address| ARecord { ipv4_address })
                    .collect(),
            )
        }
        RecordType::AAAA => {
            properties.aaaa = Some(
                values
                    .map(|ipv6_address| AaaaRecord { ipv6_address })
                    .collect(),
            )
        }
        RecordType::CNAME => properties.cname = values.map(|cname| CnameRecord { cname }).next(),
    }
    Put { properties }
}

/// Record sets for a message: `name ttl type [values]`, comma-separated.
pub fn show(sets: &[RecordSet]) -> String {
    let shown: Vec<String> = sets.iter().map(ToString::to_string).collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NAME: &str = "www.example.test.";

    fn found(etag: &str, ttl: u32, values: &[&str]) -> ArmRecordSet {
        let recs: Vec<_> = values.iter().map(|v| json!({"ipv4Address": v})).collect();
        serde_json::from_value(json!({"etag": etag, "properties": {"TTL": ttl,
            "metadata": {"owner": "sre"}, "ARecords": recs}}))
        .unwrap()
    }

    fn change(expected: &[&str], desired: &[&str], ttl: u32) -> Change {
        let set = |v: &[&str], t| RecordSet::new(NAME, RecordType::A, t, v);
        let expected = if expected.is_empty() {
            vec![]
        } else {
            vec![set(expected, 300)]
        };
        Change::new(NAME, RecordType::A, expected, vec![set(desired, ttl)]).unwrap()
    }

    #[test]
    fn names_are_relative_to_the_zone() {
        assert_eq!(
            relative_name("az", "Example.Test", "WWW.example.test.").unwrap(),
            "www"
        );
        assert_eq!(
            relative_name("az", "example.test.", "example.test").unwrap(),
            "@"
        );
        assert_eq!(
            relative_name("az", "example.test.", "a.b.example.test.").unwrap(),
            "a.b"
        );
        let err = relative_name("az", "example.test.", "www.notexample.test.").unwrap_err();
        assert_eq!(err.kind(), "refused");
        assert_eq!(zone_name("Example.Test."), "example.test");
    }

    #[test]
    fn a_flip_puts_the_new_values_fenced_by_the_etag_read_and_keeps_the_tags() {
        let now = found("etag-1", 300, &["127.0.0.2"]);
        let step = compare(
            "az",
            &change(&["127.0.0.2"], &["127.0.0.3"], 60),
            Some(&now),
            false,
        )
        .unwrap();
        let Step::Write(put, fence) = step else {
            panic!("a write was due")
        };
        assert_eq!(fence, Precondition::IfMatch("etag-1".into()));
        assert_eq!(
            serde_json::to_value(put).unwrap(),
            json!({"properties": {"TTL": 60, "metadata": {"owner": "sre"}, "ARecords": [{"ipv4Address": "127.0.0.3"}]}})
        );
    }

    #[test]
    fn a_mismatch_conflicts_and_a_landed_retry_is_done() {
        let now = found("etag-2", 300, &["127.0.0.9"]);
        let err = compare(
            "az",
            &change(&["127.0.0.2"], &["127.0.0.3"], 300),
            Some(&now),
            false,
        )
        .unwrap_err();
        assert_eq!(err.kind(), "conflict");
        assert!(err.to_string().contains("127.0.0.9"), "{err}");
        let landed = found("etag-3", 60, &["127.0.0.3"]);
        let c = change(&["127.0.0.2"], &["127.0.0.3"], 60);
        assert_eq!(compare("az", &c, Some(&landed), true).unwrap(), Step::Done);
        let err = compare("az", &c, Some(&landed), false).unwrap_err();
        assert!(err.to_string().contains("desired state already"), "{err}");
    }

    #[test]
    fn a_new_record_set_is_created_only_if_none_exists() {
        let Step::Write(_, fence) =
            compare("az", &change(&[], &["127.0.0.3"], 60), None, false).unwrap()
        else {
            panic!("a write was due")
        };
        assert_eq!(fence, Precondition::IfNoneMatch);
    }

    #[test]
    fn cnames_are_absolute_and_aliases_and_weights_are_refused() {
        let d = RecordSet::new(NAME, RecordType::CNAME, 60, ["Standby.Example.NET"]);
        let p = put(RecordType::CNAME, &d, None);
        assert_eq!(p.properties.cname.unwrap().cname, "standby.example.net.");
        let alias: ArmRecordSet = serde_json::from_value(json!({"etag": "e", "properties": {"TTL": 60,
            "targetResource": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/tm"}}}))
        .unwrap();
        let err = compare("az", &change(&[], &["127.0.0.3"], 60), Some(&alias), false).unwrap_err();
        assert!(err.to_string().contains("alias"), "{err}");
        let w = Change::new(
            NAME,
            RecordType::A,
            vec![],
            vec![RecordSet::new(NAME, RecordType::A, 60, ["127.0.0.2"]).with_weight("a", 1)],
        )
        .unwrap();
        assert_eq!(check("az", &w).unwrap_err().kind(), "refused");
    }
}
