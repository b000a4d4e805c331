//! The control socket: a Unix socket with a small HTTP/JSON API through which
//! `status`, `failover`, `failback`, `pin` and `unpin` reach the running
//! daemon, so manual moves are serialised with automation and journaled.
//!
//! | method | path | body | answer |
//! | --- | --- | --- | --- |
//! | GET | `/v1/status` | | 200 [`StatusReply`] |
//! | POST | `/v1/services/{name}/failover` | `{"to": "standby", "planned": false, "force": false, "dry_run": false}` | 202 [`Accepted`], or 200 [`DryRun`] |
//! | POST | `/v1/services/{name}/failback` | `{"planned": true, "force": false, "dry_run": false}` | 202 [`Accepted`], or 200 [`DryRun`] |
//! | POST | `/v1/services/{name}/drill` | `{"simulate_fault": true, "dwell_secs": 60, "to": null}` | 202 [`DrillStarted`] |
//! | POST | `/v1/services/{name}/pin` | `{"reason": "db maintenance", "for_secs": 7200}` | 202 [`Accepted`] |
//! | POST | `/v1/services/{name}/unpin` | | 202 [`Accepted`] |
//! | POST | `/v1/evacuations` | `{"region": "eu-west-1", "group": null, "for_secs": 7200, "reason": "bad deploy", "planned": false, "dry_run": false, "end": false}` | 202 [`EvacuationReply`], or 200 for a dry run |
//! | POST | `/v1/risk` | `{"group": "eu-frontends", "for_secs": 1800, "reason": "deploy"}` or `{"region": "eu-west-1", "end": true}` | 202 [`RiskReply`] |
//!
//! Errors are `{"error": "..."}` with a 4xx (the request is wrong; nothing
//! changed) or 5xx status. Requests ([`Request`]) and answers ([`ReplyBody`])
//! are typed and shared by the server and [`Client`].

pub mod client;
mod evacuation;
mod parse;
mod reply;
mod request;
mod risk;
mod server;
pub mod users;

use tokio::sync::oneshot;

pub use client::{Client, ClientError, WaitTimeout};
pub use evacuation::{EvacuateRequest, EvacuationReply};
pub use parse::parse_request;
pub use reply::{
    Accepted, DaemonService, DrillStarted, DryRun, ErrorBody, Reply, ReplyBody, ServiceEndpoint,
    ServicePool, StatusReply, VantageState,
};
pub use request::{DrillRequest, MoveRequest, PinRequest, Request, Wire};
pub use risk::{RiskOutcome, RiskReply, RiskRequest};
pub use server::{serve, serve_with};

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
#[cfg(test)]
mod tests_wire;
