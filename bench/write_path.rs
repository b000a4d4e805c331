//! Benchmark: the write path. Over N runs (default 20) against BIND on
//! loopback, flip the service between its pools through the move engine (the
//! daemon's and the CLI's path: read, compare-and-set update, in-sync check)
//! and time flip requested → provider accepted and → in sync. Prints
//! min / median / max of each, and the same for a TTL change.
//!
//! Run: `cargo bench --bench write_path` (RUNS=N to change the count); a
//! debug build is enough: `cargo bench --profile dev --bench write_path`.

// Benchmarks measure wall-clock time (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Testbed;
use rtoguard::engine::{self, Outcome, Prepared, Progress};
use rtoguard_provider_api::{Provider, Receipt};

/// The engine's progress, stamped on the wall clock.
#[derive(Default)]
struct Stamps {
    accepted: Mutex<Option<Instant>>,
    in_sync: Mutex<Option<Instant>>,
}

impl Progress for Stamps {
    fn applied(&self, _receipt: &Receipt) {
        *self.accepted.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }
    fn in_sync(&self) {
        *self.in_sync.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }
}

/// (requested → accepted, requested → in sync) of one write.
type Sample = (Duration, Duration);

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let tb = Testbed::start(30, 5, "1h");
    let cfg = rtoguard::config::load(&tb.config).expect("the testbed's config");
    let svc = cfg.services[0].clone();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let p = rt
        .block_on(rtoguard::providers::build(&cfg, &svc.provider))
        .expect("the BIND provider");
    let (mut flips, mut ttls) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let (from, to) = if i % 2 == 0 {
            ("primary", "standby")
        } else {
            ("standby", "primary")
        };
        let f = rt.block_on(write(&svc, &p, |s, p| async move {
            engine::flip_change(s, p, Some(from), to, 30).await
        }));
        let t = rt.block_on(write(&svc, &p, |s, p| async move {
            engine::ttl_change(s, p, 5).await
        }));
        eprintln!(
            "run {:>2}: flip accepted {:.1} ms, in sync {:.1} ms; ttl accepted {:.1} ms, in sync {:.1} ms",
            i + 1,
            ms(f.0),
            ms(f.1),
            ms(t.0),
            ms(t.1)
        );
        flips.push(f);
        ttls.push(t);
        // Let the request budget refill (a second's worth at once).
        std::thread::sleep(Duration::from_millis(600));
    }
    println!("write path against BIND on loopback, {runs} runs (min / median / max)");
    print_row("flip requested -> provider accepted", &flips, |s| s.0);
    print_row("flip requested -> in sync          ", &flips, |s| s.1);
    print_row("ttl requested  -> provider accepted", &ttls, |s| s.0);
    print_row("ttl requested  -> in sync          ", &ttls, |s| s.1);
}

/// One write: prepare (read), apply, wait in sync; timed from the request.
async fn write<'a, F, Fut>(
    svc: &'a rtoguard::config::Service,
    p: &'a Arc<dyn Provider>,
    prepare: F,
) -> Sample
where
    F: FnOnce(&'a rtoguard::config::Service, &'a Arc<dyn Provider>) -> Fut,
    Fut: std::future::Future<Output = Result<Prepared, rtoguard_provider_api::ProviderError>>,
{
    let stamps = Stamps::default();
    let requested = Instant::now();
    let change = match prepare(svc, p).await.expect("the change") {
        Prepared::Change(c) => c,
        Prepared::Served => panic!("nothing to write: the bench expects a change"),
    };
    let outcome = engine::apply(svc, p, &change, Duration::from_secs(10), &stamps)
        .await
        .expect("the write");
    assert!(matches!(outcome, Outcome::Applied(_)), "another writer?");
    let at = |m: &Mutex<Option<Instant>>| {
        m.lock()
            .unwrap_or_else(|e| e.into_inner())
            .expect("stamped")
            .duration_since(requested)
    };
    (at(&stamps.accepted), at(&stamps.in_sync))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_row(name: &str, samples: &[Sample], pick: impl Fn(&Sample) -> Duration) {
    let mut v: Vec<Duration> = samples.iter().map(pick).collect();
    v.sort();
    let (Some(min), Some(max)) = (v.first(), v.last()) else {
        return;
    };
    println!(
        "  {name}: {:.1} / {:.1} / {:.1} ms",
        ms(*min),
        ms(v[v.len() / 2]),
        ms(*max)
    );
}
