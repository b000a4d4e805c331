//! The journal's messages: each event in one sentence, in one vocabulary.

use std::fmt::{Display, Formatter, Result};

use super::kinds::{Event, Opened, Outcome, ProviderCall};
use crate::controller::{Initiator, Intent, ProviderOp, Reason, TtlReason};

impl Display for Event {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        match self {
            Event::IncidentStart { pool, cause, .. } => opened(f, pool.as_deref(), cause),
            Event::IncidentEnd { pool, .. } => {
                write!(f, "pool {pool} serves; the incident is over")
            }
            Event::RtoMissed {
                elapsed_s, rto_s, ..
            } => write!(
                f,
                "RTO missed: the incident has been open {elapsed_s}s, the RTO is {rto_s}s"
            ),
            Event::Observation {
                pool, health, was, ..
            } => write!(f, "pool {pool} is {health} (was {was})"),
            Event::Command { actor, command } => write!(f, "{actor} asked: {command}"),
            Event::Intent {
                intent, records, ..
            } if records.len() > 1 => {
                write!(f, "about to {} ({})", about(intent), records.join(", "))
            }
            Event::Intent { intent, .. } => write!(f, "about to {}", about(intent)),
            Event::IntentClosed {
                intent,
                outcome,
                note,
            } => write!(f, "intent {intent} closed ({outcome}): {note}"),
            Event::ProviderResult {
                call,
                outcome,
                diff,
                ..
            } => match (outcome, &diff.error) {
                (Outcome::Failed, Some(e)) => write!(f, "{call}: failed: {e}"),
                _ => write!(f, "{call}: {outcome}"),
            },
            Event::WatchStart { to, old_ttl, .. } => {
                write!(f, "watching propagation of pool {to} (old TTL {old_ttl}s)")
            }
            Event::WatchResult {
                end, outstanding, ..
            } => write!(f, "propagation {end}: {} outstanding", outstanding.len()),
            Event::Alert { message, .. } | Event::Refused { message } => f.write_str(message),
            Event::Decision { note, .. } => f.write_str(note),
            Event::EvacuationPlanned { run, resumed } => write!(
                f,
                "evacuation {} of region {} {}: {} wave(s) of at most {} move(s)",
                run.id,
                run.region,
                if *resumed {
                    "resumed after a restart"
                } else {
                    "planned"
                },
                run.plan.waves(),
                run.plan.max_parallel
            ),
            Event::EvacuationWave {
                evacuation, wave, ..
            } if *wave == 0 => write!(
                f,
                "evacuation {evacuation}: the services that stay or are refused were told"
            ),
            Event::EvacuationWave {
                evacuation,
                wave,
                outcomes,
            } => {
                let each: Vec<String> = outcomes
                    .iter()
                    .map(|(s, (o, _))| format!("{s} {o}"))
                    .collect();
                write!(
                    f,
                    "evacuation {evacuation}: wave {wave} ended ({})",
                    each.join(", ")
                )
            }
            Event::Orphaned { intent } => write!(
                f,
                "the unfinished call to {} belonged to no incident: its outcome gets no RTO report",
                about(intent)
            ),
            Event::Abandoned {
                age_s, max_age_s, ..
            } => write!(
                f,
                "operator's unfinished flip asked {age_s}s ago, longer than controller.intent_max_age ({max_age_s}s): dropped, not replayed"
            ),
            Event::VantageImpaired { vantage, reason } => {
                write!(f, "vantage {vantage} impaired: {reason}")
            }
            Event::VantageRecovered { vantage } => write!(f, "vantage {vantage} recovered"),
        }
    }
}

fn opened(f: &mut Formatter<'_>, pool: Option<&str>, cause: &Opened) -> Result {
    let pool = pool.unwrap_or("(none)");
    match cause {
        Opened::Health { health } => write!(f, "pool {pool} is {health}"),
        Opened::Drill {
            actor,
            to,
            simulate_fault,
        } => {
            let mode = if *simulate_fault {
                "simulated fault"
            } else {
                "planned failover"
            };
            write!(f, "drill ({mode}) asked by {actor}: {pool} -> {to}")
        }
        Opened::Manual { actor, to } => write!(f, "{actor} asked to move traffic to {to}"),
        Opened::Controller { note, .. } => f.write_str(note),
    }
}

/// What an intent is about to do, and why: "flip from pool a to pool b
/// (the active pool is down; automation)".
fn about(i: &Intent) -> String {
    format!("{} ({}; {})", ProviderCall::from(&i.kind), i.reason, i.by)
}

impl Display for Reason {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        f.write_str(match self {
            Reason::ActiveDown => "the active pool is down",
            Reason::Manual => "an operator's failover",
            Reason::Failback => "a failback",
            Reason::Planned => "an operator's planned move",
            Reason::Reconcile => "finishing an unfinished call",
        })
    }
}

impl Display for Initiator {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        f.write_str(match self {
            Initiator::Automation => "automation",
            Initiator::Operator => "operator",
        })
    }
}

impl Display for TtlReason {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        f.write_str(match self {
            TtlReason::Suspect => "the active pool is suspect",
            TtlReason::Drain => "draining before a planned move",
            TtlReason::Restore => "quiet again",
            TtlReason::Risk => "a risk window is open",
        })
    }
}

impl Display for ProviderOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        f.write_str(match self {
            ProviderOp::SetTtl => "TTL change",
            ProviderOp::Flip => "flip",
            ProviderOp::Read => "read",
            ProviderOp::Weigh => "weight change",
        })
    }
}

impl Display for ProviderCall {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        match self {
            ProviderCall::Flip { from: Some(a), to } => {
                write!(f, "flip from pool {a} to pool {to}")
            }
            ProviderCall::Flip { from: None, to } => write!(f, "flip to pool {to}"),
            ProviderCall::SetTtl { ttl } => write!(f, "set the TTL to {ttl}s"),
            ProviderCall::Read => f.write_str("read the served records"),
            ProviderCall::Weigh { from, to, weight } => write!(
                f,
                "put {weight}% of the weight on pool {to} and {}% on pool {from}",
                100u8.saturating_sub(*weight)
            ),
        }
    }
}

impl Display for Outcome {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        f.write_str(match self {
            Outcome::Done => "done",
            Outcome::Failed => "failed",
            Outcome::DoneByOther => "done by another writer",
            Outcome::Interrupted => "interrupted by a restart",
        })
    }
}
