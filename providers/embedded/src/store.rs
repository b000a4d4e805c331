//! The served zones: an immutable snapshot behind a lock, replaced whole on
//! every write (compare-and-set against what is served, a new SOA serial;
//! a change of the TTL alone keeps the serial unless the zone is transferred).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use hickory_proto::rr::rdata::{A, AAAA, CNAME};
use hickory_proto::rr::{Name, RData, Record};
use rtoguard_provider_api::{Change, ChangeSet, RecordSet, RecordType, sorted};

use crate::kept::Written;
use crate::settings::ZoneSettings;
use crate::transfer::ZoneTransfer;
use crate::zone::{Zone, parse_name};

/// Every zone served, most specific first.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    zones: Vec<Arc<Zone>>,
}

impl Snapshot {
    /// The zone that holds `name` (the longest apex above it).
    pub fn zone_for(&self, name: &Name) -> Option<&Arc<Zone>> {
        self.zones.iter().find(|z| z.origin().zone_of(name))
    }

    fn zone_named(&self, apex: &Name) -> Option<(usize, &Arc<Zone>)> {
        self.zones
            .iter()
            .enumerate()
            .find(|(_, z)| z.origin() == apex)
    }
}

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwapError {
    #[error("the zone {0} is not served here")]
    NoZone(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("cannot keep the written record set: {0}")]
    State(String),
}

/// The served zones. Reads take the current snapshot (an `Arc` clone);
/// writes are serialised and replace it.
#[derive(Debug)]
pub struct Store {
    current: RwLock<Arc<Snapshot>>,
    /// Held by the one writer; the sets written so far, as persisted.
    writer: Mutex<Written>,
    /// The zones with outgoing transfers, by apex.
    transfers: BTreeMap<Name, Arc<ZoneTransfer>>,
}

impl Store {
    /// Build every zone at the first serial (seconds since 1970, so a
    /// restarted server never goes back).
    /// The sets last written (kept in `state_file`) replace the static ones.
    pub fn new(zones: &[ZoneSettings], state_file: Option<PathBuf>) -> Result<Self, crate::Error> {
        let written = Written::load(state_file)?;
        // Never behind the last serial written: secondaries would ignore it.
        let serial = now_serial().max(written.serial.wrapping_add(1));
        let mut built = Vec::new();
        let mut transfers = BTreeMap::new();
        for z in zones {
            let mut zone = Zone::build(z, serial).map_err(|message| crate::Error::Zone {
                zone: z.name.clone(),
                message,
            })?;
            for ((apex, _, _), set) in &written.sets {
                if parse_name(apex, &Name::root()).ok().as_ref() != Some(zone.origin()) {
                    continue;
                }
                match restore(&zone, set, serial) {
                    Ok(z) => zone = z,
                    Err(e) => {
                        tracing::warn!(zone = %apex, set = %set, error = %e, "A kept record set no longer fits the zone; serving the configured one.")
                    }
                }
            }
            if let Some(t) = &z.transfer {
                let t = ZoneTransfer::new(&zone, t).map_err(|message| crate::Error::Zone {
                    zone: z.name.clone(),
                    message,
                })?;
                transfers.insert(zone.origin().clone(), Arc::new(t));
            }
            built.push(Arc::new(zone));
        }
        built.sort_by_key(|z| std::cmp::Reverse(z.origin().num_labels()));
        Ok(Self {
            current: RwLock::new(Arc::new(Snapshot { zones: built })),
            writer: Mutex::new(written),
            transfers,
        })
    }

    /// The zones with outgoing transfers, by apex.
    pub fn transfers(&self) -> &BTreeMap<Name, Arc<ZoneTransfer>> {
        &self.transfers
    }

    /// What is served now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock still holds a whole snapshot: swaps never leave half of one.
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The zone `apex` as served now.
    pub fn zone(&self, apex: &str) -> Result<Arc<Zone>, SwapError> {
        let apex = parse_name(apex, &Name::root()).map_err(SwapError::BadRequest)?;
        self.snapshot()
            .zone_named(&apex)
            .map(|(_, z)| z.clone())
            .ok_or_else(|| SwapError::NoZone(apex.to_string()))
    }

    /// The record set served at `name`/`rtype` in `zone` (empty when none).
    pub fn read(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, SwapError> {
        let z = self.zone(zone)?;
        let owner = parse_name(name, &Name::root()).map_err(SwapError::BadRequest)?;
        Ok(record_set(&z, &owner, rtype).into_iter().collect())
    }

    /// Replace `change.expected()` with `change.desired()` if it is still
    /// what is served; the serial served after it. See [`Store::swap_all`].
    pub fn swap(&self, zone: &str, change: &Change) -> Result<u32, SwapError> {
        self.swap_all(zone, &ChangeSet::one(change.clone()))
    }

    /// Replace every member's expected sets with its desired ones, if every
    /// member is still what is served: one new zone version for the whole
    /// group (one swap, one serial, one kept write), or nothing at all. The
    /// serial served after it. A change of the TTL alone (the same values
    /// for every member) keeps the serial: the TTL is served at query time.
    /// In a zone with transfers it takes a new serial, so the secondaries
    /// transfer the TTL too.
    pub fn swap_all(&self, zone: &str, set: &ChangeSet) -> Result<u32, SwapError> {
        let mut written = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let z = self.zone(zone)?;
        let mut members = Vec::new();
        for change in set.changes() {
            members.push((change, compare(&z, change)?));
        }
        // TTL at query time: the same values with another TTL (the
        // controller lowering or restoring it) are served at the serial
        // served, a new zone version only for secondaries to transfer it.
        let transfer = self.transfers.get(z.origin());
        let ttl_only = transfer.is_none()
            && members
                .iter()
                .all(|(c, (_, served))| same_values(served, c.desired()));
        let serial = if ttl_only {
            z.serial()
        } else {
            now_serial().max(z.serial().wrapping_add(1))
        };
        let mut sets = Vec::new();
        let mut kept = Vec::new();
        for (change, (owner, _)) in &members {
            let mut records = Vec::new();
            for s in change.desired() {
                for v in &s.values {
                    let data = rdata(change.rtype(), v)?;
                    records.push(Record::from_rdata(owner.clone(), s.ttl, data));
                }
            }
            sets.push((owner.clone(), wire_type(change.rtype()), records));
            let set = sorted(change.desired()).into_iter().next();
            let set = set.map(|s| RecordSet {
                name: owner.to_ascii(),
                ..s
            });
            let key = (z.origin().to_ascii(), owner.to_ascii(), change.rtype());
            kept.push((key, set));
        }
        let next = z.with_sets(sets, serial).map_err(SwapError::BadRequest)?;
        written
            .keep(kept, serial)
            .map_err(|e| SwapError::State(e.to_string()))?;
        // Transfers serve what queries are answered from, at the same serial.
        let soa = transfer.map(|t| t.commit(&next));
        {
            let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
            let mut snap = Snapshot::clone(&current);
            if let Some((i, _)) = snap.zone_named(z.origin()) {
                snap.zones[i] = Arc::new(next);
            }
            *current = Arc::new(snap);
        }
        match (transfer, soa) {
            (Some(t), Some(Ok(soa))) => t.notify(soa),
            (_, Some(Err(e))) => {
                tracing::warn!(zone = %z.origin(), error = %e, "The written zone cannot be transferred; secondaries keep the previous version.")
            }
            _ => {}
        }
        Ok(serial)
    }
}

/// Check one change against what `z` serves: its owner is in the zone, it
/// is not weighted, and what it expects is served (compare-and-set). The
/// owner and the sets served there.
fn compare(z: &Zone, change: &Change) -> Result<(Name, Vec<RecordSet>), SwapError> {
    let owner = parse_name(change.name(), &Name::root()).map_err(SwapError::BadRequest)?;
    if !z.origin().zone_of(&owner) {
        return Err(SwapError::BadRequest(format!(
            "{owner} is not in the zone {}",
            z.origin()
        )));
    }
    if change.desired().iter().any(|s| s.set_id.is_some()) {
        return Err(SwapError::BadRequest(
            "weighted record sets are not served by the embedded provider".into(),
        ));
    }
    let served: Vec<RecordSet> = record_set(z, &owner, change.rtype()).into_iter().collect();
    if !same_values(&served, change.expected()) {
        let now: Vec<String> = served.iter().map(ToString::to_string).collect();
        return Err(SwapError::Conflict(format!(
            "{owner} {} is served as {}",
            change.rtype(),
            if now.is_empty() {
                "nothing".to_string()
            } else {
                now.join(", ")
            }
        )));
    }
    Ok((owner, served))
}

/// `zone` with `set` in place of what it holds at that name and type.
fn restore(zone: &Zone, set: &RecordSet, serial: u32) -> Result<Zone, SwapError> {
    let owner = parse_name(&set.name, &Name::root()).map_err(SwapError::BadRequest)?;
    if !zone.origin().zone_of(&owner) {
        return Err(SwapError::BadRequest(format!("{owner} is not in the zone")));
    }
    let mut records = Vec::new();
    for v in &set.values {
        records.push(Record::from_rdata(
            owner.clone(),
            set.ttl,
            rdata(set.rtype, v)?,
        ));
    }
    zone.with_set(&owner, wire_type(set.rtype), records, serial)
        .map_err(SwapError::BadRequest)
}

/// Served and expected name the same values (TTLs aside, as an RFC 2136
/// value-dependent prerequisite compares).
fn same_values(served: &[RecordSet], expected: &[RecordSet]) -> bool {
    let strip = |v: &[RecordSet]| -> Vec<RecordSet> {
        sorted(v).into_iter().map(|s| s.with_ttl(0)).collect()
    };
    strip(served) == strip(expected)
}

/// The served records of `rtype` at `owner` as one record set.
fn record_set(z: &Zone, owner: &Name, rtype: RecordType) -> Option<RecordSet> {
    let records = z.set(owner, wire_type(rtype));
    let ttl = records.iter().map(|r| r.ttl).min()?;
    let values = records.iter().map(|r| match &r.data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(a) => a.0.to_string(),
        RData::CNAME(c) => c.0.to_ascii(),
        other => other.to_string(),
    });
    Some(RecordSet::new(&owner.to_ascii(), rtype, ttl, values))
}

fn wire_type(rtype: RecordType) -> hickory_proto::rr::RecordType {
    match rtype {
        RecordType::A => hickory_proto::rr::RecordType::A,
        RecordType::AAAA => hickory_proto::rr::RecordType::AAAA,
        RecordType::CNAME => hickory_proto::rr::RecordType::CNAME,
    }
}

fn rdata(rtype: RecordType, value: &str) -> Result<RData, SwapError> {
    let bad = |what: &str| SwapError::BadRequest(format!("{value:?} is not {what}"));
    Ok(match rtype {
        RecordType::A => RData::A(A(value
            .parse::<Ipv4Addr>()
            .map_err(|_| bad("an IPv4 address"))?)),
        RecordType::AAAA => RData::AAAA(AAAA(
            value
                .parse::<Ipv6Addr>()
                .map_err(|_| bad("an IPv6 address"))?,
        )),
        RecordType::CNAME => RData::CNAME(CNAME(
            parse_name(value, &Name::root()).map_err(SwapError::BadRequest)?,
        )),
    })
}

/// Seconds since 1970 as a serial (fits in u32 until 2106).
fn now_serial() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs());
    u32::try_from(secs).unwrap_or(u32::MAX)
}
