//! A serialisable snapshot of one controller for `rtoguard status`.

use serde::{Deserialize, Serialize};

use super::durable::{Drill, Evacuation, Pin, RiskWindow};
use super::event::{Command, Intent};
use super::state::Halt;
use super::vocab::PoolHealth;
use super::{Controller, FailbackMode};

/// One service's controller as people see it. Times are seconds relative
/// to the last event the controller saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Whether `Started` arrived (the provider's state is known).
    pub started: bool,
    /// The pool the provider serves (`None`: none, a mix, or not started).
    pub active: Option<String>,
    /// The TTL the provider publishes, in seconds.
    pub ttl: Option<u32>,
    /// `idle`, `setting_ttl`, `draining`, `flipping`, `rereading` or `backoff`.
    pub phase: String,
    /// The target of the move under way.
    pub moving_to: Option<String>,
    pub pools: Vec<PoolStatus>,
    pub pinned: bool,
    /// Who pinned, why and until when.
    pub pin: Option<Pin>,
    /// The drill under way: where it returns to and when its dwell ends.
    pub drill: Option<Drill>,
    /// The region being evacuated for this service: which, why and until when.
    #[serde(default)]
    pub evacuation: Option<Evacuation>,
    /// The risk window open: who, why and until when (the TTL stays lowered).
    #[serde(default)]
    pub risk: Option<RiskWindow>,
    /// Why automation stopped, until an operator command.
    pub halted: Option<Halt>,
    pub failback_mode: FailbackMode,
    /// Automatic flips within the current flip window.
    pub automatic_flips_in_window: usize,
    /// Seconds since the last flip.
    pub last_flip_secs_ago: Option<u64>,
    /// Seconds until the controller wants a tick.
    pub next_deadline_in_secs: Option<u64>,
    pub queued_command: Option<Command>,
    /// An unfinished automatic flip from before a restart, not yet judged.
    pub pending_intent: Option<Intent>,
    /// The gradual failback under way: its step, weight and next step.
    #[serde(default)]
    pub gradual: Option<super::stepping::GradualStatus>,
}

/// One pool's health.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolStatus {
    pub name: String,
    pub health: PoolHealth,
    /// Seconds the pool has been `Up` without a break.
    pub up_for_secs: Option<u64>,
}

impl Controller {
    /// A snapshot for `rtoguard status`.
    pub fn status(&self) -> Status {
        let now = self.now;
        let secs_since =
            |at: tokio::time::Instant| now.map(|n| n.saturating_duration_since(at).as_secs());
        Status {
            started: self.view.is_some(),
            active: self.active().map(str::to_owned),
            ttl: self.view.as_ref().map(|v| v.ttl),
            phase: self.phase.name().to_owned(),
            moving_to: self.phase.current_move().map(|m| m.to.clone()),
            pools: self
                .pools
                .iter()
                .map(|p| PoolStatus {
                    name: p.name.clone(),
                    health: p.health,
                    up_for_secs: p.up_since.and_then(secs_since),
                })
                .collect(),
            pinned: self.pin.is_some(),
            pin: self.pin.clone(),
            drill: self.drill.clone(),
            evacuation: self.evacuation.clone(),
            risk: self.risk.clone(),
            halted: self.halted,
            failback_mode: self.policy.failback_mode,
            automatic_flips_in_window: now.map_or(0, |n| self.damping.in_window(n, &self.policy)),
            last_flip_secs_ago: self.damping.last_flip().and_then(secs_since),
            next_deadline_in_secs: self
                .next_deadline()
                .and_then(|d| now.map(|n| d.saturating_duration_since(n).as_secs())),
            queued_command: self.queued.clone(),
            pending_intent: self.pending_intent.clone(),
            gradual: self.gradual_status(),
        }
    }
}
