//! One zone as served at one moment: immutable, built once and swapped whole.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::{A, AAAA, CNAME, HINFO, NS, SOA};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_proto::serialize::txt::Parser;

use crate::settings::ZoneSettings;

/// How long a secondary waits between refreshes, retries, and before it
/// stops answering (SOA fields, in seconds): the usual 1 h, 10 min, 1 week.
const REFRESH: i32 = 3600;
const RETRY: i32 = 600;
const EXPIRE: i32 = 604_800;
/// CNAME chains inside the zone are followed this far.
const MAX_CHAIN: usize = 8;

/// What the server sends for one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub rcode: ResponseCode,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    pub additionals: Vec<Record>,
}

impl Answer {
    fn rcode(rcode: ResponseCode) -> Self {
        Self {
            rcode,
            answers: Vec::new(),
            authorities: Vec::new(),
            additionals: Vec::new(),
        }
    }
}

/// One zone's records at one serial.
#[derive(Debug, Clone)]
pub struct Zone {
    origin: Name,
    serial: u32,
    negative_ttl: u32,
    /// Every record set by name and type, the SOA among them.
    sets: BTreeMap<(LowerName, RecordType), Vec<Record>>,
    /// Every name that exists: owners and the names between them and the apex.
    names: BTreeSet<LowerName>,
}

impl Zone {
    /// Build a zone from its settings at `serial`; the message says what is wrong.
    pub fn build(s: &ZoneSettings, serial: u32) -> Result<Self, String> {
        let origin = parse_name(&s.name, &Name::root())?;
        let first = s
            .name_servers
            .first()
            .ok_or("a zone needs at least one name server")?;
        let mname = parse_name(&first.name, &origin)?;
        let rname = parse_name(&s.hostmaster, &origin)?;
        let soa = SOA::new(mname, rname, serial, REFRESH, RETRY, EXPIRE, s.negative_ttl);
        let mut records = vec![Record::from_rdata(origin.clone(), s.ttl, RData::SOA(soa))];
        for ns in &s.name_servers {
            let name = parse_name(&ns.name, &origin)?;
            records.push(Record::from_rdata(
                origin.clone(),
                s.ttl,
                RData::NS(NS(name.clone())),
            ));
            if origin.zone_of(&name) {
                if ns.addresses.is_empty() {
                    return Err(format!(
                        "name server {name} is inside the zone and needs addresses (glue)"
                    ));
                }
                for ip in &ns.addresses {
                    records.push(Record::from_rdata(name.clone(), s.ttl, address(*ip)));
                }
            }
        }
        for r in &s.records {
            let name = parse_name(&r.name, &origin)?;
            if !origin.zone_of(&name) {
                return Err(format!("{name} is not in the zone {origin}"));
            }
            let rtype = RecordType::from_str(&r.rtype.to_ascii_uppercase())
                .map_err(|_| format!("{:?} is not a record type", r.rtype))?;
            if matches!(
                rtype,
                RecordType::SOA | RecordType::ANY | RecordType::AXFR | RecordType::IXFR
            ) {
                return Err(format!(
                    "{name}: {rtype} records cannot be given as static records"
                ));
            }
            for v in &r.values {
                records.extend(parse_value(&origin, &name, r.ttl, rtype, v)?);
            }
        }
        if let Some(path) = &s.zone_file {
            for (line, r) in crate::zone_file::read(path, &origin)? {
                if let Some(why) = crate::zone_file::refused(&origin, &r) {
                    return Err(format!("{}, line {line}: {why}", path.display()));
                }
                records.push(r);
            }
        }
        let mut zone = Self {
            origin,
            serial,
            negative_ttl: s.negative_ttl,
            sets: BTreeMap::new(),
            names: BTreeSet::new(),
        };
        for r in records {
            zone.sets
                .entry((LowerName::new(&r.name), r.record_type()))
                .or_default()
                .push(r);
        }
        zone.check_cnames()?;
        zone.index_names();
        Ok(zone)
    }

    pub fn origin(&self) -> &Name {
        &self.origin
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// Every record of the zone, the SOA first: what a transfer sends.
    pub fn records(&self) -> Vec<Record> {
        let apex = LowerName::new(&self.origin);
        let mut out = self.sets[&(apex.clone(), RecordType::SOA)].clone();
        for ((name, rtype), set) in &self.sets {
            if !(*name == apex && *rtype == RecordType::SOA) {
                out.extend(set.iter().cloned());
            }
        }
        out
    }

    /// The records of `rtype` at `name` (empty when none).
    pub fn set(&self, name: &Name, rtype: RecordType) -> &[Record] {
        self.sets
            .get(&(LowerName::new(name), rtype))
            .map_or(&[], Vec::as_slice)
    }

    /// The same zone at `serial` with the records of `rtype` at `name`
    /// replaced by `records` (none: removed).
    pub fn with_set(
        &self,
        name: &Name,
        rtype: RecordType,
        records: Vec<Record>,
        serial: u32,
    ) -> Result<Self, String> {
        self.with_sets(vec![(name.clone(), rtype, records)], serial)
    }

    /// The same zone at `serial` with every set of `sets` (name, type,
    /// records; none: removed) replaced at once: a record group is checked
    /// as a whole, never half of it.
    pub fn with_sets(
        &self,
        sets: Vec<(Name, RecordType, Vec<Record>)>,
        serial: u32,
    ) -> Result<Self, String> {
        let mut next = self.clone();
        for (name, rtype, records) in sets {
            let key = (LowerName::new(&name), rtype);
            if records.is_empty() {
                next.sets.remove(&key);
            } else {
                next.sets.insert(key, records);
            }
        }
        next.check_cnames()?;
        next.set_serial(serial);
        next.index_names();
        Ok(next)
    }

    fn set_serial(&mut self, serial: u32) {
        self.serial = serial;
        let key = (LowerName::new(&self.origin), RecordType::SOA);
        for r in self.sets.get_mut(&key).into_iter().flatten() {
            if let RData::SOA(soa) = &mut r.data {
                soa.serial = serial;
            }
        }
    }

    /// A CNAME is alone at its name, never at the apex (RFC 1034 3.6.2).
    fn check_cnames(&self) -> Result<(), String> {
        let apex = LowerName::new(&self.origin);
        for (name, rtype) in self.sets.keys() {
            if *rtype != RecordType::CNAME {
                continue;
            }
            if *name == apex {
                return Err(format!("{name}: a CNAME cannot be at the zone's apex"));
            }
            let others = self
                .sets
                .keys()
                .any(|(n, t)| n == name && *t != RecordType::CNAME);
            if others {
                return Err(format!("{name}: a CNAME cannot sit beside other records"));
            }
        }
        Ok(())
    }

    fn index_names(&mut self) {
        self.names.clear();
        for (name, _) in self.sets.keys() {
            let mut n: Name = name.into();
            while self.origin.zone_of(&n) && self.names.insert(LowerName::new(&n)) {
                if n.num_labels() <= self.origin.num_labels() {
                    break;
                }
                n = n.base_name();
            }
        }
    }

    fn soa_for_negative(&self) -> Vec<Record> {
        let mut soa = self.set(&self.origin, RecordType::SOA).to_vec();
        for r in &mut soa {
            r.ttl = r.ttl.min(self.negative_ttl);
        }
        soa
    }

    /// The answer to `qname`/`qtype`, a name inside this zone.
    pub fn answer(&self, qname: &Name, qtype: RecordType) -> Answer {
        if !self.names.contains(&LowerName::new(qname)) {
            let mut a = Answer::rcode(ResponseCode::NXDomain);
            a.authorities = self.soa_for_negative();
            return a;
        }
        let mut a = Answer::rcode(ResponseCode::NoError);
        if qtype == RecordType::ANY {
            // RFC 8482: one synthesized HINFO instead of every record set.
            let ttl = self
                .set(&self.origin, RecordType::SOA)
                .first()
                .map_or(3600, |r| r.ttl);
            let hinfo = HINFO::new("RFC8482".into(), String::new());
            a.answers
                .push(Record::from_rdata(qname.clone(), ttl, RData::HINFO(hinfo)));
            return a;
        }
        let mut name = qname.clone();
        for _ in 0..MAX_CHAIN {
            let direct = self.set(&name, qtype);
            if !direct.is_empty() {
                a.answers.extend(direct.iter().cloned());
                break;
            }
            let cname = self.set(&name, RecordType::CNAME);
            let Some(RData::CNAME(CNAME(target))) = cname.first().map(|r| &r.data) else {
                break;
            };
            a.answers.extend(cname.iter().cloned());
            if !self.origin.zone_of(target) || qtype == RecordType::CNAME {
                break;
            }
            name = target.clone();
        }
        if a.answers.is_empty() {
            a.authorities = self.soa_for_negative();
        }
        self.add_glue(&mut a);
        a
    }

    /// Addresses of in-zone name servers and MX hosts named by the answers.
    fn add_glue(&self, a: &mut Answer) {
        let targets: Vec<Name> = a
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::NS(ns) => Some(ns.0.clone()),
                RData::MX(mx) => Some(mx.exchange.clone()),
                _ => None,
            })
            .collect();
        for t in targets {
            for rtype in [RecordType::A, RecordType::AAAA] {
                a.additionals.extend(self.set(&t, rtype).iter().cloned());
            }
        }
    }
}

/// One value in zone-file syntax (names in it relative to `origin`).
fn parse_value(
    origin: &Name,
    name: &Name,
    ttl: u32,
    rtype: RecordType,
    value: &str,
) -> Result<Vec<Record>, String> {
    if value.contains(['\n', '\r', ';', '$']) {
        return Err(format!(
            "{name} {rtype} {value:?}: one value, without line breaks, comments or directives"
        ));
    }
    let text = format!("{name} {ttl} IN {rtype} {value}\n");
    let (_, sets) = Parser::new(text, None, Some(origin.clone()))
        .parse()
        .map_err(|e| format!("{name} {rtype} {value:?}: {e}"))?;
    let records: Vec<Record> = sets
        .into_values()
        .flat_map(|s| s.records_without_rrsigs().cloned().collect::<Vec<_>>())
        .collect();
    if records.is_empty() {
        return Err(format!("{name} {rtype} {value:?}: no record"));
    }
    Ok(records)
}

/// `name` made absolute under `origin` when relative.
/// `@` is the origin itself, as in a zone file.
pub fn parse_name(name: &str, origin: &Name) -> Result<Name, String> {
    if name.trim() == "@" {
        return Ok(origin.to_lowercase());
    }
    let n =
        Name::from_ascii(name.trim()).map_err(|e| format!("{name:?} is not a DNS name: {e}"))?;
    if n.is_fqdn() {
        return Ok(n.to_lowercase());
    }
    n.append_domain(origin)
        .map(|n| n.to_lowercase())
        .map_err(|e| format!("{name:?} is too long under {origin}: {e}"))
}

pub(crate) fn address(ip: std::net::IpAddr) -> RData {
    match ip {
        std::net::IpAddr::V4(v4) => RData::A(A(v4)),
        std::net::IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    }
}
