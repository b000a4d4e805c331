//! The change an intent stands for, built from what the provider serves now.

use std::sync::Arc;

use rtoguard_provider_api::{ChangeSet, Provider, ProviderError, RecordSet};

use crate::config::Service;
use crate::plan::{self, Active, classify, classify_record, group};

/// What must be written for an intent.
#[derive(Debug)]
pub enum Prepared {
    /// Write this group change (compare-and-set against what was read).
    Change(ChangeSet),
    /// Nothing to write: what the intent wants is served already.
    Served,
}

/// What the provider serves for every record of `svc`, in one flat list.
pub async fn read(svc: &Service, p: &Arc<dyn Provider>) -> Result<Vec<RecordSet>, ProviderError> {
    let mut out = Vec::new();
    for m in &svc.records {
        out.extend(p.read(&svc.zone, &m.name, m.rtype).await?);
    }
    Ok(out)
}

/// The TTL change to `ttl` (at least the provider's floor) of what is served.
pub async fn ttl_change(
    svc: &Service,
    p: &Arc<dyn Provider>,
    ttl: u32,
) -> Result<Prepared, ProviderError> {
    let current = read(svc, p).await?;
    let ttl = ttl.max(p.capabilities().ttl_floor);
    // An alias set carries no TTL of its own (its target's answer does):
    // there is nothing to change on it, and a change of nothing is refused.
    let own = |s: &&RecordSet| s.alias.is_none();
    if !current.is_empty() && current.iter().filter(own).all(|s| s.ttl == ttl) {
        return Ok(Prepared::Served);
    }
    let desired = group::at_ttl(&current, ttl);
    group::changes(svc, &current, &desired).map(Prepared::Change)
}

/// The flip to pool `to` at `ttl`, refused as a conflict unless `from` (when
/// given) is what is served.
pub async fn flip_change(
    svc: &Service,
    p: &Arc<dyn Provider>,
    from: Option<&str>,
    to: &str,
    ttl: u32,
) -> Result<Prepared, ProviderError> {
    let current = read(svc, p).await?;
    let served = classify(svc, &current);
    if served.pool() == Some(to) {
        return Ok(Prepared::Served);
    }
    if let Some(from) = from
        && !from_or_to(svc, &current, from, to)
    {
        return Err(ProviderError::Conflict {
            provider: p.name().to_string(),
            message: format!("expected pool {from} to be served, found {served}"),
        });
    }
    let Some(pool) = svc.pool(to) else {
        return Err(ProviderError::Refused(format!(
            "service {} has no pool {to}",
            svc.name
        )));
    };
    let caps = p.capabilities();
    let desired = plan::desired_for(svc, &caps, &current, pool, ttl.max(caps.ttl_floor));
    group::changes(svc, &current, &desired).map(Prepared::Change)
}

/// Whether every record serves `from` or already `to`: the expected state
/// of a flip, or of one stopped half-way through its records (resumed by
/// changing only the records still on `from`).
pub fn from_or_to(svc: &Service, current: &[RecordSet], from: &str, to: &str) -> bool {
    svc.records.iter().all(|m| {
        let each = classify_record(svc, m.rtype, &group::sets_of(m, current));
        each == Active::Pool(from.into()) || each == Active::Pool(to.into())
    })
}

/// One step of a gradual failback: `to.1` percent of the weight on pool
/// `to.0`, the rest on `from.0`, at `ttl`. Only on providers with weights.
/// Refused as a conflict unless the two pools' weights are `expect` (the
/// previous step's, when given): the step fences against a rival writer
/// on top of the provider's own compare-and-set.
pub async fn weights_change(
    svc: &Service,
    p: &Arc<dyn Provider>,
    shares: [(&str, u8); 2],
    expect: Option<[u8; 2]>,
    ttl: u32,
) -> Result<Prepared, ProviderError> {
    let caps = p.capabilities();
    if !caps.weighted {
        return Err(ProviderError::Refused(format!(
            "provider {} has no weights: a gradual failback cannot split traffic on it",
            p.name()
        )));
    }
    let current = read(svc, p).await?;
    let pools = [shares[0].0, shares[1].0];
    let want = vec![u32::from(shares[0].1), u32::from(shares[1].1)];
    // One row per record: a step stopped half-way through a group leaves
    // some records on the new weights and the rest on the previous ones.
    let rows = plan::weights::record_shares(svc, &current, &pools);
    if rows.iter().all(|r| *r == want) {
        return Ok(Prepared::Served);
    }
    if let Some(e) = expect {
        let before = vec![u32::from(e[0]), u32::from(e[1])];
        if let Some(now) = rows.iter().find(|r| **r != before && **r != want) {
            return Err(ProviderError::Conflict {
                provider: p.name().to_string(),
                message: format!(
                    "expected weights {} {} and {} {}, found {} and {}",
                    pools[0], e[0], pools[1], e[1], now[0], now[1]
                ),
            });
        }
    }
    let desired = plan::weights::weighted(svc, &current, &shares, ttl.max(caps.ttl_floor));
    group::changes(svc, &current, &desired).map(Prepared::Change)
}
