//! What a manual move carries from step to step: its context, and the run
//! that journals each step under the move's incident.

use std::sync::Arc;

use rtoguard_provider_api::Provider;

use super::{Interrupts, MoveOptions, Output};
use crate::config::Service;
use crate::journal::Journal;

/// Everything a move needs.
pub struct MoveContext<'a> {
    pub service: &'a Service,
    pub provider: Arc<dyn Provider>,
    pub to: &'a str,
    /// A failback (to the first pool): journaled and reported as one.
    pub failback: bool,
    pub opts: MoveOptions,
    pub out: &'a Output,
    pub interrupts: &'a Interrupts,
    pub journal: Option<&'a Journal>,
    /// Who asked: `user:NAME` or `cli`.
    pub actor: &'a str,
    /// The RFC 2136 primary, watched after the flip when no authoritative is configured.
    pub primary: Option<std::net::SocketAddr>,
}

/// One move under way: its context and the incident it is journaled under.
pub(super) struct Run<'a, 'b> {
    pub(super) cx: &'a MoveContext<'b>,
    pub(super) incident: Option<String>,
    /// Whether the flip was made (what an unfinished move ends on).
    pub(super) flipped: std::cell::Cell<bool>,
}

impl MoveContext<'_> {
    /// Why this move is made, in the controller's words.
    pub(super) fn reason(&self) -> crate::controller::Reason {
        use crate::controller::Reason;
        match (self.failback, self.opts.planned) {
            (true, _) => Reason::Failback,
            (false, true) => Reason::Planned,
            (false, false) => Reason::Manual,
        }
    }

    /// The command as the operator gave it.
    pub(super) fn command(&self) -> crate::controller::Command {
        use crate::controller::Command;
        let planned = self.opts.planned;
        if self.failback {
            Command::Failback { planned }
        } else {
            Command::Failover {
                to: self.to.to_string(),
                planned,
                force: self.opts.force,
            }
        }
    }

    /// "fails back" or "moves", for the journal's sentences.
    pub(super) fn verb(&self) -> &'static str {
        if self.failback { "fails back" } else { "moves" }
    }
}

impl Run<'_, '_> {
    pub(super) fn journal(&self, event: crate::journal::Event) {
        let Some(j) = self.cx.journal else { return };
        let src = crate::journal::Source {
            service: &self.cx.service.name,
            incident: self.incident.as_deref(),
            actor: self.cx.actor,
        };
        if let Err(err) = j.record(src, &event) {
            tracing::warn!(error = %err, "Journal write failed; continuing without it.");
        }
    }
}
