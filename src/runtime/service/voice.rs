//! One voice across controllers: the writer order handed to the
//! controller, this controller's flips published to its peers, and the
//! peers' published flips handed to the controller (which decides who
//! speaks for an incident; see `controller::Voice`).

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::ServiceTask;
use crate::config::Service;
use crate::controller::{Action, Decision, Event, Local, PeerWrite};
use crate::peers::LastWrite;
use crate::runtime::vantages::Vantages;

/// Who comes first in the writer order for each pool, and how long a view
/// waits for the writer's name. Without peers this controller speaks alone.
pub(super) fn set_up(local: &mut Local, svc: &Service, vantages: &Vantages) {
    local.id = vantages.id.clone();
    if vantages.peers.is_none() {
        return;
    }
    for p in &svc.pools {
        if let Some(first) = vantages.first_writer(Some(&p.region)) {
            local.first_writer.insert(p.name.clone(), first);
        }
    }
    local.first_writer_otherwise = vantages.first_writer(None);
    // The writer publishes its flip with its next observations, pulled
    // every interval; a grace period is ample.
    local.name_wait = vantages.grace;
}

impl ServiceTask {
    /// After a provider call: a flip this controller wrote is published to
    /// its peers at once, with the incident it belongs to.
    pub(super) fn publish_own_write(&mut self, action: &Action, event: &Event) {
        let (Action::Flip { .. }, Event::Flipped { to }) = (action, event) else {
            return;
        };
        self.last_write = Some(LastWrite {
            pool: to.clone(),
            at_ms: crate::journal::now_ms(),
            incident: self.incident_id().map(str::to_owned),
        });
        self.publish(Instant::now());
    }

    /// Hand every peer's newly published flip, and the decision it serves,
    /// to the controller (which names the writer of an incident, and adopts
    /// a newer decision when the records are served here).
    pub(super) fn hear_peers(&mut self) {
        let mut events = Vec::new();
        for (peer, svc) in self.peer_services() {
            if let Some(w) = svc.last_write
                && self.peer_writes.get(&peer) != Some(&w.at_ms)
            {
                self.peer_writes.insert(peer.clone(), w.at_ms);
                events.push(Event::PeerWrite(PeerWrite {
                    by: peer.clone(),
                    pool: w.pool,
                    at: wall_of(w.at_ms),
                    incident: w.incident,
                }));
            }
            if let Some(d) = svc.served {
                let key = (d.by.clone(), d.at_ms);
                if self.peer_decisions.get(&peer) != Some(&key) {
                    self.peer_decisions.insert(peer, key);
                    events.push(Event::PeerDecision(Decision {
                        pool: d.pool,
                        at: wall_of(d.at_ms),
                        by: d.by,
                        incident: d.incident,
                    }));
                }
            }
        }
        for e in events {
            self.feed(e);
        }
    }

    /// Each peer's latest observations of this service, once started.
    fn peer_services(&self) -> Vec<(String, crate::peers::ServiceObs)> {
        let Some(peers) = &self.links.vantages.peers else {
            return Vec::new();
        };
        if !self.started {
            return Vec::new();
        }
        peers
            .snapshot()
            .into_iter()
            .filter_map(|view| {
                let obs = view.obs?;
                let svc = obs
                    .services
                    .into_iter()
                    .find(|s| s.service == self.svc.name)?;
                Some((view.id, svc))
            })
            .collect()
    }
}

/// A published wall-clock time (ms since the epoch) as a `SystemTime`.
fn wall_of(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// A `SystemTime` as published: ms since the epoch.
pub(super) fn wall_ms(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
