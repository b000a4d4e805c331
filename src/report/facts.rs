//! What the journal says happened: the moments the report is built from,
//! as epoch milliseconds, read from the entries of one incident.

use serde_json::Value;

use crate::controller::{EntryKind, Intent, IntentKind, PoolHealth};
use crate::journal::{Entry, Event, FaultWindow, Opened};

/// The flip, as its intent and its provider result tell it.
#[derive(Debug, Clone, Default)]
pub struct Flip {
    pub requested_ms: i64,
    pub from: Option<String>,
    pub to: Option<String>,
    pub by: Option<String>,
    pub reason: Option<String>,
    /// When the provider result without error was journaled.
    pub result_ms: Option<i64>,
    /// Provider accepted / in sync, when the result says so itself.
    pub accepted_ms: Option<i64>,
    pub in_sync_ms: Option<i64>,
}

/// The moments of one incident.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub start_ms: Option<i64>,
    /// The fault window the probes saw (from `incident-start`).
    pub window: Option<FaultWindow>,
    /// The pool the incident is about (from `incident-start`).
    pub pool: Option<String>,
    /// `incident-start` said `"drill": true`.
    pub drill: bool,
    /// The first operator command: when, and what it said.
    pub command: Option<(i64, String)>,
    pub suspect_ms: Option<i64>,
    pub down: Option<(i64, Vec<String>)>,
    /// TTL lowered before the flip: when the provider took it, and the TTL.
    pub ttl_lowered: Option<(i64, Option<u64>)>,
    pub flip: Option<Flip>,
    pub end_ms: Option<i64>,
    pub operator_commands: u32,
    pub provider_errors: u32,
    pub errors: Vec<String>,
    /// The last journaled `watch-result`.
    pub watch: Option<Value>,
    /// The controller restarted during the flip: its result was found at
    /// start-up (a `reconciled` entry), not journaled when it happened.
    pub restarted: bool,
    /// A gradual failback's steps served and its rollback: when, whether
    /// it is the rollback, and the journal's words.
    pub steps: Vec<(i64, bool, String)>,
}

/// Which provider call a `provider-result` answers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pending {
    None,
    SetTtl(Option<u64>),
    Flip,
    /// A step of a gradual failback, with the weight on its target.
    Weigh(u8),
}

/// Read the entries of one incident, in sequence order. Entries without
/// a typed event (written by an older rtoguard) are left out.
pub fn read(entries: &[Entry]) -> Facts {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.seq);
    let mut f = Facts::default();
    let mut pending = Pending::None;
    let mut ttl_changed_fallback = None;
    for e in sorted {
        let Some(event) = e.event() else { continue };
        let at = e.at_ms;
        match event {
            Event::IncidentStart {
                pool,
                cause,
                window,
                ..
            } if f.start_ms.is_none() => {
                f.start_ms = Some(at);
                f.window = window;
                f.pool = pool;
                f.drill = matches!(
                    cause,
                    Opened::Drill { .. }
                        | Opened::Controller {
                            kind: crate::controller::IncidentKind::Drill,
                            ..
                        }
                );
            }
            Event::Command { .. } => {
                f.operator_commands += 1;
                if f.command.is_none() {
                    f.command = Some((at, event.to_string()));
                }
            }
            Event::Observation {
                pool,
                health,
                vantages,
                ..
            } => observation(&mut f, at, &pool, health, vantages),
            Event::Intent { intent, .. } => pending = self::intent(&mut f, at, &intent),
            Event::ProviderResult {
                diff,
                accepted_ms,
                in_sync_ms,
                ..
            } => {
                result(&mut f, at, pending, diff.error, (accepted_ms, in_sync_ms));
                pending = Pending::None;
            }
            Event::Decision {
                decision: EntryKind::TtlChanged,
                ..
            } if f.flip.is_none() && ttl_changed_fallback.is_none() => {
                ttl_changed_fallback = Some((at, None));
            }
            Event::Decision {
                decision: EntryKind::Reconciled,
                pool,
                ..
            } => reconciled(&mut f, at, pool.as_deref()),
            Event::Decision {
                decision:
                    k @ (EntryKind::GradualHold
                    | EntryKind::GradualCompleted
                    | EntryKind::GradualRollback
                    | EntryKind::GradualRolledBack),
                note,
                ..
            } => {
                let back = matches!(k, EntryKind::GradualRollback | EntryKind::GradualRolledBack);
                f.steps.push((at, back, note));
            }
            Event::WatchResult { watch, .. } => f.watch = Some(watch),
            Event::IncidentEnd { .. } if f.end_ms.is_none() => f.end_ms = Some(at),
            _ => {}
        }
    }
    f.ttl_lowered = f.ttl_lowered.or(ttl_changed_fallback);
    f
}

fn observation(
    f: &mut Facts,
    at: i64,
    pool: &str,
    health: PoolHealth,
    vantages: Option<Vec<String>>,
) {
    if f.pool.as_deref().is_some_and(|p| p != pool) {
        return;
    }
    match health {
        PoolHealth::Suspect if f.suspect_ms.is_none() && f.down.is_none() => {
            f.suspect_ms = Some(at);
        }
        PoolHealth::Down if f.down.is_none() => f.down = Some((at, vantages.unwrap_or_default())),
        _ => {}
    }
}

fn intent(f: &mut Facts, at: i64, i: &Intent) -> Pending {
    let (from, to, pending) = match &i.kind {
        IntentKind::SetTtl { ttl } => return Pending::SetTtl(Some(u64::from(*ttl))),
        IntentKind::Flip { from, to } => (from.clone(), to, Pending::Flip),
        // A gradual failback is the flip: requested at its first step,
        // done when its last one (all the weight) is.
        IntentKind::Weigh { from, to, weight } => (Some(from.clone()), to, Pending::Weigh(*weight)),
    };
    if f.flip.is_none() {
        f.flip = Some(Flip {
            requested_ms: at,
            from,
            to: Some(to.clone()),
            by: Some(word(&i.by)),
            reason: Some(word(&i.reason)),
            ..Flip::default()
        });
    }
    pending
}

/// A unit enum's serde name (`automation`, `active_down`).
fn word(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A flip found done at start-up completes the flip the intent began.
fn reconciled(f: &mut Facts, at: i64, pool: Option<&str>) {
    let Some(flip) = f.flip.as_mut().filter(|x| x.result_ms.is_none()) else {
        return;
    };
    if pool.is_some_and(|p| flip.to.as_deref() == Some(p)) {
        flip.result_ms = Some(at);
        f.restarted = true;
    }
}

fn result(
    f: &mut Facts,
    at: i64,
    pending: Pending,
    error: Option<String>,
    (accepted_ms, in_sync_ms): (Option<i64>, Option<i64>),
) {
    if let Some(err) = error {
        f.provider_errors += 1;
        f.errors.push(err);
        return;
    }
    match pending {
        Pending::SetTtl(ttl) if f.flip.is_none() && f.ttl_lowered.is_none() => {
            f.ttl_lowered = Some((at, ttl));
        }
        Pending::Flip | Pending::Weigh(100) => {
            if let Some(flip) = f.flip.as_mut().filter(|x| x.result_ms.is_none()) {
                flip.result_ms = Some(at);
                flip.accepted_ms = accepted_ms;
                flip.in_sync_ms = in_sync_ms;
            }
        }
        _ => {}
    }
}
