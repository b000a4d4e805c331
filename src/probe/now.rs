//! Probe now: every target's wake-up on one board, so a service task can move an endpoint's next probe to now (a peer doubts it).
//!
//! The scheduler registers each target it runs; a reload's new scheduler
//! replaces the entries of the old one. A poke only moves the next probe
//! ahead of its slot: its result is one more probe, taken by the
//! hysteresis like any other, so `fall`, `rise` and the quorum stay exactly
//! as strong.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

use super::Target;

/// (service, pool, endpoint).
type Key = (String, String, String);

/// The board of every running target's wake-up.
#[derive(Debug, Clone, Default)]
pub struct ProbeNow {
    board: Arc<Mutex<HashMap<Key, Weak<Notify>>>>,
}

impl ProbeNow {
    /// Probe `endpoint` of `pool` of `service` now (or right after the
    /// probe in flight); false when no running scheduler has that target.
    pub fn poke(&self, service: &str, pool: &str, endpoint: &str) -> bool {
        let key = (service.to_owned(), pool.to_owned(), endpoint.to_owned());
        let wake = self.lock().get(&key).and_then(Weak::upgrade);
        wake.map(|n| n.notify_one()).is_some()
    }

    /// The wake-up of `target`, registered on the board (it ends when the
    /// scheduler's task drops it).
    pub(super) fn register(&self, target: &Target) -> Arc<Notify> {
        let wake = Arc::new(Notify::new());
        let key = (
            target.service.clone(),
            target.pool.clone(),
            target.endpoint.clone(),
        );
        let mut board = self.lock();
        board.retain(|_, w| w.strong_count() > 0);
        board.insert(key, Arc::downgrade(&wake));
        wake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Weak<Notify>>> {
        // A poisoned lock only means a panic elsewhere mid-insert; the board stays usable.
        self.board.lock().unwrap_or_else(|p| p.into_inner())
    }
}
