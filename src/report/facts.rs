//! What the journal says happened: the moments the report is built from,
//! as epoch milliseconds, read from the entries of one incident.

use serde_json::Value;

use crate::journal::Entry;

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
}

/// Which provider call a `provider-result` answers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pending {
    None,
    SetTtl(Option<u64>),
    Flip,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Vantage names, as strings or as objects with a name.
fn vantages(v: &Value) -> Vec<String> {
    let Some(list) = v.get("vantages").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|x| match x {
            Value::String(s) => s.clone(),
            other => ["vantage", "name", "id"]
                .iter()
                .find_map(|k| text(other, k))
                .unwrap_or_else(|| other.to_string()),
        })
        .collect()
}

/// Read the entries of one incident, in sequence order.
pub fn read(entries: &[Entry]) -> Facts {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.seq);
    let mut f = Facts::default();
    let mut pending = Pending::None;
    let mut ttl_changed_fallback = None;
    for e in sorted {
        let d = &e.detail;
        match e.kind.as_str() {
            "incident-start" if f.start_ms.is_none() => {
                f.start_ms = Some(e.at_ms);
                f.pool = text(d, "pool");
                f.drill = d.get("drill").and_then(Value::as_bool).unwrap_or(false);
            }
            "command" => {
                f.operator_commands += 1;
                if f.command.is_none() {
                    f.command = Some((e.at_ms, e.message.clone()));
                }
            }
            "observation" => observation(&mut f, e),
            "intent" => pending = intent(&mut f, e),
            "provider-result" => {
                result(&mut f, e, pending);
                pending = Pending::None;
            }
            "ttl_changed" if f.flip.is_none() && ttl_changed_fallback.is_none() => {
                ttl_changed_fallback = Some((e.at_ms, None));
            }
            "watch-result" => f.watch = Some(d.clone()),
            "reconciled" => reconciled(&mut f, e),
            "incident-end" if f.end_ms.is_none() => f.end_ms = Some(e.at_ms),
            _ => {}
        }
    }
    f.ttl_lowered = f.ttl_lowered.or(ttl_changed_fallback);
    f
}

fn observation(f: &mut Facts, e: &Entry) {
    let d = &e.detail;
    let pool = text(d, "pool");
    if f.pool.is_some() && pool != f.pool {
        return;
    }
    match d.get("health").and_then(Value::as_str) {
        Some("Suspect") if f.suspect_ms.is_none() && f.down.is_none() => {
            f.suspect_ms = Some(e.at_ms);
        }
        Some("Down") if f.down.is_none() => f.down = Some((e.at_ms, vantages(d))),
        _ => {}
    }
}

fn intent(f: &mut Facts, e: &Entry) -> Pending {
    let d = &e.detail;
    let Some(kind) = d.get("kind") else {
        return Pending::None;
    };
    match kind.get("kind").and_then(Value::as_str) {
        Some("set_ttl") => Pending::SetTtl(kind.get("ttl").and_then(Value::as_u64)),
        Some("flip") => {
            if f.flip.is_none() {
                f.flip = Some(Flip {
                    requested_ms: e.at_ms,
                    from: text(kind, "from"),
                    to: text(kind, "to"),
                    by: text(d, "by"),
                    reason: text(d, "reason"),
                    ..Flip::default()
                });
            }
            Pending::Flip
        }
        _ => Pending::None,
    }
}

/// A flip found done at start-up completes the flip the intent began.
fn reconciled(f: &mut Facts, e: &Entry) {
    let Some(flip) = f.flip.as_mut().filter(|x| x.result_ms.is_none()) else {
        return;
    };
    if text(&e.detail, "pool").is_some_and(|p| flip.to.as_deref() == Some(p.as_str())) {
        flip.result_ms = Some(e.at_ms);
        f.restarted = true;
    }
}

fn result(f: &mut Facts, e: &Entry, pending: Pending) {
    let d = &e.detail;
    let error = d
        .get("diff")
        .and_then(|x| x.get("error"))
        .filter(|x| !x.is_null())
        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string));
    if let Some(err) = error {
        f.provider_errors += 1;
        f.errors.push(err);
        return;
    }
    match pending {
        Pending::SetTtl(ttl) if f.flip.is_none() && f.ttl_lowered.is_none() => {
            f.ttl_lowered = Some((e.at_ms, ttl));
        }
        Pending::Flip => {
            if let Some(flip) = f.flip.as_mut().filter(|x| x.result_ms.is_none()) {
                flip.result_ms = Some(e.at_ms);
                flip.accepted_ms = d.get("accepted_ms").and_then(Value::as_i64);
                flip.in_sync_ms = d.get("in_sync_ms").and_then(Value::as_i64);
            }
        }
        _ => {}
    }
}
