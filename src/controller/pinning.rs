//! Pins (who, why, until when), halts and the damping history: the durable
//! state the controller journals with each change and restores at `Started`.

use std::time::SystemTime;

use tokio::time::Instant;

use super::action::{AlertLevel, EntryKind, alert, durable_entry};
use super::command::refuse;
use super::durable::{Change, Durable, MAX_PIN, Pin, WallAnchor};
use super::event::Command;
use super::state::{Halt, Phase};
use super::{Action, Controller};

impl Controller {
    /// Pins the service: observe only until unpinned or `until` passes. An
    /// automatic move draining now is dropped.
    pub(super) fn pin(
        &mut self,
        now: Instant,
        by: String,
        reason: String,
        until: Option<SystemTime>,
        out: &mut Vec<Action>,
    ) {
        let command = Command::Pin {
            by: by.clone(),
            reason: reason.clone(),
            until,
        };
        let too_long = "a pin with an end lasts at most ten years; pin without one";
        let since = match self.window_start(now, "pin", &reason, until, (MAX_PIN, too_long)) {
            Ok(since) => since,
            Err(why) => return refuse(command, why, out),
        };
        let pin = Pin {
            by,
            reason,
            since,
            until,
        };
        tracing::info!(by = pin.by, reason = pin.reason, "Service pinned.");
        let detail = format!("observe only: no automatic moves ({})", describe(&pin));
        out.push(durable_entry(
            EntryKind::Pinned,
            detail,
            Change::Pinned { pin: pin.clone() },
        ));
        self.pin = Some(pin);
        self.drop_automatic_drain(out);
    }

    /// The wall time `now` for a pin or risk window (`what`) with `reason`
    /// ending at `until`, or why it cannot start (`max`: the longest, and
    /// what to say past it).
    pub(super) fn window_start(
        &self,
        now: Instant,
        what: &str,
        reason: &str,
        until: Option<SystemTime>,
        max: (std::time::Duration, &str),
    ) -> Result<SystemTime, String> {
        let Some(anchor) = self.anchor else {
            return Err("the service has not started yet".into());
        };
        if reason.trim().is_empty() {
            return Err(format!("a {what} needs a reason"));
        }
        let since = anchor.wall(now);
        if until.is_some_and(|u| u <= since) {
            return Err(format!("the {what} would end before it starts"));
        }
        if until.is_some_and(|u| u.duration_since(since).is_ok_and(|d| d > max.0)) {
            return Err(max.1.to_owned());
        }
        Ok(since)
    }

    /// Unpins the service (and lifts a halt).
    pub(super) fn unpin(&mut self, by: String, out: &mut Vec<Action>) {
        self.lift_halt(out);
        let was = self.pin.take();
        tracing::info!(by, "Service unpinned.");
        let detail = match &was {
            Some(pin) => format!("automation resumes; unpinned by {by} ({})", describe(pin)),
            None => format!("automation resumes; unpinned by {by} (was not pinned)"),
        };
        out.push(durable_entry(
            EntryKind::Unpinned,
            detail,
            Change::Unpinned { by },
        ));
    }

    /// Lifts a pin whose end has come.
    pub(super) fn expire_pin(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.pin_deadline().is_none_or(|at| at > now) {
            return;
        }
        let Some(pin) = self.pin.take() else {
            return;
        };
        tracing::info!(by = pin.by, reason = pin.reason, "Pin expired.");
        let detail = format!("pin expired; automation resumes ({})", describe(&pin));
        out.push(durable_entry(
            EntryKind::PinExpired,
            detail,
            Change::PinExpired,
        ));
    }

    /// When the pin ends, on the controller's clock.
    pub(super) fn pin_deadline(&self) -> Option<Instant> {
        let until = self.pin.as_ref()?.until?;
        self.anchor?.deadline(until)
    }

    /// Drops an automatic move that is draining (the service was pinned).
    fn drop_automatic_drain(&mut self, out: &mut Vec<Action>) {
        if let Phase::Draining { mv, .. } = &self.phase
            && mv.automatic()
        {
            let detail = "service pinned: automatic move dropped";
            out.push(super::action::entry(
                EntryKind::Aborted,
                Some(&mv.to),
                Some(mv.reason),
                detail,
            ));
            self.phase = Phase::Idle;
        }
    }

    /// Lifts a halt after an operator command.
    pub(super) fn lift_halt(&mut self, out: &mut Vec<Action>) {
        if let Some(why) = self.halted.take() {
            tracing::info!(%why, "Automation resumes after an operator command.");
            let detail = format!("operator command: automation resumes (was halted: {why})");
            out.push(durable_entry(EntryKind::Resumed, detail, Change::Resumed));
        }
    }

    /// Stops automation until an operator command.
    pub(super) fn halt(&mut self, why: Halt, out: &mut Vec<Action>) {
        if self.halted.is_some() {
            return;
        }
        self.halted = Some(why);
        let msg = format!("{why}: automation stopped for this service");
        tracing::error!(%why, "Automation stopped until an operator command.");
        out.push(durable_entry(
            EntryKind::Halted,
            msg.clone(),
            Change::Halted { why },
        ));
        out.push(alert(AlertLevel::Critical, msg));
    }

    /// Records a completed flip for damping, and journals it.
    pub(super) fn record_flip(&mut self, now: Instant, automatic: bool, out: &mut Vec<Action>) {
        self.damping.record(now, automatic, &self.policy);
        let Some(anchor) = self.anchor else {
            return;
        };
        let at = anchor.wall(now);
        let detail = match automatic {
            true => "automatic flip recorded (hold-down and flip cap)",
            false => "operator flip recorded (hold-down)",
        };
        let change = Change::FlippedForDamping { at, automatic };
        out.push(durable_entry(EntryKind::Damping, detail, change));
    }

    /// Takes the durable state rebuilt from the journal, at wall time `wall`.
    pub(super) fn restore(
        &mut self,
        now: Instant,
        wall: SystemTime,
        d: Durable,
        out: &mut Vec<Action>,
    ) {
        let anchor = WallAnchor { mono: now, wall };
        self.anchor = Some(anchor);
        self.halted = d.halted;
        self.pin = d.pin;
        let at = |t: SystemTime| anchor.instant(t);
        let automatic: Vec<Instant> = d.automatic_flips.into_iter().filter_map(at).collect();
        self.damping
            .restore(d.last_flip.and_then(at), automatic, &self.policy);
        self.drill = d.drill;
        self.evacuation = d.evacuation;
        self.restore_incident(now, d.incident, d.last_incident);
        let mut kept = Vec::new();
        if let Some(pin) = &self.pin {
            kept.push(format!("pinned ({})", describe(pin)));
        }
        if let Some(why) = self.halted {
            kept.push(format!("halted: {why}"));
        }
        let flips = self.damping.in_window(now, &self.policy);
        if flips > 0 {
            kept.push(format!("{flips} automatic flip(s) in the flip window"));
        }
        if let Some(drill) = &self.drill {
            kept.push(format!("drill {} under way", drill.id));
        }
        if let Some(e) = &self.evacuation {
            kept.push(format!("evacuating region {} ({})", e.region, e.id));
        }
        if let Some(i) = self.incident() {
            kept.push(format!("incident {} under way", i.id));
        }
        self.restore_risk(d.risk, &mut kept);
        if !kept.is_empty() {
            let detail = format!("restored from the journal: {}", kept.join("; "));
            tracing::info!(restored = detail, "Durable state restored.");
            out.push(super::action::entry(
                EntryKind::Restored,
                None,
                None,
                detail,
            ));
        }
        self.expire_pin(now, out);
        self.expire_evacuation(now, out);
        self.expire_risk(now, out);
    }
}

/// A pin as people read it: who, why and until when.
pub(crate) fn describe(pin: &Pin) -> String {
    let until = match pin.until {
        Some(u) => format!("until {}", super::wall::format_wall(u)),
        None => "until unpinned".into(),
    };
    format!("by {}, {until}: {}", pin.by, pin.reason)
}
