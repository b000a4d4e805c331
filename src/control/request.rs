//! What a client asks the daemon: typed requests, and the method, path and body each travels as.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A manual move asked for through the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// Target pool; `None` for a failback (the first pool).
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub planned: bool,
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub dry_run: bool,
}

/// A drill (game day) asked for through the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillRequest {
    /// Target pool of a planned drill; default: the next pool after the active one.
    #[serde(default)]
    pub to: Option<String>,
    /// Treat the active pool as down (probes keep running) instead of a planned move.
    #[serde(default)]
    pub simulate_fault: bool,
    /// How long to stay on the other pool before failing back, in seconds.
    #[serde(default = "default_dwell")]
    pub dwell_secs: u64,
}

/// A pin asked for through the socket: why, and for how long (default: until unpinned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRequest {
    pub reason: String,
    #[serde(default)]
    pub for_secs: Option<u64>,
}

fn default_dwell() -> u64 {
    60
}

/// What the daemon is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Status,
    Failover {
        service: String,
        mv: MoveRequest,
    },
    Failback {
        service: String,
        mv: MoveRequest,
    },
    Drill {
        service: String,
        drill: DrillRequest,
    },
    Pin {
        service: String,
        pin: PinRequest,
    },
    Unpin {
        service: String,
    },
    /// Evacuate a region (or end its evacuation), across services.
    Evacuate {
        evac: super::EvacuateRequest,
    },
    /// Open or end a risk window for several services (`POST /v1/risk`).
    Risk(super::RiskRequest),
}

/// How a request travels: its method, path and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Wire {
    pub method: &'static str,
    pub path: String,
    pub body: Option<Value>,
}

impl Request {
    /// The method, path and body that [`parse_request`](super::parse_request)
    /// turns back into this request.
    pub fn to_wire(&self) -> Wire {
        let post = |service: &str, verb: &str, body: Option<Value>| Wire {
            method: "POST",
            path: format!("/v1/services/{}/{verb}", encode(service)),
            body,
        };
        match self {
            Self::Status => Wire {
                method: "GET",
                path: "/v1/status".into(),
                body: None,
            },
            Self::Failover { service, mv } => post(service, "failover", body(mv)),
            Self::Failback { service, mv } => post(service, "failback", body(mv)),
            Self::Drill { service, drill } => post(service, "drill", body(drill)),
            Self::Pin { service, pin } => post(service, "pin", body(pin)),
            Self::Unpin { service } => post(service, "unpin", None),
            Self::Evacuate { evac } => Wire {
                method: "POST",
                path: "/v1/evacuations".into(),
                body: body(evac),
            },
            Self::Risk(risk) => Wire {
                method: "POST",
                path: "/v1/risk".into(),
                body: body(risk),
            },
        }
    }

    /// The service the request names (`None` for `Status`, `Evacuate` and `Risk`).
    pub fn service(&self) -> Option<&str> {
        match self {
            Self::Status | Self::Evacuate { .. } | Self::Risk(_) => None,
            Self::Failover { service, .. }
            | Self::Failback { service, .. }
            | Self::Drill { service, .. }
            | Self::Pin { service, .. }
            | Self::Unpin { service } => Some(service),
        }
    }
}

/// A request body as JSON. The bodies are plain structs of strings, bools
/// and integers, whose serialisation cannot fail.
fn body<T: Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}

/// A service name as one path segment: everything but unreserved characters
/// percent-encoded.
fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
