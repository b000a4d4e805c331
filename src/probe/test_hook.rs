//! TEST ONLY: `RTOGUARD_TEST_HOLD_FDS=FLAG_FILE` makes the daemon hold every
//! file descriptor it can open while FLAG_FILE exists, so its probes meet a
//! real EMFILE (the tests of an impaired vantage). Unset, nothing runs; without
//! the `test-hooks` feature (the package), it is not compiled at all.
//! `RTOGUARD_TEST_FREEZE_PROBES` (below) freezes one vantage's probes.

#[cfg(feature = "test-hooks")]
use std::path::{Path, PathBuf};
#[cfg(feature = "test-hooks")]
use std::time::Duration;

use tokio_util::sync::CancellationToken;
#[cfg(feature = "test-hooks")]
use tracing::warn;

/// Without the test hooks: nothing to start.
#[cfg(not(feature = "test-hooks"))]
pub(super) fn spawn_fd_hold(_cancel: CancellationToken) {}

/// Start the hook when the variable is set (within a tokio runtime).
#[cfg(feature = "test-hooks")]
pub(super) fn spawn_fd_hold(cancel: CancellationToken) {
    #[allow(clippy::disallowed_methods)] // A test hook: the environment is its interface.
    let Some(flag) = std::env::var_os("RTOGUARD_TEST_HOLD_FDS").map(PathBuf::from) else {
        return;
    };
    warn!(flag = %flag.display(), "Test hook: holding every file descriptor while the flag file exists.");
    tokio::spawn(async move {
        let mut held: Vec<std::fs::File> = Vec::new();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
            // stat needs no descriptor, so this works while they are all taken.
            if Path::new(&flag).exists() {
                top_up(&mut held);
            } else if !held.is_empty() {
                warn!(
                    held = held.len(),
                    "Test hook: releasing the held file descriptors."
                );
                held.clear();
            }
        }
    });
}

/// Open /dev/null until the process has no descriptor left (any freed since
/// the last call is taken again).
#[cfg(feature = "test-hooks")]
fn top_up(held: &mut Vec<std::fs::File>) {
    let was = held.len();
    while held.len() < 1_000_000 {
        match std::fs::File::open("/dev/null") {
            Ok(f) => held.push(f),
            Err(_) => break,
        }
    }
    if was == 0 {
        warn!(
            held = held.len(),
            "Test hook: now holding every free file descriptor."
        );
    }
}

/// TEST ONLY: `RTOGUARD_TEST_FREEZE_PROBES=DIR` holds every probe sent from
/// source address IP while `DIR/freeze-IP` exists (`freeze-any` for probes
/// without `probe_source`): that vantage's probe scheduler stands still
/// while the rest of the daemon, its peer API included, runs on.
#[cfg(feature = "test-hooks")]
pub(super) async fn while_frozen(source: Option<std::net::IpAddr>) {
    #[allow(clippy::disallowed_methods)] // A test hook: the environment is its interface.
    let Some(dir) = std::env::var_os("RTOGUARD_TEST_FREEZE_PROBES").map(PathBuf::from) else {
        return;
    };
    let name = source.map_or_else(|| "any".to_string(), |ip| ip.to_string());
    let flag = dir.join(format!("freeze-{name}"));
    if flag.exists() {
        warn!(flag = %flag.display(), "Test hook: probes frozen while the flag file exists.");
    }
    while flag.exists() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Without the test hooks: never frozen.
#[cfg(not(feature = "test-hooks"))]
pub(super) async fn while_frozen(_source: Option<std::net::IpAddr>) {}
