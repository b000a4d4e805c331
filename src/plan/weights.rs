//! Weighted record sets with a given share of the weight per pool: a flip (all on one pool) or a step of a gradual failback.

use rtoguard_provider_api::RecordSet;

use super::group::sets_of;
use crate::config::{Member, Pool, Service};

/// What the provider should serve with `shares` (pool, percent of the
/// weight; every other pool 0), for every record of `svc` (one flat list,
/// as [`super::group::changes`] takes it): see [`weighted_record`].
pub fn weighted(
    svc: &Service,
    current: &[RecordSet],
    shares: &[(&str, u8)],
    ttl: u32,
) -> Vec<RecordSet> {
    svc.records
        .iter()
        .flat_map(|m| weighted_record(svc, m, &sets_of(m, current), shares, ttl))
        .collect()
}

/// What record `m` should serve with `shares`, one weighted set per pool
/// (set id = pool name): values refreshed from the config, sets of
/// unknown ids kept with weight 0, and a set added for every pool that has
/// none. `current` holds that record's sets only.
pub fn weighted_record(
    svc: &Service,
    m: &Member,
    current: &[RecordSet],
    shares: &[(&str, u8)],
    ttl: u32,
) -> Vec<RecordSet> {
    let share = |id: &str| {
        shares
            .iter()
            .find(|(p, _)| *p == id)
            .map_or(0, |(_, w)| u32::from(*w))
    };
    let plain = |pool: &Pool| plain(m, pool, ttl);
    let mut out: Vec<RecordSet> = current
        .iter()
        .map(|s| {
            let id = s.set_id.clone().unwrap_or_default();
            let w = share(&id);
            match svc.pool(&id) {
                Some(p) => plain(p).with_weight(&id, w),
                None => s.clone().with_ttl(ttl).with_weight(&id, w),
            }
        })
        .collect();
    // A pool without a set gets one (a fresh zone: one set per pool).
    for pool in &svc.pools {
        if !out.iter().any(|s| s.set_id.as_deref() == Some(&pool.name)) {
            out.push(plain(pool).with_weight(&pool.name, share(&pool.name)));
        }
    }
    out
}

/// The set `pool` answers with in record `m`: its values for the record's
/// type, or its alias target (alias pools serve one A or AAAA record).
pub fn plain(m: &Member, pool: &Pool, ttl: u32) -> RecordSet {
    match &pool.alias {
        Some(target) => RecordSet::alias(&m.name, m.rtype, target.clone()),
        None => RecordSet::new(&m.name, m.rtype, ttl, pool.values_for(m.rtype)),
    }
}

/// The share of the weight (percent) each record of `svc` gives each of
/// `pools`, in order: one row per record, in the service's record order.
pub fn record_shares(svc: &Service, current: &[RecordSet], pools: &[&str]) -> Vec<Vec<u32>> {
    svc.records
        .iter()
        .map(|m| shares(&sets_of(m, current), pools))
        .collect()
}

/// The share of the weight (percent) `current` gives each of `pools`, in order.
pub fn shares(current: &[RecordSet], pools: &[&str]) -> Vec<u32> {
    pools
        .iter()
        .map(|p| {
            current
                .iter()
                .filter(|s| s.set_id.as_deref() == Some(*p))
                .filter_map(|s| s.weight)
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rtoguard_provider_api::RecordType;

    use super::*;
    use crate::test_support::service;

    #[test]
    fn shares_go_to_the_named_pools_and_every_other_set_gets_none() {
        let svc = service();
        let name = svc.record.clone();
        let current = vec![
            RecordSet::new(&name, RecordType::A, 30, ["192.0.2.1"]).with_weight("standby", 100),
            RecordSet::new(&name, RecordType::A, 30, ["192.0.2.9"]).with_weight("old", 5),
        ];
        let out = weighted(&svc, &current, &[("primary", 10), ("standby", 90)], 30);
        let got: Vec<(String, u32, Vec<String>)> = out
            .iter()
            .map(|s| {
                let id = s.set_id.clone().unwrap_or_default();
                (id, s.weight.unwrap_or_default(), s.values.clone())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("standby".into(), 90, vec!["127.0.0.3".into()]),
                ("old".into(), 0, vec!["192.0.2.9".into()]),
                ("primary".into(), 10, vec!["127.0.0.2".into()]),
            ]
        );
        assert_eq!(shares(&out, &["primary", "standby", "none"]), [10, 90, 0]);
    }
}
