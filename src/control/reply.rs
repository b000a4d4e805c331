//! What the daemon answers: an HTTP status and one typed body per kind of request.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::controller::{Action, PoolHealth};
use crate::journal::ProviderCall;
use crate::peers::{PeerStatus, QuorumVerdict};
use crate::probe::EndpointState;

/// The daemon's answer: an HTTP status and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: ReplyBody,
}

impl Reply {
    /// 200 with every service's status.
    pub fn status(body: StatusReply) -> Self {
        Self {
            status: 200,
            body: ReplyBody::Status(body),
        }
    }
    /// 202: a command or pin was handed to the controller.
    pub fn accepted(body: Accepted) -> Self {
        Self {
            status: 202,
            body: ReplyBody::Accepted(body),
        }
    }
    /// 202: a drill started.
    pub fn drill(body: DrillStarted) -> Self {
        Self {
            status: 202,
            body: ReplyBody::Drill(body),
        }
    }
    /// 202: what each service did with a risk window.
    pub fn risk(body: super::RiskReply) -> Self {
        Self {
            status: 202,
            body: ReplyBody::Risk(body),
        }
    }
    /// 200: what a move would do; nothing was changed.
    pub fn dry_run(body: DryRun) -> Self {
        Self {
            status: 200,
            body: ReplyBody::DryRun(body),
        }
    }
    /// 202 for an evacuation under way, 200 for a dry run.
    pub fn evacuation(body: super::EvacuationReply) -> Self {
        Self {
            status: if body.dry_run { 200 } else { 202 },
            body: ReplyBody::Evacuation(body),
        }
    }
    /// A 4xx/5xx with `{"error": message}`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ReplyBody::Error(ErrorBody {
                error: message.into(),
            }),
        }
    }
}

/// Every body the daemon sends. On the wire each is a plain JSON object;
/// the client knows which to expect from its request and the status.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ReplyBody {
    Status(StatusReply),
    Accepted(Accepted),
    Drill(DrillStarted),
    DryRun(DryRun),
    Evacuation(super::EvacuationReply),
    Error(ErrorBody),
    Risk(super::RiskReply),
}

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReply {
    /// This controller's id (`controller.id`).
    pub controller: String,
    /// Always true: the answer comes from the running daemon.
    pub daemon: bool,
    pub services: Vec<DaemonService>,
}

impl StatusReply {
    pub fn service(&self, name: &str) -> Option<&DaemonService> {
        self.services.iter().find(|s| s.service == name)
    }
}

/// One service as the running daemon sees it (`rtoguard status`); without
/// a daemon, `status` builds the same from [`crate::ops::ServiceStatus`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonService {
    pub service: String,
    pub record: String,
    pub provider: String,
    /// Why the provider could not be read yet (the service cannot act).
    pub provider_error: Option<String>,
    pub controller: crate::controller::Status,
    pub pools: Vec<ServicePool>,
    /// The provider call in flight.
    pub busy: Option<String>,
    /// The open incident's id.
    pub incident: Option<String>,
    /// The peers pulled from (`None`: no peers configured).
    pub peers: Option<Vec<PeerStatus>>,
    /// Too few fresh vantages for a quorum.
    pub short_of_quorum: bool,
    /// Why the journal cannot be written now (no provider call is made
    /// until it can).
    #[serde(default)]
    pub journal_error: Option<String>,
    pub vantage: VantageState,
    /// The provider answered an authenticated read and every pool's health
    /// is known.
    #[serde(default)]
    pub ready: bool,
    /// What this service still lacks to be ready, in words.
    #[serde(default)]
    pub not_ready: Vec<String>,
}

impl DaemonService {
    /// A stand-in for a service whose task did not answer in time (starting,
    /// or its previous task still stopping after a reload).
    pub fn not_answering(service: &str) -> Self {
        Self {
            service: service.to_string(),
            busy: Some("not answering (starting, or its previous task is still stopping)".into()),
            ..Self::default()
        }
    }

    /// Serving `pool` with nothing in flight and the controller idle.
    pub fn settled_on(&self, pool: &str) -> bool {
        self.controller.active.as_deref() == Some(pool)
            && self.busy.is_none()
            && self.controller.phase == "idle"
    }

    pub fn pool(&self, name: &str) -> Option<&ServicePool> {
        self.pools.iter().find(|p| p.name == name)
    }
}

/// One pool of a service: its health by quorum, this vantage's own view, and its endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePool {
    pub name: String,
    /// The health handed to the controller (by quorum when there are peers).
    pub health: PoolHealth,
    /// This vantage's own view.
    pub local: PoolHealth,
    pub quorum: Option<QuorumVerdict>,
    pub endpoints: Vec<ServiceEndpoint>,
}

/// One endpoint as this vantage sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEndpoint {
    pub endpoint: String,
    pub state: EndpointState,
    pub failing: bool,
    /// What the last probe saw (`"status 503"`).
    pub last: String,
    /// Why the last result was a local failure of this vantage.
    pub local: Option<String>,
}

/// This vantage, and why it cannot probe when it cannot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VantageState {
    pub id: String,
    pub impaired: Option<String>,
}

/// A command (move, pin, unpin) handed to the service's controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub accepted: bool,
    pub service: String,
    /// What the controller decided to do, one sentence each, in people's
    /// words (journal records are left out: `history` shows them).
    pub actions: Vec<String>,
}

impl Accepted {
    /// `service` accepted a command, answered with `actions`.
    pub fn new(service: &str, actions: &[Action]) -> Self {
        Self {
            accepted: true,
            service: service.to_string(),
            actions: actions.iter().filter_map(action_words).collect(),
        }
    }
}

/// One action of the controller as a person reads it; `None` for journal
/// records and news for the other services.
pub fn action_words(a: &Action) -> Option<String> {
    let later = |nb: &Option<tokio::time::Instant>| {
        if nb.is_some() {
            " (after the writer delay)"
        } else {
            ""
        }
    };
    Some(match a {
        Action::SetTtl {
            ttl,
            reason,
            not_before,
        } => format!("set the TTL to {ttl}s: {reason}{}", later(not_before)),
        // A gradual failback's step is worded as its provider call is.
        Action::Flip {
            ttl,
            reason,
            by,
            not_before,
            ..
        }
        | Action::Weigh {
            ttl,
            reason,
            by,
            not_before,
            ..
        } => format!(
            "{} with TTL {ttl}s: {reason}, by {by}{}",
            ProviderCall::of(a),
            later(not_before)
        ),
        Action::Adopt {
            from,
            to,
            ttl,
            writer,
            ..
        } => format!(
            "{} with TTL {ttl}s: adopting {writer}'s flip",
            ProviderCall::Flip {
                from: from.clone(),
                to: to.clone()
            }
        ),
        Action::Reread => ProviderCall::Read.to_string(),
        Action::StartWatch { to, old_ttl } => format!(
            "time how resolvers follow to pool {to} (caches may keep the old answer {old_ttl}s)"
        ),
        Action::Journal(_) | Action::ShareRisk(_) => return None,
        Action::Alert { message, .. } => format!("tell people: {message}"),
        Action::Refused { message, .. } => format!("refused: {message}"),
        Action::IncidentOpened {
            incident, detail, ..
        } => format!("open incident {}: {detail}", incident.id),
        Action::IncidentClosed {
            incident,
            pool,
            took,
            ..
        } => format!(
            "close incident {}: pool {pool} serves, after {}s",
            incident.id,
            took.as_secs()
        ),
        Action::Speaks { incident, .. } => {
            format!(
                "speak for incident {} (this controller wrote its flip)",
                incident.id
            )
        }
        Action::RtoMissed {
            id, elapsed, rto, ..
        } => format!(
            "say incident {id} missed its RTO ({}s of {}s)",
            elapsed.as_secs(),
            rto.as_secs()
        ),
    })
}

/// A drill under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillStarted {
    pub accepted: bool,
    /// The drill's id (its report's name).
    pub drill: String,
    pub from: String,
    pub to: String,
    pub dwell_secs: u64,
}

/// What a move would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DryRun {
    pub dry_run: bool,
    /// The plan for people.
    pub text: String,
    /// The plan as the planner serialises it, for programs; the CLI prints
    /// `text`, so this stays the planner's own JSON.
    pub plan: Value,
}

/// Any 4xx/5xx.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::{Initiator, Reason, TtlReason};

    #[test]
    fn accepted_actions_are_people_s_words_without_journal_records() {
        let actions = [
            Action::SetTtl {
                ttl: 30,
                reason: TtlReason::Drain,
                not_before: None,
            },
            Action::Flip {
                from: Some("primary".into()),
                to: "standby".into(),
                ttl: 30,
                reason: Reason::Manual,
                by: Initiator::Operator,
                not_before: None,
            },
            Action::Reread,
        ];
        let a = Accepted::new("checkout", &actions);
        assert_eq!(
            a.actions,
            [
                "set the TTL to 30s: draining before a planned move",
                "flip from pool primary to pool standby with TTL 30s: an operator's failover, by operator",
                "read the served records",
            ]
        );
        for line in &a.actions {
            assert!(!line.contains('{') && !line.contains("Some("), "{line}");
        }
    }
}
