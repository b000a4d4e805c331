//! A service's records as one group: what each record serves, and the
//! checked group change that takes every record from one state to another.
//!
//! Record sets of several records travel together in one flat list (each
//! set names its record and type); this module splits them per record.

use rtoguard_provider_api::{Change, ChangeSet, ProviderError, RecordSet, sorted};

use crate::config::{Member, Service};

/// The sets in `sets` that belong to record `m`.
pub fn sets_of(m: &Member, sets: &[RecordSet]) -> Vec<RecordSet> {
    sets.iter()
        .filter(|s| s.name == m.name && s.rtype == m.rtype)
        .cloned()
        .collect()
}

/// The group change from `expected` to `desired`: one compare-and-set
/// change per record whose sets differ, in the service's record order. A
/// record that serves its desired sets already is left out (so a group
/// change stopped half-way resumes with the records still to change).
/// Refused when nothing would change or a record would be left empty.
pub fn changes(
    svc: &Service,
    expected: &[RecordSet],
    desired: &[RecordSet],
) -> Result<ChangeSet, ProviderError> {
    let mut out = Vec::new();
    for m in &svc.records {
        let (exp, des) = (sets_of(m, expected), sets_of(m, desired));
        if sorted(&exp) == sorted(&des) {
            continue;
        }
        out.push(Change::new(&m.name, m.rtype, exp, des)?);
    }
    ChangeSet::new(out)
}

/// `sets` at another TTL; a record with no sets stays without.
pub fn at_ttl(sets: &[RecordSet], ttl: u32) -> Vec<RecordSet> {
    sets.iter().cloned().map(|s| s.with_ttl(ttl)).collect()
}

#[cfg(test)]
mod tests;
