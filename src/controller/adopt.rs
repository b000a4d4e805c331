//! Every region serves the same decision: adoption of a peer's flip when
//! the provider's record sets live in each controller (`Local::served_here`,
//! from the provider's `served_here` capability).
//!
//! Each such controller serves its own copy of the records, so the writer's
//! flip changes only the writer's copy. Every controller publishes the
//! [`Decision`] it serves (its own write, or one it adopted, naming the
//! writer); a controller that hears a newer decision than the one it
//! serves writes the same pool into its own copy (compare-and-set against
//! what it serves) and journals "adopted west's flip to standby":
//!
//! ```text
//! heard a decision newer than the one served (by time written, then writer id)
//!     --> pool already served: kept as the decision served, nothing written
//!     --> Idle (or waiting the writer delay): Adopt, phase Adopting
//!     --> a move of its own, a provider call, a backoff, a provider halt:
//!         waits; decided again when the controller is idle
//! Adopting --Flipped--> Idle: journaled `adopted`; an incident open here
//!     becomes a view of the writer's (no flip of its own: no damping, no
//!     watch, no report, no webhook)
//! Adopting --failure--> as any write: conflict re-reads, retryable backs off
//! ```
//!
//! A controller cut off from the writer hears nothing and keeps serving
//! what it served (never empty: the last decision's pool).

use tokio::time::Instant;

use super::action::{EntryKind, entry};
use super::decision::Decision;
use super::speaker::{Because, Voice};
use super::state::{Halt, Phase};
use super::{Action, Controller};

impl Controller {
    /// The decision this controller serves (its own write or one it
    /// adopted); `None` unless its provider serves here, or before it
    /// wrote or heard one.
    pub fn served(&self) -> Option<&Decision> {
        self.served.as_ref()
    }

    /// A peer published the decision it serves: kept when it is the
    /// newest heard, and adopted when the controller is free (see `settle`).
    pub(super) fn on_peer_decision(&mut self, d: Decision) {
        if !self.policy.local.served_here {
            return;
        }
        if !self.policy.pools.contains(&d.pool) {
            tracing::warn!(
                writer = d.by,
                pool = d.pool,
                "A peer serves a pool this service does not have; not adopted (do the configs agree?)."
            );
            return;
        }
        if self.heard.as_ref().is_some_and(|h| !d.newer_than(h)) {
            return;
        }
        self.heard = Some(d);
    }

    /// A heard decision is newer than the one served, and nothing of this
    /// controller's own is under way that it must finish first.
    pub(super) fn adoption_due(&self) -> bool {
        let Some(heard) = &self.heard else {
            return false;
        };
        let newer = self.served.as_ref().is_none_or(|s| heard.newer_than(s));
        let provider_trouble =
            matches!(self.halted, Some(Halt::ProviderRejected | Halt::Conflicts));
        newer
            && !provider_trouble
            && self.view.is_some()
            && matches!(self.phase, Phase::Idle | Phase::WriterWait { .. })
    }

    /// Adopt the newest heard decision: kept as served when its pool is
    /// served already, else written into this controller's copy.
    pub(super) fn adopt(&mut self, out: &mut Vec<Action>) {
        let Some(d) = self.heard.clone() else {
            return;
        };
        let from = self.active().map(str::to_owned);
        if from.as_deref() == Some(d.pool.as_str()) {
            tracing::debug!(
                writer = d.by,
                pool = d.pool,
                "A peer's decision is served here already."
            );
            self.served = Some(d);
            return;
        }
        let ttl = self.ttl().min(self.policy.normal_ttl());
        tracing::info!(
            writer = d.by,
            from = from.as_deref().unwrap_or("none"),
            to = d.pool,
            "Adopting a peer's flip."
        );
        let detail = format!(
            "adopting {}: writing pool {} here (compare-and-set against {})",
            flip_words(&d),
            d.pool,
            from.as_deref().unwrap_or("no single pool")
        );
        out.push(entry(EntryKind::Decision, Some(&d.pool), None, detail));
        out.push(Action::Adopt {
            from: from.clone(),
            to: d.pool.clone(),
            ttl,
            writer: d.by.clone(),
            incident: d.incident.clone(),
        });
        self.phase = Phase::Adopting {
            decision: d,
            from,
            ttl,
        };
    }

    /// This controller's own flip to `to` was applied at `now`: when its
    /// records live here, that is the decision it serves and publishes.
    pub(super) fn served_own(&mut self, now: Instant, to: &str) {
        if !self.policy.local.served_here {
            return;
        }
        let Some(anchor) = self.anchor else {
            return;
        };
        self.served = Some(Decision {
            pool: to.to_owned(),
            at: anchor.wall(now),
            by: self.policy.local.id.clone(),
            incident: self.incident.as_ref().map(|o| o.incident.id.clone()),
        });
    }

    /// The adoption's write was applied: the decision is served here, and
    /// an incident open here is a view of the writer's.
    pub(super) fn on_adopted(
        &mut self,
        now: Instant,
        decision: Decision,
        from: Option<String>,
        ttl: u32,
        out: &mut Vec<Action>,
    ) {
        if let Some(view) = self.view.as_mut() {
            view.active = Some(decision.pool.clone());
            view.ttl = ttl;
        }
        self.last_change = Some(now);
        self.raised = Default::default();
        self.conflict_streak = 0;
        self.stale = false;
        tracing::info!(
            writer = decision.by,
            from = from.as_deref().unwrap_or("none"),
            to = decision.pool,
            "Adopted a peer's flip."
        );
        if let Some(open) = self.incident.as_mut()
            && open.voice != Voice::Own(Because::Wrote)
        {
            open.voice = Voice::View {
                speaker: Some(decision.by.clone()),
                incident: decision.incident.clone(),
                because: Because::Wrote,
            };
            open.name_by = None;
        }
        let detail = format!(
            "adopted {}: this controller serves pool {} as {} decided{}",
            flip_words(&decision),
            decision.pool,
            decision.by,
            decision
                .incident
                .as_deref()
                .map_or(String::new(), |id| format!(" (its incident {id})"))
        );
        out.push(entry(
            EntryKind::Adopted,
            Some(&decision.pool),
            None,
            detail,
        ));
        self.served = Some(decision);
    }
}

/// "west's flip to standby".
fn flip_words(d: &Decision) -> String {
    format!("{}'s flip to {}", d.by, d.pool)
}
