//! Validation of alias pools (`alias = { dns_name, hosted_zone_id, ... }`):
//! a Route 53 feature, for A and AAAA services.

use rtoguard_provider_api::{AliasTarget, RecordType};

use super::locate::Issues;
use super::raw::{RawPool, S};
use super::types::Member;
use super::values::is_hostname;

/// Each pool's alias target, in the order of `raw` (`None` without one, or
/// when it is refused; each refusal names its line and field).
/// `provider_kind` is the service's provider type (`None`: unknown,
/// reported already).
pub(super) fn targets(
    issues: &mut Issues<'_>,
    raw: &[S<RawPool>],
    records: &[Member],
    provider_kind: Option<&str>,
    field: &str,
) -> Vec<Option<AliasTarget>> {
    raw.iter()
        .map(|pool| {
            let pool = pool.get_ref();
            let alias = pool.alias.as_ref()?;
            let pf = format!("{field}.pools[{}].alias", pool.name.get_ref());
            let (span, a) = (alias.span(), alias.get_ref());
            let mut ok = true;
            if let [_, _, ..] = records {
                let msg = format!(
                    "an alias pool serves one A or AAAA record; this service is a record group of {} records: list the addresses in endpoints_v4 / endpoints_v6 instead",
                    records.len()
                );
                issues.add(Some(span.clone()), pf.clone(), msg);
                ok = false;
            } else if let Some(rtype) = records
                .first()
                .map(|m| m.rtype)
                .filter(|t| !matches!(t, RecordType::A | RecordType::AAAA))
            {
                let msg = format!(
                    "an alias pool serves A or AAAA records; this service's type is {rtype}"
                );
                issues.add(Some(span.clone()), pf.clone(), msg);
                ok = false;
            }
            if let Some(kind) = provider_kind.filter(|k| *k != "route53") {
                let msg = format!(
                    "alias targets are a Route 53 feature; this service's provider is of type {kind}: list the addresses in endpoints instead"
                );
                issues.add(Some(span.clone()), pf.clone(), msg);
                ok = false;
            }
            let name = a.dns_name.get_ref().trim();
            if !is_hostname(name) {
                let msg = format!(
                    "{name:?} is not a DNS name: give the load balancer's name (my-lb-123.eu-west-1.elb.amazonaws.com.)"
                );
                issues.add(Some(a.dns_name.span()), format!("{pf}.dns_name"), msg);
                ok = false;
            }
            let zone = a.hosted_zone_id.get_ref().trim();
            if zone.is_empty() || !zone.chars().all(|c| c.is_ascii_alphanumeric()) {
                let msg = format!(
                    "{zone:?} is not a hosted zone id: give the target's own zone (Z32O12XQLNTSW2 for eu-west-1 load balancers), as AWS lists it"
                );
                issues.add(
                    Some(a.hosted_zone_id.span()),
                    format!("{pf}.hosted_zone_id"),
                    msg,
                );
                ok = false;
            }
            ok.then(|| AliasTarget::new(name, zone, a.evaluate_target_health))
        })
        .collect()
}
