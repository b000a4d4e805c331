//! Service tasks' heartbeats, and the task that pings the systemd watchdog
//! only while every one of them is recent.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

struct Beat {
    service: String,
    /// Milliseconds since the registry's origin, at the last beat.
    last_ms: AtomicU64,
    stale_after: Duration,
}

/// Every live service task's heartbeat. Cheap to clone.
#[derive(Clone)]
pub struct Heartbeats {
    origin: Instant,
    beats: Arc<Mutex<BTreeMap<u64, Arc<Beat>>>>,
    next_id: Arc<AtomicU64>,
}

/// One service task's heartbeat; its task beats it on every turn of its loop.
#[derive(Clone)]
pub struct Heartbeat {
    id: u64,
    origin: Instant,
    beat: Arc<Beat>,
    registry: Heartbeats,
    /// Test hook: from then on, `beat` never returns (a wedged task).
    wedge_at: Option<Instant>,
}

impl Default for Heartbeats {
    fn default() -> Self {
        Self::new()
    }
}

impl Heartbeats {
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            beats: Arc::default(),
            next_id: Arc::default(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Register a service task; silent for longer than `stale_after`, it
    /// counts as wedged.
    pub fn register(&self, service: &str, stale_after: Duration) -> Heartbeat {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let beat = Arc::new(Beat {
            service: service.to_string(),
            last_ms: AtomicU64::new(self.now_ms()),
            stale_after,
        });
        self.lock().insert(id, beat.clone());
        Heartbeat {
            id,
            origin: self.origin,
            beat,
            registry: self.clone(),
            wedge_at: crate::test_hooks::wedge_after(service).map(|d| Instant::now() + d),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Beat>>> {
        // A panic while holding this lock leaves a map that is still whole.
        self.beats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The services whose task has not beaten within its limit.
    pub fn stale(&self) -> Vec<String> {
        let now = self.now_ms();
        self.lock()
            .values()
            .filter(|b| {
                let age = now.saturating_sub(b.last_ms.load(Ordering::Relaxed));
                Duration::from_millis(age) > b.stale_after
            })
            .map(|b| b.service.clone())
            .collect()
    }

    /// Ping the watchdog every `every` while no heartbeat is stale, until `cancel`.
    pub async fn watchdog(self, every: Duration, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(every);
        let mut silent = false;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            let stale = self.stale();
            if stale.is_empty() {
                if silent {
                    info!("Every service task beats again; watchdog pings resumed.");
                }
                silent = false;
                super::systemd::watchdog();
            } else if !silent {
                silent = true;
                let services = stale.join(", ");
                error!(services = %services, "Service task stalled; watchdog pings stopped.");
            }
        }
    }
}

impl Heartbeat {
    /// The task is alive. (Under the wedge test hook, this never returns once due.)
    pub async fn beat(&self) {
        if self.wedge_at.is_some_and(|t| Instant::now() >= t) {
            tracing::warn!(service = %self.beat.service, "Test hook: wedging this service task.");
            std::future::pending::<()>().await;
        }
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.beat.last_ms.store(ms, Ordering::Relaxed);
    }

    /// The task has ended: it no longer counts.
    pub fn retire(&self) {
        self.registry.lock().remove(&self.id);
    }
}

/// Retires its heartbeat when dropped: when the task ends, however it ends
/// (an aborted task included).
pub struct Retire(pub Heartbeat);

impl Drop for Retire {
    fn drop(&mut self) {
        self.0.retire();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_task_that_stops_beating_is_named_and_a_retired_one_is_not() {
        let hb = Heartbeats::new();
        let a = hb.register("a", Duration::from_secs(10));
        let b = hb.register("b", Duration::from_secs(10));
        tokio::time::advance(Duration::from_secs(8)).await;
        a.beat().await;
        assert!(hb.stale().is_empty());
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(hb.stale(), ["b"]);
        b.retire();
        assert!(hb.stale().is_empty());
        tokio::time::advance(Duration::from_secs(8)).await;
        assert_eq!(hb.stale(), ["a"]);
    }
}
