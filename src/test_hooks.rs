//! The `RTOGUARD_TEST_*` environment hooks: compiled only with the `test-hooks` feature (the test suite's), no-ops in the package.

#[cfg(feature = "test-hooks")]
use std::time::Duration;

/// Tests of crash recovery set `RTOGUARD_TEST_PAUSE_AFTER_APPLY=SECONDS` to
/// hold the daemon between a provider's acceptance and the journal entry for
/// it, the window a `kill -9` must survive.
#[cfg(feature = "test-hooks")]
pub async fn pause_after_apply() {
    if let Some(pause) = seconds("RTOGUARD_TEST_PAUSE_AFTER_APPLY") {
        tracing::warn!(
            secs = pause.as_secs_f64(),
            "Test hook: pausing after a provider change, before journaling it."
        );
        tokio::time::sleep(pause).await;
    }
}

/// A hook's duration in seconds; a bad value is ignored, never a panic.
#[cfg(feature = "test-hooks")]
fn seconds(name: &str) -> Option<Duration> {
    #[allow(clippy::disallowed_methods)] // A test hook: the environment is its interface.
    let var = std::env::var(name).ok()?;
    var.parse::<f64>()
        .ok()
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
}

#[cfg(not(feature = "test-hooks"))]
pub async fn pause_after_apply() {}

/// The multi-region tests set `RTOGUARD_TEST_WRITER_DELAY=0` so every
/// controller writes at once and only compare-and-set decides.
#[cfg(feature = "test-hooks")]
pub fn no_writer_delay() -> bool {
    #[allow(clippy::disallowed_methods)] // A test hook: the environment is its interface.
    let var = std::env::var("RTOGUARD_TEST_WRITER_DELAY");
    let zero = var.is_ok_and(|v| v.trim() == "0");
    if zero {
        tracing::warn!("Test hook: no writer delay; compare-and-set alone decides.");
    }
    zero
}

#[cfg(not(feature = "test-hooks"))]
pub fn no_writer_delay() -> bool {
    false
}

/// The journal tests set `RTOGUARD_TEST_JOURNAL_FAILS_WHILE=PATH`: while
/// that file exists, journaling an intent fails, as a full or read-only
/// disk would make it (the daemon runs as root in the tests, so `chmod`
/// cannot).
#[cfg(feature = "test-hooks")]
pub fn journal_fails() -> bool {
    #[allow(clippy::disallowed_methods)] // A test hook: the environment is its interface.
    let var = std::env::var_os("RTOGUARD_TEST_JOURNAL_FAILS_WHILE");
    var.is_some_and(|p| std::path::Path::new(&p).exists())
}

#[cfg(not(feature = "test-hooks"))]
pub fn journal_fails() -> bool {
    false
}

/// The watchdog tests set `RTOGUARD_TEST_WEDGE_SERVICE=NAME:SECONDS` to wedge
/// that service's task (its loop stops turning) this long after it starts.
#[cfg(feature = "test-hooks")]
pub fn wedge_after(service: &str) -> Option<Duration> {
    #[allow(clippy::disallowed_methods)] // A test hook: the environment is its interface.
    let var = std::env::var("RTOGUARD_TEST_WEDGE_SERVICE").ok()?;
    let (name, secs) = var.split_once(':')?;
    // A bad value is ignored, never a panic.
    (name == service)
        .then(|| secs.parse::<f64>().ok())
        .flatten()
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
}

#[cfg(not(feature = "test-hooks"))]
pub fn wedge_after(_service: &str) -> Option<std::time::Duration> {
    None
}

/// The crash tests set `RTOGUARD_TEST_WATCH_DELAY=SECONDS` to hold a
/// propagation watch before it starts, the window between a journaled flip
/// and its watch's end that a `kill -9` must survive.
#[cfg(feature = "test-hooks")]
pub async fn watch_delay() {
    if let Some(pause) = seconds("RTOGUARD_TEST_WATCH_DELAY") {
        tracing::warn!(
            secs = pause.as_secs_f64(),
            "Test hook: holding the propagation watch before it starts."
        );
        tokio::time::sleep(pause).await;
    }
}

#[cfg(not(feature = "test-hooks"))]
pub async fn watch_delay() {}

/// The push tests set `RTOGUARD_TEST_PEER_PULL_INTERVAL=SECONDS` to pull
/// peers far less often than the probes run, so only a pushed change can
/// arrive sooner.
#[cfg(feature = "test-hooks")]
pub fn peer_pull_interval() -> Option<Duration> {
    let interval = seconds("RTOGUARD_TEST_PEER_PULL_INTERVAL")?;
    tracing::warn!(
        secs = interval.as_secs_f64(),
        "Test hook: peer pull interval set."
    );
    Some(interval)
}

#[cfg(not(feature = "test-hooks"))]
pub fn peer_pull_interval() -> Option<std::time::Duration> {
    None
}

/// The adoption tests set `RTOGUARD_TEST_SERVED_HERE=1`: every configured
/// provider is replaced by this controller's own copy of the records
/// (`providers::served_here`), a provider that serves here.
#[cfg(feature = "test-hooks")]
pub fn served_here() -> bool {
    #[allow(clippy::disallowed_methods)] // A test hook: the environment is its interface.
    let var = std::env::var("RTOGUARD_TEST_SERVED_HERE");
    var.is_ok_and(|v| v.trim() == "1")
}

/// The evacuation crash test sets `RTOGUARD_TEST_EVACUATION_HOLD_AFTER_WAVE=N`
/// to hold an evacuation once wave N is journaled, before the next goes out:
/// the moment a `kill -9` must survive.
#[cfg(feature = "test-hooks")]
pub async fn hold_evacuation_after(wave: usize) {
    #[allow(clippy::disallowed_methods)] // A test hook: the environment is its interface.
    let var = std::env::var("RTOGUARD_TEST_EVACUATION_HOLD_AFTER_WAVE");
    if var.is_ok_and(|v| v.trim().parse::<usize>().ok() == Some(wave)) {
        tracing::warn!(wave, "Test hook: holding the evacuation after wave {wave}.");
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

#[cfg(not(feature = "test-hooks"))]
pub async fn hold_evacuation_after(_wave: usize) {}
