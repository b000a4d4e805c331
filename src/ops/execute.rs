//! Executes a plan step by step against a provider, with compare-and-set
//! recovery, countdowns, Ctrl-C handling and journal entries.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use rtoguard_provider_api::{Change, Provider, ProviderError, Receipt, RecordSet};
use serde_json::json;
use tokio::time::Instant;

use super::{Interrupts, MoveOptions, OpError, Output};
use crate::config::{Pool, Service};
use crate::controller::{Initiator, Intent, IntentKind, Reason};
use crate::engine::{self, Outcome};
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

    /// Apply one change through the move engine: journaled as an intent
    /// first (a journal that cannot take it stops the move before the
    /// provider is called), then its result with the times the provider
    /// accepted it and reported it in sync. A change found served after a
    /// lost compare-and-set or a retryable error is success; one made by
    /// another writer says so. Returns when the provider accepted it.
    async fn apply(&self, change: &Change, done: &str) -> Result<Instant, OpError> {
        let (svc, p, out) = (self.cx.service, &self.cx.provider, self.cx.out);
        let diff = json!({ "expected": change.expected(), "desired": change.desired() });
        let intent = self.open_intent(change, done)?;
        let shown = Shown {
            out,
            done,
            provider: p.name(),
        };
        let result = engine::apply(svc, p, change, self.cx.opts.sync_timeout, &shown).await;
        let accepted = Instant::now();
        match result {
            Ok(Outcome::Applied(t)) => {
                self.close(intent, "done", format!("{done}: done"), json!({ "diff": diff, "accepted_ms": t.accepted_ms, "in_sync_ms": t.in_sync_ms, "receipt": t.receipt, "actor": self.cx.actor }));
                Ok(accepted)
            }
            Ok(Outcome::DoneByOther { seen_ms }) => {
                out.step(
                    "already-applied",
                    &format!("{done}: already served (another writer made this change)"),
                    json!({}),
                );
                self.close(
                    intent,
                    "done-by-other",
                    format!("{done}: done by another writer"),
                    json!({ "diff": diff, "by_other": true, "seen_ms": seen_ms }),
                );
                Ok(accepted)
            }
            Err(e) => {
                self.close(intent, "failed", format!("{done}: failed: {e}"), json!({ "diff": { "expected": change.expected(), "desired": change.desired(), "error": e.to_string() } }));
                Err(e.into())
            }
        }
    }

    /// The intent of a change, in the daemon controller's own type.
    fn open_intent(&self, change: &Change, done: &str) -> Result<Option<i64>, OpError> {
        let Some(j) = self.cx.journal else {
            return Ok(None);
        };
        let svc = self.cx.service;
        let ttl_only = change
            .expected()
            .iter()
            .map(|s| &s.values)
            .eq(change.desired().iter().map(|s| &s.values))
            && !change.expected().is_empty();
        let kind = if ttl_only {
            IntentKind::SetTtl {
                ttl: change.desired().first().map_or(0, |s| s.ttl),
            }
        } else {
            let from = crate::plan::classify(svc, change.expected());
            let to = crate::plan::classify(svc, change.desired());
            IntentKind::Flip {
                from: from.pool().map(str::to_string),
                to: to.pool().unwrap_or_default().to_string(),
            }
        };
        let reason = if self.cx.opts.planned {
            Reason::Planned
        } else {
            Reason::Manual
        };
        let intent = Intent {
            kind,
            reason,
            by: Initiator::Operator,
            requested_at: std::time::SystemTime::now(),
        };
        let record = engine::IntentRecord {
            service: &svc.name,
            incident: self.incident.as_deref(),
            actor: self.cx.actor,
            message: format!("about to: {done}"),
            payload: serde_json::to_value(&intent).unwrap_or(serde_json::Value::Null),
        };
        match engine::journal_intent(j, record) {
            Ok(id) => Ok(Some(id)),
            Err(e) => {
                tracing::error!(service = %svc.name, error = %e, "Journal write failed: not calling the provider.");
                Err(OpError::Journal(e))
            }
        }
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
            engine::close_intent(j, id, outcome, message);
        }
    }
}

/// The CLI's view of the engine's steps: one line (or JSON object) each.
struct Shown<'a> {
    out: &'a Output,
    done: &'a str,
    provider: &'a str,
}

impl engine::Progress for Shown<'_> {
    fn applied(&self, receipt: &Receipt) {
        self.out.step(
            "applied",
            &format!(
                "{} (provider {}: {} {})",
                self.done, self.provider, receipt.status, receipt.id
            ),
            json!({ "receipt": receipt }),
        );
    }

    fn in_sync(&self) {
        self.out
            .step("in-sync", "provider reports the change in sync", json!({}));
    }

    fn pending(&self, error: Option<&ProviderError>) {
        match error {
            None => self.out.step(
                "pending",
                "provider has not reported the change in sync yet; going on",
                json!({}),
            ),
            Some(e) => self.out.step(
                "pending",
                &format!("could not confirm the change is in sync: {e}"),
                json!({ "error": e.to_string() }),
            ),
        }
    }
}
