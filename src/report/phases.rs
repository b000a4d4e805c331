//! Where the time went: the recovery split into contiguous phases, the
//! achieved recovery time, and the verdict against the RTO.

use super::types::{MeasuredTo, Phase, PhaseName, RtoResult, Verdict};

/// The moments that end each phase, in milliseconds from the incident start.
/// A watched kind of path with `None` means: not every path of it switched.
#[derive(Debug, Default, Clone)]
pub struct Marks {
    pub decided: Option<i64>,
    pub flip_requested: Option<i64>,
    pub in_sync: Option<i64>,
    pub auths: Option<Option<i64>>,
    pub resolvers: Option<Option<i64>>,
    pub clients: Option<Option<i64>>,
    pub watch_end: Option<i64>,
}

/// The achieved recovery (start to the deepest watched level), and what it measures.
pub fn recovery(m: &Marks) -> (Option<i64>, MeasuredTo) {
    let (end, to) = match (m.clients, m.resolvers, m.auths) {
        (Some(c), _, _) => (c, MeasuredTo::AllClients),
        (None, Some(r), _) => (r, MeasuredTo::AllResolvers),
        (None, None, Some(a)) => (a, MeasuredTo::AllAuthoritatives),
        (None, None, None) => (m.in_sync, MeasuredTo::ProviderInSync),
    };
    match end {
        Some(e) => (Some(e.max(0)), to),
        None => (None, MeasuredTo::NotReached),
    }
}

/// Split the time from the start into phases. A phase whose end was not seen
/// is left out (the next one absorbs its time); if recovery was not reached,
/// the first unfinished phase runs until the watch ended.
pub fn split(m: &Marks, reached: bool) -> Vec<Phase> {
    let mut ends = vec![
        (PhaseName::Detection, m.decided),
        (PhaseName::TtlDrain, m.flip_requested),
        (PhaseName::ProviderApply, m.in_sync),
    ];
    let watched = [
        (PhaseName::Authoritative, m.auths),
        (PhaseName::ResolverCaches, m.resolvers),
        (PhaseName::Clients, m.clients),
    ];
    ends.extend(watched.iter().filter_map(|(n, w)| w.map(|e| (*n, e))));
    if !reached && let Some(end) = m.watch_end {
        let last_seen = ends.iter().rposition(|(_, e)| e.is_some());
        let open = last_seen.map_or(0, |i| i + 1);
        ends.truncate(open + 1);
        if let Some(slot) = ends.get_mut(open) {
            slot.1 = Some(end);
        }
    }
    let mut cursor = 0;
    let mut phases = Vec::new();
    for (name, end) in ends {
        let Some(end) = end else { continue };
        let end = end.max(cursor);
        phases.push(Phase {
            name,
            start_ms: cursor,
            end_ms: end,
            duration_ms: end - cursor,
        });
        cursor = end;
    }
    phases
}

/// The verdict: met if recovered within the objective; missed if recovered
/// later, or not recovered and watched past the objective; else unknown.
pub fn verdict(
    objective_ms: i64,
    achieved: (Option<i64>, MeasuredTo),
    watch_end: Option<i64>,
    phases: &[Phase],
) -> RtoResult {
    let (achieved_ms, measured_to) = achieved;
    let (verdict, margin_ms) = match (achieved_ms, watch_end) {
        (Some(a), _) if a <= objective_ms => (Verdict::Met, Some(objective_ms - a)),
        (Some(a), _) => (Verdict::Missed, Some(objective_ms - a)),
        (None, Some(w)) if w > objective_ms => (Verdict::Missed, Some(objective_ms - w)),
        (None, _) => (Verdict::Unknown, None),
    };
    let costliest = phases
        .iter()
        .filter(|p| p.duration_ms > 0)
        .fold(None::<&Phase>, |best, p| match best {
            Some(b) if b.duration_ms >= p.duration_ms => Some(b),
            _ => Some(p),
        })
        .map(|p| p.name);
    RtoResult {
        objective_ms,
        achieved_ms,
        measured_to,
        verdict,
        margin_ms,
        costliest,
        from_first_failure_ms: None,
    }
}
