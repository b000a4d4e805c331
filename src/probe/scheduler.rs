//! The shared probe scheduler: every target on its own interval from a random
//! start offset (its fast interval while in doubt), under one cap on probes
//! in flight and one on the start rate.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::debug;

use super::checker::Check;
pub use super::checker::Limits;
use super::confirm::Confirm;
use super::histogram::Histogram;
use super::{LocalFault, ProbeNow, ProbeResult, Prober, Target, TlsConfigs};

/// governor's clock on tokio's time, so paused test time drives the rate cap too.
#[derive(Debug, Clone)]
struct TokioClock {
    origin: Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

struct Shared {
    in_flight: Semaphore,
    limiter: Option<Limiter>,
    clock: TokioClock,
    lateness: Histogram,
}

/// The one scheduler of the process.
pub struct Scheduler;

/// Observes a running scheduler.
#[derive(Clone)]
pub struct SchedulerHandle {
    shared: Arc<Shared>,
    tracker: TaskTracker,
}

impl std::fmt::Debug for SchedulerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerHandle")
            .field("probes_started", &self.probes_started())
            .finish()
    }
}

impl SchedulerHandle {
    /// Scheduling lateness (actual start − planned start): (p50, p99).
    pub fn lateness_percentiles(&self) -> (Duration, Duration) {
        let h = &self.shared.lateness;
        (h.quantile(0.50), h.quantile(0.99))
    }

    /// Probes started so far.
    pub fn probes_started(&self) -> u64 {
        self.shared.lateness.count()
    }

    /// Wait until every target's task has ended (after the cancel token fires,
    /// or the receiver is dropped).
    pub async fn stopped(&self) {
        self.tracker.wait().await;
    }
}

impl Scheduler {
    /// Start probing every target (one light task per target; call within a
    /// tokio runtime). Results arrive on the receiver; `cancel` stops it all.
    pub fn spawn(
        targets: Vec<Target>,
        limits: Limits,
        cancel: CancellationToken,
    ) -> (mpsc::Receiver<(Arc<Target>, ProbeResult)>, SchedulerHandle) {
        Self::spawn_on(targets, limits, cancel, &ProbeNow::default())
    }

    /// [`Scheduler::spawn`], every target registered on `board` so it can
    /// be probed ahead of its slot (see [`ProbeNow`]).
    pub fn spawn_on(
        targets: Vec<Target>,
        limits: Limits,
        cancel: CancellationToken,
        board: &ProbeNow,
    ) -> (mpsc::Receiver<(Arc<Target>, ProbeResult)>, SchedulerHandle) {
        super::test_hook::spawn_fd_hold(cancel.clone());
        let tls = TlsConfigs::new();
        let items = targets
            .into_iter()
            .map(|t| {
                let lookup = (!t.resolve_via.is_empty())
                    .then(|| Arc::new(super::Lookup::new(&t.endpoint, &t.resolve_via)));
                let p = Prober::with_lookup(t.spec.clone(), &t.endpoint, &tls, t.source, lookup);
                (t, p)
            })
            .collect();
        let items = super::watch::arm(items, &super::watch::budget(limits), &cancel);
        spawn_checks_on(items, limits, cancel, board)
    }
}

/// [`Scheduler::spawn`] over any [`Check`].
#[cfg(test)]
pub(super) fn spawn_checks<C: Check>(
    items: Vec<(Target, C)>,
    limits: Limits,
    cancel: CancellationToken,
) -> (mpsc::Receiver<(Arc<Target>, ProbeResult)>, SchedulerHandle) {
    spawn_checks_on(items, limits, cancel, &ProbeNow::default())
}

/// [`Scheduler::spawn_on`] over any [`Check`].
pub(super) fn spawn_checks_on<C: Check>(
    items: Vec<(Target, C)>,
    limits: Limits,
    cancel: CancellationToken,
    board: &ProbeNow,
) -> (mpsc::Receiver<(Arc<Target>, ProbeResult)>, SchedulerHandle) {
    let clock = TokioClock {
        origin: Instant::now(),
    };
    let limiter = NonZeroU32::new(limits.starts_per_second)
        .map(|n| RateLimiter::direct_with_clock(Quota::per_second(n), clock.clone()));
    let shared = Arc::new(Shared {
        in_flight: Semaphore::new(limits.max_in_flight.max(1)),
        limiter,
        clock,
        lateness: Histogram::new(),
    });
    let (tx, rx) = mpsc::channel(items.len().clamp(16, 4096));
    let tracker = TaskTracker::new();
    let start = Instant::now();
    for (target, check) in items {
        let (shared, tx, cancel) = (shared.clone(), tx.clone(), cancel.clone());
        let wake = board.register(&target);
        tracker.spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = run_target(Arc::new(target), check, &shared, tx, start, &wake) => {}
            }
        });
    }
    tracker.close();
    (rx, SchedulerHandle { shared, tracker })
}

/// A random start offset within the first interval.
fn first_start(start: Instant, interval: Duration) -> Instant {
    let nanos = u64::try_from(interval.as_nanos())
        .unwrap_or(u64::MAX)
        .max(1);
    start + Duration::from_nanos(rand::random_range(0..nanos))
}

/// Probe one target forever (until the receiver is gone); the caller cancels.
///
/// Every `interval`, or every `fast_interval` while the endpoint is in doubt
/// (see [`Confirm`]), never starting before the previous probe ended; at
/// once when the check is poked (the watch); when `wake` is (a peer's doubt,
/// see [`ProbeNow`]), at once but never sooner than `fast_interval` after
/// the last start, however often peers doubt.
async fn run_target<C: Check>(
    target: Arc<Target>,
    check: C,
    shared: &Shared,
    tx: mpsc::Sender<(Arc<Target>, ProbeResult)>,
    start: Instant,
    wake: &tokio::sync::Notify,
) {
    let interval = target.interval.max(Duration::from_millis(1));
    let fast = target
        .fast_interval
        .clamp(Duration::from_millis(1), interval);
    let mut confirm = Confirm::new(target.rules);
    let mut planned = first_start(start, interval);
    // The spacing this slot was planned with: the late rule is measured on it.
    let mut gap = interval;
    let mut last_start: Option<Instant> = None;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(planned) => {}
            () = check.poked() => planned = Instant::now(),
            () = wake.notified() => {
                let soonest = last_start.map_or_else(Instant::now, |s| (s + fast).max(Instant::now()));
                planned = planned.min(soonest);
                continue;
            }
        }
        super::test_hook::while_frozen(target.source).await;
        let Some(result) = probe_slot(&target, &check, shared, planned, gap).await else {
            return;
        };
        let lateness = result.lateness;
        last_start = Some(result.at);
        let in_doubt = confirm.observe(&result);
        if tx.send((target.clone(), result)).await.is_err() {
            return;
        }
        let now = Instant::now();
        (planned, gap) = if in_doubt {
            ((planned + fast).max(now), fast)
        } else {
            (next_slot(planned, interval, now), interval)
        };
        if lateness > interval {
            debug!(service = %target.service, endpoint = %target.endpoint, ?lateness,
                "Probe started late; skipped missed slots.");
        }
    }
}

/// Run the probe of one slot planned for `planned` with spacing `gap`, under
/// the in-flight and rate caps; None if the in-flight semaphore is closed.
async fn probe_slot<C: Check>(
    target: &Target,
    check: &C,
    shared: &Shared,
    planned: Instant,
    gap: Duration,
) -> Option<ProbeResult> {
    // The permit is held for the whole probe; it cannot fail as the
    // semaphore is never closed, but end quietly if it ever were.
    let permit = shared.in_flight.acquire().await.ok()?;
    wait_rate(shared).await;
    let started = Instant::now();
    let lateness = started.saturating_duration_since(planned);
    shared.lateness.record(lateness);
    // On the heap for the probe's life only: a target waiting for its slot
    // (nearly all of them, nearly always) holds no room for a probe's state.
    let mut result = Box::pin(check.check(target.timeout)).await;
    result.lateness = lateness;
    drop(permit);
    // A start, or a timeout's timer, more than the planned spacing late:
    // this process was stalled, so the result says nothing about the endpoint.
    let overrun = result.latency.saturating_sub(target.timeout);
    if lateness > gap || overrun > gap {
        mark_late(&mut result, lateness.max(overrun));
    }
    if !result.ok {
        debug!(service = %target.service, pool = %target.pool, endpoint = %target.endpoint,
            detail = %result.detail, "Probe failed.");
    }
    Some(result)
}

/// A probe started (or ended) more than one interval late: this host is too
/// busy to keep its schedule, so the result is local whatever it saw.
fn mark_late(result: &mut ProbeResult, by: Duration) {
    let fault = LocalFault::Late(by);
    result.detail = format!("{fault} (saw: {})", result.detail);
    result.ok = false;
    result.local = Some(fault);
}

/// The first slot after `now` on the grid `planned + k·interval` (missed slots are skipped).
fn next_slot(planned: Instant, interval: Duration, now: Instant) -> Instant {
    let next = planned + interval;
    if next > now {
        return next;
    }
    let behind = now.saturating_duration_since(next).as_nanos();
    let steps = behind / interval.as_nanos() + 1;
    let skip = u32::try_from(steps).unwrap_or(u32::MAX);
    next + interval.saturating_mul(skip)
}

async fn wait_rate(shared: &Shared) {
    let Some(limiter) = &shared.limiter else {
        return;
    };
    while let Err(not_until) = limiter.check() {
        let wait = not_until.wait_time_from(shared.clock.now());
        tokio::time::sleep(wait.max(Duration::from_micros(1))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_slot_skips_missed_slots_on_the_grid() {
        let o = Instant::now();
        let i = Duration::from_secs(5);
        assert_eq!(next_slot(o, i, o + Duration::from_secs(1)), o + i);
        assert_eq!(
            next_slot(o, i, o + Duration::from_secs(5)),
            o + Duration::from_secs(10)
        );
        assert_eq!(
            next_slot(o, i, o + Duration::from_secs(23)),
            o + Duration::from_secs(25)
        );
    }
}
