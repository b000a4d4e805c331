//! Reading an evacuation's run back: its journaled plan and waves.

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;

use super::{Entry, Event, Journal, JournalError, row_to_entry};
use crate::controller::evacuation_resume::{EvacuationRun, Outcomes};

impl Journal {
    /// The latest evacuation planned, if any.
    pub fn latest_evacuation(&self) -> Result<Option<EvacuationRun>, JournalError> {
        let entry: Option<Entry> = self.with(|c| {
            c.query_row(
                "SELECT seq, at_ms, service, incident, kind, actor, message, detail FROM entries WHERE kind = 'evacuation-planned' ORDER BY seq DESC LIMIT 1",
                [],
                row_to_entry,
            )
            .optional()
        })?;
        Ok(entry.and_then(|e| match e.event() {
            Some(Event::EvacuationPlanned { run, .. }) => Some(run),
            _ => None,
        }))
    }

    /// The waves of evacuation `id` journaled as ended, with their outcomes.
    pub fn evacuation_waves(&self, id: &str) -> Result<BTreeMap<usize, Outcomes>, JournalError> {
        let waves = self
            .incident_entries(id)?
            .iter()
            .filter_map(|e| match e.event() {
                Some(Event::EvacuationWave {
                    evacuation,
                    wave,
                    outcomes,
                }) if evacuation == id => Some((wave, outcomes)),
                _ => None,
            })
            .collect();
        Ok(waves)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::PoolHealth;
    use crate::controller::evacuation::{Candidate, PoolPlace, plan};
    use crate::journal::Source;

    #[test]
    fn an_evacuations_plan_and_waves_read_back_from_the_journal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let j = Journal::open(dir.path()).expect("journal");
        let pools = vec![
            PoolPlace {
                name: "primary".into(),
                region: "eu".into(),
                health: PoolHealth::Up,
            },
            PoolPlace {
                name: "standby".into(),
                region: "us".into(),
                health: PoolHealth::Up,
            },
        ];
        let cands = [Candidate {
            service: "api".into(),
            active: Some("primary".into()),
            pools,
        }];
        let run = EvacuationRun {
            id: "evac-eu-1".into(),
            region: "eu".into(),
            group: Some("frontends".into()),
            by: "user:ops".into(),
            reason: "bad deploy".into(),
            planned: false,
            until: None,
            started_ms: 1,
            plan: plan("eu", &cands, 1),
        };
        let src = Source {
            service: "frontends",
            incident: Some("evac-eu-1"),
            actor: "user:ops",
        };
        assert_eq!(j.latest_evacuation().expect("read"), None);
        let planned = Event::EvacuationPlanned {
            run: run.clone(),
            resumed: false,
        };
        j.record(src, &planned).expect("record");
        let outcomes: Outcomes = [("api".to_owned(), ("moved".to_owned(), Some(5)))].into();
        let wave = Event::EvacuationWave {
            evacuation: run.id.clone(),
            wave: 1,
            outcomes: outcomes.clone(),
        };
        j.record(src, &wave).expect("record");
        assert_eq!(j.latest_evacuation().expect("read"), Some(run));
        assert_eq!(
            j.evacuation_waves("evac-eu-1").expect("read"),
            [(1, outcomes)].into()
        );
    }
}
