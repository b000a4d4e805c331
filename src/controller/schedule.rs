//! Scheduled risk windows: a weekly (or daily) start in UTC, or one start,
//! with a length. The controller opens each occurrence itself from the
//! wall time it maps its clock to: pure arithmetic, no clock read.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{Action, Controller};

const DAY: u64 = 24 * 3600;
const WEEK: u64 = 7 * DAY;

/// When a scheduled window starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskStart {
    /// Once, at this time.
    Once(#[serde(with = "super::wall::serde_wall")] SystemTime),
    /// Every week on `day` (0 = Monday; `None`: every day) at `minute`
    /// minutes after midnight UTC.
    Every { day: Option<u8>, minute: u16 },
}

/// One `[[risk_windows]]` entry as the controller of a service it names applies it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledRisk {
    pub name: String,
    pub start: RiskStart,
    pub duration: Duration,
    pub reason: String,
}

impl ScheduledRisk {
    /// The latest start at or before `now` (`None`: none yet).
    pub fn latest_start(&self, now: SystemTime) -> Option<SystemTime> {
        let secs = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        let at = match &self.start {
            RiskStart::Once(t) => return (*t <= now).then_some(*t),
            RiskStart::Every { day, minute } => {
                let midnight = secs - secs % DAY;
                let minute = u64::from(*minute) * 60;
                let (back, period) = match day {
                    // 1970-01-01 was a Thursday (3 with Monday as 0).
                    Some(d) => {
                        let today = (secs / DAY + 3) % 7;
                        ((today + 7 - u64::from(*d)) % 7 * DAY, WEEK)
                    }
                    None => (0, DAY),
                };
                let at = (midnight + minute).checked_sub(back)?;
                if at > secs {
                    at.checked_sub(period)?
                } else {
                    at
                }
            }
        };
        Some(UNIX_EPOCH + Duration::from_secs(at))
    }

    /// The first start after `now` (`None`: no more).
    pub fn next_start(&self, now: SystemTime) -> Option<SystemTime> {
        match &self.start {
            RiskStart::Once(t) => (*t > now).then_some(*t),
            RiskStart::Every { day, .. } => {
                let period = Duration::from_secs(if day.is_some() { WEEK } else { DAY });
                let latest = self.latest_start(now);
                let next = latest.map_or(Some(now), |l| l.checked_add(period));
                // Before the first occurrence computable (near the epoch): a day on.
                next.filter(|n| *n > now)
                    .or_else(|| now.checked_add(Duration::from_secs(DAY)))
            }
        }
    }

    /// The occurrence under way at `now`: its start and end.
    pub fn current(&self, now: SystemTime) -> Option<(SystemTime, SystemTime)> {
        let start = self.latest_start(now)?;
        let end = start.checked_add(self.duration)?;
        (now < end).then_some((start, end))
    }
}

impl Controller {
    /// Opens the scheduled windows under way that were not opened yet in
    /// this occurrence (an operator's `RiskEnd` holds until the next start).
    pub(super) fn open_scheduled(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(anchor) = self.anchor else {
            return;
        };
        let wall = anchor.wall(now);
        for s in self.policy.schedule.clone() {
            let Some((start, end)) = s.current(wall) else {
                continue;
            };
            if self.scheduled_seen.get(&s.name) == Some(&start) {
                continue;
            }
            self.scheduled_seen.insert(s.name.clone(), start);
            if self.risk.as_ref().is_some_and(|w| w.until >= end) {
                continue;
            }
            self.open_risk(now, format!("schedule:{}", s.name), s.reason, end, out);
        }
    }

    /// When the next scheduled window starts, on the controller's clock.
    pub(super) fn schedule_deadline(&self) -> Option<Instant> {
        let anchor = self.anchor?;
        let wall = anchor.wall(self.now?);
        self.policy
            .schedule
            .iter()
            .filter_map(|s| s.next_start(wall))
            .filter_map(|t| anchor.deadline(t))
            .min()
    }
}
