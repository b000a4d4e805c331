//! Endpoints to record sets, and a change to one `POST /records` body.
//!
//! The protocol has no weights: a flip replaces the one endpoint at the name
//! and type with `updateOld` (exactly as read) and `updateNew` in one request,
//! never a delete and a create, so the name is never left serving nothing.

use rtoguard_provider_api::{Change, ProviderError, RecordSet, RecordType, normalize_name, sorted};

use crate::api::{Changes, Endpoint};

/// The endpoints at `name` (absolute) of `rtype`.
pub fn matching<'a>(name: &str, rtype: RecordType, all: &'a [Endpoint]) -> Vec<&'a Endpoint> {
    let name = normalize_name(name);
    all.iter()
        .filter(|e| normalize_name(&e.dns_name) == name)
        .filter(|e| e.record_type.eq_ignore_ascii_case(rtype.as_str()))
        .collect()
}

/// One endpoint as a record set; a missing or zero TTL reads as 0 (the
/// provider's default, which no change of ours names).
pub fn to_set(rtype: RecordType, e: &Endpoint) -> RecordSet {
    let ttl = e
        .record_ttl
        .and_then(|t| u32::try_from(t).ok())
        .unwrap_or(0);
    let mut set = RecordSet::new(&e.dns_name, rtype, ttl, &e.targets);
    set.set_id = e.set_identifier.clone().filter(|s| !s.is_empty());
    set
}

pub fn to_sets(rtype: RecordType, found: &[&Endpoint]) -> Vec<RecordSet> {
    found.iter().map(|e| to_set(rtype, e)).collect()
}

/// Whether `sets` are exactly `want`.
pub fn same(sets: &[RecordSet], want: &[RecordSet]) -> bool {
    sorted(sets) == sorted(want)
}

/// Refuse what this provider cannot write: weights, or more than one set.
pub fn check<'c>(provider: &str, change: &'c Change) -> Result<&'c RecordSet, ProviderError> {
    let refuse = |message: String| ProviderError::BadRequest {
        provider: provider.to_string(),
        message: format!("{} {}: {message}", change.name(), change.rtype()),
    };
    match change.desired() {
        [one] if one.set_id.is_none() => Ok(one),
        [_] => Err(refuse(
            "the webhook protocol has no weights: a change names one plain record set".into(),
        )),
        _ => Err(refuse(format!(
            "{} record sets wanted: the webhook protocol has no weights, a change names one",
            change.desired().len()
        ))),
    }
}

/// The endpoint the change wants: the one served now with its targets and
/// TTL replaced (labels, set identifier and provider-specific properties
/// carried through), or a new one. Names are written without the trailing
/// dot, as external-dns writes them.
pub fn wanted(want: &RecordSet, current: Option<&Endpoint>) -> Endpoint {
    let bare = |s: &str| s.trim_end_matches('.').to_string();
    let mut e = current.cloned().unwrap_or_else(|| Endpoint {
        dns_name: bare(&want.name),
        record_type: want.rtype.as_str().to_string(),
        ..Endpoint::default()
    });
    e.targets = match want.rtype {
        RecordType::CNAME => want.values.iter().map(|v| bare(v)).collect(),
        _ => want.values.clone(),
    };
    e.record_ttl = Some(i64::from(want.ttl));
    e
}

/// The `POST /records` body: a create when nothing is served, else one
/// `updateOld`/`updateNew` pair.
pub fn changes(current: Option<&Endpoint>, new: Endpoint) -> Changes {
    match current {
        None => Changes {
            create: vec![new],
            ..Changes::default()
        },
        Some(old) => Changes {
            update_old: vec![old.clone()],
            update_new: vec![new],
            ..Changes::default()
        },
    }
}

/// `/adjustendpoints` may change what we send; a change to the targets or
/// the TTL would make the read-back differ, so it is refused up front.
pub fn check_adjusted(
    provider: &str,
    rtype: RecordType,
    sent: &Endpoint,
    got: &[Endpoint],
) -> Result<Endpoint, ProviderError> {
    let bad = |message: String| ProviderError::BadRequest {
        provider: provider.to_string(),
        message,
    };
    let [one] = got else {
        return Err(bad(format!(
            "POST /adjustendpoints answered {} endpoints for the one sent",
            got.len()
        )));
    };
    let (a, b) = (to_set(rtype, sent), to_set(rtype, one));
    if a.values != b.values || a.ttl != b.ttl || a.name != b.name {
        return Err(bad(format!(
            "the webhook provider adjusts {a} to {b}: rtoguard would not find its own write (a TTL under the provider's floor?)"
        )));
    }
    Ok(one.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(name: &str, targets: &[&str], ttl: i64) -> Endpoint {
        Endpoint {
            dns_name: name.into(),
            targets: targets.iter().map(|s| s.to_string()).collect(),
            record_type: "A".into(),
            record_ttl: Some(ttl),
            ..Endpoint::default()
        }
    }

    #[test]
    fn a_flip_is_one_update_pair_carrying_labels_through() {
        let mut cur = ep("www.example.com", &["192.0.2.1"], 300);
        cur.labels = Some(serde_json::from_str(r#"{"owner":"default"}"#).unwrap());
        let want = RecordSet::new("www.example.com.", RecordType::A, 30, ["192.0.2.9"]);
        let new = wanted(&want, Some(&cur));
        assert_eq!(new.labels, cur.labels);
        assert_eq!(new.targets, ["192.0.2.9"]);
        assert_eq!(new.record_ttl, Some(30));
        let c = changes(Some(&cur), new.clone());
        assert!(c.create.is_empty() && c.delete.is_empty());
        assert_eq!((c.update_old, c.update_new), (vec![cur], vec![new]));
    }

    #[test]
    fn matching_ignores_case_dots_and_other_types() {
        let all = vec![
            ep("WWW.example.com.", &["192.0.2.1"], 60),
            Endpoint {
                record_type: "TXT".into(),
                ..ep("www.example.com", &["x"], 60)
            },
            ep("api.example.com", &["192.0.2.2"], 60),
        ];
        let m = matching("www.example.com.", RecordType::A, &all);
        assert_eq!(m.len(), 1);
        assert_eq!(to_set(RecordType::A, m[0]).name, "www.example.com.");
    }

    #[test]
    fn a_new_cname_is_written_without_trailing_dots() {
        let want = RecordSet::new("w.example.com", RecordType::CNAME, 60, ["lb.example.net."]);
        let new = wanted(&want, None);
        assert_eq!(new.dns_name, "w.example.com");
        assert_eq!(new.targets, ["lb.example.net"]);
        assert_eq!(new.record_type, "CNAME");
    }

    #[test]
    fn an_adjusted_ttl_is_refused() {
        let sent = ep("www.example.com", &["192.0.2.1"], 30);
        let got = ep("www.example.com", &["192.0.2.1"], 60);
        let e = check_adjusted("hook", RecordType::A, &sent, &[got]).unwrap_err();
        assert!(e.to_string().contains("adjusts"), "{e}");
        assert!(check_adjusted("hook", RecordType::A, &sent, std::slice::from_ref(&sent)).is_ok());
    }
}
