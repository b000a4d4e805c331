//! Probe results into pool health: local hysteresis, then the quorum of
//! vantages, then the controller; and the observations peers pull from us.

use tokio::time::Instant;
use tracing::{info, warn};

use super::ServiceTask;
use crate::controller::{Event, PoolHealth};
use crate::probe::ProbeResult;

impl ServiceTask {
    pub(super) fn on_probe(&mut self, pool: &str, endpoint: &str, r: ProbeResult) {
        self.windows.note(pool, endpoint, &r);
        // The vantage's impairment can only move when this endpoint's last
        // result turns local or real: only then are all endpoints looked at.
        let turns = self
            .pools
            .get(pool)
            .and_then(|v| v.endpoint(endpoint))
            .is_some_and(|e| e.local().is_some() != r.local.is_some());
        let was_impaired = turns.then(|| self.impairment().is_some());
        let Some(view) = self.pools.get_mut(pool) else {
            return;
        };
        let before = view.endpoint(endpoint).map(|e| (e.state(), e.failing()));
        let settled = view.endpoint(endpoint).map(|e| e.settled());
        let (m, vantage) = (&self.links.metrics, &self.links.vantages.id);
        if r.local.is_some() {
            m.probe_local(&self.svc.name, pool, endpoint, vantage);
        } else {
            m.probe(&self.svc.name, pool, endpoint, vantage, r.ok, r.latency);
        }
        if let Some(state) = view.observe(endpoint, &r) {
            m.set_observation(&self.svc.name, pool, endpoint, vantage, state);
            // A hysteresis transition is news; Unknown while we cannot probe
            // (and back) is the vantage's, said once by observe_impaired.
            if view.endpoint(endpoint).map(|e| e.settled()) != settled {
                info!(service = %self.svc.name, pool, endpoint, state = %words(state), detail = %r.detail, "Endpoint state changed.");
            } else {
                tracing::debug!(service = %self.svc.name, pool, endpoint, state = %words(state), detail = %r.detail, "Endpoint visibility from this vantage changed.");
            }
        } else if !r.ok {
            tracing::debug!(service = %self.svc.name, pool, endpoint, detail = %r.detail, "Probe failed.");
        }
        let moved = view.endpoint(endpoint).map(|e| (e.state(), e.failing())) != before;
        if let Some(was) = was_impaired {
            let impaired = self.impairment();
            if impaired.is_some() != was {
                self.observe_impaired(impaired.as_deref());
            }
        }
        // Only what this probe can have changed: our published view when the
        // endpoint's verdict moved, and the verdict on its own pool. The
        // interval tick re-judges everything (peers going stale, drills).
        let now = Instant::now();
        if moved {
            tracing::debug!(service = %self.svc.name, pool, endpoint, "Observations published.");
            self.publish(now);
        }
        self.judge(pool, now, Some(&r.detail));
    }

    /// Recompute every pool's health (local view, then quorum), publish our
    /// observations, and tell the controller what changed.
    pub(super) fn reevaluate(&mut self, detail: Option<&str>) {
        let now = Instant::now();
        self.publish(now);
        let names: Vec<String> = self.svc.pools.iter().map(|p| p.name.clone()).collect();
        let mut short = false;
        for pool in names {
            short |= self.judge(&pool, now, detail);
        }
        self.warn_short_of_quorum(short);
        self.links
            .metrics
            .set_quorum_insufficient(&self.svc.name, short);
        if let Some(peers) = &self.links.vantages.peers {
            for p in peers.snapshot() {
                self.links.metrics.peer_clock_skew(&p.id, p.skew_ms);
                if let Some(at) = p.last_ok_wall {
                    self.links.metrics.peer_success(&p.id, at);
                }
            }
        }
        self.links.metrics.set_vantage_impaired(
            &self.links.vantages.id,
            &self.svc.name,
            self.impairment().is_some(),
        );
        self.hear_peers();
    }

    /// Probe now every endpoint a peer has just started to doubt while
    /// this vantage sees it up and passing (see `peers::doubted`).
    pub(super) fn probe_doubted(&mut self) {
        let Some(peers) = &self.links.vantages.peers else {
            return;
        };
        let max_age = self.links.vantages.rules.max_age;
        let doubted =
            crate::peers::doubted(&self.svc.name, &peers.snapshot(), Instant::now(), max_age);
        let passing = |pool: &str, endpoint: &str| {
            let e = self.pools.get(pool).and_then(|v| v.endpoint(endpoint));
            e.is_some_and(|e| e.state() == crate::probe::EndpointState::Up && !e.failing())
        };
        for (pool, endpoint) in crate::peers::to_probe_now(&self.doubted, &doubted, passing) {
            if self.links.probe_now.poke(&self.svc.name, &pool, &endpoint) {
                tracing::debug!(service = %self.svc.name, pool, endpoint, "A peer sees this endpoint failing; probing it now.");
            }
        }
        self.doubted = doubted;
    }

    /// Why this vantage cannot probe some endpoint of this service now
    /// (its last result there was a local failure), if it cannot.
    pub(super) fn impairment(&self) -> Option<String> {
        self.pools
            .values()
            .find_map(|v| v.local())
            .map(str::to_string)
    }

    /// One pool's verdict; when it changed, journal it and tell the
    /// controller. Returns whether the pool is short of a quorum of fresh
    /// vantages.
    fn judge(&mut self, pool: &str, now: Instant, detail: Option<&str>) -> bool {
        let mut local = self
            .pools
            .get(pool)
            .map_or(PoolHealth::Unknown, |v| v.health());
        if self.controller.simulated_down() == Some(pool) {
            // A drill's simulated fault: this vantage says down, probes or not.
            local = PoolHealth::Down;
        }
        let (health, verdict) = self
            .links
            .vantages
            .verdict(&self.svc.name, pool, local, now);
        let short = verdict.as_ref().is_some_and(|v| v.fresh < v.quorum);
        let was = self.reported.get(pool).map_or(PoolHealth::Unknown, |r| r.0);
        let changed = was != health || !self.reported.contains_key(pool);
        match self.reported.get_mut(pool) {
            Some(r) => *r = (health, verdict.clone()),
            None => {
                self.reported
                    .insert(pool.to_string(), (health, verdict.clone()));
            }
        }
        if !changed {
            return short;
        }
        tracing::debug!(service = %self.svc.name, pool, health = %health, was = %was, "Pool verdict changed.");
        self.links
            .metrics
            .set_pool_health(&self.svc.name, pool, health);
        // `vantages`: who backs this verdict (the report names them);
        // `quorum`: the whole tally. Journaled after the controller took
        // the verdict, so it lands in the incident the verdict opened.
        let vantages = verdict.as_ref().map(|v| backing(v, health));
        let tally = verdict.as_ref().map(crate::journal::Tally::from);
        let observation = crate::journal::Event::Observation {
            pool: pool.to_string(),
            health,
            was,
            detail: detail.map(str::to_string),
            vantages,
            tally,
        };
        let note = |t: &Self| t.journal_event(observation);
        if self.started {
            let event = Event::PoolHealth {
                pool: pool.to_string(),
                health,
            };
            self.feed_noting(event, note);
        } else {
            note(self);
        }
        short
    }

    fn warn_short_of_quorum(&mut self, short: bool) {
        if short && !self.short_of_quorum {
            let r = self.links.vantages.rules;
            warn!(service = %self.svc.name, quorum = r.quorum, vantages = r.vantages, "Too few fresh vantages to reach quorum: nothing moves automatically until peers are heard again.");
            self.journal_event(crate::journal::Event::Alert {
                level: crate::controller::AlertLevel::Warning,
                message: format!(
                    "too few fresh vantages for a quorum of {}: automation is on hold",
                    r.quorum
                ),
            });
        } else if !short && self.short_of_quorum {
            info!(service = %self.svc.name, "Quorum of fresh vantages restored.");
        }
        self.short_of_quorum = short;
    }

    /// Our own view of this service (and our last flip), for peers that pull it.
    pub(super) fn publish(&self, now: Instant) {
        let now_ms = crate::journal::now_ms();
        let mut obs = crate::peers::service_obs(&self.svc.name, &self.pools, now, now_ms);
        obs.last_write = self.last_write.clone();
        obs.served = self.controller.served().map(|d| crate::peers::Served {
            pool: d.pool.clone(),
            at_ms: super::voice::wall_ms(d.at),
            by: d.by.clone(),
            incident: d.incident.clone(),
        });
        self.links.vantages.publish.send_modify(|o| {
            o.upsert(obs);
            o.generated_at_ms = now_ms;
        });
    }
}

/// An endpoint state in words: `up`, `down`, `unknown`.
fn words(state: crate::probe::EndpointState) -> &'static str {
    match state {
        crate::probe::EndpointState::Up => "up",
        crate::probe::EndpointState::Down => "down",
        crate::probe::EndpointState::Unknown => "unknown",
    }
}

/// The vantages whose votes make `health`: those saying down for Down, up
/// for Up, down or suspect for Suspect.
fn backing(v: &crate::peers::QuorumVerdict, health: PoolHealth) -> Vec<String> {
    match health {
        PoolHealth::Down => v.down.clone(),
        PoolHealth::Up => v.up.clone(),
        PoolHealth::Suspect => v.down.iter().chain(&v.suspect).cloned().collect(),
        PoolHealth::Unknown => Vec::new(),
    }
}
