//! Executes a plan step by step through the move engine, with countdowns,
//! Ctrl-C handling and journal entries.

use std::cell::Cell;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

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
    let current = crate::engine::read(svc, &cx.provider).await?;
    let mut plan = plan::build(
        plan::Request {
            service: svc,
            to: cx.to,
            planned: cx.opts.planned,
        },
        &cx.provider.capabilities(),
        &current,
    )?;
    // A move to the pool already serving changes nothing, not even the TTL.
    let ttl_off = plan.from.pool() == Some(cx.to) && !plan.steps.is_empty();
    if plan.from.pool() == Some(cx.to) {
        plan.steps.clear();
    }
    show_plan(cx.out, &plan);
    if ttl_off {
        let served = current.iter().map(|s| s.ttl).max().unwrap_or_default();
        cx.out.step(
            "note",
            &format!(
                "the TTL served is {served}s, not the configured {}s; the next move sets it",
                svc.ttl.normal
            ),
            json!({ "served_ttl": served, "normal_ttl": svc.ttl.normal }),
        );
    }
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
        flipped: Cell::new(false),
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
        command: cx.command(),
    });
    run.journal(Event::Decision {
        decision: crate::controller::EntryKind::Decision,
        pool: Some(plan.to.clone()),
        reason: Some(cx.reason()),
        note: format!(
            "{} {} {} from {} to {}",
            cx.actor,
            cx.verb(),
            svc.name,
            plan.from,
            plan.to
        ),
        change: None,
    });
    let watch = match run.steps(&plan).await {
        Ok(w) => w,
        Err(e) => {
            run.close_unfinished(&plan, &e);
            return Err(e);
        }
    };
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
        out!("{plan}");
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
                    if self.cx.interrupts.count() >= 2 {
                        return Err(OpError::Aborted {
                            when: "before the flip: records unchanged".into(),
                        });
                    }
                    let accepted = self
                        .apply(change, &format!("flipped to pool {}", plan.to))
                        .await?;
                    self.flipped.set(true);
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

    /// Wait `d` with a countdown; false when a second Ctrl-C cut it short.
    async fn wait(&self, label: &str, d: Duration, what_aborts: &str) -> bool {
        let out = self.cx.out;
        out.step(
            "wait",
            &format!("{label}: waiting {}s", d.as_secs()),
            json!({ "wait_s": d.as_secs() }),
        );
        let start = Instant::now();
        let mut cd = out.countdown(label, d);
        loop {
            // Two presses since the command began abort, wherever they fell.
            if self.cx.interrupts.count() >= 2 {
                cd.finish();
                return false;
            }
            let elapsed = start.elapsed();
            if elapsed >= d {
                cd.finish();
                return true;
            }
            cd.update(elapsed);
            tokio::select! {
                _ = tokio::time::sleep((d - elapsed).min(Duration::from_secs(1))) => {}
                _ = self.cx.interrupts.next() => {
                    if self.cx.interrupts.count() >= 2 {
                        continue;
                    }
                    out.step("interrupt", &format!("Ctrl-C: press it again to abort {what_aborts}"), json!({}));
                }
            }
        }
    }
}
