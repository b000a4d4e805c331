//! Executes a plan step by step through the move engine, with countdowns,
//! Ctrl-C handling and journal entries.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use rtoguard_provider_api::{Change, RecordSet};
use serde_json::json;
use tokio::time::Instant;

use super::context::{MoveContext, Run};
use super::{OpError, Output};
use crate::config::Pool;
use crate::journal::{Event, Opened};
use crate::plan::{self, Plan, Step};

/// What a move did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoveOutcome {
    pub plan: Plan,
    pub dry_run: bool,
    /// Incident id in the journal, when journaled.
    pub incident: Option<String>,
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
    run.journal(Event::IncidentStart {
        pool: plan.from.pool().map(str::to_string),
        cause: Opened::Manual {
            actor: cx.actor.to_string(),
            to: plan.to.clone(),
        },
        window: None,
        change: None,
    });
    run.journal(Event::Command {
        actor: cx.actor.to_string(),
        command: crate::controller::Command::Failover {
            to: plan.to.clone(),
            planned: plan.planned,
            force: cx.opts.force,
        },
    });
    run.journal(Event::Decision {
        decision: crate::controller::EntryKind::Decision,
        pool: Some(plan.to.clone()),
        reason: Some(if plan.planned {
            crate::controller::Reason::Planned
        } else {
            crate::controller::Reason::Manual
        }),
        note: format!(
            "{} moves {} from {} to {}",
            cx.actor, svc.name, plan.from, plan.to
        ),
        change: None,
    });
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

impl Run<'_, '_> {
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
}
