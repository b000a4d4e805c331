//! Metrics and notifications at the moments that matter: probes, health
//! changes, incident start, flips, TTL changes, recovery, RTO missed.

use std::time::Duration;

use super::ServiceTask;
use crate::controller::{Action, Event, Incident, Initiator, PoolHealth};
use crate::metrics::IncidentKind;
use crate::notify;

impl ServiceTask {
    /// An incident opened: counted by kind; an outage is told to people,
    /// naming the vantages that saw the pool in trouble.
    pub(super) fn observe_incident_start(
        &self,
        incident: &Incident,
        pool: Option<&str>,
        health: Option<PoolHealth>,
    ) {
        let kind = match incident.kind {
            crate::controller::IncidentKind::Outage => IncidentKind::Incident,
            crate::controller::IncidentKind::Operator => IncidentKind::Manual,
            crate::controller::IncidentKind::Drill => IncidentKind::Drill,
        };
        self.links.metrics.incident_started(&self.svc.name, kind);
        let (Some(pool), Some(health)) = (pool, health) else {
            return;
        };
        let seen_by = self
            .reported
            .get(pool)
            .and_then(|r| r.1.as_ref())
            .map(|v| [v.down.clone(), v.suspect.clone()].concat())
            .unwrap_or_else(|| vec![self.links.vantages.id.clone()]);
        self.links.notify.send(notify::Event::incident(
            &self.svc.name,
            &incident.id,
            pool,
            &health.to_string(),
            &seen_by,
        ));
    }

    /// A provider call finished: count flips, publish the TTL and the active pool.
    pub(super) fn observe_done(&self, action: &Action, event: &Event) {
        let m = &self.links.metrics;
        let pools: Vec<&str> = self.svc.pools.iter().map(|p| p.name.as_str()).collect();
        match (action, event) {
            (
                Action::Flip {
                    from,
                    reason,
                    by,
                    ttl,
                    ..
                },
                Event::Flipped { to },
            ) => {
                let reason = serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{reason:?}").to_lowercase());
                m.flip(&self.svc.name, &reason, *by == Initiator::Operator);
                m.set_active_pool(&self.svc.name, Some(to), &pools);
                m.set_ttl(&self.svc.name, *ttl);
                let confirmed: Vec<String> = self
                    .reported
                    .get(from.as_deref().unwrap_or_default())
                    .and_then(|r| r.1.as_ref())
                    .map(|v| v.down.clone())
                    .unwrap_or_else(|| vec![self.links.vantages.id.clone()]);
                let incident = self.incident_id().unwrap_or_default();
                self.links.notify.send(notify::Event::flip(
                    &self.svc.name,
                    incident,
                    from.as_deref(),
                    to,
                    &reason,
                    &confirmed,
                ));
            }
            // An adoption is not a flip of ours: no flip counted, no webhook.
            (Action::Adopt { ttl, .. }, Event::Flipped { to }) => {
                m.set_active_pool(&self.svc.name, Some(to), &pools);
                m.set_ttl(&self.svc.name, *ttl);
            }
            (_, Event::TtlApplied { ttl }) => m.set_ttl(&self.svc.name, *ttl),
            (_, Event::ProviderState { active, ttl }) => {
                m.set_active_pool(&self.svc.name, active.as_deref(), &pools);
                m.set_ttl(&self.svc.name, *ttl);
            }
            _ => {}
        }
    }

    /// The incident closed: recovery time against the RTO (the controller
    /// said "RTO missed" before, when it was).
    pub(super) fn observe_recovery(&self, id: &str, pool: &str, took: Duration) {
        let m = &self.links.metrics;
        m.incident_recovered(&self.svc.name, took, self.svc.rto);
        m.incident_ended(&self.svc.name);
        self.links.notify.send(notify::Event::recovery(
            &self.svc.name,
            id,
            pool,
            took,
            self.svc.rto,
        ));
    }

    /// This vantage became impaired (`Some(reason)`) or recovered (`None`):
    /// said once per episode, in the log, the journal, the gauge and a webhook.
    pub(super) fn observe_impaired(&self, reason: Option<&str>) {
        let (service, vantage) = (&self.svc.name, &self.links.vantages.id);
        self.links
            .metrics
            .set_vantage_impaired(vantage, service, reason.is_some());
        match reason {
            Some(reason) => {
                tracing::warn!(%service, %vantage, reason, "Vantage impaired: probes cannot run here; its endpoints count as unknown, never down.");
                self.journal_event(crate::journal::Event::VantageImpaired {
                    vantage: vantage.clone(),
                    reason: reason.to_string(),
                });
                let e = notify::Event::vantage_impaired(service, vantage, reason);
                self.links.notify.send(e);
            }
            None => {
                tracing::info!(%service, %vantage, "Vantage recovered: probes run again.");
                self.journal_event(crate::journal::Event::VantageRecovered {
                    vantage: vantage.clone(),
                });
                let e = notify::Event::vantage_recovered(service, vantage);
                self.links.notify.send(e);
            }
        }
    }

    /// The propagation phases of a finished incident's report.
    pub(super) fn observe_phases(&self, r: &crate::report::Report) {
        use crate::metrics::Phase;
        use crate::report::PhaseName;
        for p in &r.phases {
            let phase = match p.name {
                PhaseName::ProviderApply => Phase::ProviderSync,
                PhaseName::Authoritative => Phase::Authoritative,
                PhaseName::ResolverCaches => Phase::Resolver,
                PhaseName::Clients => Phase::Client,
                PhaseName::Detection | PhaseName::TtlDrain => continue,
            };
            let ms = u64::try_from(p.duration_ms).unwrap_or(0);
            self.links
                .metrics
                .propagation_phase(&self.svc.name, phase, Duration::from_millis(ms));
        }
    }

    /// The controller found the incident older than the RTO (once).
    pub(super) fn observe_rto_missed(&self, id: &str, elapsed: Duration, rto: Duration) {
        tracing::error!(service = %self.svc.name, incident = %id, rto_s = rto.as_secs(), "RTO missed: the incident is still open.");
        let e = notify::Event::rto_missed(&self.svc.name, id, elapsed, rto);
        self.links.notify.send(e);
    }
}
