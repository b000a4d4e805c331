//! The journal entries a service writes, and its status for `rtoguard status`.

use serde_json::{Value, json};
use tokio::time::Instant;
use tracing::error;

use super::ServiceTask;
use crate::controller::Durable;
use crate::journal::{JournalEvent, NewEntry};

impl ServiceTask {
    pub(super) fn journal_entry(&self, kind: &str, message: &str, detail: Value) {
        let e = NewEntry {
            service: &self.svc.name,
            incident: self.incident.as_deref(),
            kind,
            actor: &self.actor,
            message: message.to_string(),
            detail,
        };
        if let Err(err) = self.journal.append(e) {
            error!(service = %self.svc.name, error = %err, "Journal write failed.");
        }
    }

    /// An entry with the change of the core's durable state it records, in
    /// one transaction.
    pub(super) fn journal_change(
        &self,
        kind: &str,
        actor: &str,
        message: &str,
        detail: Value,
        event: JournalEvent,
    ) {
        let e = NewEntry {
            service: &self.svc.name,
            incident: self.incident.as_deref(),
            kind,
            actor,
            message: message.to_string(),
            detail,
        };
        if let Err(err) = self.journal.append_with_event(e, &event) {
            error!(service = %self.svc.name, error = %err, "Journal write of a durable change failed.");
        }
    }

    /// The core's durable state, rebuilt from the journal's typed events.
    /// A journal that cannot be read restores nothing, loudly.
    pub(super) fn restore_durable(&self) -> Durable {
        match self.journal.core_events(&self.svc.name) {
            Ok(events) => Durable::replay(events.into_iter().map(JournalEvent::into_change)),
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
    pub fn status(&self) -> Value {
        let pools: Vec<Value> = self
            .pools
            .iter()
            .map(|(name, v)| {
                let eps: Vec<Value> = v.endpoints().map(|(e, h)| json!({ "endpoint": e, "state": format!("{:?}", h.state()).to_lowercase(), "failing": h.failing(), "last": h.last_detail(), "local": h.local() })).collect();
                let (health, quorum) = self.reported.get(name).cloned().unwrap_or((crate::controller::PoolHealth::Unknown, None));
                json!({ "name": name, "health": health.to_string(), "local": format!("{:?}", v.health()).to_lowercase(), "quorum": quorum, "endpoints": eps })
            })
            .collect();
        json!({
            "service": self.name(),
            "record": self.svc.record,
            "provider": self.svc.provider,
            "provider_error": (!self.started).then(|| self.provider_error()),
            "controller": self.controller.status(),
            "pools": pools,
            "busy": self.inflight.as_ref().map(|f| f.what.clone()),
            "incident": self.incident,
            "peers": self.links.vantages.peers.as_ref().map(|p| p.snapshot().iter().map(|v| v.status(Instant::now())).collect::<Vec<_>>()),
            "short_of_quorum": self.short_of_quorum,
            "vantage": { "id": self.links.vantages.id, "impaired": self.impairment() },
        })
    }
}
