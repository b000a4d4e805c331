//! Saving an incident's RTO report once its propagation watch ends.

use tracing::{info, warn};

use crate::config::Service;
use crate::journal::Journal;
use crate::propagation::WatchOutcome;
use crate::report;

/// Build the report of `incident` from its journal entries and store it.
pub fn save(
    journal: &Journal,
    incident: &str,
    svc: &Service,
    outcome: Option<&WatchOutcome>,
) -> Option<report::Report> {
    let entries = match journal.incident_entries(incident) {
        Ok(e) => e,
        Err(e) => {
            warn!(service = %svc.name, incident, error = %e, "Cannot read the incident's journal entries; no report.");
            return None;
        }
    };
    let kind = report::kind_of(&entries);
    let r = report::build(incident, &svc.name, kind, svc.rto, &entries, outcome);
    let json = match serde_json::to_value(&r) {
        Ok(v) => v,
        Err(e) => {
            warn!(service = %svc.name, incident, error = %e, "Cannot serialise the report.");
            return None;
        }
    };
    let kind_word = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "incident".into());
    if let Err(e) = journal.save_report(incident, &svc.name, &kind_word, &json) {
        warn!(service = %svc.name, incident, error = %e, "Cannot store the report.");
        return None;
    }
    info!(service = %svc.name, incident, verdict = ?r.rto.verdict, "RTO report saved: rtoguard report {incident}");
    Some(r)
}

/// At the end of an incident whose flip this controller made but whose
/// report was never stored (it restarted while the propagation watch ran),
/// the report from what the journal holds; `None` when there is one
/// already, or this controller flipped nothing.
pub fn save_if_missing(journal: &Journal, incident: &str, svc: &Service) -> Option<report::Report> {
    if !matches!(journal.report(incident), Ok(None)) {
        return None;
    }
    let entries = journal.incident_entries(incident).ok()?;
    // This controller's own flip: a writer that found another's done
    // journals no `flipped` decision, and makes no report of its own.
    let flipped = entries.iter().filter_map(|e| e.event()).any(|e| {
        matches!(
            e,
            crate::journal::Event::Decision {
                decision: crate::controller::EntryKind::Flipped,
                ..
            }
        )
    });
    if !flipped {
        return None;
    }
    info!(service = %svc.name, incident, "The incident's watch never ended (a restart): reporting from the journal.");
    save(journal, incident, svc, None)
}
