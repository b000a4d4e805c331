//! How a manual move ends early: the second Ctrl-C during a drain puts the
//! TTL back, and a move that stops unfinished is journaled and its
//! incident closed.

use super::OpError;
use super::context::Run;
use crate::journal::Event;
use crate::plan::{Plan, Step};

impl Run<'_, '_> {
    /// A move that stopped unfinished (Ctrl-C, a provider error): journal
    /// why, and close its incident, so none stays open.
    pub(super) fn close_unfinished(&self, plan: &Plan, e: &OpError) {
        let cx = self.cx;
        let what = if cx.failback { "failback" } else { "failover" };
        self.journal(Event::Decision {
            decision: crate::controller::EntryKind::Aborted,
            pool: Some(plan.to.clone()),
            reason: Some(cx.reason()),
            note: format!(
                "{}'s {what} of {} to {} ended unfinished: {e}",
                cx.actor, cx.service.name, plan.to
            ),
            change: None,
        });
        // Before the flip the records are as they were (a flip that failed
        // changed nothing); after it, the target serves.
        let pool = if self.flipped.get() {
            plan.to.clone()
        } else {
            plan.from.to_string()
        };
        self.journal(Event::IncidentEnd { pool, change: None });
    }

    /// The second Ctrl-C during a drain: put the TTL back and stop.
    pub(super) async fn abort_drain(&self, next: Option<&Step>, old_ttl: u32) -> OpError {
        let svc = self.cx.service;
        let Some(Step::Flip { change }) = next else {
            return OpError::Aborted {
                when: "while draining".into(),
            };
        };
        let state = change.expected();
        let restored = crate::plan::group::at_ttl(&state, old_ttl);
        let when = match crate::plan::group::changes(svc, &state, &restored) {
            Ok(c) => match self.apply(&c, &format!("TTL restored to {old_ttl}s")).await {
                Ok(_) => format!("while draining: records unchanged, TTL restored to {old_ttl}s"),
                Err(e) => {
                    format!("while draining: records unchanged, but restoring the TTL failed: {e}")
                }
            },
            Err(e) => format!("while draining: {e}"),
        };
        OpError::Aborted { when }
    }
}
