//! At start-up, an evacuation a restart interrupted goes on: the core's
//! [`EvacuationRun::resume`] says which waves are left from the journal,
//! and [`drive`] carries them out.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use tracing::{info, warn};

use super::evacuation_run::{drive, note};
use super::evacuation_talk::{Target, statuses};
use super::generation::Generation;
use crate::control::DaemonService;
use crate::controller::evacuation_resume::{EvacuationRun, unfinished};
use crate::journal::Event as JournalEvent;

/// How long the services are waited for (health known) before the waves left go out anyway.
const READY_WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(250);

impl Generation {
    /// Goes on with the latest evacuation when it has no report yet.
    pub(super) fn resume_evacuation(&self) {
        let journal = self.shared.journal.clone();
        let latest = match journal.latest_evacuation() {
            Ok(latest) => latest,
            Err(error) => {
                warn!(%error, "Cannot read the journal's evacuations: none is resumed.");
                return;
            }
        };
        let reported = |id: &str| !matches!(journal.report(id), Ok(None));
        let Some(ev) = unfinished(latest.into_iter().collect(), reported) else {
            return;
        };
        let names: Vec<String> = ev.plan.rows.iter().map(|r| r.service.clone()).collect();
        let targets = self.targets(&names, ev.planned);
        tokio::spawn(async move {
            let statuses = ready(&targets).await;
            let holding: BTreeSet<String> = statuses
                .iter()
                .filter(|s| holds(s, &ev))
                .map(|s| s.service.clone())
                .collect();
            let ended = journal.evacuation_waves(&ev.id).unwrap_or_else(|error| {
                warn!(id = ev.id, %error, "Cannot read the evacuation's waves: each is taken as not ended.");
                Default::default()
            });
            let steps = ev.resume(&ended, &holding, Some(SystemTime::now()));
            info!(
                id = ev.id,
                region = ev.region,
                waves_ended = ended.len(),
                "Evacuation resumed after a restart."
            );
            note(
                &journal,
                &ev,
                JournalEvent::EvacuationPlanned {
                    run: ev.clone(),
                    resumed: true,
                },
            );
            drive(ev, steps, targets, journal, None).await;
        });
    }
}

fn holds(s: &DaemonService, ev: &EvacuationRun) -> bool {
    s.controller
        .evacuation
        .as_ref()
        .is_some_and(|e| e.id == ev.id)
}

/// The controller started (the provider read) and knows every pool's health.
fn judged(s: &DaemonService) -> bool {
    s.controller.started
        && s.controller
            .pools
            .iter()
            .all(|p| p.health != crate::controller::PoolHealth::Unknown)
}

/// Every service's status once each is [`judged`], or after [`READY_WAIT`] (a controller not ready
/// then refuses, naming why, and its row says so).
async fn ready(targets: &[Target]) -> Vec<DaemonService> {
    let start = tokio::time::Instant::now();
    loop {
        let now = statuses(targets).await;
        if now.iter().all(judged) || start.elapsed() > READY_WAIT {
            return now;
        }
        tokio::time::sleep(POLL).await;
    }
}
