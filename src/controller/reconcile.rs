//! Start-up: take the provider's real state and settle the journal's unfinished intent.

use tokio::time::Instant;

use super::action::{EntryKind, entry};
use super::event::{Intent, IntentKind};
use super::state::{Phase, ProviderView};
use super::vocab::{Initiator, Reason};
use super::{Action, Controller};

impl Controller {
    pub(super) fn on_started(
        &mut self,
        now: Instant,
        active: Option<String>,
        ttl: u32,
        intent: Option<Intent>,
        out: &mut Vec<Action>,
    ) {
        self.view = Some(ProviderView {
            active: active.clone(),
            ttl,
        });
        self.phase = Phase::Idle;
        self.stale = false;
        self.last_change = Some(now);
        self.pending_intent = None;
        let serving = active.as_deref().unwrap_or("no single pool");
        tracing::info!(active = serving, ttl, "Controller started.");
        let detail = format!("provider serves {serving} with TTL {ttl}s");
        out.push(entry(EntryKind::Started, active.as_deref(), None, detail));
        if let Some(intent) = intent {
            self.reconcile(now, intent, out);
        }
    }

    /// Settles an intent the journal says never finished. A flip is done at
    /// most once: if the provider already serves the target it is recorded
    /// as completed and its propagation watch starts (for its report); else
    /// it waits until health is known: an operator's flip is finished only
    /// if its target is `Up` (never with `force`; the runtime drops one
    /// older than `controller.intent_max_age`), an automatic one only if
    /// the target is `Up` and the active pool still `Down`.
    /// A TTL change is never repeated: the state decides afresh.
    fn reconcile_ttl(&self, ttl: u32, out: &mut Vec<Action>) {
        let (kind, detail) = if self.ttl() == ttl {
            let detail = format!("TTL {ttl}s was applied before the restart");
            (EntryKind::Reconciled, detail)
        } else {
            let detail = format!("TTL {ttl}s was not applied; deciding afresh");
            (EntryKind::Abandoned, detail)
        };
        out.push(entry(kind, self.active(), Some(Reason::Reconcile), detail));
    }

    fn reconcile(&mut self, now: Instant, intent: Intent, out: &mut Vec<Action>) {
        let to = match &intent.kind {
            IntentKind::SetTtl { ttl } => return self.reconcile_ttl(*ttl, out),
            IntentKind::Weigh { .. } => return self.reconcile_weigh(now, intent, out),
            IntentKind::Flip { to, .. } => to.clone(),
        };
        if self.active() == Some(to.as_str()) {
            self.record_flip(now, intent.by == Initiator::Automation, out);
            self.voice_wrote(None, out);
            let detail = format!(
                "flip to {to} completed before the restart (controller restarted during the flip)"
            );
            out.push(entry(
                EntryKind::Reconciled,
                Some(&to),
                Some(intent.reason),
                detail,
            ));
            // Its propagation was never timed: time it now, for its report.
            let old_ttl = self.policy.normal_ttl().max(self.ttl());
            out.push(Action::StartWatch { to, old_ttl });
            return;
        }
        if !self.policy.has_pool(&to) {
            let detail = format!("flip to {to}: not a pool of this service any more");
            out.push(entry(
                EntryKind::Abandoned,
                Some(&to),
                Some(intent.reason),
                detail,
            ));
            return;
        }
        let detail = match intent.by {
            Initiator::Operator => {
                "unfinished operator's flip: finished only if its target is healthy (never forced)"
            }
            Initiator::Automation => {
                "unfinished automatic flip: waiting for health to finish or drop it"
            }
        };
        out.push(entry(
            EntryKind::Decision,
            Some(&to),
            Some(Reason::Reconcile),
            detail,
        ));
        self.pending_intent = Some(intent);
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::super::tests::{Harness, flips, pools, started};
    use super::super::{Action, EntryKind, Event, Policy, PoolHealth};
    use super::*;

    fn flip_intent(by: Initiator) -> Intent {
        Intent {
            kind: IntentKind::Flip {
                from: Some("primary".into()),
                to: "standby".into(),
            },
            reason: Reason::ActiveDown,
            by,
            requested_at: SystemTime::UNIX_EPOCH,
        }
    }

    fn kinds(out: &[Action]) -> Vec<EntryKind> {
        out.iter()
            .filter_map(|a| match a {
                Action::Journal(e) => Some(e.kind),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_flip_done_before_the_restart_is_journaled_not_repeated() {
        let mut h = Harness::bare(Policy::with_defaults(pools()));
        let intent = flip_intent(Initiator::Automation);
        let out = h.ev(0, started(Some("standby"), 300, Some(intent)));
        assert!(kinds(&out).contains(&EntryKind::Reconciled));
        h.health(1, "standby", PoolHealth::Up);
        h.health(1, "primary", PoolHealth::Down);
        assert!(flips(&h.ev(2, Event::Tick)).is_empty());
        assert_eq!(h.c.status().pending_intent, None);
    }

    #[test]
    fn an_unfinished_automatic_flip_is_finished_once_when_still_needed() {
        let mut h = Harness::bare(Policy::with_defaults(pools()));
        let intent = flip_intent(Initiator::Automation);
        let out = h.ev(0, started(Some("primary"), 300, Some(intent)));
        assert!(flips(&out).is_empty(), "health is not known yet");
        assert!(h.c.status().pending_intent.is_some());
        assert!(flips(&h.health(1, "standby", PoolHealth::Up)).is_empty());
        let out = h.health(2, "primary", PoolHealth::Down);
        assert_eq!(
            flips(&out),
            vec![(
                Some("primary".into()),
                "standby".into(),
                300,
                Reason::Reconcile
            )]
        );
        h.ev(
            3,
            Event::Flipped {
                to: "standby".into(),
            },
        );
        assert!(flips(&h.ev(4, Event::Tick)).is_empty());
    }

    #[test]
    fn an_unfinished_automatic_flip_is_dropped_when_the_active_pool_recovered() {
        let mut h = Harness::bare(Policy::with_defaults(pools()));
        let intent = flip_intent(Initiator::Automation);
        h.ev(0, started(Some("primary"), 300, Some(intent)));
        h.health(1, "standby", PoolHealth::Up);
        let out = h.health(2, "primary", PoolHealth::Up);
        assert!(flips(&out).is_empty());
        assert!(kinds(&out).contains(&EntryKind::Abandoned));
        assert_eq!(h.c.status().pending_intent, None);
    }

    #[test]
    fn an_unfinished_operator_flip_waits_for_a_healthy_target_and_is_not_forced() {
        let mut h = Harness::bare(Policy::with_defaults(pools()));
        let intent = flip_intent(Initiator::Operator);
        let out = h.ev(0, started(Some("primary"), 300, Some(intent.clone())));
        assert!(flips(&out).is_empty(), "replayed before health is known");
        h.health(1, "primary", PoolHealth::Up);
        let out = h.health(2, "standby", PoolHealth::Up);
        assert_eq!(
            flips(&out),
            vec![(
                Some("primary".into()),
                "standby".into(),
                300,
                Reason::Reconcile
            )]
        );
        let mut h = Harness::bare(Policy::with_defaults(pools()));
        h.ev(0, started(Some("primary"), 300, Some(intent)));
        h.health(1, "primary", PoolHealth::Up);
        let out = h.health(2, "standby", PoolHealth::Down);
        assert!(flips(&out).is_empty(), "flipped to an unhealthy target");
        assert!(kinds(&out).contains(&EntryKind::Abandoned));
    }

    #[test]
    fn a_flip_found_done_at_start_starts_its_propagation_watch() {
        let mut h = Harness::bare(Policy::with_defaults(pools()));
        let intent = flip_intent(Initiator::Automation);
        let out = h.ev(0, started(Some("standby"), 30, Some(intent)));
        assert!(
            out.iter()
                .any(|a| matches!(a, Action::StartWatch { to, old_ttl: 300 } if to == "standby")),
            "{out:?}"
        );
    }

    #[test]
    fn a_ttl_intent_is_checked_against_the_provider() {
        let mut h = Harness::bare(Policy::with_defaults(pools()));
        let intent = Intent {
            kind: IntentKind::SetTtl { ttl: 30 },
            reason: Reason::Reconcile,
            by: Initiator::Automation,
            requested_at: SystemTime::UNIX_EPOCH,
        };
        let out = h.ev(0, started(Some("primary"), 30, Some(intent.clone())));
        assert!(kinds(&out).contains(&EntryKind::Reconciled));
        let mut h = Harness::bare(Policy::with_defaults(pools()));
        let out = h.ev(0, started(Some("primary"), 300, Some(intent)));
        assert!(kinds(&out).contains(&EntryKind::Abandoned));
    }

    #[test]
    fn a_lowered_ttl_found_at_start_is_restored_after_quiet() {
        let mut h = Harness::bare(Policy::with_defaults(pools()));
        h.ev(0, started(Some("primary"), 30, None));
        h.health(5, "primary", PoolHealth::Up);
        assert_eq!(h.c.next_deadline(), Some(h.at(605)));
        let out = h.ev(605, Event::Tick);
        assert!(out.contains(&Action::SetTtl {
            not_before: None,
            ttl: 300,
            reason: super::super::TtlReason::Restore
        }));
    }
}
