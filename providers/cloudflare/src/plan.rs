//! Pure planning: Cloudflare records to record sets, and a checked change to one batch.

use rtoguard_provider_api::{Change, ProviderError, RecordSet, RecordType, normalize_value, show};

use crate::api::{Batch, DnsRecord, NewRecord, RecordId, TtlPatch};

/// Cloudflare's lowest TTL for non-enterprise zones; `1` means automatic.
pub const TTL_FLOOR: u32 = 60;
/// The TTL value that asks Cloudflare for its automatic TTL.
pub const TTL_AUTO: u32 = 1;

/// The record set Cloudflare serves at one name and type: one record per
/// value there; the set is empty when no record exists. Records disagreeing
/// on TTL report the lowest.
pub fn to_sets(name: &str, rtype: RecordType, records: &[&DnsRecord]) -> Vec<RecordSet> {
    let Some(ttl) = records.iter().map(|r| r.ttl).min() else {
        return Vec::new();
    };
    vec![RecordSet::new(
        name,
        rtype,
        ttl,
        records.iter().map(|r| r.content.as_str()),
    )]
}

/// The records at `name` of `rtype`, from a listing that may hold others.
pub fn matching<'a>(
    name: &str,
    rtype: RecordType,
    records: impl IntoIterator<Item = &'a DnsRecord>,
) -> Vec<&'a DnsRecord> {
    let want = bare(name);
    records
        .into_iter()
        .filter(|r| r.rtype == rtype.as_str() && bare(&r.name) == want)
        .collect()
}

/// A name as Cloudflare spells it: lower-case, no trailing dot.
pub fn bare(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// True when `a` and `b` are the same state.
pub fn same(a: &[RecordSet], b: &[RecordSet]) -> bool {
    sorted(a) == sorted(b)
}

fn sorted(sets: &[RecordSet]) -> Vec<RecordSet> {
    let mut v = sets.to_vec();
    v.sort_by(|a, b| a.set_id.cmp(&b.set_id).then(a.values.cmp(&b.values)));
    v
}

/// True when `records` serve `change.desired()`: values and TTL, or the
/// values alone when every record is proxied (Cloudflare then fixes the TTL
/// to automatic, whatever was asked).
pub fn serves(change: &Change, records: &[&DnsRecord]) -> bool {
    let found = to_sets(change.name(), change.rtype(), records);
    let proxied = !records.is_empty() && records.iter().all(|r| r.proxied == Some(true));
    if proxied {
        let values = |sets: &[RecordSet]| sets.iter().map(|s| s.values.clone()).collect::<Vec<_>>();
        values(&found) == values(change.desired())
    } else {
        same(&found, change.desired())
    }
}

/// Check what the provider can't do before any request is sent.
pub fn check<'a>(
    provider: &str,
    change: &'a Change,
    ttl_floor: u32,
) -> Result<&'a RecordSet, ProviderError> {
    let refuse = |why: &str| Err(ProviderError::Refused(format!("{provider}: {why}")));
    let [desired] = change.desired() else {
        return refuse("Cloudflare holds one record set per name and type (no weights)");
    };
    if desired.set_id.is_some() {
        return refuse("Cloudflare has no weighted records");
    }
    if desired.ttl != TTL_AUTO && desired.ttl < ttl_floor {
        return refuse(&format!(
            "TTL {} is below this zone's floor of {ttl_floor}s (use 1 for automatic)",
            desired.ttl
        ));
    }
    Ok(desired)
}

/// Compare the records read with `change.expected()` and build the batch that
/// replaces them: `patches` when only the TTL changes, else `deletes` of the
/// ids read and `posts` of the new values, keeping `proxied`, `comment` and
/// `tags` of the records replaced. An empty batch means nothing to do.
#[cfg(test)]
pub fn plan(
    provider: &str,
    change: &Change,
    current: &[&DnsRecord],
) -> Result<Batch, ProviderError> {
    plan_with_floor(provider, change, current, TTL_FLOOR)
}

/// [`plan`] for a zone whose lowest TTL is `ttl_floor`.
pub fn plan_with_floor(
    provider: &str,
    change: &Change,
    current: &[&DnsRecord],
    ttl_floor: u32,
) -> Result<Batch, ProviderError> {
    let desired = check(provider, change, ttl_floor)?;
    let found = to_sets(change.name(), change.rtype(), current);
    if !same(&found, change.expected()) {
        return Err(ProviderError::Conflict {
            provider: provider.to_string(),
            message: format!(
                "expected [{}], found [{}]; nothing written",
                show(change.expected()),
                show(&found)
            ),
        });
    }
    if serves(change, current) {
        return Ok(Batch::default());
    }
    let values_same = found.first().is_some_and(|f| f.values == desired.values);
    if values_same {
        let patches = current
            .iter()
            .filter(|r| r.ttl != desired.ttl)
            .map(|r| TtlPatch {
                id: r.id.clone(),
                ttl: desired.ttl,
            })
            .collect();
        return Ok(Batch {
            patches,
            ..Batch::default()
        });
    }
    Ok(Batch {
        deletes: current
            .iter()
            .map(|r| RecordId { id: r.id.clone() })
            .collect(),
        posts: posts(change, desired, current),
        ..Batch::default()
    })
}

fn posts(change: &Change, desired: &RecordSet, current: &[&DnsRecord]) -> Vec<NewRecord> {
    let rtype = change.rtype();
    desired
        .values
        .iter()
        .map(|value| {
            // Keep the attributes of the record with this value, or else of
            // the first record replaced.
            let like = current
                .iter()
                .find(|r| normalize_value(rtype, &r.content) == *value)
                .or(current.first());
            NewRecord {
                name: bare(change.name()),
                rtype: rtype.as_str().to_string(),
                content: match rtype {
                    RecordType::CNAME => bare(value),
                    _ => value.clone(),
                },
                ttl: desired.ttl,
                proxied: like.and_then(|r| r.proxied),
                comment: like.and_then(|r| r.comment.clone()),
                tags: like.map(|r| r.tags.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "www.example.com.";

    fn rec(id: &str, content: &str, ttl: u32) -> DnsRecord {
        DnsRecord {
            id: id.into(),
            name: "www.example.com".into(),
            rtype: "A".into(),
            content: content.into(),
            ttl,
            proxied: Some(true),
            comment: Some(format!("record {id}")),
            tags: vec!["team:edge".into()],
        }
    }

    fn set(values: &[&str], ttl: u32) -> RecordSet {
        RecordSet::new(NAME, RecordType::A, ttl, values)
    }

    fn change(expected: Vec<RecordSet>, desired: RecordSet) -> Change {
        Change::new(NAME, RecordType::A, expected, vec![desired]).unwrap()
    }

    #[test]
    fn a_flip_deletes_the_ids_read_and_keeps_attributes() {
        let (a, b) = (rec("a", "192.0.2.1", 300), rec("b", "192.0.2.2", 300));
        let c = change(
            vec![set(&["192.0.2.1", "192.0.2.2"], 300)],
            set(&["198.51.100.1", "192.0.2.2"], 300),
        );
        let batch = plan("cf", &c, &[&a, &b]).unwrap();
        let deleted: Vec<&str> = batch.deletes.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(deleted, ["a", "b"]);
        assert!(batch.patches.is_empty());
        assert_eq!(batch.posts.len(), 2);
        // The kept value keeps its own record's comment; the new one the first record's.
        let kept = batch
            .posts
            .iter()
            .find(|p| p.content == "192.0.2.2")
            .unwrap();
        assert_eq!(kept.comment.as_deref(), Some("record b"));
        let new = batch
            .posts
            .iter()
            .find(|p| p.content == "198.51.100.1")
            .unwrap();
        assert_eq!(new.comment.as_deref(), Some("record a"));
        assert!(
            batch
                .posts
                .iter()
                .all(|p| p.proxied == Some(true) && p.tags == ["team:edge"])
        );
        assert!(
            batch
                .posts
                .iter()
                .all(|p| p.name == "www.example.com" && p.ttl == 300)
        );
    }

    #[test]
    fn a_ttl_change_patches_the_same_ids() {
        let a = DnsRecord {
            proxied: Some(false),
            ..rec("a", "192.0.2.1", 300)
        };
        let c = change(vec![set(&["192.0.2.1"], 300)], set(&["192.0.2.1"], 60));
        let batch = plan("cf", &c, &[&a]).unwrap();
        assert!(batch.deletes.is_empty() && batch.posts.is_empty());
        assert_eq!(
            batch.patches,
            [TtlPatch {
                id: "a".into(),
                ttl: 60
            }]
        );
    }

    #[test]
    fn a_mismatch_conflicts_and_a_noop_is_empty() {
        let a = rec("a", "192.0.2.9", 300);
        let c = change(vec![set(&["192.0.2.1"], 300)], set(&["192.0.2.2"], 300));
        let err = plan("cf", &c, &[&a]).unwrap_err();
        assert_eq!(err.kind(), "conflict");
        assert!(err.to_string().contains("192.0.2.9"), "{err}");
        let c = change(vec![set(&["192.0.2.9"], 300)], set(&["192.0.2.9"], 300));
        assert_eq!(plan("cf", &c, &[&a]).unwrap(), Batch::default());
    }

    #[test]
    fn proxied_records_ignore_ttl_changes() {
        let a = rec("a", "192.0.2.1", 1);
        let c = change(vec![set(&["192.0.2.1"], 1)], set(&["192.0.2.1"], 60));
        assert_eq!(plan("cf", &c, &[&a]).unwrap(), Batch::default());
        let plain = DnsRecord {
            proxied: Some(false),
            ..a.clone()
        };
        assert_eq!(plan("cf", &c, &[&plain]).unwrap().patches.len(), 1);
        assert!(!serves(&c, &[]));
    }

    #[test]
    fn creates_when_nothing_exists_and_strips_cname_dots() {
        let c = Change::new(
            NAME,
            RecordType::CNAME,
            vec![],
            vec![RecordSet::new(
                NAME,
                RecordType::CNAME,
                1,
                ["Standby.Example.NET."],
            )],
        )
        .unwrap();
        let batch = plan("cf", &c, &[]).unwrap();
        assert!(batch.deletes.is_empty());
        assert_eq!(batch.posts[0].content, "standby.example.net");
        assert_eq!(batch.posts[0].ttl, TTL_AUTO);
        assert_eq!(batch.posts[0].proxied, None);
    }

    #[test]
    fn refuses_weights_and_ttls_below_the_floor() {
        let c = change(vec![], set(&["192.0.2.1"], 30));
        assert_eq!(plan("cf", &c, &[]).unwrap_err().kind(), "refused");
        let w = Change::new(
            NAME,
            RecordType::A,
            vec![],
            vec![set(&["192.0.2.1"], 300).with_weight("primary", 1)],
        )
        .unwrap();
        assert_eq!(plan("cf", &w, &[]).unwrap_err().kind(), "refused");
    }
}
