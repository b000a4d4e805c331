//! Whether the flip happened inside a risk window, and the TTL published at
//! the fault: read from the incident record the core journaled when the
//! incident opened.

use super::clock::wall;
use super::facts::Facts;
use super::types::{Report, RiskAtFault};
use crate::controller::{Change, format_wall};
use crate::journal::{Entry, Event};

/// What the incident record says; `None` when it says nothing (an older journal).
pub(super) fn read(entries: &[Entry], f: &Facts) -> Option<RiskAtFault> {
    let incident = entries.iter().find_map(|e| match e.event()? {
        Event::IncidentStart {
            change: Some(Change::IncidentOpened { incident }),
            ..
        } => Some(incident),
        _ => None,
    })?;
    let mut out = RiskAtFault {
        ttl_at_fault: incident.ttl,
        ..RiskAtFault::default()
    };
    if let Some(w) = incident.risk {
        let until_ms = w
            .until
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let at = f.flip.as_ref().map_or(f.start_ms, |x| Some(x.requested_ms));
        out.open = at.is_none_or(|at| at < until_ms);
        out.by = Some(w.by);
        out.reason = Some(w.reason);
        out.since = Some(format_wall(w.since));
        out.until = Some(wall(until_ms));
    }
    (incident.ttl.is_some() || out.open).then_some(out)
}

/// The report's line about it, if the journal said.
pub(super) fn line(r: &Report) -> Option<String> {
    let risk = r.risk_window.as_ref()?;
    let ttl = risk
        .ttl_at_fault
        .map_or_else(|| "unknown".to_owned(), |t| format!("{t}s"));
    Some(match (risk.open, &risk.reason) {
        (true, Some(why)) => format!(
            "Inside a risk window (since {}: {why}); TTL at the fault {ttl}",
            risk.since.as_deref().unwrap_or("?")
        ),
        (true, None) => format!("Inside a risk window; TTL at the fault {ttl}"),
        (false, _) => format!("No risk window; TTL at the fault {ttl}"),
    })
}
