//! Build a [`Report`] from an incident's journal entries and the watch outcome.

use std::time::Duration;

use super::clock::{dur, wall};
use super::facts::{self, Facts};
use super::paths::{self, Paths};
use super::phases::{self, Marks};
use super::types::{Automation, Kind, Milestone, Report, SCHEMA_VERSION, Window};
use super::watch::View;
use super::window;
use crate::journal::Entry;
use crate::propagation::WatchOutcome;

/// Milestones relative to the incident start.
struct Timeline {
    start: i64,
    items: Vec<Milestone>,
}

impl Timeline {
    fn push(&mut self, key: &str, label: &str, abs_ms: Option<i64>, detail: Option<String>) {
        let Some(ms) = abs_ms else { return };
        self.items.push(Milestone {
            key: key.into(),
            label: label.into(),
            offset_ms: ms - self.start,
            at: wall(ms),
            detail,
        });
    }

    /// Push a moment already relative to the start.
    fn push_rel(&mut self, key: &str, label: &str, rel: Option<i64>, detail: Option<String>) {
        self.push(key, label, rel.map(|r| r + self.start), detail);
    }
}

/// Build the report of one incident. `entries` are the incident's journal
/// entries; `watch` the propagation outcome (else the last journaled
/// `watch-result` is used).
pub fn build(
    incident: &str,
    service: &str,
    kind: Kind,
    rto: Duration,
    entries: &[Entry],
    watch: Option<&WatchOutcome>,
) -> Report {
    let f = facts::read(entries);
    let view = watch
        .and_then(View::from_outcome)
        .or_else(|| f.watch.as_ref().and_then(View::from_value));
    let journal_start = f
        .start_ms
        .or(f.command.as_ref().map(|c| c.0))
        .or_else(|| entries.iter().map(|e| e.at_ms).min())
        .or_else(|| view.as_ref().map(|v| v.anchor(0)))
        .unwrap_or(0);
    let (start, fault_window) = window::read(&f, kind, journal_start);
    let p = paths::read(view.as_ref(), start);
    let marks = marks(&f, &p, start, kind);
    let achieved = phases::recovery(&marks);
    let phases = phases::split(&marks, achieved.0.is_some());
    let objective = i64::try_from(rto.as_millis()).unwrap_or(i64::MAX);
    let mut rto = phases::verdict(objective, achieved, p.ended, &phases);
    window::from_first_failure(&mut rto, fault_window.as_ref());
    let flip = f.flip.clone().unwrap_or_default();
    Report {
        schema: SCHEMA_VERSION,
        incident: incident.into(),
        service: service.into(),
        kind,
        from_pool: flip.from.clone().or(f.pool.clone()),
        to_pool: flip.to.clone(),
        started_at: wall(start),
        started_at_ms: start,
        rto,
        timeline: timeline(&f, &p, start, kind, fault_window.as_ref()),
        fault_window,
        phases,
        automation: Automation {
            flip_by: flip.by.clone(),
            flip_reason: flip.reason.clone(),
            flip_completed: flip.result_ms.is_some(),
            operator_commands: f.operator_commands,
            provider_errors: f.provider_errors,
        },
        watch_end: view.as_ref().and_then(|v| v.end.clone()),
        notes: notes(&f, view.as_ref(), &p),
        risk_window: super::risk::read(entries, &f),
        authoritatives: p.auths,
        resolvers: p.resolvers,
        resolver_spread: p.spread,
        clients: p.clients,
    }
}

/// What the entries describe: a drill if `incident-start` says so; a manual
/// move if an operator asked for the flip (or gave a command) before any
/// probe confirmed the pool down; else an incident.
pub fn kind_of(entries: &[Entry]) -> Kind {
    let f = facts::read(entries);
    let down = f.down.as_ref().map(|d| d.0);
    let before_down = |at: i64| down.is_none_or(|d| at < d);
    let operator_flip = f
        .flip
        .as_ref()
        .is_some_and(|x| x.by.as_deref() == Some("operator") && before_down(x.requested_ms));
    let command_first = f
        .command
        .as_ref()
        .is_some_and(|c| before_down(c.0) && f.suspect_ms.is_none_or(|s| c.0 <= s));
    if f.drill {
        Kind::Drill
    } else if operator_flip || command_first {
        Kind::Manual
    } else {
        Kind::Incident
    }
}

/// Provider accepted: as the result says, else as the watch measured, else the result's time.
fn accepted(f: &Facts, p: &Paths, start: i64) -> Option<i64> {
    let flip = f.flip.as_ref()?;
    flip.result_ms?;
    flip.accepted_ms
        .or(p.changed.map(|c| c + start))
        .or(flip.result_ms)
}

fn in_sync(f: &Facts) -> Option<i64> {
    let flip = f.flip.as_ref()?;
    flip.in_sync_ms.or(flip.result_ms)
}

fn marks(f: &Facts, p: &Paths, start: i64, kind: Kind) -> Marks {
    let rel = |a: Option<i64>| a.map(|a| a - start);
    let command = f.command.as_ref().map(|c| c.0);
    let decided = match kind {
        Kind::Manual => command.or(Some(start)),
        _ => f.down.as_ref().map(|d| d.0).or(command),
    };
    let flip_requested = f.flip.as_ref().map(|x| x.requested_ms);
    let watched = |n: usize, last: Option<i64>| (n > 0).then_some(last);
    Marks {
        decided: rel(decided.or(flip_requested)),
        flip_requested: rel(flip_requested),
        in_sync: rel(in_sync(f).or(accepted(f, p, start))),
        auths: watched(p.auths.len(), p.auth_last),
        resolvers: watched(p.resolvers.len(), p.resolver_last),
        clients: watched(p.clients.len(), p.client_last),
        watch_end: p.ended,
    }
}

fn timeline(f: &Facts, p: &Paths, start: i64, kind: Kind, w: Option<&Window>) -> Vec<Milestone> {
    let mut t = Timeline {
        start,
        items: Vec::new(),
    };
    let pool = f.pool.as_ref().map(|p| format!("pool {p}"));
    match (kind, &f.command) {
        (Kind::Manual, Some((at, what))) => {
            t.push("command", "Command", Some(*at), Some(what.clone()))
        }
        _ => {
            let ok = w.and_then(|w| w.last_ok_probe_ms);
            let failed = w.and_then(|w| w.first_failed_probe_ms);
            t.push_rel("last_ok_probe", "Last successful probe", ok, pool.clone());
            let failed = failed.map(|r| r + start).or(f.start_ms);
            t.push(
                "first_failed_probe",
                "First failed probe",
                failed,
                pool.clone(),
            );
        }
    }
    t.push("suspect", "Pool suspect", f.suspect_ms, pool.clone());
    let ttl = f
        .ttl_lowered
        .and_then(|(_, ttl)| ttl)
        .map(|t| format!("TTL {t}s"));
    t.push(
        "ttl_lowered",
        "TTL lowered",
        f.ttl_lowered.map(|x| x.0),
        ttl,
    );
    if let Some((at, v)) = &f.down {
        let who = (!v.is_empty()).then(|| format!("vantages: {}", v.join(", ")));
        t.push("confirmed_down", "Confirmed down", Some(*at), who);
    }
    if let Some(x) = &f.flip {
        let from = x.from.as_deref().unwrap_or("-");
        let to = x.to.as_deref().unwrap_or("-");
        let by = x.by.as_deref().unwrap_or("unknown");
        // The journal keeps the reason's wire name (`active_down`); people read its words.
        let why = x.reason.as_deref().map_or_else(
            || "unknown".to_string(),
            |r| {
                serde_json::from_value::<crate::controller::Reason>(r.into())
                    .map_or_else(|_| r.to_string(), |r| r.to_string())
            },
        );
        let d = format!("{from} -> {to}, by {by} ({why})");
        t.push(
            "flip_requested",
            "Flip requested",
            Some(x.requested_ms),
            Some(d),
        );
    }
    t.push(
        "provider_accepted",
        "Provider accepted",
        accepted(f, p, start),
        None,
    );
    t.push("provider_in_sync", "Provider in sync", in_sync(f), None);
    for a in &p.auths {
        let d = format!("{} {}", a.name, a.addr);
        t.push_rel(
            "auth_converged",
            "Authoritative converged",
            a.converged_ms,
            Some(d),
        );
    }
    if let Some(s) = &p.spread {
        let d = Some(format!("{} of {} resolvers", s.converged, s.watched));
        t.push_rel(
            "resolvers_p50",
            "Resolvers converged p50",
            Some(s.p50_ms),
            d.clone(),
        );
        t.push_rel(
            "resolvers_p95",
            "Resolvers converged p95",
            Some(s.p95_ms),
            d.clone(),
        );
        t.push_rel(
            "resolvers_max",
            "Resolvers converged max",
            Some(s.max_ms),
            d,
        );
    }
    t.push_rel(
        "first_client",
        "First client on new pool",
        p.client_first,
        None,
    );
    let n = Some(format!("{} clients", p.clients.len()));
    t.push_rel("all_clients", "All clients on new pool", p.client_last, n);
    for (at, back, note) in &f.steps {
        let (key, label) = match back {
            false => ("gradual_step", "Gradual failback step"),
            true => ("gradual_rollback", "Gradual failback rollback"),
        };
        t.push(key, label, Some(*at), Some(note.clone()));
    }
    t.push("incident_end", "Incident closed", f.end_ms, None);
    t.items.sort_by_key(|m| m.offset_ms);
    t.items
}

fn notes(f: &Facts, view: Option<&View>, p: &Paths) -> Vec<String> {
    let mut n = Vec::new();
    if f.restarted {
        n.push("controller restarted during the flip: the provider's acceptance was found at start-up, not journaled when it happened".into());
    }
    if view.is_none() {
        n.push("no propagation watch: recovery measured to the provider being in sync".into());
    } else if p.clients.is_empty() && !p.resolvers.is_empty() {
        n.push("no client check: recovery measured to all resolvers converged".into());
    } else if p.clients.is_empty() {
        n.push("no client check and no resolvers watched: recovery measured to the authoritative servers".into());
    }
    if let Some(v) = view {
        if !v.outstanding.is_empty() {
            n.push(format!(
                "not converged when the watch ended: {}",
                v.outstanding.join(", ")
            ));
        }
        n.extend(v.notes.iter().cloned());
    }
    for r in p.resolvers.iter().filter(|r| r.kept_past_prediction) {
        let by = r.overstay_ms.map(dur).unwrap_or_else(|| "?".into());
        n.push(format!(
            "resolver {} kept the old answer {by} past its predicted deadline",
            r.name
        ));
    }
    for e in &f.errors {
        n.push(format!("provider error: {e}"));
    }
    n
}
