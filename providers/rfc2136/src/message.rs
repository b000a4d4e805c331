//! DNS messages: the direct query, the compare-and-set UPDATE, and reading answers back.

use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::op::{Edns, Message, OpCode, Query, UpdateMessage};
use hickory_proto::rr::rdata::{A, AAAA, CNAME};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType as WireType};
use rtoguard_provider_api::{RecordSet, RecordType};

/// Why a message could not be built from our types.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BuildError {
    #[error("{what} {value:?} is not a valid DNS name: {reason}")]
    Name {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error("{value:?} is not a valid {rtype} value")]
    Value { rtype: RecordType, value: String },
    #[error("{name} is not inside zone {zone}")]
    OutOfZone { name: String, zone: String },
}

pub(crate) fn wire_type(rtype: RecordType) -> WireType {
    match rtype {
        RecordType::A => WireType::A,
        RecordType::AAAA => WireType::AAAA,
        RecordType::CNAME => WireType::CNAME,
    }
}

pub(crate) fn parse_name(what: &'static str, value: &str) -> Result<Name, BuildError> {
    let mut name = Name::from_ascii(value).map_err(|e| BuildError::Name {
        what,
        value: value.to_string(),
        reason: e.to_string(),
    })?;
    name.set_fqdn(true);
    Ok(name)
}

/// A plain query, recursion not desired, with EDNS(0) (an answer above its
/// buffer size is truncated over UDP and fetched again over TCP).
pub(crate) fn query(name: &Name, rtype: WireType) -> Message {
    rtoguard_dns::query(name, rtype, false)
}

fn rdata(rtype: RecordType, value: &str) -> Result<RData, BuildError> {
    let bad = || BuildError::Value {
        rtype,
        value: value.to_string(),
    };
    Ok(match rtype {
        RecordType::A => RData::A(A(value.parse::<Ipv4Addr>().map_err(|_| bad())?)),
        RecordType::AAAA => RData::AAAA(AAAA(value.parse::<Ipv6Addr>().map_err(|_| bad())?)),
        RecordType::CNAME => RData::CNAME(CNAME(Name::from_ascii(value).map_err(|_| bad())?)),
    })
}

/// One record set's part of an UPDATE: its name and type, the set it must
/// still hold (`None`: no RRset at all), and the set it gets.
pub(crate) struct Member<'a> {
    pub name: &'a str,
    pub rtype: RecordType,
    pub expected: Option<&'a RecordSet>,
    pub desired: &'a RecordSet,
}

/// The compare-and-set UPDATE (RFC 2136): in `zone`, require that `name`
/// holds exactly `expected` (§2.4.2, or no RRset at all, §2.4.3, when
/// `None`), then delete the RRset (§2.5.2) and add `desired` (§2.5.1).
/// (The provider sends every change through [`update_all`].)
#[cfg(test)]
pub(crate) fn update(
    zone: &str,
    name: &str,
    rtype: RecordType,
    expected: Option<&RecordSet>,
    desired: &RecordSet,
) -> Result<Message, BuildError> {
    update_all(
        zone,
        &[Member {
            name,
            rtype,
            expected,
            desired,
        }],
    )
}

/// One compare-and-set UPDATE for several record sets: the prerequisites
/// of every member, then every member's delete and add. The server applies
/// all of it or none (RFC 2136 §3.4: one transaction, one serial).
pub(crate) fn update_all(zone: &str, members: &[Member<'_>]) -> Result<Message, BuildError> {
    let zone_name = parse_name("zone", zone)?;
    let mut msg = Message::query();
    msg.metadata.id = rand::random();
    msg.metadata.op_code = OpCode::Update;
    msg.metadata.recursion_desired = false;
    msg.add_zone(Query::query(zone_name.clone(), WireType::SOA));
    let mut owners = Vec::new();
    for m in members {
        let owner = parse_name("record name", m.name)?;
        if !zone_name.zone_of(&owner) {
            return Err(BuildError::OutOfZone {
                name: m.name.to_string(),
                zone: zone.to_string(),
            });
        }
        prerequisite(&mut msg, &owner, m.rtype, m.expected)?;
        owners.push(owner);
    }
    for (m, owner) in members.iter().zip(owners) {
        // Delete an RRset: class ANY, TTL 0, no RDATA.
        let mut delete = Record::update0(owner.clone(), 0, wire_type(m.rtype));
        delete.dns_class = DNSClass::ANY;
        msg.add_update(delete);
        for value in &m.desired.values {
            msg.add_update(Record::from_rdata(
                owner.clone(),
                m.desired.ttl,
                rdata(m.rtype, value)?,
            ));
        }
    }
    // EDNS(0) as on queries: BIND 9 accepts it on a TSIG-signed UPDATE (the
    // OPT record goes before the TSIG record, as RFC 8945 §5.1 requires).
    let mut edns = Edns::new();
    edns.set_max_payload(rtoguard_dns::EDNS_PAYLOAD);
    msg.set_edns(edns);
    Ok(msg)
}

fn prerequisite(
    msg: &mut Message,
    owner: &Name,
    rtype: RecordType,
    expected: Option<&RecordSet>,
) -> Result<(), BuildError> {
    match expected {
        // RRset exists (value dependent): the zone class, TTL 0, every RR.
        Some(set) => {
            for value in &set.values {
                msg.add_pre_requisite(Record::from_rdata(owner.clone(), 0, rdata(rtype, value)?));
            }
        }
        // RRset does not exist: class NONE, TTL 0, no RDATA.
        None => {
            let mut rr = Record::update0(owner.clone(), 0, wire_type(rtype));
            rr.dns_class = DNSClass::NONE;
            msg.add_pre_requisite(rr);
        }
    }
    Ok(())
}

/// An UPDATE with one prerequisite the zone always meets (its apex "name is
/// in use", RFC 2136 §2.4.4: class ANY, type ANY, TTL 0, no RDATA) and no
/// update section: signed, it tests the key and changes nothing.
pub(crate) fn access_check(zone: &str) -> Result<Message, BuildError> {
    let zone_name = parse_name("zone", zone)?;
    let mut msg = Message::query();
    msg.metadata.id = rand::random();
    msg.metadata.op_code = OpCode::Update;
    msg.metadata.recursion_desired = false;
    msg.add_zone(Query::query(zone_name.clone(), WireType::SOA));
    let mut in_use = Record::update0(zone_name, 0, WireType::ANY);
    in_use.dns_class = DNSClass::ANY;
    msg.add_pre_requisite(in_use);
    let mut edns = Edns::new();
    edns.set_max_payload(rtoguard_dns::EDNS_PAYLOAD);
    msg.set_edns(edns);
    Ok(msg)
}

/// The record set of `rtype` at `name` in an answer; `None` when there is none.
pub(crate) fn answer_set(answer: &Message, name: &Name, rtype: RecordType) -> Option<RecordSet> {
    let wtype = wire_type(rtype);
    let mut ttl = u32::MAX;
    let mut values = Vec::new();
    for rr in answer.answers.iter() {
        if rr.record_type() != wtype || rr.name != *name {
            continue;
        }
        ttl = ttl.min(rr.ttl);
        values.push(match &rr.data {
            RData::A(a) => a.0.to_string(),
            RData::AAAA(a) => a.0.to_string(),
            RData::CNAME(c) => c.0.to_ascii(),
            other => other.to_string(),
        });
    }
    if values.is_empty() {
        return None;
    }
    Some(RecordSet::new(&name.to_ascii(), rtype, ttl, values))
}

/// The SOA serial in an answer for the zone apex.
pub(crate) fn soa_serial(answer: &Message) -> Option<u32> {
    answer.answers.iter().find_map(|rr| match &rr.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    })
}

/// RFC 1982 serial number arithmetic: `a` is `b` or later.
pub(crate) fn serial_at_least(a: u32, b: u32) -> bool {
    a == b || (a.wrapping_sub(b) as i32) > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> RecordSet {
        RecordSet::new("www.example.test.", RecordType::A, 60, values)
    }

    #[test]
    fn update_carries_the_exact_prerequisite_then_delete_and_add() {
        let old = set(&["127.0.0.2", "127.0.0.3"]);
        let new = set(&["127.0.0.4"]);
        let msg = update(
            "example.test.",
            "www.example.test.",
            RecordType::A,
            Some(&old),
            &new,
        )
        .unwrap();
        assert_eq!(msg.metadata.op_code, OpCode::Update);
        assert_eq!(msg.zones()[0].name().to_ascii(), "example.test.");
        let pre = msg.prerequisites();
        assert_eq!(pre.len(), 2);
        assert!(
            pre.iter()
                .all(|r| r.dns_class == DNSClass::IN && r.ttl == 0)
        );
        let ups = msg.updates();
        assert_eq!(ups.len(), 2);
        assert_eq!(ups[0].dns_class, DNSClass::ANY);
        assert_eq!(ups[0].data, RData::Update0(WireType::A));
        assert_eq!(ups[1].ttl, 60);
        assert_eq!(ups[1].data, RData::A(A("127.0.0.4".parse().unwrap())));
        // It survives the wire.
        let bytes = msg.to_vec().unwrap();
        let back = Message::from_vec(&bytes).unwrap();
        assert_eq!(back.prerequisites().len(), 2);
        let edns = back.edns.expect("an OPT record");
        assert_eq!(edns.max_payload(), rtoguard_dns::EDNS_PAYLOAD);
    }

    #[test]
    fn create_requires_the_rrset_to_be_absent() {
        let msg = update(
            "example.test.",
            "www.example.test.",
            RecordType::A,
            None,
            &set(&["127.0.0.4"]),
        )
        .unwrap();
        let pre = &msg.prerequisites()[0];
        assert_eq!(pre.dns_class, DNSClass::NONE);
        assert_eq!(pre.data, RData::Update0(WireType::A));
    }

    #[test]
    fn refuses_names_outside_the_zone_and_bad_values() {
        let new = set(&["127.0.0.4"]);
        let err = update(
            "other.test.",
            "www.example.test.",
            RecordType::A,
            None,
            &new,
        );
        assert!(matches!(err, Err(BuildError::OutOfZone { .. })));
        let bad = RecordSet::new("www.example.test.", RecordType::A, 60, ["not-an-ip"]);
        let err = update(
            "example.test.",
            "www.example.test.",
            RecordType::A,
            None,
            &bad,
        );
        assert!(matches!(err, Err(BuildError::Value { .. })));
    }

    #[test]
    fn a_group_update_holds_every_prerequisite_then_every_update() {
        let old_a = set(&["127.0.0.2"]);
        let new_a = set(&["127.0.0.3"]);
        let old_aaaa = RecordSet::new("www.example.test.", RecordType::AAAA, 60, ["::1"]);
        let new_aaaa = RecordSet::new("www.example.test.", RecordType::AAAA, 60, ["2001:db8::3"]);
        let member = |rtype, expected, desired| Member {
            name: "www.example.test.",
            rtype,
            expected,
            desired,
        };
        let msg = update_all(
            "example.test.",
            &[
                member(RecordType::A, Some(&old_a), &new_a),
                member(RecordType::AAAA, Some(&old_aaaa), &new_aaaa),
            ],
        )
        .unwrap();
        let types = |rs: &[Record]| rs.iter().map(|r| r.record_type()).collect::<Vec<_>>();
        assert_eq!(types(msg.prerequisites()), [WireType::A, WireType::AAAA]);
        // Each set: delete the RRset, add its values.
        let updates = msg.updates();
        assert_eq!(updates.len(), 4);
        assert_eq!(updates[0].dns_class, DNSClass::ANY);
        assert_eq!(updates[2].dns_class, DNSClass::ANY);
        assert_eq!(types(&updates[1..2]), [WireType::A]);
        assert_eq!(types(&updates[3..4]), [WireType::AAAA]);
        let out = update_all("other.test.", &[member(RecordType::A, None, &new_a)]);
        assert!(matches!(out, Err(BuildError::OutOfZone { .. })));
    }

    #[test]
    fn serials_wrap() {
        assert!(serial_at_least(5, 5));
        assert!(serial_at_least(6, 5));
        assert!(!serial_at_least(4, 5));
        assert!(serial_at_least(2, u32::MAX - 1));
        assert!(!serial_at_least(u32::MAX - 1, 2));
    }
}
