//! Executes a plan step by step against a provider, with compare-and-set
//! recovery, countdowns, Ctrl-C handling and journal entries.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use rtoguard_provider_api::{Change, Provider, ProviderError, RecordSet, SyncState, sorted};
use serde_json::json;
use tokio::time::Instant;

use super::{Interrupts, MoveOptions, OpError, Output};
use crate::config::{Pool, Service};
use crate::journal::{Journal, NewEntry};
use crate::plan::{self, Plan, Step};

/// What a move did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoveOutcome {
    pub plan: Plan,
    pub dry_run: bool,
    /// Incident id in the journal, when journaled.
    pub incident: Option<String>,
}

/// Everything a move needs.
pub struct MoveContext<'a> {
    pub service: &'a Service,
    pub provider: Arc<dyn Provider>,
    pub to: &'a str,
    pub opts: MoveOptions,
    pub out: &'a Output,
    pub interrupts: &'a Interrupts,
    pub journal: Option<&'a Journal>,
    /// Who asked: `user:NAME` or `cli`.
    pub actor: &'a str,
    /// The RFC 2136 primary, watched after the flip when no authoritative is configured.
    pub primary: Option<std::net::SocketAddr>,
}

/// Read, plan, show, confirm, check the target, then apply each step.
/// `check_target` probes the target pool once (skipped with `--force`).
pub async fn run_move<F>(cx: MoveContext<'_>, check_target: F) -> Result<MoveOutcome, OpError>
where
    F: AsyncFnOnce(&Pool) -> Result<(), String>,
{
    let svc = cx.service;
    let current = cx.provider.read(&svc.zone, &svc.record, svc.rtype).await?;
    let plan = plan::build(
        plan::Request {
            service: svc,
            to: cx.to,
            planned: cx.opts.planned,
        },
        &cx.provider.capabilities(),
        &current,
    )?;
    show_plan(cx.out, &plan);
    if cx.opts.dry_run || plan.is_empty() {
        return Ok(MoveOutcome {
            plan,
            dry_run: cx.opts.dry_run,
            incident: None,
        });
    }
    confirm(cx.opts.yes)?;
    // `plan::build` already checked the pool exists.
    let target = svc.pool(cx.to).expect("pool checked by the plan");
    if cx.opts.force {
        cx.out.step(
            "preflight",
            &format!("--force: not probing pool {}", target.name),
            json!({ "pool": target.name }),
        );
    } else {
        check_target(target)
            .await
            .map_err(|detail| OpError::TargetUnhealthy {
                pool: target.name.clone(),
                detail,
            })?;
        cx.out.step(
            "preflight",
            &format!("pool {} answered its probe", target.name),
            json!({ "pool": target.name }),
        );
    }
    let incident = format!("manual-{}-{}", svc.name, crate::journal::now_ms());
    let run = Run {
        cx: &cx,
        incident: cx.journal.map(|_| incident.clone()),
    };
    run.journal(
        "incident-start",
        format!("{} asked to move {} to {}", cx.actor, svc.name, plan.to),
        json!({ "pool": plan.from.pool(), "manual": true }),
    );
    run.journal(
        "command",
        format!("{} asked: failover to {} (planned: {})", cx.actor, plan.to, plan.planned),
        json!({ "command": { "command": "failover", "to": plan.to, "planned": plan.planned }, "actor": cx.actor }),
    );
    run.journal(
        "decision",
        format!(
            "{} moves {} from {} to {}",
            cx.actor, svc.name, plan.from, plan.to
        ),
        json!({ "plan": &plan }),
    );
    let watch = run.steps(&plan).await?;
    cx.out.step(
        "done",
        &format!("{} now serves pool {}", svc.name, plan.to),
        json!({ "service": svc.name, "pool": plan.to }),
    );
    if let Some(w) = watch {
        super::follow::finish(&run, w).await;
    }
    Ok(MoveOutcome {
        plan,
        dry_run: false,
        incident: run.incident,
    })
}

fn show_plan(out: &Output, plan: &Plan) {
    if out.is_json() {
        out.step(
            "plan",
            &format!("plan for {}: {} -> {}", plan.service, plan.from, plan.to),
            json!({ "plan": plan }),
        );
    } else {
        print!("{plan}");
    }
}

fn confirm(yes: bool) -> Result<(), OpError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(OpError::NotConfirmed);
    }
    eprint!("Apply these changes? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    match line.trim() {
        "y" | "Y" | "yes" => Ok(()),
        _ => Err(OpError::Declined),
    }
}

pub(super) struct Run<'a, 'b> {
    pub(super) cx: &'a MoveContext<'b>,
    pub(super) incident: Option<String>,
}

impl Run<'_, '_> {
    pub(super) fn journal(&self, kind: &str, message: String, detail: serde_json::Value) {
        let Some(j) = self.cx.journal else { return };
        let e = NewEntry {
            service: &self.cx.service.name,
            incident: self.incident.as_deref(),
            kind,
            actor: self.cx.actor,
            message,
            detail,
        };
        if let Err(err) = j.append(e) {
            tracing::warn!(error = %err, "Journal write failed; continuing without it.");
        }
    }

    async fn steps(&self, plan: &Plan) -> Result<Option<super::follow::Watching>, OpError> {
        let mut watch = None;
        let mut iter = plan.steps.iter().peekable();
        while let Some(step) = iter.next() {
            match step {
                Step::SetTtl { ttl, why, change } => {
                    self.apply(change, &format!("TTL set to {ttl}s ({why})"))
                        .await?;
                }
                Step::Flip { change } => {
                    let accepted = self
                        .apply(change, &format!("flipped to pool {}", plan.to))
                        .await?;
                    watch = Some(super::follow::start(self, plan, change, accepted));
                }
                Step::Drain { ttl, wait } => {
                    let label = format!("draining caches of answers published with TTL {ttl}s");
                    if !self.wait(&label, *wait, "and restore the TTL").await {
                        return Err(self.abort_drain(iter.next(), *ttl).await);
                    }
                }
                Step::Settle { wait } => {
                    if !self
                        .wait(
                            "settling before restoring the normal TTL",
                            *wait,
                            "the wait (the TTL is restored now)",
                        )
                        .await
                    {
                        self.cx.out.step(
                            "interrupt",
                            "settle wait cut short: restoring the normal TTL now",
                            json!({}),
                        );
                    }
                }
            }
        }
        Ok(watch)
    }

    /// The second Ctrl-C during a drain: put the TTL back and stop.
    async fn abort_drain(&self, next: Option<&Step>, old_ttl: u32) -> OpError {
        let svc = self.cx.service;
        let Some(Step::Flip { change }) = next else {
            return OpError::Aborted {
                when: "while draining".into(),
            };
        };
        let state = change.expected().to_vec();
        let restored: Vec<RecordSet> = state.iter().cloned().map(|s| s.with_ttl(old_ttl)).collect();
        let when = match Change::new(&svc.record, svc.rtype, state, restored) {
            Ok(c) => match self.apply(&c, &format!("TTL restored to {old_ttl}s")).await {
                Ok(_) => format!("while draining: records unchanged, TTL restored to {old_ttl}s"),
                Err(e) => {
                    format!("while draining: records unchanged, but restoring the TTL failed: {e}")
                }
            },
            Err(e) => format!("while draining: {e}"),
        };
        OpError::Aborted { when }
    }

    /// Wait `d` with a countdown; false when a second Ctrl-C cut it short.
    async fn wait(&self, label: &str, d: Duration, what_aborts: &str) -> bool {
        let out = self.cx.out;
        out.step(
            "wait",
            &format!("{label}: waiting {}s", d.as_secs()),
            json!({ "wait_s": d.as_secs() }),
        );
        let start = Instant::now();
        let base = self.cx.interrupts.count();
        let mut cd = out.countdown(label, d);
        loop {
            let elapsed = start.elapsed();
            if elapsed >= d {
                cd.finish();
                return true;
            }
            cd.update(elapsed);
            tokio::select! {
                _ = tokio::time::sleep((d - elapsed).min(Duration::from_secs(1))) => {}
                _ = self.cx.interrupts.next() => {
                    if self.cx.interrupts.count() - base >= 2 {
                        cd.finish();
                        return false;
                    }
                    out.step("interrupt", &format!("Ctrl-C: press it again to abort {what_aborts}"), json!({}));
                }
            }
        }
    }

    /// Apply one change (journaled as an intent, then its result with the
    /// times the provider accepted it and reported it in sync); on a conflict
    /// or a retryable failure, re-read: if the desired state is already
    /// served (another writer, or our own earlier attempt), that is success.
    /// Returns when the provider accepted the change.
    async fn apply(&self, change: &Change, done: &str) -> Result<Instant, OpError> {
        let (svc, p, out) = (self.cx.service, &self.cx.provider, self.cx.out);
        let diff = json!({ "expected": change.expected(), "desired": change.desired() });
        let intent = self.open_intent(change, done);
        let result = p.apply(&svc.zone, change).await;
        let accepted = Instant::now();
        let accepted_ms = crate::journal::now_ms();
        match result {
            Ok(receipt) => {
                out.step(
                    "applied",
                    &format!(
                        "{done} (provider {}: {} {})",
                        p.name(),
                        receipt.status,
                        receipt.id
                    ),
                    json!({ "receipt": receipt, "change": diff }),
                );
                let in_sync_ms = match p
                    .wait_in_sync(&svc.zone, change, &receipt, self.cx.opts.sync_timeout)
                    .await
                {
                    Ok(SyncState::InSync) => {
                        out.step("in-sync", "provider reports the change in sync", json!({}));
                        Some(crate::journal::now_ms())
                    }
                    Ok(SyncState::Pending) => {
                        out.step(
                            "pending",
                            "provider has not reported the change in sync yet; going on",
                            json!({}),
                        );
                        None
                    }
                    Err(e) => {
                        out.step(
                            "pending",
                            &format!("could not confirm the change is in sync: {e}"),
                            json!({ "error": e.to_string() }),
                        );
                        None
                    }
                };
                self.close(intent, "done", format!("{done}: done"), json!({ "diff": diff, "accepted_ms": accepted_ms, "in_sync_ms": in_sync_ms, "receipt": receipt, "actor": self.cx.actor }));
                Ok(accepted)
            }
            Err(e) if matches!(e, ProviderError::Conflict { .. }) || e.is_retryable() => {
                let now = p.read(&svc.zone, &svc.record, svc.rtype).await?;
                if sorted(&now) == sorted(change.desired()) {
                    out.step(
                        "already-applied",
                        &format!("{done}: already served (another writer made this change)"),
                        json!({ "error": e.to_string() }),
                    );
                    self.close(intent, "done-by-other", format!("{done}: done by another writer"), json!({ "diff": diff, "accepted_ms": accepted_ms, "in_sync_ms": accepted_ms }));
                    return Ok(accepted);
                }
                self.close(intent, "failed", format!("{done}: failed: {e}"), json!({ "diff": { "expected": change.expected(), "desired": change.desired(), "error": e.to_string() }, "served": now }));
                Err(e.into())
            }
            Err(e) => {
                self.close(intent, "failed", format!("{done}: failed: {e}"), json!({ "diff": { "expected": change.expected(), "desired": change.desired(), "error": e.to_string() } }));
                Err(e.into())
            }
        }
    }

    /// The intent of a change, as the daemon's controller words it.
    fn open_intent(&self, change: &Change, done: &str) -> Option<i64> {
        let j = self.cx.journal?;
        let svc = self.cx.service;
        let ttl_only = change
            .expected()
            .iter()
            .map(|s| &s.values)
            .eq(change.desired().iter().map(|s| &s.values))
            && !change.expected().is_empty();
        let kind = if ttl_only {
            json!({ "kind": "set_ttl", "ttl": change.desired().first().map_or(0, |s| s.ttl) })
        } else {
            let from = crate::plan::classify(svc, change.expected());
            let to = crate::plan::classify(svc, change.desired());
            json!({ "kind": "flip", "from": from.pool(), "to": to.pool() })
        };
        let payload = json!({ "kind": kind, "reason": "manual", "by": "operator", "requested_at": { "secs_since_epoch": crate::journal::now_ms() / 1000, "nanos_since_epoch": 0 } });
        j.open_intent(
            &svc.name,
            self.incident.as_deref(),
            self.cx.actor,
            format!("about to: {done}"),
            payload,
        )
        .map_err(|e| tracing::warn!(error = %e, "Journal write failed; continuing without it."))
        .ok()
    }

    fn close(
        &self,
        intent: Option<i64>,
        outcome: &str,
        message: String,
        detail: serde_json::Value,
    ) {
        self.journal("provider-result", message.clone(), detail);
        if let (Some(j), Some(id)) = (self.cx.journal, intent) {
            let _ = j.close_intent(id, outcome, message, json!(null));
        }
    }
}
