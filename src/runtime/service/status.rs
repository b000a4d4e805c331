//! The journal entries a service writes, and its status for `rtoguard status`.

use tokio::time::Instant;
use tracing::error;

use super::ServiceTask;
use crate::control::{DaemonService, ServiceEndpoint, ServicePool, VantageState};
use crate::controller::Durable;
use crate::journal::{Event, Source};

impl ServiceTask {
    pub(super) fn journal_event(&self, event: Event) {
        self.journal_event_as(&self.actor, event);
    }

    /// An event recorded as `actor`'s, in the open incident; a change of
    /// the core's durable state it carries is written with it, in one
    /// transaction.
    pub(super) fn journal_event_as(&self, actor: &str, event: Event) {
        let incident = self.incident_id().map(str::to_owned);
        self.journal_event_in(incident.as_deref(), actor, event);
    }

    /// The same, in incident `incident` (one that just closed).
    pub(super) fn journal_event_in(&self, incident: Option<&str>, actor: &str, event: Event) {
        let src = Source {
            service: &self.svc.name,
            incident,
            actor,
        };
        if let Err(err) = self.journal.record(src, &event) {
            error!(service = %self.svc.name, error = %err, "Journal write failed.");
        }
    }

    /// The core's durable state, rebuilt from the journal's typed events.
    /// A journal that cannot be read restores nothing, loudly.
    pub(super) fn restore_durable(&self) -> Durable {
        match self.journal.core_events(&self.svc.name) {
            Ok(changes) => Durable::replay(changes),
            Err(e) => {
                error!(service = %self.svc.name, error = %e, "Cannot read the durable state from the journal; starting without it.");
                Durable::default()
            }
        }
    }

    pub(super) fn provider_error(&self) -> String {
        match &self.provider {
            Ok(_) => "provider unreachable".into(),
            Err(e) => e.clone(),
        }
    }

    /// The service as `rtoguard status` shows it.
    pub fn status(&self) -> DaemonService {
        let pools = self
            .pools
            .iter()
            .map(|(name, v)| {
                let endpoints = v
                    .endpoints()
                    .map(|(e, h)| ServiceEndpoint {
                        endpoint: e.to_string(),
                        state: h.state(),
                        failing: h.failing(),
                        last: h.last_detail().to_string(),
                        local: h.local().map(str::to_string),
                    })
                    .collect();
                let (health, quorum) = self
                    .reported
                    .get(name)
                    .cloned()
                    .unwrap_or((crate::controller::PoolHealth::Unknown, None));
                ServicePool {
                    name: name.clone(),
                    health,
                    local: v.health(),
                    quorum,
                    endpoints,
                }
            })
            .collect();
        let now = Instant::now();
        DaemonService {
            service: self.name().to_string(),
            record: self.svc.records_label(),
            provider: self.svc.provider.clone(),
            provider_error: (!self.started).then(|| self.provider_error()),
            controller: self.controller.status(),
            pools,
            busy: self.inflight.as_ref().map(|f| f.what.clone()),
            incident: self.incident_id().map(str::to_owned),
            peers: self
                .links
                .vantages
                .peers
                .as_ref()
                .map(|p| p.snapshot().iter().map(|v| v.status(now)).collect()),
            short_of_quorum: self.short_of_quorum,
            journal_error: self.journal_fault.clone(),
            vantage: VantageState {
                id: self.links.vantages.id.clone(),
                impaired: self.impairment(),
            },
            // Filled in by the daemon from the service's readiness.
            ready: false,
            not_ready: Vec::new(),
        }
    }
}
