//! A group change: several compare-and-set changes that belong together
//! (the records of one service), applied as one where the provider can.

use std::fmt;

use serde::Serialize;

use crate::{Change, ProviderError, RecordSet};

/// The changes of one move, in order, at most one per name and type.
///
/// Built only through [`ChangeSet::new`], which refuses an empty set and a
/// name and type twice; each member is a checked [`Change`], so no member
/// can publish an empty record set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ChangeSet {
    changes: Vec<Change>,
}

impl ChangeSet {
    /// Check and build a group change.
    pub fn new(changes: Vec<Change>) -> Result<Self, ProviderError> {
        if changes.is_empty() {
            return Err(ProviderError::Refused(
                "a group change holds at least one change".into(),
            ));
        }
        for (i, c) in changes.iter().enumerate() {
            let twice = changes[..i]
                .iter()
                .any(|o| o.name() == c.name() && o.rtype() == c.rtype());
            if twice {
                return Err(ProviderError::Refused(format!(
                    "{} {}: changed twice in one group change",
                    c.name(),
                    c.rtype()
                )));
            }
        }
        Ok(Self { changes })
    }

    /// A group of one.
    pub fn one(change: Change) -> Self {
        Self {
            changes: vec![change],
        }
    }

    /// The changes, in the order they are applied.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Every member's expected record sets.
    pub fn expected(&self) -> Vec<RecordSet> {
        self.changes
            .iter()
            .flat_map(|c| c.expected().iter().cloned())
            .collect()
    }

    /// Every member's desired record sets.
    pub fn desired(&self) -> Vec<RecordSet> {
        self.changes
            .iter()
            .flat_map(|c| c.desired().iter().cloned())
            .collect()
    }
}

impl fmt::Display for ChangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.changes {
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// The receipt of a group change applied as a sequence: the members'
/// receipt ids joined by spaces (see [`split_receipt`]).
pub(crate) const RECEIPT_SEPARATOR: char = ' ';

/// The receipt id of each member of `set` from a group receipt: one id per
/// member when the sequence wrote them, else the one id for all (a provider
/// that applied the group as one change).
pub fn split_receipt(set: &ChangeSet, id: &str) -> Vec<String> {
    let ids: Vec<String> = id.split(RECEIPT_SEPARATOR).map(str::to_string).collect();
    if ids.len() == set.changes.len() {
        ids
    } else {
        vec![id.to_string(); set.changes.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordType;

    fn change(name: &str, rtype: RecordType, value: &str) -> Change {
        let set = RecordSet::new(name, rtype, 60, [value]);
        Change::new(name, rtype, vec![], vec![set]).expect("a valid change")
    }

    #[test]
    fn refuses_an_empty_group_and_a_member_twice() {
        assert!(ChangeSet::new(vec![]).is_err());
        let a = change("www.example.com.", RecordType::A, "192.0.2.1");
        let err = ChangeSet::new(vec![a.clone(), a.clone()]).unwrap_err();
        assert!(err.to_string().contains("changed twice"), "{err}");
        let aaaa = change("www.example.com.", RecordType::AAAA, "2001:db8::1");
        let set = ChangeSet::new(vec![a, aaaa]).expect("two members");
        assert_eq!(set.changes().len(), 2);
        assert_eq!(set.desired().len(), 2);
    }

    #[test]
    fn a_sequence_receipt_splits_per_member_and_one_receipt_serves_all() {
        let a = change("www.example.com.", RecordType::A, "192.0.2.1");
        let aaaa = change("www.example.com.", RecordType::AAAA, "2001:db8::1");
        let set = ChangeSet::new(vec![a, aaaa]).expect("two members");
        assert_eq!(split_receipt(&set, "c1 c2"), vec!["c1", "c2"]);
        assert_eq!(split_receipt(&set, "42"), vec!["42", "42"]);
    }
}
