//! The scoreboard the watch's tasks write as they go, and the clock that turns its instants into offsets.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use hickory_proto::rr::{Name, RecordType};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Progress, Server};

/// Consecutive failed queries after which a path counts as failing (and no
/// longer holds the watch open).
pub const FAILING_AFTER: u32 = 5;
/// How long one DNS question may take.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(1);

/// One monotonic clock, anchored at the incident start, with a wall-clock twin.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub start: Instant,
    mono0: Instant,
    wall0: SystemTime,
}

impl Clock {
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            mono0: Instant::now(),
            wall0: SystemTime::now(),
        }
    }

    /// Milliseconds from the incident start (0 for instants before it).
    pub fn ms(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX)
    }

    /// The wall-clock time of `t`, RFC 3339 in UTC.
    pub fn wall(&self, t: Instant) -> String {
        let wall = if t >= self.mono0 {
            self.wall0 + (t - self.mono0)
        } else {
            self.wall0 - (self.mono0 - t)
        };
        let dt = time::OffsetDateTime::from(wall);
        dt.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| dt.to_string())
    }
}

/// How a path's queries have fared.
#[derive(Debug, Default, Clone)]
pub struct Health {
    pub queries: u32,
    pub timeouts: u32,
    pub servfails: u32,
    pub errors: u32,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
}

impl Health {
    pub fn answered(&mut self) {
        self.queries += 1;
        self.consecutive_failures = 0;
    }

    /// Count a failure; returns true when this one made the path failing.
    pub fn failed(&mut self, kind: Failure, why: String) -> bool {
        self.queries += 1;
        match kind {
            Failure::Timeout => self.timeouts += 1,
            Failure::ServFail => self.servfails += 1,
            Failure::Other => self.errors += 1,
        }
        self.consecutive_failures += 1;
        self.last_error = Some(why);
        self.consecutive_failures == FAILING_AFTER
    }

    pub fn failing(&self) -> bool {
        self.consecutive_failures >= FAILING_AFTER
    }
}

/// The kinds of failure the outcome counts apart.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    Timeout,
    ServFail,
    Other,
}

#[derive(Debug)]
pub struct AuthTrack {
    pub server: Server,
    pub health: Health,
    pub converged: Option<Instant>,
    pub serial: Option<u32>,
    pub last_values: Vec<String>,
}

#[derive(Debug)]
pub struct ResolverTrack {
    pub server: Server,
    pub health: Health,
    pub switched: Option<Instant>,
    /// When the first old answer was asked for, and the TTL it had left.
    pub first_old: Option<(Instant, u32)>,
    pub last_old_ttl: Option<u32>,
    pub last_old_at: Option<Instant>,
    /// Earliest moment any old answer said its cached copy expires.
    pub expiry: Option<Instant>,
    pub last_values: Vec<String>,
}

#[derive(Debug, Default)]
pub struct ClientTrack {
    pub reached: Option<Instant>,
    pub requests: u32,
    pub failed: u32,
    pub old_pool: u32,
    pub last_addr: Option<SocketAddr>,
    pub last_error: Option<String>,
}

/// Everything the tasks know; the outcome is read from it at the end.
#[derive(Debug, Default)]
pub struct Board {
    pub auths: Vec<AuthTrack>,
    pub resolvers: Vec<ResolverTrack>,
    /// One per resolver when a client check is configured (same index).
    pub clients: Vec<ClientTrack>,
    pub notes: Vec<String>,
}

impl Board {
    /// Names of the paths that have neither converged nor been given up as failing.
    pub fn waiting(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in &self.auths {
            if a.converged.is_none() && !a.health.failing() {
                out.push(format!("authoritative {}", a.server.name));
            }
        }
        for (i, r) in self.resolvers.iter().enumerate() {
            if r.switched.is_none() && !r.health.failing() {
                out.push(format!("resolver {}", r.server.name));
            }
            let client_waits = self.clients.get(i).is_some_and(|c| c.reached.is_none());
            if client_waits && !r.health.failing() {
                out.push(format!("client via {}", r.server.name));
            }
        }
        out
    }

    /// Names of the paths that have not converged, failing ones included.
    pub fn outstanding(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in self.auths.iter().filter(|a| a.converged.is_none()) {
            out.push(format!("authoritative {}", a.server.name));
        }
        for (i, r) in self.resolvers.iter().enumerate() {
            if r.switched.is_none() {
                out.push(format!("resolver {}", r.server.name));
            }
            if self.clients.get(i).is_some_and(|c| c.reached.is_none()) {
                out.push(format!("client via {}", r.server.name));
            }
        }
        out
    }
}

/// What every task of one watch shares.
#[derive(Debug)]
pub struct Ctx {
    pub name: Name,
    pub zone: Name,
    pub rtype: RecordType,
    pub expected: Vec<String>,
    pub qps: NonZeroU32,
    pub clock: Clock,
    pub board: Mutex<Board>,
    pub progress: Option<mpsc::Sender<Progress>>,
    pub cancel: CancellationToken,
}

impl Ctx {
    /// The board; a task that panicked while holding it leaves data that is still worth reporting.
    pub fn board(&self) -> MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A limiter pacing one path at `qps`, evenly (no burst).
    pub fn limiter(&self) -> DefaultDirectRateLimiter {
        RateLimiter::direct(Quota::per_second(self.qps).allow_burst(NonZeroU32::MIN))
    }

    /// Wait for the next slot; false when the watch is over.
    pub async fn pace(&self, limiter: &DefaultDirectRateLimiter) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = limiter.until_ready() => true,
        }
    }

    /// Send a progress event without ever holding the watch up.
    pub fn report(&self, event: Progress) {
        if let Some(tx) = &self.progress
            && let Err(e) = tx.try_send(event)
        {
            tracing::debug!(error = %e, "Progress event dropped.");
        }
    }

    /// Time since the incident start.
    pub fn elapsed(&self, t: Instant) -> Duration {
        t.saturating_duration_since(self.clock.start)
    }
}

/// Shared handle the tasks hold.
pub type Shared = Arc<Ctx>;
