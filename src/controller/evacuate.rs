//! One service's side of a region's evacuation: move off the region (to the
//! target [`evacuation::target`] names), keep its pools out of every target
//! choice while the evacuation lasts, and let the failback rules bring the
//! service home once it ends (`EndEvacuation`, or its end passed).
//!
//! [`evacuation::target`]: super::evacuation::target

use tokio::time::Instant;

use super::action::{EntryKind, durable_entry};
use super::command::refuse;
use super::durable::{Change, Evacuation, MAX_PIN};
use super::evacuation::{PoolPlace, target};
use super::event::Command;
use super::{Action, Controller};

impl Controller {
    /// Starts an evacuation for this service; a refusal changes nothing.
    pub(super) fn evacuate(&mut self, now: Instant, command: Command, out: &mut Vec<Action>) {
        let Command::Evacuate {
            id,
            region,
            by,
            reason,
            until,
            planned,
        } = &command
        else {
            return;
        };
        let Some(anchor) = self.anchor else {
            return refuse(command, "the service has not started yet".into(), out);
        };
        let since = anchor.wall(now);
        if until.is_some_and(|u| u <= since) {
            return refuse(
                command,
                "the evacuation would end before it starts".into(),
                out,
            );
        }
        if until.is_some_and(|u| u.duration_since(since).is_ok_and(|d| d > MAX_PIN)) {
            let why = "an evacuation with an end lasts at most ten years";
            return refuse(command, why.into(), out);
        }
        if let Some(e) = self.evacuation.as_ref().filter(|e| e.region != *region) {
            let why = format!("region {} is being evacuated already ({})", e.region, e.id);
            return refuse(command, why, out);
        }
        let to = match target(&self.places(), self.active(), region) {
            Ok(to) => to,
            Err(why) => return refuse(command, why, out),
        };
        let evacuation = Evacuation {
            id: id.clone(),
            region: region.clone(),
            by: by.clone(),
            reason: reason.clone(),
            since,
            until: *until,
        };
        tracing::info!(region, id, by, reason, "Evacuating the region.");
        let detail = match &to {
            Some(to) => format!("evacuating region {region} ({id}): moving to pool {to}"),
            None => format!("evacuating region {region} ({id}): kept away from it, no move"),
        };
        out.push(durable_entry(
            EntryKind::Evacuating,
            detail,
            Change::EvacuationStarted {
                evacuation: evacuation.clone(),
            },
        ));
        self.evacuation = Some(evacuation);
        if let Some(to) = to {
            let mv = Command::Failover {
                to,
                planned: *planned,
                force: false,
            };
            self.accept_move(now, mv, out);
        }
    }

    /// Ends the evacuation of `region`: its pools are targets again.
    pub(super) fn end_evacuation(&mut self, command: Command, out: &mut Vec<Action>) {
        let Command::EndEvacuation { by, region } = &command else {
            return;
        };
        if self.evacuation.as_ref().is_none_or(|e| e.region != *region) {
            let why = format!("region {region} is not being evacuated for this service");
            return refuse(command, why, out);
        }
        self.lift_evacuation(Some(by.clone()), out);
    }

    /// Lifts an evacuation whose end has come.
    pub(super) fn expire_evacuation(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.evacuation_deadline().is_some_and(|at| at <= now) {
            self.lift_evacuation(None, out);
        }
    }

    fn lift_evacuation(&mut self, by: Option<String>, out: &mut Vec<Action>) {
        let Some(e) = self.evacuation.take() else {
            return;
        };
        let who = by
            .as_deref()
            .map_or("its end came".to_owned(), |b| format!("ended by {b}"));
        tracing::info!(region = e.region, id = e.id, who, "Evacuation ended.");
        let detail = format!(
            "evacuation of region {} ({}) over, {who}: the failback rules apply",
            e.region, e.id
        );
        out.push(durable_entry(
            EntryKind::EvacuationEnded,
            detail,
            Change::EvacuationEnded {
                by,
                region: e.region.clone(),
            },
        ));
    }

    /// When the evacuation ends, on the controller's clock.
    pub(super) fn evacuation_deadline(&self) -> Option<Instant> {
        let until = self.evacuation.as_ref()?.until?;
        self.anchor?.deadline(until)
    }

    /// Whether `pool` lies in the region being evacuated (no target then).
    pub(super) fn evacuated(&self, pool: &str) -> bool {
        self.evacuation
            .as_ref()
            .is_some_and(|e| self.policy.region_of(pool) == Some(e.region.as_str()))
    }

    /// Every pool with its region and health, for [`target`].
    fn places(&self) -> Vec<PoolPlace> {
        self.pools
            .iter()
            .map(|p| PoolPlace {
                name: p.name.clone(),
                region: self
                    .policy
                    .region_of(&p.name)
                    .unwrap_or_default()
                    .to_owned(),
                health: self.health(&p.name),
            })
            .collect()
    }
}
