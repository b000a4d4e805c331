//! Counts Ctrl-C presses so long waits can abort on the second one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::Notify;

/// Ctrl-C presses seen since start. The first press during a wait warns; the
/// second aborts the operation at a safe point (never mid-request).
#[derive(Debug, Clone, Default)]
pub struct Interrupts {
    count: Arc<AtomicU32>,
    notify: Arc<Notify>,
}

impl Interrupts {
    /// Start counting SIGINT for the rest of the process.
    pub fn listen() -> Self {
        let me = Self::default();
        let c = me.clone();
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                c.press();
            }
        });
        me
    }

    /// Count one press (also used by tests).
    pub fn press(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn count(&self) -> u32 {
        self.count.load(Ordering::SeqCst)
    }

    /// Resolves at the next press.
    pub async fn next(&self) {
        self.notify.notified().await;
    }
}
