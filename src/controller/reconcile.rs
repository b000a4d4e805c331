//! Start-up: take the provider's real state and settle the journal's unfinished intent.

use tokio::time::Instant;

use super::action::{EntryKind, Initiator, Reason, entry};
use super::event::{Intent, IntentKind};
use super::state::{Move, Phase, ProviderView};
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
    /// as completed; an operator's flip is finished at once; an automatic
    /// one waits until health is known and is finished only if the target
    /// is still `Up` and the active pool still `Down`.
    fn reconcile(&mut self, now: Instant, intent: Intent, out: &mut Vec<Action>) {
        let to = match &intent.kind {
            IntentKind::SetTtl { ttl } => {
                let (kind, detail) = if self.ttl() == *ttl {
                    (
                        EntryKind::Reconciled,
                        format!("TTL {ttl}s was applied before the restart"),
                    )
                } else {
                    (
                        EntryKind::Abandoned,
                        format!("TTL {ttl}s was not applied; deciding afresh"),
                    )
                };
                out.push(entry(kind, self.active(), Some(Reason::Reconcile), detail));
                return;
            }
            IntentKind::Flip { to, .. } => to.clone(),
        };
        if self.active() == Some(to.as_str()) {
            self.damping
                .record(now, intent.by == Initiator::Automation, &self.policy);
            let detail = format!("flip to {to} completed before the restart");
            out.push(entry(
                EntryKind::Reconciled,
                Some(&to),
                Some(intent.reason),
                detail,
            ));
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
        if intent.by == Initiator::Operator {
            let detail = "finishing the operator's flip left unfinished by a restart";
            out.push(entry(
                EntryKind::Reconciled,
                Some(&to),
                Some(Reason::Reconcile),
                detail,
            ));
            let mv = Move {
                to,
                reason: Reason::Reconcile,
                by: Initiator::Operator,
                planned: false,
                force: true,
            };
            self.issue_flip(now, mv, out);
            return;
        }
        let detail = "unfinished automatic flip: waiting for health to finish or drop it";
        out.push(entry(
            EntryKind::Decision,
            Some(&to),
            Some(Reason::Reconcile),
            detail,
        ));
        self.pending_intent = Some(intent);
    }
}
