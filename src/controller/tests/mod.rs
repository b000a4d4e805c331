//! Unit tests for each controller rule, with a fake clock.

use std::time::Duration;

use tokio::time::Instant;

use super::*;

mod adopt;
mod answers;
mod automatic;
mod drills;
mod durable;
mod evacuation;
mod evacuation_plan;
mod floor;
mod gradual;
mod incidents;
mod moves;
mod risk;
mod shared_risk;
mod voice;

pub(super) struct Harness {
    pub(super) c: Controller,
    pub(super) t0: Instant,
}

pub(super) fn pools() -> Vec<String> {
    vec!["primary".into(), "standby".into(), "dr".into()]
}

impl Harness {
    /// Started on `primary` at TTL 300, all pools `Up`.
    pub(super) fn new(policy: Policy) -> Self {
        let mut h = Self::bare(policy);
        let out = h.ev(0, started(Some("primary"), 300, None));
        assert!(flips(&out).is_empty());
        for p in pools() {
            h.health(0, &p, PoolHealth::Up);
        }
        h
    }

    pub(super) fn bare(policy: Policy) -> Self {
        Self {
            c: Controller::new(policy),
            t0: Instant::now(),
        }
    }

    pub(super) fn at(&self, secs: u64) -> Instant {
        self.t0 + Duration::from_secs(secs)
    }

    pub(super) fn ev(&mut self, secs: u64, event: Event) -> Vec<Action> {
        let now = self.at(secs);
        self.c.handle(now, event)
    }

    pub(super) fn ev_at(&mut self, now: Instant, event: Event) -> Vec<Action> {
        self.c.handle(now, event)
    }

    pub(super) fn health(&mut self, secs: u64, pool: &str, health: PoolHealth) -> Vec<Action> {
        let pool = pool.to_owned();
        self.ev(secs, Event::PoolHealth { pool, health })
    }

    pub(super) fn cmd(&mut self, secs: u64, command: Command) -> Vec<Action> {
        self.ev(secs, Event::Command(command))
    }
}

pub(super) fn started(active: Option<&str>, ttl: u32, intent: Option<Intent>) -> Event {
    Event::Started {
        active: active.map(str::to_owned),
        ttl,
        intent,
        wall: wall(0),
        restored: Box::default(),
    }
}

/// The wall-clock time `secs` after `t0` (t0 is 2027-01-15).
pub(super) fn wall(secs: u64) -> std::time::SystemTime {
    std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

/// The durable-state changes among the actions, in order (journal
/// entries' and incidents').
pub(super) fn changes(out: &[Action]) -> Vec<Change> {
    out.iter()
        .filter_map(|a| match a {
            Action::Journal(e) => e.change.clone(),
            other => other.change(),
        })
        .collect()
}

/// An operator's pin, until `until` seconds after `t0` (or until unpinned).
pub(super) fn pin(until: Option<u64>) -> Command {
    Command::Pin {
        by: "user:alice".into(),
        reason: "database maintenance".into(),
        until: until.map(wall),
    }
}

pub(super) fn unpin() -> Command {
    Command::Unpin {
        by: "user:alice".into(),
    }
}

pub(super) fn flips(out: &[Action]) -> Vec<(Option<String>, String, u32, Reason)> {
    out.iter()
        .filter_map(|a| match a {
            Action::Flip {
                from,
                to,
                ttl,
                reason,
                ..
            } => Some((from.clone(), to.clone(), *ttl, *reason)),
            _ => None,
        })
        .collect()
}

pub(super) fn ttls(out: &[Action]) -> Vec<u32> {
    out.iter()
        .filter_map(|a| match a {
            Action::SetTtl { ttl, .. } => Some(*ttl),
            _ => None,
        })
        .collect()
}

pub(super) fn alerts(out: &[Action]) -> Vec<String> {
    out.iter()
        .filter_map(|a| match a {
            Action::Alert { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn journaled(out: &[Action], kind: EntryKind) -> bool {
    out.iter()
        .any(|a| matches!(a, Action::Journal(e) if e.kind == kind))
}

/// The details of the journal entries of `kind`, in order.
pub(super) fn details(out: &[Action], kind: EntryKind) -> Vec<String> {
    out.iter()
        .filter_map(|a| match a {
            Action::Journal(e) if e.kind == kind => Some(e.detail.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn refusal(out: &[Action]) -> Option<String> {
    out.iter().find_map(|a| match a {
        Action::Refused { message, .. } => Some(message.clone()),
        _ => None,
    })
}

pub(super) fn flipped(to: &str) -> Event {
    Event::Flipped { to: to.into() }
}

pub(super) fn auto_policy() -> Policy {
    let mut p = Policy::with_defaults(pools());
    p.failback_mode = FailbackMode::Auto;
    p
}
