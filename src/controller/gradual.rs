//! A gradual failback: weight moves to the preferred pool step by step, each step held while it stays healthy, rolled back when it does not.
//!
//! Only on providers with weights (`Capabilities.weighted`). The machine
//! is pure: it takes the answers of its writes and the quorum's health of
//! the two pools with `now`, and says which weights to write and what to
//! journal. Transitions:
//!
//! ```text
//! start --------------------------------> Writing(0)
//! Writing(k)  --written, steps[k] < 100-> Holding(k, until now + hold)
//! Writing(k)  --written, steps[k] = 100-> Done(Completed)
//! Writing(k)  --write failed-----------> Done(Stopped)   (the controller re-reads)
//! Holding(k)  --target not Up, from not Down--> RollingBack   (all weight on from)
//! Holding(k)  --target Up, from Down---> Writing(last)   (all weight on the target at once)
//! Holding(k)  --hold over, target Up---> Writing(k + 1)
//! Holding(k)  --both unhealthy---------> Holding(k)      (fail-static: nothing written)
//! RollingBack --written----------------> Done(RolledBack)
//! RollingBack --write failed-----------> Done(Stopped)
//! ```
//!
//! Every write's weights sum to 100; partial weights are written only
//! while the target is `Up` and the pool being left is not `Down`, and all
//! the weight goes only to a pool that is not `Down`. The caller starts a
//! gradual failback only towards an `Up` target, as any failback.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::vocab::PoolHealth;

/// Percent of weight per pool, summing to 100 (every other pool 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    /// The pool the traffic leaves (serving when the failback started).
    pub from: (String, u8),
    /// The preferred pool the failback moves to.
    pub to: (String, u8),
}

/// What a gradual failback journals: one typed event per step, hold and rollback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum GradualEvent {
    /// Step `step` of `of` (1-based) is being written: `weight` percent on `to`.
    Step {
        step: usize,
        of: usize,
        to: String,
        weight: u8,
    },
    /// Step `step` of `of` is served and holds for `hold` while `to` stays healthy.
    Hold {
        step: usize,
        of: usize,
        weight: u8,
        /// Seconds.
        hold: u64,
    },
    /// `to` turned unhealthy during step `step`: all weight goes back to `from`.
    Rollback {
        step: usize,
        of: usize,
        from: String,
        why: String,
    },
    /// The last step is served: the failback is complete.
    Completed { to: String, of: usize },
    /// The rollback is served: all weight is on `from` again.
    RolledBack { from: String },
    /// A write failed: the failback stops where it stands.
    Stopped { step: usize, of: usize },
}

impl std::fmt::Display for GradualEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Step {
                step,
                of,
                to,
                weight,
            } => write!(
                f,
                "gradual failback step {step} of {of}: {weight}% of the weight on {to}"
            ),
            Self::Hold {
                step,
                of,
                weight,
                hold,
            } => write!(
                f,
                "gradual failback step {step} of {of} served ({weight}%): holding {hold}s"
            ),
            Self::Rollback {
                step,
                of,
                from,
                why,
            } => write!(
                f,
                "gradual failback rolled back at step {step} of {of}: {why}; all weight back on {from}"
            ),
            Self::Completed { to, of } => {
                write!(f, "gradual failback complete after {of} steps: {to} serves")
            }
            Self::RolledBack { from } => write!(f, "rollback served: all weight on {from}"),
            Self::Stopped { step, of } => write!(
                f,
                "gradual failback stopped at step {step} of {of}: the write failed"
            ),
        }
    }
}

/// What the machine asks for, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Write these weights (answer with [`Gradual::written`] or [`Gradual::failed`]).
    Write(Weights),
    /// Journal this event.
    Journal(GradualEvent),
}

/// How a gradual failback ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    RolledBack,
    Stopped,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    Writing { step: usize },
    Holding { step: usize, until: Instant },
    RollingBack { step: usize },
    Done(Outcome),
}

/// Where a gradual failback stands, for `status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// 1-based.
    pub step: usize,
    pub of: usize,
    /// Percent of the weight on the preferred pool at this step.
    pub weight: u8,
    /// When the hold of this step ends, while it holds.
    pub hold_until: Option<Instant>,
}

/// One gradual failback from `from` to `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gradual {
    from: String,
    to: String,
    steps: Vec<u8>,
    hold: Duration,
    stage: Stage,
}

impl Gradual {
    /// Starts a failback from `from` to `to` through `steps` (checked by the
    /// config: strictly increasing, ending at 100; an empty list is one
    /// step of 100), each held `hold`: the first step's write.
    pub fn start(
        from: &str,
        to: &str,
        steps: &[u8],
        hold: Duration,
        out: &mut Vec<Output>,
    ) -> Self {
        let mut steps: Vec<u8> = steps.iter().map(|s| (*s).clamp(1, 100)).collect();
        if steps.last() != Some(&100) {
            steps.push(100);
        }
        let mut g = Self {
            from: from.to_owned(),
            to: to.to_owned(),
            steps,
            hold,
            stage: Stage::Done(Outcome::Stopped),
        };
        g.write_step(0, out);
        g
    }

    /// Resumes a failback whose step writing `weight` percent on `to` was
    /// left unfinished (a restart): that step's write again, or with
    /// `roll_back` (`to` is `health`, not up) the rollback's.
    pub fn resume(
        from: &str,
        to: &str,
        steps: &[u8],
        hold: Duration,
        (weight, roll_back, health): (u8, bool, PoolHealth),
        out: &mut Vec<Output>,
    ) -> Self {
        let mut scratch = Vec::new();
        let mut g = Self::start(from, to, steps, hold, &mut scratch);
        let last = g.steps.len() - 1;
        let step = g.steps.iter().position(|s| *s >= weight).unwrap_or(last);
        if roll_back {
            g.roll_back(step, health, out);
        } else {
            g.write_step(step, out);
        }
        g
    }

    /// The write under way was served.
    pub fn written(&mut self, now: Instant, out: &mut Vec<Output>) {
        match self.stage {
            Stage::Writing { step } if self.steps[step] == 100 => {
                self.stage = Stage::Done(Outcome::Completed);
                out.push(Output::Journal(GradualEvent::Completed {
                    to: self.to.clone(),
                    of: self.steps.len(),
                }));
            }
            Stage::Writing { step } => {
                self.stage = Stage::Holding {
                    step,
                    until: now + self.hold,
                };
                out.push(Output::Journal(GradualEvent::Hold {
                    step: step + 1,
                    of: self.steps.len(),
                    weight: self.steps[step],
                    hold: self.hold.as_secs(),
                }));
            }
            Stage::RollingBack { .. } => {
                self.stage = Stage::Done(Outcome::RolledBack);
                out.push(Output::Journal(GradualEvent::RolledBack {
                    from: self.from.clone(),
                }));
            }
            Stage::Holding { .. } | Stage::Done(_) => {}
        }
    }

    /// The write under way failed: the failback stops where it stands (the
    /// compare-and-set changed nothing; the controller re-reads).
    pub fn failed(&mut self, out: &mut Vec<Output>) {
        if let Stage::Writing { step } | Stage::RollingBack { step } = self.stage {
            self.stage = Stage::Done(Outcome::Stopped);
            out.push(Output::Journal(GradualEvent::Stopped {
                step: step + 1,
                of: self.steps.len(),
            }));
        }
    }

    /// Decides on the quorum's health of both pools at `now`: the next
    /// step once the hold is over, a rollback when the target is not `Up`.
    pub fn observe(
        &mut self,
        now: Instant,
        to: PoolHealth,
        from: PoolHealth,
        out: &mut Vec<Output>,
    ) {
        let Stage::Holding { step, until } = self.stage else {
            return;
        };
        let last = self.steps.len() - 1;
        match (to, from) {
            (PoolHealth::Up, PoolHealth::Down) => self.write_step(last, out),
            (PoolHealth::Up, _) if now >= until => self.write_step(step + 1, out),
            (PoolHealth::Up, _) | (_, PoolHealth::Down) => {}
            (health, _) => self.roll_back(step, health, out),
        }
    }

    /// When [`Gradual::observe`] must be called next (the end of a hold).
    pub fn deadline(&self) -> Option<Instant> {
        match self.stage {
            Stage::Holding { until, .. } => Some(until),
            _ => None,
        }
    }

    /// How it ended, once it has.
    pub fn outcome(&self) -> Option<Outcome> {
        match self.stage {
            Stage::Done(o) => Some(o),
            _ => None,
        }
    }

    /// Where it stands, while under way.
    pub fn progress(&self) -> Option<Progress> {
        let (step, hold_until) = match self.stage {
            Stage::Writing { step } | Stage::RollingBack { step } => (step, None),
            Stage::Holding { step, until } => (step, Some(until)),
            Stage::Done(_) => return None,
        };
        Some(Progress {
            step: step + 1,
            of: self.steps.len(),
            weight: self.steps[step],
            hold_until,
        })
    }

    fn write_step(&mut self, step: usize, out: &mut Vec<Output>) {
        let weight = self.steps[step];
        self.stage = Stage::Writing { step };
        out.push(Output::Journal(GradualEvent::Step {
            step: step + 1,
            of: self.steps.len(),
            to: self.to.clone(),
            weight,
        }));
        out.push(Output::Write(self.weights(weight)));
    }

    fn roll_back(&mut self, step: usize, health: PoolHealth, out: &mut Vec<Output>) {
        self.stage = Stage::RollingBack { step };
        out.push(Output::Journal(GradualEvent::Rollback {
            step: step + 1,
            of: self.steps.len(),
            from: self.from.clone(),
            why: format!("{} is {health}", self.to),
        }));
        out.push(Output::Write(self.weights(0)));
    }

    fn weights(&self, on_target: u8) -> Weights {
        Weights {
            from: (self.from.clone(), 100 - on_target),
            to: (self.to.clone(), on_target),
        }
    }
}

#[cfg(test)]
#[path = "tests_gradual.rs"]
mod tests;
