//! Which pool the records served now belong to.

use std::collections::BTreeSet;
use std::fmt;

use rtoguard_provider_api::{RecordSet, RecordType};
use serde::Serialize;

use crate::config::Service;

/// The pool a service's records point at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "pools", rename_all = "kebab-case")]
pub enum Active {
    /// Exactly one pool's endpoints are served.
    Pool(String),
    /// Nothing is served.
    Empty,
    /// Values from several pools are served at once.
    Mixed(Vec<String>),
    /// The values match no pool of the config.
    None,
}

impl fmt::Display for Active {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pool(p) => f.write_str(p),
            Self::Empty => f.write_str("empty"),
            Self::Mixed(ps) => write!(f, "mixed ({})", ps.join("+")),
            Self::None => f.write_str("none"),
        }
    }
}

impl Active {
    pub fn pool(&self) -> Option<&str> {
        match self {
            Self::Pool(p) => Some(p),
            _ => None,
        }
    }
}

/// Classify what a service's records serve: each record on its own (see
/// [`classify_record`]); the group serves a pool when every record does.
/// Records that disagree (a group change stopped half-way) are `Mixed`.
pub fn classify(svc: &Service, sets: &[RecordSet]) -> Active {
    let each: Vec<Active> = svc
        .records
        .iter()
        .map(|m| classify_record(svc, m.rtype, &super::group::sets_of(m, sets)))
        .collect();
    let Some(first) = each.first() else {
        return Active::Empty;
    };
    if each.iter().all(|a| a == first) {
        return first.clone();
    }
    if each.contains(&Active::None) {
        return Active::None;
    }
    let mut pools: Vec<String> = Vec::new();
    for a in &each {
        let names = match a {
            Active::Pool(p) => std::slice::from_ref(p),
            Active::Mixed(ps) => ps.as_slice(),
            _ => &[],
        };
        for n in names {
            if !pools.contains(n) {
                pools.push(n.clone());
            }
        }
    }
    Active::Mixed(pools)
}

/// Classify one record's sets (of type `rtype`): weighted sets by the pools
/// that have weight, plain sets by which pools' values make them up.
pub fn classify_record(svc: &Service, rtype: RecordType, sets: &[RecordSet]) -> Active {
    let serving: Vec<&RecordSet> = sets.iter().filter(|s| s.serves()).collect();
    if serving.is_empty() {
        return Active::Empty;
    }
    if serving.iter().any(|s| s.alias.is_some()) {
        return by_alias(svc, &serving);
    }
    let values: BTreeSet<&str> = serving
        .iter()
        .flat_map(|s| s.values.iter().map(String::as_str))
        .collect();
    let of = |p: &'_ crate::config::Pool| -> BTreeSet<String> {
        p.values_for(rtype).iter().cloned().collect()
    };
    let exact = svc.pools.iter().find(|p| {
        let e = of(p);
        e.len() == values.len() && values.iter().all(|v| e.contains(*v))
    });
    if let Some(p) = exact {
        return Active::Pool(p.name.clone());
    }
    let touched: Vec<String> = svc
        .pools
        .iter()
        .filter(|p| of(p).iter().any(|e| values.contains(e.as_str())))
        .map(|p| p.name.clone())
        .collect();
    let covered = values
        .iter()
        .all(|v| svc.pools.iter().any(|p| of(p).contains(*v)));
    match (touched.len(), covered) {
        // A subset of one pool's endpoints: that pool, partly.
        (1, true) => Active::Pool(touched[0].clone()),
        (n, true) if n > 1 => Active::Mixed(touched),
        _ => Active::None,
    }
}

/// Classify served alias sets by the pools whose alias target they name.
fn by_alias(svc: &Service, serving: &[&RecordSet]) -> Active {
    let mut pools: Vec<String> = Vec::new();
    for set in serving {
        let owner = svc
            .pools
            .iter()
            .find(|p| p.alias.is_some() && p.alias == set.alias);
        match owner {
            Some(p) if !pools.contains(&p.name) => pools.push(p.name.clone()),
            Some(_) => {}
            None => return Active::None,
        }
    }
    match pools.len() {
        1 => Active::Pool(pools.remove(0)),
        _ => Active::Mixed(pools),
    }
}
