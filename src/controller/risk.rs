//! Risk windows (adaptive TTL): the TTL is lowered when risk is announced
//! and kept low until the window ends, so that when a flip comes the caches
//! already hold answers with the lowered TTL.
//!
//! ```text
//! risk: none --Risk{by,reason,until}--> open (TTL lowered now)
//!       open --Risk with a later end--> open, until extended
//!       open --lowered TTL applied--> open, lowered_at noted (the drain a
//!                                     planned move still needs is counted from it)
//!       open --RiskEnd / until passed--> none (the normal TTL returns once quiet)
//! ```
//!
//! A pinned service keeps its TTL (observe only) but the window is kept, so
//! it lowers once unpinned inside it.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::action::{EntryKind, durable_entry};
use super::command::refuse;
use super::durable::{Change, RiskWindow};
use super::event::Command;
use super::{Action, Controller};

/// The longest risk window (longer ones are refused).
pub const MAX_RISK: Duration = Duration::from_secs(7 * 24 * 3600);

impl Controller {
    /// Opens (or extends) the risk window until `until`.
    pub(super) fn open_risk(
        &mut self,
        now: Instant,
        by: String,
        reason: String,
        until: SystemTime,
        out: &mut Vec<Action>,
    ) {
        let command = Command::Risk {
            by: by.clone(),
            reason: reason.clone(),
            until,
        };
        let max = (MAX_RISK, "a risk window lasts at most seven days");
        let since = match self.window_start(now, "risk window", &reason, Some(until), max) {
            Ok(since) => since,
            Err(why) => return refuse(command, why, out),
        };
        let window = match self.risk.take() {
            // A window under way keeps its start and lowering; the later end wins.
            Some(old) if old.until >= until => {
                let detail = format!("risk window already open ({})", describe_risk(&old));
                out.push(super::action::entry(
                    EntryKind::Decision,
                    None,
                    None,
                    detail,
                ));
                self.risk = Some(old);
                return;
            }
            Some(old) => RiskWindow {
                by,
                reason,
                until,
                shared_with: None,
                ..old
            },
            None => RiskWindow {
                by,
                reason,
                since,
                until,
                // Already lowered (a suspect pool): counted from now, which
                // never drains less than needed.
                lowered_at: (self.ttl() <= self.policy.lowered_ttl()).then_some(since),
                shared_with: None,
            },
        };
        tracing::info!(by = window.by, reason = window.reason, "Risk window open.");
        let detail = format!(
            "risk window open: TTL kept at {}s ({})",
            self.policy.lowered_ttl(),
            describe_risk(&window)
        );
        self.keep_risk(window, detail, out);
    }

    /// Journals `window` (opened, extended or held) with `detail`, and keeps it.
    pub(super) fn keep_risk(&mut self, window: RiskWindow, detail: String, out: &mut Vec<Action>) {
        out.push(durable_entry(
            EntryKind::RiskOpened,
            detail,
            Change::RiskOpened {
                window: window.clone(),
            },
        ));
        self.risk = Some(window);
    }

    /// Ends the risk window now (the normal TTL returns once quiet).
    pub(super) fn end_risk(&mut self, by: String, out: &mut Vec<Action>) {
        let Some(window) = self.risk.take() else {
            let command = Command::RiskEnd { by };
            return refuse(command, "no risk window is open".into(), out);
        };
        tracing::info!(by, "Risk window ended.");
        let detail = format!(
            "risk window ended by {by} ({}); the normal TTL returns once quiet",
            describe_risk(&window)
        );
        out.push(durable_entry(
            EntryKind::RiskEnded,
            detail,
            Change::RiskEnded { by: Some(by) },
        ));
    }

    /// Ends a risk window whose end has come.
    pub(super) fn expire_risk(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.risk_deadline().is_none_or(|at| at > now) {
            return;
        }
        let Some(window) = self.risk.take() else {
            return;
        };
        tracing::info!(reason = window.reason, "Risk window over.");
        let detail = format!(
            "risk window over ({}); the normal TTL returns once quiet",
            describe_risk(&window)
        );
        out.push(durable_entry(
            EntryKind::RiskEnded,
            detail,
            Change::RiskEnded { by: None },
        ));
    }

    /// When the risk window ends, on the controller's clock.
    pub(super) fn risk_deadline(&self) -> Option<Instant> {
        let until = self.risk.as_ref()?.until;
        self.anchor?.deadline(until)
    }

    /// The risk window open, if any.
    pub fn risk(&self) -> Option<&RiskWindow> {
        self.risk.as_ref()
    }

    /// Whether a risk window is open.
    pub(super) fn at_risk(&self) -> bool {
        self.risk.is_some()
    }

    /// The TTL is lowered inside the window: noted once, so a restart
    /// knows how much of the old TTL is left to drain.
    pub(super) fn note_risk_lowered(&mut self, now: Instant, ttl: u32, out: &mut Vec<Action>) {
        let (Some(anchor), Some(window)) = (self.anchor, self.risk.as_mut()) else {
            return;
        };
        if window.lowered_at.is_some() || ttl > self.policy.lowered_ttl() {
            return;
        }
        let at = anchor.wall(now);
        window.lowered_at = Some(at);
        let detail = format!(
            "risk window: TTL lowered at {}",
            super::wall::format_wall(at)
        );
        out.push(durable_entry(
            EntryKind::Decision,
            detail,
            Change::RiskLowered { at },
        ));
    }

    /// Takes the journaled window at start-up: caches may hold the normal
    /// TTL until one normal TTL after the lowering.
    pub(super) fn restore_risk(&mut self, window: Option<RiskWindow>, kept: &mut Vec<String>) {
        let Some(window) = window else {
            return;
        };
        let normal = Duration::from_secs(u64::from(self.policy.normal_ttl()));
        if let Some(at) = window.lowered_at.and_then(|t| self.anchor?.instant(t)) {
            let until = at + normal;
            self.drain_until = Some(self.drain_until.map_or(until, |u| u.max(until)));
        }
        kept.push(format!("risk window ({})", describe_risk(&window)));
        self.risk = Some(window);
    }
}

/// A risk window as people read it: who, why and until when.
pub(crate) fn describe_risk(w: &RiskWindow) -> String {
    format!(
        "by {}, until {}: {}",
        w.by,
        super::wall::format_wall(w.until),
        w.reason
    )
}
