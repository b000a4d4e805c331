//! The connection watch: a close by the endpoint brings its probe forward; reconnects back off; no descriptor is an impaired watch, never a verdict.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rtoguard_testkit::net::lo;
use rtoguard_testkit::region::Region;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::checker::Check;
use super::scheduler::spawn_checks;
use super::tests_scheduler::target;
use super::watch::{BACKOFF_FLOOR, Backoff, Outcome, STEADY, Watch, arm, classify};
use super::{Limits, LocalFault, ProbeError, ProbeResult, ProbeSpec, Scheduler, Target};

/// An hour: no slot of the schedule comes during a test, so every probe
/// seen after the first round was brought forward by the watch.
const HOUR: Duration = Duration::from_secs(3600);
/// How long a test waits for something that should come at once.
const PATIENCE: Duration = Duration::from_secs(10);

const NO_CAP: Limits = Limits {
    max_in_flight: 64,
    starts_per_second: 0,
};

/// A probe that always passes and counts its runs.
#[derive(Clone, Default)]
struct Counting(Arc<AtomicUsize>);

impl Check for Counting {
    async fn check(&self, _timeout: Duration) -> ProbeResult {
        self.0.fetch_add(1, Ordering::SeqCst);
        ProbeResult {
            ok: true,
            latency: Duration::ZERO,
            detail: "status 200".into(),
            at: Instant::now(),
            lateness: Duration::ZERO,
            local: None,
        }
    }
}

/// A watched TCP target on `addr`, probed every hour.
fn watched(addr: SocketAddr) -> Target {
    let mut t = target(0, HOUR);
    t.endpoint = addr.ip().to_string();
    t.spec = Arc::new(ProbeSpec::Tcp { port: addr.port() });
    t.watch = true;
    t
}

async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind((lo(1), 0)).await.expect("bind");
    let addr = l.local_addr().expect("addr");
    (l, addr)
}

fn budget(n: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(n))
}

#[tokio::test]
async fn closing_the_watched_connection_brings_the_probe_forward() {
    let (l, addr) = listener().await;
    let cancel = CancellationToken::new();
    let probes = Counting::default();
    let items = arm(vec![(watched(addr), probes.clone())], &budget(4), &cancel);
    let (mut rx, _h) = spawn_checks(items, NO_CAP, cancel.clone());
    for n in 1..=2 {
        // The watch connects; the endpoint closes that connection.
        let (conn, _) = tokio::time::timeout(PATIENCE, l.accept())
            .await
            .expect("the watch connects")
            .expect("accept");
        drop(conn);
        let (t, r) = tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .expect("a probe right after the close, not at the hourly slot")
            .expect("scheduler running");
        assert!(r.ok && t.endpoint == addr.ip().to_string());
        assert_eq!(probes.0.load(Ordering::SeqCst), n, "one probe per close");
    }
    cancel.cancel();
}

#[tokio::test]
async fn an_unwatched_target_holds_no_connection() {
    let (l, addr) = listener().await;
    let cancel = CancellationToken::new();
    let mut t = watched(addr);
    t.watch = false;
    let dns = Target {
        spec: Arc::new(ProbeSpec::Dns {
            port: addr.port(),
            query_name: "checkout.example.test.".into(),
            query_type: hickory_proto::rr::RecordType::A,
        }),
        ..watched(addr)
    };
    let b = budget(4);
    let _items = arm(
        vec![(t, Counting::default()), (dns, Counting::default())],
        &b,
        &cancel,
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.available_permits(), 4, "no descriptor taken");
    // Nothing connected: a watched target would have by now.
    let pending = tokio::time::timeout(Duration::from_millis(10), l.accept()).await;
    assert!(pending.is_err(), "an unwatched target connected");
    cancel.cancel();
}

#[tokio::test]
async fn stopping_a_real_region_gets_a_failed_probe_at_once() {
    let ip = lo(1);
    let mut region = Region::start(ip, "primary");
    let mut t = watched(region.addr);
    t.spec = Arc::new(ProbeSpec::Http {
        tls: false,
        port: region.addr.port(),
        path: "/".into(),
        host: String::new(),
        expect_status: vec![],
        body_contains: None,
        header: None,
        ca_file: None,
    });
    let cancel = CancellationToken::new();
    let (mut rx, _h) = Scheduler::spawn(vec![t], NO_CAP, cancel.clone());
    // Wait until the watch holds its connection: the region sees no
    // request from it, so give it a moment on loopback.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = tokio::task::spawn_blocking(move || {
        region.stop();
        region
    });
    let (_, r) = tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("a probe right after the region closed its connections")
        .expect("scheduler running");
    assert!(!r.ok, "the region is stopped: {}", r.detail);
    assert!(r.local.is_none(), "a verdict on the endpoint: {}", r.detail);
    drop(stopped.await);
    cancel.cancel();
}

#[tokio::test]
async fn a_refused_connect_is_unreachable_and_pokes_nothing() {
    let (l, addr) = listener().await;
    drop(l);
    let w = Watch::for_target(&watched(addr), budget(1)).expect("watched");
    assert!(matches!(w.once().await, Outcome::Unreachable(_)));
    let poke = Arc::new(Notify::new());
    let cancel = CancellationToken::new();
    let task = tokio::spawn(w.run(Arc::downgrade(&poke), cancel.clone()));
    let poked = tokio::time::timeout(Duration::from_millis(500), poke.notified()).await;
    assert!(poked.is_err(), "a refused reconnect is no close");
    cancel.cancel();
    task.await.expect("watch ends on cancel");
}

#[tokio::test]
async fn no_descriptor_is_an_impaired_watch_not_a_down() {
    let (l, addr) = listener().await;
    let spent = budget(0);
    let w = Watch::for_target(&watched(addr), spent.clone()).expect("watched");
    assert!(matches!(w.once().await, Outcome::Impaired(_)));
    // The process out of descriptors (EMFILE at connect) is the same.
    let emfile = ProbeError::Local(LocalFault::Descriptors("EMFILE".into()));
    assert!(matches!(classify(emfile), Outcome::Impaired(_)));
    assert!(matches!(
        classify(ProbeError::Refused),
        Outcome::Unreachable(_)
    ));
    // Through the scheduler: the probes go on at their schedule, and no
    // failure is made up.
    let cancel = CancellationToken::new();
    let probes = Counting::default();
    let items = arm(vec![(watched(addr), probes.clone())], &spent, &cancel);
    let (mut rx, _h) = spawn_checks(items, NO_CAP, cancel.clone());
    let pending = tokio::time::timeout(Duration::from_millis(300), l.accept()).await;
    assert!(pending.is_err(), "connected without a descriptor");
    assert!(rx.try_recv().is_err(), "no result, so no failure");
    assert_eq!(probes.0.load(Ordering::SeqCst), 0);
    cancel.cancel();
}

#[test]
fn reconnects_back_off_and_start_over_after_a_steady_connection() {
    let cap = Duration::from_secs(1);
    let mut b = Backoff::new(BACKOFF_FLOOR, cap);
    let refused = Outcome::Unreachable("connect refused".into());
    let short = Outcome::Closed {
        lived: Duration::from_millis(5),
    };
    let ms = |d: Duration| d.as_millis();
    let waits: Vec<u128> = [&refused, &short, &refused, &refused, &refused, &refused]
        .into_iter()
        .map(|o| ms(b.after(o)))
        .collect();
    assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
    let steady = Outcome::Closed { lived: STEADY };
    assert_eq!(ms(b.after(&steady)), 100, "a steady connection starts over");
    assert_eq!(ms(b.after(&refused)), 200);
    let impaired = Outcome::Impaired("no descriptor".into());
    assert_eq!(ms(b.after(&impaired)), 400, "impaired backs off too");
}

#[tokio::test]
async fn the_watch_ends_with_its_scheduler_side() {
    let (l, addr) = listener().await;
    let w = Watch::for_target(&watched(addr), budget(1)).expect("watched");
    let poke = Arc::new(Notify::new());
    let task = tokio::spawn(w.run(Arc::downgrade(&poke), CancellationToken::new()));
    let (conn, _) = l.accept().await.expect("accept");
    drop(poke);
    drop(conn);
    tokio::time::timeout(PATIENCE, task)
        .await
        .expect("the watch stops once its target is gone")
        .expect("no panic");
}
