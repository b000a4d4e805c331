//! The writer delay: how long this controller waits before an automatic
//! write, decided in the core and handed out as the write's `not_before`.
//!
//! Several controllers decide the same flip; the region the traffic moves
//! to writes first and every other controller waits `rank × grace` (the
//! runtime computes each pool's delay from `runtime::vantages` and puts it
//! in [`Local`]). The wait is counted once per incident, from the first
//! delayed write: a TTL write's wait counts toward the flip's, so a flip
//! left to this controller by a dead writer comes one grace period late,
//! not two. Operator commands write at once.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::action::{EntryKind, TtlReason, durable_entry};
use super::durable::Change;
use super::incident::Open;
use super::vocab::{Initiator, PoolHealth};
use super::{Action, Controller};

/// What only this controller knows of the service: its name (for incident
/// ids), its RTO, and its writer delay by the pool a write serves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Local {
    /// The service's name; incident ids are `NAME-MILLIS`.
    #[serde(default)]
    pub service: String,
    /// The recovery time objective; `None`: "RTO missed" is never said.
    #[serde(default)]
    pub rto: Option<Duration>,
    /// The wait before an automatic write that serves this pool.
    #[serde(default)]
    pub writer_delay: BTreeMap<String, Duration>,
    /// The wait when no pool is known for the write (no healthy pool).
    #[serde(default)]
    pub writer_delay_otherwise: Duration,
    /// This controller's id (who speaks for an incident, see `voice`).
    #[serde(default)]
    pub id: String,
    /// The first in the writer order by the pool a write serves: it speaks
    /// for an incident nobody had to write in. Empty: this controller alone.
    #[serde(default)]
    pub first_writer: BTreeMap<String, String>,
    /// The first in the writer order when no pool is known.
    #[serde(default)]
    pub first_writer_otherwise: Option<String>,
    /// How long an incident whose flip another controller wrote waits for
    /// that controller's name (from its published observations) before it
    /// closes; zero: it does not wait.
    #[serde(default)]
    pub name_wait: Duration,
    /// The provider's records live in this controller (every controller
    /// serves its own copy): peers' newer decisions are adopted (see `adopt`).
    #[serde(default)]
    pub served_here: bool,
}

impl Local {
    /// For service `name` with objective `rto`, writing at once.
    pub fn new(service: &str, rto: Duration) -> Self {
        Self {
            service: service.to_owned(),
            rto: Some(rto),
            ..Self::default()
        }
    }

    /// The id of an incident opened at `since`, never `last` (the latest).
    pub(crate) fn incident_id(&self, since: SystemTime, last: Option<&str>) -> String {
        let ms = since
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let name = if self.service.is_empty() {
            "incident"
        } else {
            &self.service
        };
        unique(format!("{name}-{ms}"), last)
    }

    /// The first in the writer order for a write that serves `pool`.
    pub(crate) fn first_writer(&self, pool: Option<&str>) -> Option<&str> {
        pool.and_then(|p| self.first_writer.get(p))
            .or(self.first_writer_otherwise.as_ref())
            .map(String::as_str)
    }

    fn delay(&self, pool: Option<&str>) -> Duration {
        pool.and_then(|p| self.writer_delay.get(p))
            .copied()
            .unwrap_or(self.writer_delay_otherwise)
    }
}

impl Controller {
    /// Holds an automatic write for this controller's writer delay. In an
    /// incident the core holds it (true: nothing is sent; the phase waits
    /// and the write is decided afresh when the wait ends, so a pool that
    /// came back meanwhile is not flipped away from). Outside one, the wait
    /// goes out as the write's `not_before`.
    pub(super) fn hold_for_writer(&mut self, a: &mut Action, out: &mut Vec<Action>) -> bool {
        let Some(now) = self.now else {
            return false;
        };
        let Some(at) = self.not_before(now, a, out) else {
            return false;
        };
        let delay_s = at.saturating_duration_since(now).as_secs_f64();
        tracing::info!(
            delay_s,
            "Another controller writes first; waiting before writing (compare-and-set) if it has not."
        );
        if self.incident.is_some() {
            let (pool, what) = match a {
                Action::Flip { to, .. } => (Some(to.as_str()), format!("the flip to {to}")),
                Action::SetTtl { ttl, .. } => (None, format!("the TTL change to {ttl}s")),
                _ => (None, "the write".to_owned()),
            };
            let detail = format!(
                "waiting {delay_s:.1}s for the first writer before {what}; decided again then"
            );
            out.push(super::action::entry(
                EntryKind::Decision,
                pool,
                None,
                detail,
            ));
            self.phase = super::state::Phase::WriterWait { until: at };
            return true;
        }
        if let Action::Flip { not_before, .. } | Action::SetTtl { not_before, .. } = a {
            *not_before = Some(at);
        }
        false
    }

    /// When the write `a` may go out: `None` at once. Counted once per
    /// incident from the first delayed write in it.
    fn not_before(&mut self, now: Instant, a: &Action, out: &mut Vec<Action>) -> Option<Instant> {
        let pool = match a {
            Action::Flip {
                to,
                by: Initiator::Automation,
                ..
            } => Some(to.clone()),
            // The TTL is written by the controller that will (or did)
            // write the flip, so its flip is not held behind this wait.
            Action::SetTtl {
                reason: TtlReason::Suspect | TtlReason::Restore,
                ..
            } => self.ttl_writer_pool(),
            _ => return None,
        };
        let delay = self.policy.local.delay(pool.as_deref());
        if delay.is_zero() {
            return None;
        }
        let anchor = self.anchor;
        let from = match self.incident.as_mut() {
            Some(Open {
                wait_from: Some(from),
                ..
            }) => *from,
            Some(open) => {
                // The first delayed write of the incident: journaled, so a
                // restart does not wait it again.
                open.wait_from = Some(now);
                let at = anchor.map_or(open.incident.since, |a| a.wall(now));
                open.incident.writer_wait_from = Some(at);
                let id = open.incident.id.clone();
                let detail = format!("incident {id}: waiting the writer delay from here");
                let change = Change::WriterWaitStarted { id, at };
                out.push(durable_entry(EntryKind::WriterWait, detail, change));
                now
            }
            None => now,
        };
        let at = from + delay;
        (at > now).then_some(at)
    }

    /// The pool whose region writes TTL changes: while the active pool is
    /// in trouble, the first healthy other pool (the coming flip's
    /// target); else the active pool.
    pub(super) fn ttl_writer_pool(&self) -> Option<String> {
        let active = self.active();
        match active {
            Some(a) if self.health(a) == PoolHealth::Up => Some(a.to_owned()),
            _ => self
                .pools
                .iter()
                .find(|p| Some(p.name.as_str()) != active && self.health(&p.name) == PoolHealth::Up)
                .map(|p| p.name.clone()),
        }
    }
}

/// `base`, or `base-N` when the latest id already took it (two incidents
/// in the same millisecond).
fn unique(base: String, last: Option<&str>) -> String {
    let Some(rest) = last.and_then(|l| l.strip_prefix(base.as_str())) else {
        return base;
    };
    let n = match rest {
        "" => 1,
        _ => rest
            .strip_prefix('-')
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(1),
    };
    format!("{base}-{}", n.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_id_is_never_the_latest_one_again() {
        let local = Local::new("checkout", Duration::from_secs(60));
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_123);
        assert_eq!(local.incident_id(at, None), "checkout-1800000000123");
        let first = local.incident_id(at, Some("checkout-1800000000122"));
        assert_eq!(first, "checkout-1800000000123");
        let second = local.incident_id(at, Some(&first));
        assert_eq!(second, "checkout-1800000000123-2");
        assert_eq!(
            local.incident_id(at, Some(&second)),
            "checkout-1800000000123-3"
        );
    }
}
