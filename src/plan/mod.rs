//! Plans: "move service S to pool P" turned into checked provider changes.
//!
//! A plan is built from what the provider serves now and the service's
//! config, before anything is sent: every step's change names the state it
//! expects to replace (the previous step's result), and [`Change::new`]
//! refuses any step that would publish an empty record set. `--dry-run`
//! prints the plan; the manual operations apply it step by step through
//! the move engine (which sit above this module and name it, not the
//! other way round).

mod active;
pub mod group;
pub mod weights;

use std::fmt;
use std::time::Duration;

use rtoguard_provider_api::{Capabilities, ChangeSet, ProviderError, RecordSet};
use serde::Serialize;

pub use active::{Active, classify, classify_record};

use crate::config::{Member, Pool, Service};

/// Why a plan cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("service {service} has no pool {pool:?}; its pools are: {valid}")]
    UnknownPool {
        service: String,
        pool: String,
        valid: String,
    },
    #[error(transparent)]
    Refused(#[from] ProviderError),
}

/// One step of a plan, in order.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// Change only the TTL of what is served.
    SetTtl {
        ttl: u32,
        why: String,
        change: ChangeSet,
    },
    /// Wait for caches to let go of answers published with `ttl` seconds.
    Drain {
        ttl: u32,
        #[serde(with = "secs")]
        wait: Duration,
    },
    /// Replace what is served with the target pool.
    Flip { change: ChangeSet },
    /// Wait before restoring the normal TTL.
    Settle {
        #[serde(with = "secs")]
        wait: Duration,
    },
}

/// An ordered, checked list of steps.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub service: String,
    pub from: Active,
    pub to: String,
    pub planned: bool,
    pub steps: Vec<Step>,
}

impl Plan {
    /// True when the service already serves the target at the normal TTL.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// What to plan.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub service: &'a Service,
    pub to: &'a str,
    /// Lower the TTL and let it drain before flipping.
    pub planned: bool,
}

/// Build the plan that moves `req.service` to pool `req.to` from `current`.
pub fn build(
    req: Request<'_>,
    caps: &Capabilities,
    current: &[RecordSet],
) -> Result<Plan, PlanError> {
    let svc = req.service;
    let target = svc.pool(req.to).ok_or_else(|| PlanError::UnknownPool {
        service: svc.name.clone(),
        pool: req.to.to_string(),
        valid: svc
            .pools
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let from = classify(svc, current);
    let normal = svc.ttl.normal.max(caps.ttl_floor);
    let lowered = svc.ttl.lowered.max(caps.ttl_floor).min(normal);
    // Alias sets have no TTL of their own: nothing to lower or restore.
    let cur_ttl = current
        .iter()
        .filter(|s| s.alias.is_none())
        .map(|s| s.ttl)
        .max();
    let mut steps = Vec::new();
    let mut state = current.to_vec();
    if from == Active::Pool(target.name.clone()) {
        if cur_ttl.is_some_and(|t| t != normal) {
            push_ttl(
                svc,
                &mut steps,
                &mut state,
                normal,
                "restore the normal TTL",
            )?;
        }
        return Ok(Plan {
            service: svc.name.clone(),
            from,
            to: target.name.clone(),
            planned: req.planned,
            steps,
        });
    }
    let flip_ttl = match (req.planned, cur_ttl) {
        (_, None) => normal,
        (true, Some(t)) if t > lowered => {
            push_ttl(
                svc,
                &mut steps,
                &mut state,
                lowered,
                "lower the TTL ahead of the switch",
            )?;
            steps.push(Step::Drain {
                ttl: t,
                wait: Duration::from_secs(t.into()),
            });
            lowered
        }
        (_, Some(t)) => t,
    };
    let desired = desired_for(svc, caps, &state, target, flip_ttl);
    let change = group::changes(svc, &state, &desired)?;
    steps.push(Step::Flip { change });
    state = desired;
    if flip_ttl != normal {
        steps.push(Step::Settle {
            wait: svc.ttl.restore_after,
        });
        push_ttl(
            svc,
            &mut steps,
            &mut state,
            normal,
            "restore the normal TTL",
        )?;
    }
    Ok(Plan {
        service: svc.name.clone(),
        from,
        to: target.name.clone(),
        planned: req.planned,
        steps,
    })
}

fn push_ttl(
    svc: &Service,
    steps: &mut Vec<Step>,
    state: &mut Vec<RecordSet>,
    ttl: u32,
    why: &str,
) -> Result<(), PlanError> {
    let desired = group::at_ttl(state, ttl);
    let change = group::changes(svc, state, &desired)?;
    steps.push(Step::SetTtl {
        ttl,
        why: why.to_string(),
        change,
    });
    *state = desired;
    Ok(())
}

/// What the provider should serve, record by record, when `target` is
/// the active pool.
///
/// Weighted providers keep one record set per pool (set id = pool name):
/// the target gets weight 100 and every other pool 0, values refreshed from
/// the config; a pool without its set gets one (a fresh zone gets one per
/// pool). Without weights a record's values are the target's values for
/// its type. An alias pool's set is an alias to its target instead of
/// values.
pub fn desired_for(
    svc: &Service,
    caps: &Capabilities,
    current: &[RecordSet],
    target: &Pool,
    ttl: u32,
) -> Vec<RecordSet> {
    svc.records
        .iter()
        .flat_map(|m| desired_record(m, caps, &group::sets_of(m, current), svc, target, ttl))
        .collect()
}

fn desired_record(
    m: &Member,
    caps: &Capabilities,
    current: &[RecordSet],
    svc: &Service,
    target: &Pool,
    ttl: u32,
) -> Vec<RecordSet> {
    let weighted =
        caps.weighted && (current.is_empty() || current.iter().any(|s| s.set_id.is_some()));
    if !weighted {
        return vec![weights::plain(m, target, ttl)];
    }
    weights::weighted_record(svc, m, current, &[(target.name.as_str(), 100)], ttl)
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.planned { "planned" } else { "immediate" };
        writeln!(
            f,
            "Plan for {}: {} -> {} ({kind})",
            self.service, self.from, self.to
        )?;
        if self.steps.is_empty() {
            return writeln!(
                f,
                "  nothing to do: {} already serves {}",
                self.service, self.to
            );
        }
        for (i, s) in self.steps.iter().enumerate() {
            write!(f, "  {}. ", i + 1)?;
            match s {
                Step::SetTtl { ttl, why, change } => {
                    write!(f, "set TTL to {ttl}s ({why})\n{}", indent(change))?
                }
                Step::Drain { ttl, wait } => writeln!(
                    f,
                    "wait {}s for caches to drop answers published with TTL {ttl}s",
                    wait.as_secs()
                )?,
                Step::Flip { change } => write!(f, "flip to {}\n{}", self.to, indent(change))?,
                Step::Settle { wait } => writeln!(
                    f,
                    "wait {}s before restoring the normal TTL",
                    wait.as_secs()
                )?,
            }
        }
        Ok(())
    }
}

/// The changes under a step: each record's sets, under its name and type
/// when the step changes several records.
fn indent(set: &ChangeSet) -> String {
    let many = set.changes().len() > 1;
    set.changes()
        .iter()
        .map(|c| {
            let body: String = c
                .to_string()
                .lines()
                .skip(1)
                .map(|l| format!("     {l}\n"))
                .collect();
            match many {
                true => format!("     {} {}\n{body}", c.name(), c.rtype()),
                false => body,
            }
        })
        .collect()
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_alias;
