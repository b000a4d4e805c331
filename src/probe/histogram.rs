//! A small lock-free log-linear histogram of durations (microseconds, ~12% buckets).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Values under 16 µs get one bucket each; above, 8 buckets per power of two.
const LINEAR: usize = 16;
const SUB: usize = 8;
const BUCKETS: usize = LINEAR + (64 - 4) * SUB;

#[derive(Debug)]
pub(super) struct Histogram {
    counts: Box<[AtomicU64]>,
}

impl Histogram {
    pub(super) fn new() -> Self {
        Self {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    pub(super) fn record(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.counts[index(us)].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The value at quantile `q` (0.0–1.0), as its bucket's upper bound;
    /// zero when nothing was recorded.
    pub(super) fn quantile(&self, q: f64) -> Duration {
        let total = self.count();
        if total == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c.load(Ordering::Relaxed);
            if seen >= rank {
                return Duration::from_micros(upper(i));
            }
        }
        Duration::from_micros(upper(BUCKETS - 1))
    }
}

fn index(us: u64) -> usize {
    if us < LINEAR as u64 {
        return us as usize;
    }
    let e = 63 - us.leading_zeros() as usize; // >= 4
    let m = ((us >> (e - 3)) & 7) as usize;
    LINEAR + (e - 4) * SUB + m
}

fn upper(i: usize) -> u64 {
    if i < LINEAR {
        return i as u64;
    }
    let e = (i - LINEAR) / SUB + 4;
    let m = ((i - LINEAR) % SUB) as u64;
    let low = (8 + m) << (e - 3);
    low.saturating_add((1u64 << (e - 3)) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_contain_their_values() {
        for us in [
            0u64,
            1,
            15,
            16,
            17,
            100,
            1_000,
            123_456,
            10_000_000,
            u64::MAX,
        ] {
            let i = index(us);
            assert!(upper(i) >= us, "{us} above bucket {i}");
            assert!(upper(i) - us <= us / 8 + 1, "{us} bucket {i} too wide");
            if i > 0 {
                assert!(upper(i - 1) < us, "{us} also fits bucket {}", i - 1);
            }
        }
    }

    #[test]
    fn quantiles_of_a_known_spread() {
        let h = Histogram::new();
        assert_eq!(h.quantile(0.5), Duration::ZERO);
        for ms in 1..=100 {
            h.record(Duration::from_millis(ms));
        }
        let p50 = h.quantile(0.5).as_micros() as u64;
        let p99 = h.quantile(0.99).as_micros() as u64;
        assert!((50_000..=50_000 * 9 / 8).contains(&p50), "p50 {p50}");
        assert!((99_000..=99_000 * 9 / 8).contains(&p99), "p99 {p99}");
        assert_eq!(h.count(), 100);
    }
}
