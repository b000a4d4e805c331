//! A compare-and-set change turned into one Route 53 change batch, and back.

use rtoguard_provider_api::{AliasTarget, Change, ProviderError, RecordSet, RecordType};

use crate::api::{Action, BatchChange, ResourceRecordSet, Routing};

/// The highest weight Route 53 accepts.
pub const MAX_WEIGHT: u32 = 255;

/// The batch for `change`: DELETE every expected set exactly as read, then
/// CREATE every desired set; sets that stay the same are left out. Route 53
/// rejects the whole batch when a DELETE does not match what it serves, which
/// is the compare-and-set fence. Checked before any request is made.
pub fn batch(change: &Change) -> Result<Vec<BatchChange>, ProviderError> {
    batch_with(change, &[])
}

/// [`batch`], with the routing fields of the sets `read` at the name (a
/// `HealthCheckId`, a region, ...) carried into every DELETE and CREATE of
/// the same set id: Route 53 matches a DELETE on all of them, and a flip
/// changes only what rtoguard manages (values, TTL, weight, alias target).
pub fn batch_with(
    change: &Change,
    read: &[ResourceRecordSet],
) -> Result<Vec<BatchChange>, ProviderError> {
    let refuse = |why: &str| {
        Err(ProviderError::Refused(format!(
            "{} {}: {why}",
            change.name(),
            change.rtype()
        )))
    };
    let desired = change.desired();
    if desired.is_empty() || !desired.iter().any(RecordSet::serves) {
        return refuse("the change would leave nothing served");
    }
    if desired
        .iter()
        .any(|s| s.weight.is_some_and(|w| w > MAX_WEIGHT))
    {
        return refuse("Route 53 weights go from 0 to 255");
    }
    let expected = change.expected();
    let deletes = expected
        .iter()
        .filter(|e| !desired.contains(e))
        .map(|s| BatchChange {
            action: Action::Delete,
            set: with_routing(s, read),
        });
    let creates = desired
        .iter()
        .filter(|d| !expected.contains(d))
        .map(|s| BatchChange {
            action: Action::Create,
            set: with_routing(s, read),
        });
    Ok(deletes.chain(creates).collect())
}

/// True when `current` already shows the change done: every desired set is
/// there and every replaced one is gone.
pub fn applied(current: &[RecordSet], change: &Change) -> bool {
    let desired = change.desired();
    desired.iter().all(|d| current.contains(d))
        && change
            .expected()
            .iter()
            .filter(|e| !desired.contains(e))
            .all(|e| !current.contains(e))
}

/// True when `current` is exactly the state `change` expects.
pub fn matches_expected(current: &[RecordSet], change: &Change) -> bool {
    let expected = change.expected();
    current.len() == expected.len() && expected.iter().all(|e| current.contains(e))
}

/// `s` as Route 53 takes it, with the routing fields of the set of the same
/// set id in `read` (none when it is new).
fn with_routing(s: &RecordSet, read: &[ResourceRecordSet]) -> ResourceRecordSet {
    let routing = read
        .iter()
        .find(|r| r.set_identifier == s.set_id)
        .map(|r| r.routing.clone())
        .unwrap_or_default();
    ResourceRecordSet {
        routing,
        ..to_rrset(s)
    }
}

/// A record set as Route 53 takes it (an alias has no TTL of its own).
pub fn to_rrset(s: &RecordSet) -> ResourceRecordSet {
    ResourceRecordSet {
        name: s.name.clone(),
        rtype: s.rtype.as_str().to_string(),
        ttl: s.alias.is_none().then_some(i64::from(s.ttl)),
        values: s.values.clone(),
        set_identifier: s.set_id.clone(),
        weight: s.weight.map(i64::from),
        alias: s.alias.clone(),
        routing: Routing::default(),
    }
}

/// A Route 53 record set as rtoguard sees it (values normalised).
pub fn from_rrset(r: &ResourceRecordSet, rtype: RecordType) -> RecordSet {
    let ttl = r.ttl.and_then(|t| u32::try_from(t).ok()).unwrap_or(0);
    let set = match &r.alias {
        Some(a) => RecordSet::alias(
            &r.name,
            rtype,
            AliasTarget::new(&a.dns_name, &a.hosted_zone_id, a.evaluate_target_health),
        ),
        None => RecordSet::new(&r.name, rtype, ttl, &r.values),
    };
    match (&r.set_identifier, r.weight) {
        (Some(id), Some(w)) => set.with_weight(id, u32::try_from(w).unwrap_or(0)),
        _ => set,
    }
}

/// A DNS name lower-case with its trailing dot.
pub fn absolute(name: &str) -> String {
    let mut n = name.trim().to_ascii_lowercase();
    if !n.ends_with('.') {
        n.push('.');
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "www.example.com.";

    fn pool(id: &str, ip: &str, weight: u32) -> RecordSet {
        RecordSet::new(NAME, RecordType::A, 60, [ip]).with_weight(id, weight)
    }

    /// Primary and standby with these weights.
    fn pools(primary: u32, standby: u32) -> Vec<RecordSet> {
        vec![
            pool("primary", "192.0.2.1", primary),
            pool("standby", "192.0.2.2", standby),
        ]
    }

    #[test]
    fn a_weighted_flip_deletes_then_creates_both_pools() {
        let (old, new) = (pools(100, 0), pools(0, 100));
        let c = Change::new(NAME, RecordType::A, old, new).unwrap();
        let b = batch(&c).unwrap();
        let shape: Vec<_> = b
            .iter()
            .map(|c| {
                (
                    c.action,
                    c.set.set_identifier.clone().unwrap(),
                    c.set.weight,
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (Action::Delete, "primary".into(), Some(100)),
                (Action::Delete, "standby".into(), Some(0)),
                (Action::Create, "primary".into(), Some(0)),
                (Action::Create, "standby".into(), Some(100)),
            ]
        );
        assert!(applied(c.desired(), &c));
        assert!(!applied(c.expected(), &c));
    }

    #[test]
    fn unchanged_sets_are_left_out() {
        let old = vec![
            pool("primary", "192.0.2.1", 100),
            pool("standby", "192.0.2.2", 0),
        ];
        let new = vec![
            pool("primary", "192.0.2.9", 100),
            pool("standby", "192.0.2.2", 0),
        ];
        let c = Change::new(NAME, RecordType::A, old, new).unwrap();
        let b = batch(&c).unwrap();
        assert_eq!(b.len(), 2);
        assert!(
            b.iter()
                .all(|c| c.set.set_identifier.as_deref() == Some("primary"))
        );
    }

    #[test]
    fn weights_above_255_are_refused() {
        let c = Change::new(
            NAME,
            RecordType::A,
            vec![],
            vec![pool("p", "192.0.2.1", 256)],
        )
        .unwrap();
        assert!(matches!(batch(&c), Err(ProviderError::Refused(_))));
    }

    #[test]
    fn routing_fields_are_carried_by_set_id() {
        let (old, new) = (pools(100, 0), pools(0, 100));
        let mut read: Vec<_> = old.iter().map(to_rrset).collect();
        read[0].routing.health_check_id = Some("hc-primary".into());
        read[1].routing.multi_value_answer = None;
        let c = Change::new(NAME, RecordType::A, old, new).unwrap();
        let b = batch_with(&c, &read).unwrap();
        let checks: Vec<_> = b
            .iter()
            .map(|c| c.set.routing.health_check_id.as_deref())
            .collect();
        assert_eq!(checks, [Some("hc-primary"), None, Some("hc-primary"), None]);
    }

    #[test]
    fn an_alias_has_no_ttl_on_the_wire() {
        let lb = AliasTarget::new("lb-1.eu-west-1.elb.amazonaws.com", "Z32O12XQLNTSW2", false);
        let s = RecordSet::alias(NAME, RecordType::A, lb).with_weight("primary", 100);
        let r = to_rrset(&s);
        assert_eq!((r.ttl, r.values.len()), (None, 0));
        assert_eq!(from_rrset(&r, RecordType::A), s);
    }

    #[test]
    fn route53_sets_convert_both_ways() {
        let s = pool("primary", "192.0.2.1", 7);
        assert_eq!(from_rrset(&to_rrset(&s), RecordType::A), s);
        let plain = RecordSet::new(NAME, RecordType::CNAME, 300, ["Target.Example.net"]);
        let r = to_rrset(&plain);
        assert_eq!(r.values, vec!["target.example.net."]);
        assert_eq!((r.set_identifier, r.weight), (None, None));
    }
}
