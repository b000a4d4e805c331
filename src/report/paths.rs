//! Per-path rows (authoritatives, resolvers, clients) and their spread, as
//! offsets from the incident start.

use super::clock::percentile;
use super::types::{AuthRow, ClientRow, ResolverRow, Spread};
use super::watch::{Resolver, View, abs};

/// Every watched path, and the moments the phases end at.
#[derive(Debug, Default)]
pub struct Paths {
    pub auths: Vec<AuthRow>,
    pub resolvers: Vec<ResolverRow>,
    pub clients: Vec<ClientRow>,
    pub spread: Option<Spread>,
    /// The last switch of each kind, only if every path of the kind switched.
    pub auth_last: Option<i64>,
    pub resolver_last: Option<i64>,
    pub client_last: Option<i64>,
    pub client_first: Option<i64>,
    /// Provider accepted, as the watch measured it.
    pub changed: Option<i64>,
    /// When the watch ended.
    pub ended: Option<i64>,
}

/// The latest value, if every path has one (and there is at least one path).
fn last_if_all(values: &[Option<i64>]) -> Option<i64> {
    values
        .iter()
        .copied()
        .collect::<Option<Vec<i64>>>()?
        .into_iter()
        .max()
}

/// Read the watch's paths; offsets become relative to `start` (epoch ms).
pub fn read(view: Option<&View>, start: i64) -> Paths {
    let Some(v) = view else {
        return Paths::default();
    };
    let anchor = v.anchor(start);
    let rel = |o: Option<u64>| abs(anchor, o).map(|a| a - start);
    let auths: Vec<AuthRow> = v
        .authoritatives
        .iter()
        .map(|a| AuthRow {
            name: a.name.clone(),
            addr: a.addr.clone(),
            state: a.state.clone(),
            converged_ms: rel(a.converged_ms),
            serial: a.serial,
        })
        .collect();
    let resolvers: Vec<ResolverRow> = v.resolvers.iter().map(|r| resolver(r, &rel)).collect();
    let clients: Vec<ClientRow> = v
        .clients
        .iter()
        .map(|c| ClientRow {
            resolver: c.resolver.clone(),
            reached_ms: rel(c.reached_ms),
            requests: c.requests,
            failed: c.failed,
            old_pool: c.old_pool,
            counted_from_ms: rel(v.changed_ms).or(Some(anchor - start)),
            counted_to_ms: rel(c.reached_ms).or(rel(Some(v.ended_ms))),
        })
        .collect();
    let switched: Vec<Option<i64>> = resolvers.iter().map(|r| r.switched_ms).collect();
    let reached: Vec<Option<i64>> = clients.iter().map(|c| c.reached_ms).collect();
    Paths {
        auth_last: last_if_all(&auths.iter().map(|a| a.converged_ms).collect::<Vec<_>>()),
        resolver_last: last_if_all(&switched),
        client_last: last_if_all(&reached),
        client_first: reached.iter().flatten().copied().min(),
        spread: spread(&switched),
        changed: rel(v.changed_ms),
        ended: rel(Some(v.ended_ms)),
        auths,
        resolvers,
        clients,
    }
}

fn resolver(r: &Resolver, rel: &impl Fn(Option<u64>) -> Option<i64>) -> ResolverRow {
    ResolverRow {
        name: r.name.clone(),
        addr: r.addr.clone(),
        state: r.state.clone(),
        switched_ms: rel(r.switched_ms),
        predicted_ms: rel(r.predicted_ms),
        prediction_basis: r.prediction_basis.clone(),
        first_old_ttl: r.first_old_ttl,
        overstay_ms: r.overstay_ms.and_then(|o| i64::try_from(o).ok()),
        kept_past_prediction: r.kept_past_prediction,
    }
}

/// p50 / p95 / max of the resolvers that switched.
fn spread(switched: &[Option<i64>]) -> Option<Spread> {
    let done: Vec<i64> = switched.iter().flatten().copied().collect();
    Some(Spread {
        watched: switched.len(),
        converged: done.len(),
        p50_ms: percentile(&done, 50)?,
        p95_ms: percentile(&done, 95)?,
        max_ms: percentile(&done, 100)?,
    })
}
