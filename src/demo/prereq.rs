//! RFC 2136 §3.2 prerequisite checks against a zone's record sets.
//!
//! hickory-server's own check treats a value-dependent prerequisite as "each
//! listed RR is present", not as the set equality the RFC asks for; that is
//! too weak for a compare-and-set fence, so the demo authority uses this one.

use std::collections::BTreeMap;
use std::sync::Arc;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{DNSClass, LowerName, RData, Record, RecordSet, RecordType, RrKey};

/// The zone as hickory's in-memory store holds it.
pub(crate) type Records = BTreeMap<RrKey, Arc<RecordSet>>;

/// Checks every prerequisite of an update (RFC 2136 §3.2.5) against `zone`.
///
/// Returns the response code the RFC names for the first one that fails.
pub(crate) fn check(
    zone: &Records,
    origin: &LowerName,
    zclass: DNSClass,
    prerequisites: &[Record],
) -> Result<(), ResponseCode> {
    // Value-dependent prerequisites, gathered per <NAME, TYPE> (§3.2.3).
    let mut wanted: BTreeMap<RrKey, Vec<&RData>> = BTreeMap::new();
    for rr in prerequisites {
        let name = LowerName::from(&rr.name);
        if rr.ttl != 0 {
            return Err(ResponseCode::FormErr);
        }
        if !origin.zone_of(&name) {
            return Err(ResponseCode::NotZone);
        }
        let rtype = rr.record_type();
        match rr.dns_class {
            DNSClass::ANY => {
                require_empty(&rr.data)?;
                if rtype == RecordType::ANY {
                    if !name_in_use(zone, &name) {
                        return Err(ResponseCode::NXDomain);
                    }
                } else if rrset(zone, &name, rtype).is_none() {
                    return Err(ResponseCode::NXRRSet);
                }
            }
            DNSClass::NONE => {
                require_empty(&rr.data)?;
                if rtype == RecordType::ANY {
                    if name_in_use(zone, &name) {
                        return Err(ResponseCode::YXDomain);
                    }
                } else if rrset(zone, &name, rtype).is_some() {
                    return Err(ResponseCode::YXRRSet);
                }
            }
            class if class == zclass => {
                wanted
                    .entry(RrKey::new(name, rtype))
                    .or_default()
                    .push(&rr.data);
            }
            _ => return Err(ResponseCode::FormErr),
        }
    }
    for (key, values) in wanted {
        let Some(have) = rrset(zone, &key.name, key.record_type) else {
            return Err(ResponseCode::NXRRSet);
        };
        let have: Vec<&RData> = have.records_without_rrsigs().map(|r| &r.data).collect();
        let same =
            values.iter().all(|v| have.contains(v)) && have.iter().all(|h| values.contains(h));
        if !same {
            return Err(ResponseCode::NXRRSet);
        }
    }
    Ok(())
}

/// Class ANY and NONE prerequisites carry no RDATA (RDLENGTH 0).
fn require_empty(data: &RData) -> Result<(), ResponseCode> {
    match data {
        RData::Update0(_) | RData::NULL(_) => Ok(()),
        _ => Err(ResponseCode::FormErr),
    }
}

/// The non-empty record set at `name` and `rtype`, if any.
fn rrset<'z>(zone: &'z Records, name: &LowerName, rtype: RecordType) -> Option<&'z RecordSet> {
    zone.get(&RrKey::new(name.clone(), rtype))
        .map(|set| set.as_ref())
        .filter(|set| !set.is_empty())
}

/// Whether any non-empty record set exists at `name`.
fn name_in_use(zone: &Records, name: &LowerName) -> bool {
    zone.iter()
        .any(|(key, set)| key.name == *name && !set.is_empty())
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::str::FromStr;

    use hickory_proto::rr::Name;
    use hickory_proto::rr::rdata::A;

    use super::*;

    fn name(s: &str) -> Name {
        Name::from_str(s).expect("valid name")
    }

    fn a(n: &str, ttl: u32, last: u8) -> Record {
        Record::from_rdata(name(n), ttl, RData::A(A(Ipv4Addr::new(127, 0, 0, last))))
    }

    /// A zone with `www` = {127.0.0.2, 127.0.0.3}.
    fn zone() -> Records {
        let mut set = RecordSet::new(name("www.z.test."), RecordType::A, 1);
        set.insert(a("www.z.test.", 300, 2), 1);
        set.insert(a("www.z.test.", 300, 3), 1);
        let mut zone = Records::new();
        zone.insert(
            RrKey::new(LowerName::from(&name("www.z.test.")), RecordType::A),
            Arc::new(set),
        );
        zone
    }

    fn run(prereqs: &[Record]) -> Result<(), ResponseCode> {
        check(
            &zone(),
            &LowerName::from(&name("z.test.")),
            DNSClass::IN,
            prereqs,
        )
    }

    fn with_class(mut rr: Record, class: DNSClass) -> Record {
        rr.dns_class = class;
        rr
    }

    #[test]
    fn value_dependent_needs_the_exact_set() {
        assert_eq!(
            run(&[a("www.z.test.", 0, 2), a("www.z.test.", 0, 3)]),
            Ok(())
        );
        // A subset is not the set: hickory's own check would let this pass.
        assert_eq!(run(&[a("www.z.test.", 0, 2)]), Err(ResponseCode::NXRRSet));
        // A superset is not the set either.
        let extra = [
            a("www.z.test.", 0, 2),
            a("www.z.test.", 0, 3),
            a("www.z.test.", 0, 4),
        ];
        assert_eq!(run(&extra), Err(ResponseCode::NXRRSet));
        assert_eq!(run(&[a("api.z.test.", 0, 2)]), Err(ResponseCode::NXRRSet));
    }

    #[test]
    fn metavalues_follow_the_rfc_table() {
        let any = |n: &str, t| with_class(Record::update0(name(n), 0, t), DNSClass::ANY);
        let none = |n: &str, t| with_class(Record::update0(name(n), 0, t), DNSClass::NONE);
        assert_eq!(run(&[any("www.z.test.", RecordType::A)]), Ok(()));
        assert_eq!(
            run(&[any("www.z.test.", RecordType::AAAA)]),
            Err(ResponseCode::NXRRSet)
        );
        assert_eq!(run(&[any("www.z.test.", RecordType::ANY)]), Ok(()));
        assert_eq!(
            run(&[any("api.z.test.", RecordType::ANY)]),
            Err(ResponseCode::NXDomain)
        );
        assert_eq!(
            run(&[none("www.z.test.", RecordType::A)]),
            Err(ResponseCode::YXRRSet)
        );
        assert_eq!(
            run(&[none("www.z.test.", RecordType::ANY)]),
            Err(ResponseCode::YXDomain)
        );
        assert_eq!(run(&[none("api.z.test.", RecordType::ANY)]), Ok(()));
    }

    #[test]
    fn malformed_prerequisites_are_refused() {
        assert_eq!(run(&[a("www.z.test.", 300, 2)]), Err(ResponseCode::FormErr));
        assert_eq!(
            run(&[a("www.other.test.", 0, 2)]),
            Err(ResponseCode::NotZone)
        );
        let with_data = with_class(a("www.z.test.", 0, 2), DNSClass::ANY);
        assert_eq!(run(&[with_data]), Err(ResponseCode::FormErr));
        let chaos = with_class(a("www.z.test.", 0, 2), DNSClass::CH);
        assert_eq!(run(&[chaos]), Err(ResponseCode::FormErr));
    }
}
