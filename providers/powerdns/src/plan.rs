//! Pure planning: PowerDNS rrsets to record sets, and a checked change to one rrset REPLACE.

use rtoguard_provider_api::{
    Change, ProviderError, RecordSet, RecordType, normalize_name, normalize_value, show, sorted,
};

use crate::api::{Patch, RRSet, Rec, Replace};

/// PowerDNS takes any TTL from 1 up.
pub const TTL_FLOOR: u32 = 1;

/// What one compare found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The desired state is served already: nothing to write.
    Done,
    /// The expected state is served: write this.
    Write(Patch),
}

/// The record set PowerDNS serves at `name`/`rtype` among `rrsets`: its
/// enabled records; empty when there is no such rrset or every record of it
/// is disabled (a disabled record is not served).
pub fn to_sets(name: &str, rtype: RecordType, rrsets: &[RRSet]) -> Vec<RecordSet> {
    let want = normalize_name(name);
    let Some(rrset) = rrsets
        .iter()
        .find(|r| r.rtype == rtype.as_str() && normalize_name(&r.name) == want)
    else {
        return Vec::new();
    };
    let values: Vec<&str> = rrset
        .records
        .iter()
        .filter(|r| !r.disabled)
        .map(|r| r.content.as_str())
        .collect();
    if values.is_empty() {
        return Vec::new();
    }
    vec![RecordSet::new(name, rtype, rrset.ttl, values)]
}

/// True when `rrsets` serve exactly `change.desired()` (values and TTL).
pub fn serves(change: &Change, rrsets: &[RRSet]) -> bool {
    sorted(&to_sets(change.name(), change.rtype(), rrsets)) == sorted(change.desired())
}

/// Check what PowerDNS can't do before any request is sent.
pub fn check<'a>(provider: &str, change: &'a Change) -> Result<&'a RecordSet, ProviderError> {
    let refuse = |why: &str| Err(ProviderError::Refused(format!("{provider}: {why}")));
    let [desired] = change.desired() else {
        return refuse("PowerDNS holds one rrset per name and type (no weights)");
    };
    if desired.set_id.is_some() {
        return refuse("PowerDNS has no weighted records");
    }
    Ok(desired)
}

/// Compare what PowerDNS serves with `change.expected()`. `retried` is true
/// on a second or later attempt, when the desired state in place means an
/// earlier attempt landed before its answer was lost.
pub fn compare(
    provider: &str,
    change: &Change,
    rrsets: &[RRSet],
    retried: bool,
) -> Result<Step, ProviderError> {
    let desired = check(provider, change)?;
    let found = to_sets(change.name(), change.rtype(), rrsets);
    if retried && serves(change, rrsets) {
        return Ok(Step::Done);
    }
    if sorted(&found) != sorted(change.expected()) {
        let also = if serves(change, rrsets) {
            "; they hold the desired state already (another writer applied it)"
        } else {
            ""
        };
        return Err(ProviderError::Conflict {
            provider: provider.to_string(),
            message: format!(
                "expected [{}], found [{}]; nothing written{also}",
                show(change.expected()),
                show(&found)
            ),
        });
    }
    if serves(change, rrsets) {
        return Ok(Step::Done);
    }
    let kept = disabled(change.name(), change.rtype(), rrsets, desired);
    Ok(Step::Write(replace(
        change.name(),
        change.rtype(),
        desired,
        kept,
    )))
}

/// The disabled records of the rrset at `name`/`rtype` whose value is not
/// among `desired`'s: a REPLACE carries them over (an operator's parked
/// record stays parked), since PowerDNS drops whatever the PATCH leaves out.
fn disabled(name: &str, rtype: RecordType, rrsets: &[RRSet], desired: &RecordSet) -> Vec<Rec> {
    let want = normalize_name(name);
    rrsets
        .iter()
        .filter(|r| r.rtype == rtype.as_str() && normalize_name(&r.name) == want)
        .flat_map(|r| r.records.iter())
        .filter(|r| r.disabled && !desired.values.contains(&normalize_value(rtype, &r.content)))
        .cloned()
        .collect()
}

/// The PATCH that replaces the whole rrset with `desired` (and the
/// disabled records `kept`). Record content is canonical for PowerDNS:
/// addresses as printed, names absolute. The rrset's comments are left
/// out, which PowerDNS takes as "keep them".
pub fn replace(name: &str, rtype: RecordType, desired: &RecordSet, kept: Vec<Rec>) -> Patch {
    Patch {
        rrsets: vec![Replace {
            name: normalize_name(name),
            rtype: rtype.as_str().to_string(),
            ttl: desired.ttl,
            changetype: "REPLACE",
            records: desired
                .values
                .iter()
                .map(|v| Rec {
                    content: v.clone(),
                    disabled: false,
                })
                .chain(kept)
                .collect(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "www.example.test.";

    fn rrset(ttl: u32, values: &[(&str, bool)]) -> RRSet {
        RRSet {
            name: "WWW.example.test.".into(),
            rtype: "A".into(),
            ttl,
            records: values
                .iter()
                .map(|(c, d)| Rec {
                    content: (*c).into(),
                    disabled: *d,
                })
                .collect(),
        }
    }

    fn set(values: &[&str], ttl: u32) -> RecordSet {
        RecordSet::new(NAME, RecordType::A, ttl, values)
    }

    fn change(expected: &[&str], desired: &[&str], ttl: u32) -> Change {
        Change::new(
            NAME,
            RecordType::A,
            vec![set(expected, 300)],
            vec![set(desired, ttl)],
        )
        .unwrap()
    }

    #[test]
    fn disabled_records_are_not_served() {
        let r = rrset(300, &[("127.0.0.2", false), ("127.0.0.9", true)]);
        assert_eq!(
            to_sets(NAME, RecordType::A, &[r]),
            vec![set(&["127.0.0.2"], 300)]
        );
        let off = rrset(300, &[("127.0.0.9", true)]);
        assert!(to_sets(NAME, RecordType::A, &[off]).is_empty());
    }

    #[test]
    fn a_flip_replaces_the_rrset_and_a_mismatch_conflicts() {
        let now = [rrset(300, &[("127.0.0.2", false)])];
        let Step::Write(p) = compare(
            "pdns",
            &change(&["127.0.0.2"], &["127.0.0.3"], 60),
            &now,
            false,
        )
        .unwrap() else {
            panic!("a write was due");
        };
        let r = &p.rrsets[0];
        assert_eq!(
            (r.name.as_str(), r.ttl, r.changetype),
            ("www.example.test.", 60, "REPLACE")
        );
        assert_eq!(r.records[0].content, "127.0.0.3");
        let err = compare(
            "pdns",
            &change(&["127.0.0.9"], &["127.0.0.3"], 60),
            &now,
            false,
        )
        .unwrap_err();
        assert_eq!(err.kind(), "conflict");
        assert!(err.to_string().contains("127.0.0.2"), "{err}");
    }

    #[test]
    fn a_flip_keeps_the_parked_disabled_records() {
        let now = [rrset(
            300,
            &[
                ("127.0.0.2", false),
                ("127.0.0.9", true),
                ("127.0.0.3", true),
            ],
        )];
        let c = change(&["127.0.0.2"], &["127.0.0.3"], 300);
        let Step::Write(p) = compare("pdns", &c, &now, false).unwrap() else {
            panic!("a write was due");
        };
        let recs: Vec<(&str, bool)> = p.rrsets[0]
            .records
            .iter()
            .map(|r| (r.content.as_str(), r.disabled))
            .collect();
        // 127.0.0.3 is enabled by the flip; 127.0.0.9 stays parked.
        assert_eq!(recs, [("127.0.0.3", false), ("127.0.0.9", true)]);
    }

    #[test]
    fn a_retry_after_a_landed_write_is_done() {
        let landed = [rrset(60, &[("127.0.0.3", false)])];
        let c = change(&["127.0.0.2"], &["127.0.0.3"], 60);
        assert_eq!(compare("pdns", &c, &landed, true).unwrap(), Step::Done);
        let err = compare("pdns", &c, &landed, false).unwrap_err();
        assert!(err.to_string().contains("desired state already"), "{err}");
    }

    #[test]
    fn cname_content_is_absolute_and_weights_are_refused() {
        let d = RecordSet::new(NAME, RecordType::CNAME, 60, ["Standby.Example.NET"]);
        let p = replace(NAME, RecordType::CNAME, &d, Vec::new());
        assert_eq!(p.rrsets[0].records[0].content, "standby.example.net.");
        let w = Change::new(
            NAME,
            RecordType::A,
            vec![],
            vec![set(&["127.0.0.2"], 60).with_weight("a", 1)],
        )
        .unwrap();
        assert_eq!(check("pdns", &w).unwrap_err().kind(), "refused");
    }
}
