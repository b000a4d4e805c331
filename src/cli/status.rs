//! `rtoguard status`: every service, through the daemon when one runs, else
//! read from the providers; one versioned JSON schema either way
//! (docs/status-json.md) and one text form.

use std::process::ExitCode;

use serde::Serialize;

use super::shared::fail_msg;
use crate::config::{Config, Service};
use crate::control::{Client, DaemonService, ServiceEndpoint, ServicePool, VantageState};
use crate::controller::{Durable, PoolHealth};
use crate::journal::Journal;
use crate::ops::ServiceStatus;
use crate::plan::Active;
use crate::probe::EndpointState;

/// The version of `status --json`: raised when a key changes meaning or goes.
pub const SCHEMA: u32 = 1;

/// Where a status came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The running daemon: health, votes, peers and pins are known.
    Daemon,
    /// No daemon: the provider was read by this command; health is not probed.
    Provider,
}

/// The TTLs the config gives the service, to set against the served one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConfiguredTtl {
    pub normal: u32,
    pub lowered: u32,
}

/// One service as `status` prints it: the daemon's view (or what the
/// provider alone tells) with the schema version and the config's TTLs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusView {
    pub schema: u32,
    pub source: Source,
    pub configured_ttl: ConfiguredTtl,
    /// The values the provider serves, as read by this command (`None`
    /// through the daemon, whose `controller.active` says which pool).
    pub served_values: Option<Vec<String>>,
    #[serde(flatten)]
    pub service: DaemonService,
}

impl StatusView {
    fn new(svc: &Service, source: Source, service: DaemonService) -> Self {
        Self {
            schema: SCHEMA,
            source,
            configured_ttl: ConfiguredTtl {
                normal: svc.ttl.normal,
                lowered: svc.ttl.lowered,
            },
            served_values: None,
            service,
        }
    }
}

/// The services of the daemon's status, or `None` when no daemon runs.
pub async fn from_daemon(
    cfg: &Config,
    only: Option<&str>,
) -> Option<Result<Vec<StatusView>, ExitCode>> {
    let reply = match Client::new(&cfg.controller.control_socket).status().await {
        Ok(r) => r,
        Err(e) if e.is_no_daemon() => return None,
        Err(e) => return Some(Err(fail_msg(&e.to_string(), 1))),
    };
    let views = reply
        .services
        .into_iter()
        .filter(|s| only.is_none_or(|n| s.service == n))
        .filter_map(|s| {
            let svc = cfg.service(&s.service)?;
            Some(StatusView::new(svc, Source::Daemon, s))
        })
        .collect();
    Some(Ok(views))
}

/// A service read from its provider alone, in the daemon's shape: health
/// unknown (nothing probes), no peers, no pin known.
pub fn from_provider(
    cfg: &Config,
    row: ServiceStatus,
    durable: Option<&Durable>,
) -> Option<StatusView> {
    let svc = cfg.service(&row.service)?;
    let mut controller = crate::controller::Status {
        started: row.error.is_none(),
        ttl: row.ttl,
        phase: "no daemon".into(),
        pools: svc
            .pools
            .iter()
            .map(|p| crate::controller::PoolStatus {
                name: p.name.clone(),
                health: PoolHealth::Unknown,
                up_for_secs: None,
            })
            .collect(),
        failback_mode: svc.failback.mode,
        ..Default::default()
    };
    if let Some(Active::Pool(p)) = &row.active {
        controller.active = Some(p.clone());
    }
    // What the daemon's core would restore from the journal: a pin that has
    // not lifted, a halt, a drill under way.
    if let Some(d) = durable {
        let now = std::time::SystemTime::now();
        controller.pin = d.pin.clone().filter(|p| p.until.is_none_or(|u| u > now));
        controller.pinned = controller.pin.is_some();
        controller.halted = d.halted;
        controller.drill = d.drill.clone();
        controller.evacuation = d
            .evacuation
            .clone()
            .filter(|e| e.until.is_none_or(|u| u > now));
    }
    let pools = svc
        .pools
        .iter()
        .map(|p| ServicePool {
            name: p.name.clone(),
            health: PoolHealth::Unknown,
            local: PoolHealth::Unknown,
            quorum: None,
            endpoints: p
                .endpoints
                .iter()
                .map(|e| ServiceEndpoint {
                    endpoint: e.clone(),
                    state: EndpointState::Unknown,
                    failing: false,
                    last: "not probed (no daemon)".into(),
                    local: None,
                })
                .collect(),
        })
        .collect();
    let service = DaemonService {
        service: row.service.clone(),
        record: row.record.clone(),
        provider: row.provider.clone(),
        provider_error: row.error.clone(),
        controller,
        pools,
        vantage: VantageState {
            id: cfg.controller.id.clone(),
            impaired: None,
        },
        not_ready: vec!["no daemon runs".into()],
        ..DaemonService::default()
    };
    let mut view = StatusView::new(svc, Source::Provider, service);
    view.served_values = row.error.is_none().then(|| {
        row.records
            .iter()
            .filter(|r| r.weight != Some(0))
            .flat_map(|r| r.values.iter().cloned())
            .collect()
    });
    Some(view)
}

/// The journaled durable state of each service (pins, halts, drills), read
/// when no daemon runs: what its core would restore at start. `Ok(None)`
/// when there is no journal yet (nothing was ever pinned here).
pub fn journaled(
    cfg: &Config,
) -> Result<Option<std::collections::HashMap<String, Durable>>, String> {
    let path = cfg.controller.state_dir.join("journal.sqlite3");
    if !path.exists() {
        return Ok(None);
    }
    let journal = Journal::open_file(&path).map_err(|e| e.to_string())?;
    cfg.services
        .iter()
        .map(|s| {
            let changes = journal.core_events(&s.name).map_err(|e| e.to_string())?;
            Ok((s.name.clone(), Durable::replay(changes)))
        })
        .collect::<Result<_, String>>()
        .map(Some)
}
