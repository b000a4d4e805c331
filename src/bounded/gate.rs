//! Admission: the total connection cap and the per-source cap, counted under one lock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;
use tracing::warn;

/// How often refusals are logged (with a count) while they go on.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The server holds its whole cap.
    Full,
    /// This source holds its per-source cap.
    SourceFull,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Full => "connection cap reached",
            Self::SourceFull => "per-source connection cap reached",
        })
    }
}

/// Counts the connections a server holds; cheap to clone.
#[derive(Clone)]
pub struct Gate {
    inner: Arc<Inner>,
}

struct Inner {
    server: &'static str,
    max: usize,
    per_source: Option<usize>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    total: usize,
    by_source: HashMap<IpAddr, usize>,
    refused: u64,
    logged_at: Option<Instant>,
}

/// One admitted connection; dropping it frees its place.
pub struct Admission {
    inner: Arc<Inner>,
    source: Option<IpAddr>,
}

impl Gate {
    /// A gate for `server` (named in logs) with these caps.
    pub fn new(server: &'static str, max: usize, per_source: Option<usize>) -> Self {
        Self {
            inner: Arc::new(Inner {
                server,
                max,
                per_source,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// A place for a connection from `source`, or why not.
    pub fn admit(&self, source: Option<IpAddr>) -> Result<Admission, Refused> {
        let mut s = self.inner.lock();
        let from_source = source.map_or(0, |ip| s.by_source.get(&ip).copied().unwrap_or(0));
        let refused = if s.total >= self.inner.max {
            Some(Refused::Full)
        } else if self.inner.per_source.is_some_and(|cap| from_source >= cap) {
            Some(Refused::SourceFull)
        } else {
            None
        };
        if let Some(why) = refused {
            self.inner.log_refusal(&mut s, why);
            return Err(why);
        }
        s.total += 1;
        if let Some(ip) = source {
            *s.by_source.entry(ip).or_default() += 1;
        }
        Ok(Admission {
            inner: self.inner.clone(),
            source,
        })
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere mid-count; the counts stay usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log_refusal(&self, s: &mut State, why: Refused) {
        s.refused += 1;
        let now = Instant::now();
        if s.logged_at.is_some_and(|at| now < at + LOG_EVERY) {
            return;
        }
        let (server, max, refused) = (self.server, self.max, s.refused);
        warn!(server, max, refused, reason = %why, "Connections refused: closed at once.");
        s.logged_at = Some(now);
        s.refused = 0;
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut s = self.inner.lock();
        s.total = s.total.saturating_sub(1);
        if let Some(ip) = self.source
            && let Some(n) = s.by_source.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                s.by_source.remove(&ip);
            }
        }
    }
}
