//! Manual operations run directly against a provider: status, failover and
//! failback. Each step prints what it did and when (`--json`: one JSON object
//! a line), and a change is journaled when the state directory is writable.

mod abort;
mod apply;
mod context;
mod execute;
mod follow;
mod interrupt;
mod output;
mod preflight;
mod status;

use std::time::Duration;

pub use context::MoveContext;
pub use execute::{MoveOutcome, run_move};
pub use interrupt::Interrupts;
pub use output::Output;
pub use preflight::preflight;
pub use status::{ServiceStatus, status};

/// What can end a manual operation early. Each says what happened to the records.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("no service \"{name}\" in the config; services are: {valid}")]
    UnknownService { name: String, valid: String },
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    #[error(transparent)]
    Provider(#[from] rtoguard_provider_api::ProviderError),
    #[error(transparent)]
    Build(#[from] crate::providers::BuildError),
    #[error(
        "refusing to change DNS without confirmation: standard input is not a terminal; pass --yes"
    )]
    NotConfirmed,
    #[error("cancelled at the prompt: nothing was changed")]
    Declined,
    #[error(
        "target pool {pool} failed its probe ({detail}); nothing was changed. Use --force to flip anyway"
    )]
    TargetUnhealthy { pool: String, detail: String },
    #[error("{0}; nothing was changed")]
    Journal(#[from] crate::engine::IntentError),
    #[error("aborted by Ctrl-C {when}")]
    Aborted { when: String },
}

impl OpError {
    /// Exit code for the CLI: 64 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::UnknownService { .. }
            | Self::Plan(crate::plan::PlanError::UnknownPool { .. })
            | Self::NotConfirmed => 64,
            Self::Aborted { .. } => 130,
            _ => 1,
        }
    }
}

/// Options shared by `failover` and `failback`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MoveOptions {
    /// Lower the TTL and let it drain before flipping.
    pub planned: bool,
    /// Print the plan and change nothing.
    pub dry_run: bool,
    /// Do not ask for confirmation.
    pub yes: bool,
    /// Flip even when the target pool fails its probe.
    pub force: bool,
    /// How long to wait for the provider to report a change in sync.
    pub sync_timeout: Duration,
}
