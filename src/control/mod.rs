//! The control socket: a Unix socket with a small HTTP/JSON API through which
//! `status`, `failover`, `failback`, `pin` and `unpin` reach the running
//! daemon, so manual moves are serialised with automation and journaled.
//!
//! | method | path | body |
//! | --- | --- | --- |
//! | GET | `/v1/status` | |
//! | POST | `/v1/services/{name}/failover` | `{"to": "standby", "planned": false, "force": false, "dry_run": false}` |
//! | POST | `/v1/services/{name}/failback` | `{"planned": true, "force": false, "dry_run": false}` |
//! | POST | `/v1/services/{name}/drill` | `{"simulate_fault": true, "dwell_secs": 60, "to": null}` |
//! | POST | `/v1/services/{name}/pin` | `{"reason": "db maintenance", "for_secs": 7200}` |
//! | POST | `/v1/services/{name}/unpin` | |
//!
//! Errors are `{"error": "..."}` with a 4xx (the request is wrong; nothing
//! changed) or 5xx status.

pub mod client;
mod parse;
mod server;
mod users;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;

pub use parse::parse_request;
pub use server::{serve, serve_with};

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
}

/// The daemon's answer: an HTTP status and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }
    /// A 4xx/5xx with `{"error": message}`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            body: serde_json::json!({ "error": message.into() }),
        }
    }
}

/// One request from the socket to the daemon, with who sent it.
#[derive(Debug)]
pub struct Envelope {
    pub request: Request,
    /// `user:NAME` of the peer process (from SO_PEERCRED).
    pub actor: String,
    pub reply: oneshot::Sender<Reply>,
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fuzz;
