//! Scheduler tests: paused time with a fake check, and one real run against a region.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rtoguard_testkit::net::lo;
use rtoguard_testkit::region::Region;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::checker::Check;
use super::scheduler::spawn_checks;
use super::{Limits, ProbeResult, ProbeSpec, Scheduler, Target};

/// A probe that takes `work` of (virtual) time and counts how many run at once.
#[derive(Clone)]
struct Fake {
    work: Duration,
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

/// Decrements the in-flight count even when the probe is dropped mid-way.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Check for Fake {
    async fn check(&self, _timeout: Duration) -> ProbeResult {
        let at = Instant::now();
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        let _running = Running(self.now.clone());
        self.max.fetch_max(n, Ordering::SeqCst);
        tokio::time::sleep(self.work).await;
        ProbeResult {
            ok: true,
            latency: at.elapsed(),
            detail: "fake".into(),
            at,
            lateness: Duration::ZERO,
            local: None,
        }
    }
}

pub(super) fn target(i: usize, interval: Duration) -> Target {
    Target {
        service: "checkout".into(),
        pool: "primary".into(),
        endpoint: format!("10.0.0.{i}"),
        spec: Arc::new(ProbeSpec::Tcp { port: 443 }),
        interval,
        fast_interval: interval,
        rules: super::Hysteresis { rise: 2, fall: 3 },
        timeout: Duration::from_secs(1),
        source: None,
        watch: false,
        resolve_via: Vec::new(),
    }
}

fn fakes(n: usize, interval: Duration, work: Duration) -> (Vec<(Target, Fake)>, Fake) {
    let fake = Fake {
        work,
        now: Arc::new(AtomicUsize::new(0)),
        max: Arc::new(AtomicUsize::new(0)),
    };
    let items = (0..n)
        .map(|i| (target(i, interval), fake.clone()))
        .collect();
    (items, fake)
}

const NO_CAP: Limits = Limits {
    max_in_flight: 10_000,
    starts_per_second: 0,
};

#[tokio::test(start_paused = true)]
async fn starts_are_spread_over_the_first_interval_then_keep_the_interval() {
    let interval = Duration::from_secs(10);
    let (items, _) = fakes(200, interval, Duration::ZERO);
    let start = Instant::now();
    let (mut rx, handle) = spawn_checks(items, NO_CAP, CancellationToken::new());
    let mut first: HashMap<String, Instant> = HashMap::new();
    let mut second: HashMap<String, Instant> = HashMap::new();
    while second.len() < 200 {
        let (t, r) = rx.recv().await.unwrap();
        let Some(f) = first.get(&t.endpoint) else {
            first.insert(t.endpoint.clone(), r.at);
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = second.entry(t.endpoint.clone()) {
            // the timer wheel ticks in milliseconds
            let gap = r.at - *f;
            assert!(
                gap.abs_diff(interval) <= Duration::from_millis(1),
                "{gap:?}"
            );
            slot.insert(r.at);
        }
    }
    let offsets: Vec<Duration> = first.values().map(|at| *at - start).collect();
    assert!(offsets.iter().all(|o| *o < interval));
    let distinct: std::collections::HashSet<_> = offsets.iter().collect();
    assert!(distinct.len() > 190, "lock-step starts: {}", distinct.len());
    let (lo_, hi) = (offsets.iter().min().unwrap(), offsets.iter().max().unwrap());
    assert!(*lo_ < Duration::from_secs(2) && *hi > Duration::from_secs(8));
    // nothing held the probes back: lateness is only the timer's millisecond tick
    let (_, p99) = handle.lateness_percentiles();
    assert!(p99 <= Duration::from_micros(1100), "{p99:?}");
}

#[tokio::test(start_paused = true)]
async fn never_more_probes_in_flight_than_the_cap() {
    let limits = Limits {
        max_in_flight: 5,
        starts_per_second: 0,
    };
    let (items, fake) = fakes(50, Duration::from_secs(1), Duration::from_millis(800));
    let (mut rx, handle) = spawn_checks(items, limits, CancellationToken::new());
    let mut late = Duration::ZERO;
    for _ in 0..300 {
        let (_, r) = rx.recv().await.unwrap();
        late = late.max(r.lateness);
    }
    assert_eq!(fake.max.load(Ordering::SeqCst), 5);
    assert!(late > Duration::ZERO, "a capped backlog must show lateness");
    let (p50, p99) = handle.lateness_percentiles();
    assert!(p99 >= p50 && p99 > Duration::ZERO, "{p50:?} {p99:?}");
    assert!(handle.probes_started() >= 300);
}

#[tokio::test(start_paused = true)]
async fn a_probe_started_more_than_an_interval_late_is_local() {
    let limits = Limits {
        max_in_flight: 1,
        starts_per_second: 0,
    };
    let interval = Duration::from_secs(1);
    let (items, _) = fakes(10, interval, Duration::from_millis(800));
    let (mut rx, _handle) = spawn_checks(items, limits, CancellationToken::new());
    let (mut late, mut on_time) = (0, 0);
    for _ in 0..60 {
        let (_, r) = rx.recv().await.unwrap();
        if r.lateness > interval {
            late += 1;
            assert!(!r.ok, "a late result counts for nothing: {r:?}");
            assert_eq!(r.local, Some(super::LocalFault::Late(r.lateness)));
            assert!(r.detail.contains("saw: fake"), "{}", r.detail);
        } else {
            on_time += 1;
            assert!(r.ok && r.local.is_none(), "{r:?}");
        }
    }
    assert!(late > 0 && on_time > 0, "late {late}, on time {on_time}");
}

#[tokio::test(start_paused = true)]
async fn a_probe_whose_timeout_fired_an_interval_late_is_local() {
    // The fake ignores its 1s timeout and takes 2.5s: what a stalled process
    // (its timer firing late) looks like from the scheduler.
    let (items, _) = fakes(1, Duration::from_secs(1), Duration::from_millis(2500));
    let (mut rx, _handle) = spawn_checks(items, NO_CAP, CancellationToken::new());
    let (_, r) = rx.recv().await.unwrap();
    assert!(!r.ok);
    assert_eq!(
        r.local,
        Some(super::LocalFault::Late(Duration::from_millis(1500)))
    );
}

#[tokio::test(start_paused = true)]
async fn start_rate_is_capped() {
    let limits = Limits {
        max_in_flight: 10_000,
        starts_per_second: 10,
    };
    let (items, _) = fakes(100, Duration::from_millis(100), Duration::ZERO);
    let (mut rx, _handle) = spawn_checks(items, limits, CancellationToken::new());
    let mut starts = Vec::new();
    for _ in 0..100 {
        starts.push(rx.recv().await.unwrap().1.at);
    }
    // a burst of 10, then at most 10 a second: 100 starts need at least 9 s
    let span = *starts.iter().max().unwrap() - *starts.iter().min().unwrap();
    assert!(span >= Duration::from_secs(8), "{span:?}");
}

#[tokio::test(start_paused = true)]
async fn cancel_stops_every_task_and_closes_the_channel() {
    let (items, fake) = fakes(20, Duration::from_secs(1), Duration::from_secs(5));
    let cancel = CancellationToken::new();
    let (mut rx, handle) = spawn_checks(items, NO_CAP, cancel.clone());
    rx.recv().await.unwrap();
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(60), handle.stopped())
        .await
        .expect("tasks ended");
    while rx.recv().await.is_some() {}
    assert_eq!(fake.now.load(Ordering::SeqCst), 0, "probes left running");
}

#[tokio::test]
async fn real_targets_are_probed_and_reported() {
    let region = Region::start(lo(2), "us-east-1");
    let mut t = target(0, Duration::from_millis(100));
    t.endpoint = "127.0.0.2".into();
    t.spec = Arc::new(super::tests_http::http(region.addr.port()));
    let mut tcp = t.clone();
    tcp.spec = Arc::new(ProbeSpec::Tcp {
        port: region.addr.port(),
    });
    let cancel = CancellationToken::new();
    let (mut rx, handle) = Scheduler::spawn(vec![t, tcp], Limits::default(), cancel.clone());
    let mut seen = HashMap::new();
    while seen.len() < 2 {
        let (t, r) = rx.recv().await.unwrap();
        assert!(r.ok, "{r:?}");
        seen.insert(r.detail.clone(), t.endpoint.clone());
    }
    assert!(seen.contains_key("status 200") && seen.contains_key("connected"));
    cancel.cancel();
    handle.stopped().await;
    assert!(region.requests() >= 1);
}
