//! Pure planning: Cloud DNS record sets to ours, and a checked change to one Changes API body.
//!
//! The body deletes exactly the expected set and adds the desired one. Cloud
//! DNS refuses the whole change when a deletion does not match the served
//! set exactly (name, type, TTL and every rrdata): that refusal is the
//! compare-and-set.

use rtoguard_provider_api::{Change, ProviderError, RecordSet, RecordType, normalize_name, sorted};

use crate::api::{ChangeBody, ResourceRecordSet};

/// Cloud DNS takes any TTL from 1 up.
pub const TTL_FLOOR: u32 = 1;

/// The record set Cloud DNS serves at `name`/`rtype` among `rrsets`; empty
/// when there is none. A set with a routing policy is refused: rtoguard
/// flips plain record sets only.
pub fn to_sets(
    provider: &str,
    name: &str,
    rtype: RecordType,
    rrsets: &[ResourceRecordSet],
) -> Result<Vec<RecordSet>, ProviderError> {
    let want = normalize_name(name);
    let Some(rrset) = rrsets
        .iter()
        .find(|r| r.rtype == rtype.as_str() && normalize_name(&r.name) == want)
    else {
        return Ok(Vec::new());
    };
    if rrset.routing_policy.is_some() {
        return Err(ProviderError::Refused(format!(
            "{provider}: {want} {rtype} has a Cloud DNS routing policy; rtoguard flips plain record sets only"
        )));
    }
    if rrset.rrdatas.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![RecordSet::new(name, rtype, rrset.ttl, &rrset.rrdatas)])
}

/// True when two lists hold the same record sets (values and TTL), in any order.
pub fn same(a: &[RecordSet], b: &[RecordSet]) -> bool {
    sorted(a) == sorted(b)
}

/// Check what Cloud DNS can't do before any request is sent: one plain set
/// per name and type, before and after.
pub fn check(provider: &str, change: &Change) -> Result<(), ProviderError> {
    let refuse = |why: &str| Err(ProviderError::Refused(format!("{provider}: {why}")));
    if change.desired().len() != 1 || change.expected().len() > 1 {
        return refuse("Cloud DNS holds one record set per name and type (no weights here)");
    }
    if change
        .desired()
        .iter()
        .chain(change.expected())
        .any(|s| s.set_id.is_some())
    {
        return refuse("rtoguard writes no Cloud DNS routing policies (no weights)");
    }
    Ok(())
}

/// The Changes API body of `change`: `deletions` = exactly the expected
/// set (none when the name holds nothing yet: the change creates),
/// `additions` = the desired set.
pub fn body(provider: &str, change: &Change) -> Result<ChangeBody, ProviderError> {
    check(provider, change)?;
    Ok(ChangeBody {
        kind: "dns#change".into(),
        deletions: change.expected().iter().map(rrset).collect(),
        additions: change.desired().iter().map(rrset).collect(),
        id: None,
        status: None,
    })
}

/// One of our record sets in Cloud DNS's shape: values as normalised
/// (addresses as printed, names absolute), which is how Cloud DNS keeps them.
pub fn rrset(set: &RecordSet) -> ResourceRecordSet {
    ResourceRecordSet {
        kind: "dns#resourceRecordSet".into(),
        name: set.name.clone(),
        rtype: set.rtype.as_str().into(),
        ttl: set.ttl,
        rrdatas: set.values.clone(),
        routing_policy: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "www.example.test.";

    fn set(values: &[&str], ttl: u32) -> RecordSet {
        RecordSet::new(NAME, RecordType::A, ttl, values)
    }

    fn change(expected: Vec<RecordSet>, desired: RecordSet) -> Change {
        Change::new(NAME, RecordType::A, expected, vec![desired]).unwrap()
    }

    #[test]
    fn a_flip_deletes_exactly_the_expected_set_and_adds_the_desired() {
        let b = body(
            "gdns",
            &change(vec![set(&["127.0.0.2"], 300)], set(&["127.0.0.3"], 60)),
        )
        .unwrap();
        assert_eq!(b.deletions, [rrset(&set(&["127.0.0.2"], 300))]);
        assert_eq!(b.additions[0].rrdatas, ["127.0.0.3"]);
        assert_eq!(
            (b.additions[0].ttl, b.additions[0].name.as_str()),
            (60, NAME)
        );
    }

    #[test]
    fn a_missing_set_is_created() {
        let b = body("gdns", &change(vec![], set(&["127.0.0.3"], 60))).unwrap();
        assert!(b.deletions.is_empty());
        assert_eq!(b.additions.len(), 1);
    }

    #[test]
    fn reads_normalise_and_policies_are_refused() {
        let mut r = rrset(&set(&["127.0.0.2"], 300));
        r.name = "WWW.example.test.".into();
        assert_eq!(
            to_sets("gdns", NAME, RecordType::A, &[r.clone()]).unwrap(),
            vec![set(&["127.0.0.2"], 300)]
        );
        assert!(
            to_sets("gdns", NAME, RecordType::AAAA, &[r.clone()])
                .unwrap()
                .is_empty()
        );
        r.rrdatas.clear();
        r.routing_policy = Some(serde_json::json!({"wrr": {"items": []}}));
        let e = to_sets("gdns", NAME, RecordType::A, &[r]).unwrap_err();
        assert!(e.to_string().contains("routing policy"), "{e}");
    }

    #[test]
    fn weights_are_refused() {
        let w = Change::new(
            NAME,
            RecordType::A,
            vec![],
            vec![set(&["127.0.0.2"], 60).with_weight("a", 1)],
        )
        .unwrap();
        assert_eq!(check("gdns", &w).unwrap_err().kind(), "refused");
    }

    #[test]
    fn cname_values_are_absolute() {
        let d = RecordSet::new(NAME, RecordType::CNAME, 60, ["Standby.Example.NET"]);
        assert_eq!(rrset(&d).rrdatas, ["standby.example.net."]);
    }
}
