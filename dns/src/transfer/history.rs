//! The zone as served now and its last few changes (RFC 1995 differences), with RFC 1982 serials.

use std::collections::{HashSet, VecDeque};

use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

/// Why a set of records cannot be served as the zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// No SOA record at the zone's origin.
    #[error("the records of {0} have no SOA at the zone's origin")]
    NoSoa(String),
    /// More than one SOA record.
    #[error("the records of {0} have more than one SOA")]
    ManySoa(String),
    /// A record that is not inside the zone.
    #[error("{name} is not inside the zone {origin}")]
    Outside { name: String, origin: String },
    /// A record that does not encode.
    #[error("a record of {0} does not encode")]
    Encode(String),
}

/// RFC 1982: is serial `a` before serial `b`? (Equal, or exactly 2^31
/// apart, is neither before nor after.)
pub fn serial_lt(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 1 << 31
}

/// One step of the zone's history (RFC 1995 §4): going from the SOA `from`
/// to the SOA `to` removes `removed` and adds `added` (neither holds the SOA).
#[derive(Debug, Clone)]
pub struct Diff {
    pub from: Record,
    pub to: Record,
    pub removed: Vec<Record>,
    pub added: Vec<Record>,
}

impl Diff {
    /// The serial this step starts from.
    pub fn from_serial(&self) -> u32 {
        soa_serial(&self.from).unwrap_or_default()
    }
}

/// The zone's current records (SOA first) and its last `keep` differences.
#[derive(Debug, Clone)]
pub struct ZoneHistory {
    origin: Name,
    records: Vec<Record>,
    /// The wire form of each record after the SOA, to compare versions
    /// without encoding the current one again.
    wire: Vec<Vec<u8>>,
    diffs: VecDeque<Diff>,
    keep: usize,
}

impl ZoneHistory {
    /// A zone with these records, one of them its SOA; keeps up to `keep`
    /// differences for IXFR (older clients get the whole zone).
    pub fn new(origin: Name, records: Vec<Record>, keep: usize) -> Result<Self, HistoryError> {
        let records = soa_first(&origin, records)?;
        let wire = encode(&records[1..], &origin)?;
        Ok(Self {
            origin,
            records,
            wire,
            diffs: VecDeque::new(),
            keep,
        })
    }

    /// Replaces the zone's records with `records` and returns the new serial.
    ///
    /// The SOA in `records` (or, when there is none, the current SOA) is
    /// served with its own serial when that is after the current one
    /// (RFC 1982), else with the current serial plus one. The difference to
    /// the previous version is kept; the oldest goes when there are more
    /// than `keep`.
    pub fn commit(&mut self, mut records: Vec<Record>) -> Result<u32, HistoryError> {
        let old_soa = self.records[0].clone();
        let current = self.serial();
        if !records.iter().any(|r| r.record_type() == RecordType::SOA) {
            records.push(old_soa.clone());
        }
        let mut records = soa_first(&self.origin, records)?;
        let serial = match soa_serial(&records[0]) {
            Some(s) if serial_lt(current, s) => s,
            _ => current.wrapping_add(1),
        };
        if let RData::SOA(soa) = &mut records[0].data {
            soa.serial = serial;
        }
        let wire = encode(&records[1..], &self.origin)?;
        let (removed, added) = difference(&self.records[1..], &self.wire, &records[1..], &wire);
        self.diffs.push_back(Diff {
            from: old_soa,
            to: records[0].clone(),
            removed,
            added,
        });
        while self.diffs.len() > self.keep {
            self.diffs.pop_front();
        }
        self.records = records;
        self.wire = wire;
        Ok(serial)
    }

    /// The zone's origin.
    pub fn origin(&self) -> &Name {
        &self.origin
    }

    /// The current records, SOA first.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The current SOA record.
    pub fn soa(&self) -> &Record {
        &self.records[0]
    }

    /// The current serial.
    pub fn serial(&self) -> u32 {
        soa_serial(&self.records[0]).unwrap_or_default()
    }

    /// The differences kept, oldest first.
    pub fn diffs(&self) -> impl Iterator<Item = &Diff> {
        self.diffs.iter()
    }

    /// The steps from `serial` to the current version, when `serial` is one
    /// of the versions kept (and not the current one).
    pub fn changes_since(&self, serial: u32) -> Option<Vec<&Diff>> {
        let start = self.diffs.iter().position(|d| d.from_serial() == serial)?;
        Some(self.diffs.iter().skip(start).collect())
    }
}

/// The serial of an SOA record.
pub(crate) fn soa_serial(record: &Record) -> Option<u32> {
    match &record.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    }
}

/// Checks that `records` are inside `origin` with exactly one SOA, at the
/// origin, and moves it first.
fn soa_first(origin: &Name, mut records: Vec<Record>) -> Result<Vec<Record>, HistoryError> {
    let zone = origin.to_string();
    if let Some(r) = records.iter().find(|r| !origin.zone_of(&r.name)) {
        return Err(HistoryError::Outside {
            name: r.name.to_string(),
            origin: zone,
        });
    }
    let mut soas = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.record_type() == RecordType::SOA);
    let Some((at, soa)) = soas.next() else {
        return Err(HistoryError::NoSoa(zone));
    };
    if soas.next().is_some() {
        return Err(HistoryError::ManySoa(zone));
    }
    if soa.name != *origin {
        return Err(HistoryError::NoSoa(zone));
    }
    let soa = records.remove(at);
    records.insert(0, soa);
    Ok(records)
}

/// Each record's wire form.
fn encode(records: &[Record], origin: &Name) -> Result<Vec<Vec<u8>>, HistoryError> {
    records
        .iter()
        .map(|r| {
            r.to_bytes()
                .map_err(|_| HistoryError::Encode(origin.to_string()))
        })
        .collect()
}

/// What `new` removes from `old` and adds to it, given each record's wire
/// form; records compare by it, so a changed TTL is a removal and an addition.
fn difference(
    old: &[Record],
    old_wire: &[Vec<u8>],
    new: &[Record],
    new_wire: &[Vec<u8>],
) -> (Vec<Record>, Vec<Record>) {
    let old_keys: HashSet<&[u8]> = old_wire.iter().map(Vec::as_slice).collect();
    let new_keys: HashSet<&[u8]> = new_wire.iter().map(Vec::as_slice).collect();
    let removed = missing(old, old_wire, &new_keys);
    let added = missing(new, new_wire, &old_keys);
    (removed, added)
}

/// The records whose wire form is not in `keys`.
fn missing(records: &[Record], wire: &[Vec<u8>], keys: &HashSet<&[u8]>) -> Vec<Record> {
    records
        .iter()
        .zip(wire)
        .filter(|(_, w)| !keys.contains(w.as_slice()))
        .map(|(r, _)| r.clone())
        .collect()
}
