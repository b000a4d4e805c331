//! rtoguard: a DNS/traffic failover controller.
//!
//! The map:
//!
//! - [`config`]: the TOML config, parsed strictly and validated into the types
//!   the program uses; every error names the file, line and field.
//! - [`probe`]: health probes (HTTP(S), TCP, DNS), their scheduler, and the
//!   rise/fall hysteresis that turns probe results into observations.
//! - [`controller`]: the sans-IO state machine per service: events and `now`
//!   in, actions out. No clock, socket or sleep inside.
//! - [`plan`]: turns "move service S to pool P" into checked provider changes.
//! - [`engine`]: the move engine: journal the intent, apply with
//!   compare-and-set, confirm in sync, say who made the change, time the
//!   propagation after a flip; for the daemon and the direct CLI.
//! - [`ops`]: manual operations (status, failover, failback) run directly
//!   against a provider.
//! - [`providers`]: builds `Arc<dyn Provider>` from the config.
//! - [`propagation`]: times a change as authoritative servers, resolvers and
//!   clients see it.
//! - [`report`]: the RTO report of an incident (text, JSON, HTML) and posture
//!   over time.
//! - [`peers`]: observations shared between vantages, the peer API, and the
//!   quorum verdict; `rtoguard agent`.
//! - [`metrics`]: Prometheus metrics and a provider wrapper that meters calls.
//! - [`notify`]: webhooks on incident, flip, recovery and RTO missed.
//! - [`demo`]: `rtoguard demo`: an embedded authoritative server, two HTTP
//!   regions, and the real controller, on loopback (features `embedded`, the
//!   server, and `demo`, the rest).
//! - [`bounded`]: the bounded HTTP/1 server both APIs run on (connection
//!   caps, header and idle timeouts, body limit) and the descriptor budget.
//! - [`control`]: the control socket (Unix socket, HTTP/JSON) of the daemon.
//! - [`journal`]: the durable SQLite journal of every decision and change.
//! - [`runtime`]: the daemon: probes, controllers, provider calls, signals,
//!   systemd; only [`cli`] and [`demo`] use it.
//! - [`cli`]: the command line (the binary is a thin wrapper around it).
//! - `test_hooks`: the `RTOGUARD_TEST_*` environment hooks of the test
//!   suite (feature `test-hooks`); no-ops in the package.
//!
//! Imports go one way, between these modules and between the files of each
//! (`tests/imports.rs` checks it).

#![forbid(unsafe_code)]

// Command output on stdout (`outln!`, `out!`): first, so every module has them.
#[macro_use]
mod out;

pub mod bounded;
pub mod cli;
pub mod config;
pub mod control;
pub mod controller;
#[cfg(feature = "embedded")]
pub mod demo;
pub mod engine;
pub mod journal;
pub mod metrics;
pub mod notify;
pub mod ops;
pub mod peers;
pub mod plan;
pub mod probe;
pub mod propagation;
pub mod providers;
pub mod report;
pub mod runtime;

pub(crate) mod test_hooks;
#[cfg(test)]
mod test_support;
