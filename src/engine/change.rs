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
    if !current.is_empty() && current.iter().all(|s| s.ttl == ttl) {
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
