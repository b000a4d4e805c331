//! An evacuation across a restart: what the journal keeps of its run (the
//! plan and each wave's outcome) and, from that and which services already
//! keep away from the region, what is left to do.
//!
//! ```text
//! started --plan journaled--> wave 0 (stay / refused) journaled
//!         --wave n sent, its moves ended--> wave n journaled with outcomes
//!         --every wave journaled--> report
//! restart: waves journaled are done (their outcomes kept); a wave begun is
//!          sent only to the services that do not hold the evacuation yet,
//!          then waited for; the waves after it are sent as planned. Past
//!          its end nothing more is sent.
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::evacuation::{EvacuationPlan, Step};
use super::wall::serde_wall as wall;

/// How each move of an evacuation ended: in words, and how long it took (ms).
pub type Outcomes = BTreeMap<String, (String, Option<u64>)>;

/// One evacuation as asked and planned: what a restart needs to go on with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvacuationRun {
    pub id: String,
    pub region: String,
    /// The group evacuated (`None`: every service).
    pub group: Option<String>,
    pub by: String,
    pub reason: String,
    pub planned: bool,
    /// When it ends by itself (`None`: by `evacuate --end`).
    #[serde(with = "wall::opt", default)]
    pub until: Option<SystemTime>,
    /// When it started (epoch milliseconds).
    pub started_ms: i64,
    pub plan: EvacuationPlan,
}

/// What to do with one wave (0: the services that stay or are refused).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaveStep {
    /// Ended before the restart: its outcomes, as journaled.
    Done { wave: usize, outcomes: Outcomes },
    /// Give the command to `send` (every other service of the wave has it
    /// already), then wait for the wave's moves.
    Run { wave: usize, send: Vec<String> },
    /// Not to be sent: the evacuation is over.
    Skip { wave: usize, why: String },
}

impl EvacuationRun {
    /// Every wave of a run just started: each is sent to all its services.
    pub fn fresh(&self) -> Vec<WaveStep> {
        self.resume(&BTreeMap::new(), &BTreeSet::new(), None)
    }

    /// The waves left after a restart: `ended` holds the outcomes of each
    /// wave journaled as ended, `holding` the services whose controller
    /// holds this evacuation, `now` the wall time (past `until`, nothing
    /// more is sent).
    pub fn resume(
        &self,
        ended: &BTreeMap<usize, Outcomes>,
        holding: &BTreeSet<String>,
        now: Option<SystemTime>,
    ) -> Vec<WaveStep> {
        let over = now.is_some_and(|n| self.until.is_some_and(|u| u <= n));
        (0..=self.plan.waves())
            .map(|wave| {
                if let Some(outcomes) = ended.get(&wave) {
                    return WaveStep::Done {
                        wave,
                        outcomes: outcomes.clone(),
                    };
                }
                if over {
                    let why = "not started: the evacuation ended first".to_owned();
                    return WaveStep::Skip { wave, why };
                }
                let send = self
                    .rows_of(wave)
                    .filter(|s| !holding.contains(*s))
                    .map(str::to_owned)
                    .collect();
                WaveStep::Run { wave, send }
            })
            .collect()
    }

    /// The services of `wave` (0: those that stay or are refused).
    pub fn rows_of(&self, wave: usize) -> impl Iterator<Item = &str> {
        self.plan
            .rows
            .iter()
            .filter(move |row| match row.step {
                Step::Move { wave: w, .. } => w == wave,
                _ => wave == 0,
            })
            .map(|row| row.service.as_str())
    }
}

/// The latest run in `runs` (oldest first), when it has no report yet (an
/// older one left unfinished is never taken up again: a newer one followed).
pub fn unfinished(
    runs: Vec<EvacuationRun>,
    reported: impl Fn(&str) -> bool,
) -> Option<EvacuationRun> {
    runs.into_iter().last().filter(|r| !reported(&r.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::PoolHealth;
    use crate::controller::evacuation::{Candidate, PoolPlace, plan};

    fn candidate(service: &str) -> Candidate {
        let pool = |name: &str, region: &str| PoolPlace {
            name: name.into(),
            region: region.into(),
            health: PoolHealth::Up,
        };
        Candidate {
            service: service.into(),
            active: Some("primary".into()),
            pools: vec![pool("primary", "eu"), pool("standby", "us")],
        }
    }

    fn run(until: Option<SystemTime>) -> EvacuationRun {
        let cands: Vec<_> = ["api", "checkout", "web"].map(candidate).into();
        EvacuationRun {
            id: "evac-eu-1".into(),
            region: "eu".into(),
            group: None,
            by: "user:ops".into(),
            reason: "bad deploy".into(),
            planned: false,
            until,
            started_ms: 0,
            plan: plan("eu", &cands, 1),
        }
    }

    fn moved() -> Outcomes {
        [("api".to_owned(), ("moved".to_owned(), Some(900)))].into()
    }

    #[test]
    fn a_fresh_run_sends_every_wave_to_all_its_services() {
        let steps = run(None).fresh();
        assert_eq!(steps.len(), 4);
        assert_eq!(
            steps[0],
            WaveStep::Run {
                wave: 0,
                send: vec![]
            }
        );
        assert_eq!(
            steps[2],
            WaveStep::Run {
                wave: 2,
                send: vec!["checkout".into()]
            }
        );
    }

    #[test]
    fn after_a_restart_ended_waves_keep_their_outcomes_and_the_rest_are_sent() {
        let ended = [(0, Outcomes::new()), (1, moved())].into();
        let holding = ["api".to_owned()].into();
        let steps = run(None).resume(&ended, &holding, Some(SystemTime::now()));
        assert_eq!(
            steps[1],
            WaveStep::Done {
                wave: 1,
                outcomes: moved()
            }
        );
        assert_eq!(
            steps[2],
            WaveStep::Run {
                wave: 2,
                send: vec!["checkout".into()]
            }
        );
        assert_eq!(
            steps[3],
            WaveStep::Run {
                wave: 3,
                send: vec!["web".into()]
            }
        );
    }

    #[test]
    fn a_wave_begun_before_the_restart_is_not_sent_twice() {
        let ended = [(0, Outcomes::new()), (1, moved())].into();
        let holding = ["api".to_owned(), "checkout".to_owned()].into();
        let steps = run(None).resume(&ended, &holding, Some(SystemTime::now()));
        assert_eq!(
            steps[2],
            WaveStep::Run {
                wave: 2,
                send: vec![]
            }
        );
    }

    #[test]
    fn past_its_end_nothing_more_is_sent() {
        let end = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(100);
        let ended = [(0, Outcomes::new()), (1, moved())].into();
        let steps = run(Some(end)).resume(&ended, &BTreeSet::new(), Some(SystemTime::now()));
        assert!(matches!(steps[1], WaveStep::Done { .. }));
        assert!(matches!(&steps[2], WaveStep::Skip { wave: 2, why } if why.contains("ended")));
        assert!(matches!(steps[3], WaveStep::Skip { wave: 3, .. }));
    }

    #[test]
    fn only_the_latest_run_is_resumed_and_only_without_its_report() {
        let mut older = run(None);
        older.id = "evac-eu-0".into();
        let newer = run(None);
        let runs = vec![older.clone(), newer.clone()];
        assert_eq!(unfinished(runs.clone(), |_| false), Some(newer));
        assert_eq!(unfinished(runs, |id| id == "evac-eu-1"), None);
    }
}
