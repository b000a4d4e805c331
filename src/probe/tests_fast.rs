//! Fast confirmation in the scheduler, on paused time: which gaps follow which results.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::checker::Check;
use super::scheduler::{spawn_checks, spawn_checks_on};
use super::tests_scheduler::target;
use super::{Hysteresis, Limits, LocalFault, ProbeNow, ProbeResult, Target};

const UP: u8 = 0;
const FAILING: u8 = 1;
const LOCAL: u8 = 2;

/// A probe whose outcome (and duration, in ms) the test sets between results.
#[derive(Clone)]
struct Scripted(Arc<AtomicU8>, Arc<AtomicU64>);

impl Scripted {
    fn new() -> Self {
        Self(Arc::new(AtomicU8::new(UP)), Arc::new(AtomicU64::new(3)))
    }

    fn set(&self, v: u8) {
        self.0.store(v, Ordering::SeqCst);
    }
}

impl Check for Scripted {
    async fn check(&self, _timeout: Duration) -> ProbeResult {
        let at = Instant::now();
        tokio::time::sleep(Duration::from_millis(self.1.load(Ordering::SeqCst))).await;
        let v = self.0.load(Ordering::SeqCst);
        ProbeResult {
            ok: v == UP,
            latency: at.elapsed(),
            detail: if v == UP { "status 200" } else { "status 503" }.into(),
            at,
            lateness: Duration::ZERO,
            local: (v == LOCAL).then(|| LocalFault::Descriptors("EMFILE".into())),
        }
    }
}

const INTERVAL: Duration = Duration::from_secs(1);
const FAST: Duration = Duration::from_millis(200);

const NO_CAP: Limits = Limits {
    max_in_flight: 10_000,
    starts_per_second: 0,
};

fn fast_target(i: usize, rise: u32, fall: u32) -> Target {
    let mut t = target(i, INTERVAL);
    t.fast_interval = FAST;
    t.rules = Hysteresis { rise, fall };
    t
}

/// One target, scripted; up (after `rise` successes) when this returns.
async fn up_target(
    rise: u32,
    fall: u32,
) -> (
    mpsc::Receiver<(std::sync::Arc<Target>, ProbeResult)>,
    Scripted,
) {
    up_target_with(fast_target(0, rise, fall), rise).await
}

async fn up_target_with(
    t: Target,
    rise: u32,
) -> (
    mpsc::Receiver<(std::sync::Arc<Target>, ProbeResult)>,
    Scripted,
) {
    let s = Scripted::new();
    let items = vec![(t, s.clone())];
    let (mut rx, _handle) = spawn_checks(items, NO_CAP, CancellationToken::new());
    for _ in 0..rise {
        assert!(rx.recv().await.unwrap().1.ok);
    }
    (rx, s)
}

/// The next `n` results' start times and verdicts.
async fn next(
    rx: &mut mpsc::Receiver<(std::sync::Arc<Target>, ProbeResult)>,
    n: usize,
) -> Vec<(Instant, bool)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let (_, r) = rx.recv().await.unwrap();
        out.push((r.at, r.ok));
    }
    out
}

/// Gaps between consecutive starts, rounded to the timer wheel's millisecond.
fn gaps(rs: &[(Instant, bool)]) -> Vec<Duration> {
    rs.windows(2)
        .map(|w| Duration::from_millis((w[1].0 - w[0].0).as_millis() as u64))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_failure_while_up_is_confirmed_at_the_fast_interval_then_back_to_interval() {
    let (mut rx, s) = up_target(2, 3).await;
    s.set(FAILING);
    let rs = next(&mut rx, 5).await;
    assert!(rs.iter().all(|(_, ok)| !ok));
    // failures 1 → 2 → 3 (fall: down) come fast, then the interval again
    assert_eq!(gaps(&rs), [FAST, FAST, INTERVAL, INTERVAL]);
}

#[tokio::test(start_paused = true)]
async fn one_failure_then_a_success_returns_to_the_interval() {
    let (mut rx, s) = up_target(2, 3).await;
    s.set(FAILING);
    let first = next(&mut rx, 1).await;
    s.set(UP);
    let rest = next(&mut rx, 3).await;
    let rs: Vec<_> = first.into_iter().chain(rest).collect();
    assert_eq!(
        rs.iter().map(|(_, ok)| *ok).collect::<Vec<_>>(),
        [false, true, true, true]
    );
    assert_eq!(gaps(&rs), [FAST, INTERVAL, INTERVAL]);
}

#[tokio::test(start_paused = true)]
async fn a_success_while_down_is_confirmed_fast_until_rise() {
    let (mut rx, s) = up_target(3, 2).await;
    s.set(FAILING);
    next(&mut rx, 2).await; // fall 2: down
    let down = next(&mut rx, 1).await;
    s.set(UP);
    let rest = next(&mut rx, 4).await;
    let rs: Vec<_> = down.into_iter().chain(rest).collect();
    assert_eq!(
        rs.iter().map(|(_, ok)| *ok).collect::<Vec<_>>(),
        [false, true, true, true, true]
    );
    // down, so the interval; successes 1 → 2 → 3 (rise: up) fast; then the interval
    assert_eq!(gaps(&rs), [INTERVAL, FAST, FAST, INTERVAL]);
}

#[tokio::test(start_paused = true)]
async fn local_failures_are_not_doubt() {
    let (mut rx, s) = up_target(2, 3).await;
    s.set(LOCAL);
    let rs = next(&mut rx, 4).await;
    assert_eq!(gaps(&rs), [INTERVAL, INTERVAL, INTERVAL]);
    // a doubt already begun is not hurried by a local failure either
    s.set(FAILING);
    let failed = next(&mut rx, 1).await;
    s.set(LOCAL);
    let local = next(&mut rx, 1).await;
    s.set(FAILING);
    let again = next(&mut rx, 2).await;
    let rs: Vec<_> = failed.into_iter().chain(local).chain(again).collect();
    assert_eq!(gaps(&rs), [FAST, INTERVAL, FAST]);
}

#[tokio::test(start_paused = true)]
async fn the_start_rate_cap_holds_with_fast_probes() {
    let s = Scripted::new();
    // fall 1000: every target stays in doubt, wanting 5 starts a second each
    let items = (0..20)
        .map(|i| (fast_target(i, 1, 1000), s.clone()))
        .collect();
    let limits = Limits {
        max_in_flight: 10_000,
        starts_per_second: 50,
    };
    let (mut rx, _handle) = spawn_checks(items, limits, CancellationToken::new());
    next(&mut rx, 20).await;
    s.set(FAILING);
    let began = Instant::now();
    let mut starts = Vec::new();
    while Instant::now() - began < Duration::from_secs(10) {
        starts.push(rx.recv().await.unwrap().1.at);
    }
    starts.sort();
    // a burst of 50, then at most 50 a second
    for (i, at) in starts.iter().enumerate() {
        let within = starts[i..]
            .iter()
            .take_while(|t| **t - *at < INTERVAL)
            .count();
        assert!(within <= 100, "{within} starts within 1s of start {i}");
    }
    // yet more than the 20 a second the interval alone would give
    assert!(starts.len() > 300, "{} starts in 10s", starts.len());
}

#[tokio::test(start_paused = true)]
async fn the_late_rule_measures_against_the_fast_interval_while_fast() {
    let mut t = fast_target(0, 2, 3);
    t.timeout = Duration::from_millis(100);
    let (mut rx, s) = up_target_with(t, 2).await;
    // the probe's timer fires 300 ms past its 100 ms timeout: a stall of
    // this process, under one interval (1 s) but over the fast one (200 ms)
    s.1.store(400, Ordering::SeqCst);
    s.set(FAILING);
    let (_, first) = rx.recv().await.unwrap();
    assert!(first.local.is_none(), "planned at the interval: {first:?}");
    let (_, second) = rx.recv().await.unwrap();
    assert_eq!(
        second.local,
        Some(LocalFault::Late(Duration::from_millis(300))),
        "planned at the fast interval: {second:?}"
    );
}

/// One target up (rise 2, fall 3) on a board of its own: its results, its
/// script, the board, and its two passing probes.
async fn up_on_a_board() -> (
    mpsc::Receiver<(Arc<Target>, ProbeResult)>,
    Scripted,
    ProbeNow,
    Vec<(Instant, bool)>,
) {
    let s = Scripted::new();
    let board = ProbeNow::default();
    let items = vec![(fast_target(0, 2, 3), s.clone())];
    let (mut rx, _handle) = spawn_checks_on(items, NO_CAP, CancellationToken::new(), &board);
    let up = next(&mut rx, 2).await;
    assert!(up.iter().all(|(_, ok)| *ok));
    (rx, s, board, up)
}

#[tokio::test(start_paused = true)]
async fn a_poke_on_the_board_probes_at_once_and_its_failure_is_confirmed_fast() {
    let (mut rx, s, board, up) = up_on_a_board().await;
    // A peer doubts the endpoint 300 ms after the last probe: the next
    // one starts then, not at the interval, and its failure goes fast.
    tokio::time::sleep_until(up[1].0 + Duration::from_millis(300)).await;
    s.set(FAILING);
    assert!(board.poke("checkout", "primary", "10.0.0.0"));
    assert!(
        !board.poke("checkout", "primary", "10.9.9.9"),
        "no such target"
    );
    let rs = next(&mut rx, 3).await;
    assert!(rs.iter().all(|(_, ok)| !ok));
    assert_eq!(gaps(&[up[1], rs[0]]), [Duration::from_millis(300)]);
    assert_eq!(gaps(&rs), [FAST, FAST]);
}

#[tokio::test(start_paused = true)]
async fn pokes_never_probe_sooner_than_the_fast_interval_after_the_last_probe() {
    let (mut rx, _script, board, up) = up_on_a_board().await;
    // Peers doubting 50 ms after a probe, and again and again: the next
    // probe waits for the fast interval, and there is one.
    tokio::time::sleep_until(up[1].0 + Duration::from_millis(50)).await;
    for _ in 0..3 {
        assert!(board.poke("checkout", "primary", "10.0.0.0"));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rs = next(&mut rx, 2).await;
    assert_eq!(gaps(&[up[1], rs[0]]), [FAST]);
    assert_eq!(
        gaps(&rs),
        [INTERVAL],
        "a passing probe: back to the interval"
    );
}
