//! Evacuating a region, across services: where each service of the region
//! goes, which are refused (naming why), and in which wave each moves (at
//! most `max_parallel` at once).
//!
//! The rules, shared by the plan and by each service's controller:
//!
//! - a service whose active pool is outside the region is left where it is
//!   (it is only kept away from the region);
//! - one whose active pool is in the region moves to the first pool in its
//!   order that is outside the region and `Up`;
//! - with no such pool it is refused, naming the pools outside the region
//!   and their health: the last healthy region of a service is never
//!   evacuated, and a move onto a pool that is not up is never planned.

use serde::{Deserialize, Serialize};

use super::vocab::PoolHealth;

/// One pool of a service as the plan sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolPlace {
    pub name: String,
    pub region: String,
    pub health: PoolHealth,
}

/// One service as the plan sees it: what it serves and its pools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub service: String,
    pub active: Option<String>,
    pub pools: Vec<PoolPlace>,
}

/// What the evacuation does to one service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Moves from `from` to `to` in wave `wave` (1 first).
    Move {
        from: String,
        to: String,
        wave: usize,
    },
    /// Its active pool is outside the region already: no move.
    Elsewhere { active: String },
    /// Not moved, and why.
    Refused { why: String },
}

/// One row of a plan: a service and its step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub service: String,
    #[serde(flatten)]
    pub step: Step,
}

/// The plan of one evacuation: a row per service with a pool in the region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvacuationPlan {
    pub region: String,
    pub max_parallel: usize,
    pub rows: Vec<Row>,
}

/// Where a service goes when `region` is evacuated: `Ok(None)` when its
/// active pool is not in the region, `Ok(Some(pool))` the first `Up` pool
/// outside it, `Err(why)` when there is none (or no single active pool).
pub fn target(
    pools: &[PoolPlace],
    active: Option<&str>,
    region: &str,
) -> Result<Option<String>, String> {
    let Some(active) = active else {
        return Err("it serves no single pool now".into());
    };
    let in_region = |name: &str| pools.iter().any(|p| p.name == name && p.region == region);
    if !in_region(active) {
        return Ok(None);
    }
    let outside: Vec<&PoolPlace> = pools.iter().filter(|p| p.region != region).collect();
    if let Some(p) = outside.iter().find(|p| p.health == PoolHealth::Up) {
        return Ok(Some(p.name.clone()));
    }
    if outside.is_empty() {
        return Err(format!("every pool of it is in region {region}"));
    }
    let seen: Vec<String> = outside
        .iter()
        .map(|p| format!("{} is {}", p.name, p.health))
        .collect();
    Err(format!(
        "region {region} is its last healthy region ({})",
        seen.join(", ")
    ))
}

/// The plan for evacuating `region` from `candidates` (services without a
/// pool in the region get no row), moving at most `max_parallel` at once.
pub fn plan(region: &str, candidates: &[Candidate], max_parallel: usize) -> EvacuationPlan {
    let max_parallel = max_parallel.max(1);
    let mut moves = 0;
    let rows = candidates
        .iter()
        .filter(|c| c.pools.iter().any(|p| p.region == region))
        .map(|c| {
            let step = match target(&c.pools, c.active.as_deref(), region) {
                Ok(Some(to)) => {
                    moves += 1;
                    Step::Move {
                        from: c.active.clone().unwrap_or_default(),
                        to,
                        wave: (moves - 1) / max_parallel + 1,
                    }
                }
                Ok(None) => Step::Elsewhere {
                    active: c.active.clone().unwrap_or_default(),
                },
                Err(why) => Step::Refused { why },
            };
            Row {
                service: c.service.clone(),
                step,
            }
        })
        .collect();
    EvacuationPlan {
        region: region.to_owned(),
        max_parallel,
        rows,
    }
}

impl EvacuationPlan {
    /// The services refused, by name.
    pub fn refused(&self) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|r| matches!(r.step, Step::Refused { .. }))
            .map(|r| r.service.as_str())
            .collect()
    }

    /// The rows that move in `wave`.
    pub fn wave(&self, wave: usize) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(move |r| matches!(r.step, Step::Move { wave: w, .. } if w == wave))
    }

    /// How many waves the moves take.
    pub fn waves(&self) -> usize {
        self.rows
            .iter()
            .filter_map(|r| match r.step {
                Step::Move { wave, .. } => Some(wave),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Move { from, to, wave } => {
                write!(f, "moves from pool {from} to pool {to} (wave {wave})")
            }
            Step::Elsewhere { active } => {
                write!(f, "stays: pool {active} serves, outside the region")
            }
            Step::Refused { why } => write!(f, "refused: {why}"),
        }
    }
}

impl std::fmt::Display for EvacuationPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = self.rows.iter().map(|r| r.service.len()).max().unwrap_or(0);
        writeln!(
            f,
            "evacuating region {} (at most {} at once):",
            self.region, self.max_parallel
        )?;
        if self.rows.is_empty() {
            writeln!(f, "  no service has a pool in region {}", self.region)?;
        }
        for r in &self.rows {
            writeln!(f, "  {:width$}  {}", r.service, r.step)?;
        }
        let count = |m: fn(&Step) -> bool| self.rows.iter().filter(|r| m(&r.step)).count();
        write!(
            f,
            "{} to move, {} staying, {} refused",
            count(|s| matches!(s, Step::Move { .. })),
            count(|s| matches!(s, Step::Elsewhere { .. })),
            count(|s| matches!(s, Step::Refused { .. })),
        )?;
        let refused = self.refused();
        if !refused.is_empty() {
            write!(f, " ({})", refused.join(", "))?;
        }
        Ok(())
    }
}
