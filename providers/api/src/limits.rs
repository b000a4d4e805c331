//! The shared request budget and retry with exponential backoff and jitter.

use std::future::Future;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::RngExt;
use tokio::time::Instant;

use crate::ProviderError;

/// A provider's request budget: at most `rps` requests a second, no burst
/// above that.
#[derive(Debug)]
pub struct Budget {
    rps: NonZeroU32,
    limiter: DefaultDirectRateLimiter,
}

impl Budget {
    /// `rps` of 0 is treated as 1.
    pub fn per_second(rps: u32) -> Self {
        let rps = NonZeroU32::new(rps).unwrap_or(NonZeroU32::MIN);
        // One token of burst: requests are spread evenly over the second.
        let quota = Quota::per_second(rps).allow_burst(NonZeroU32::MIN);
        Self {
            rps,
            limiter: RateLimiter::direct(quota),
        }
    }

    /// At most `rps` requests a second on average, and up to `burst` (at
    /// most `rps`) at once: one write and its confirmation need not queue
    /// behind each other. `rps` or `burst` of 0 is treated as 1.
    pub fn with_burst(rps: u32, burst: u32) -> Self {
        let rps = NonZeroU32::new(rps).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.min(rps.get())).unwrap_or(NonZeroU32::MIN);
        Self {
            rps,
            limiter: RateLimiter::direct(Quota::per_second(rps).allow_burst(burst)),
        }
    }

    pub fn rps(&self) -> u32 {
        self.rps.get()
    }

    /// Wait until one more request fits in the budget.
    pub async fn acquire(&self) {
        self.limiter.until_ready().await;
    }
}

/// How long and how often to retry a request that failed with a retryable error.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Give up once this much time has passed since the first attempt.
    pub deadline: Duration,
    /// The first backoff; doubled after each failure.
    pub initial: Duration,
    /// The longest single backoff.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(60),
            initial: Duration::from_millis(200),
            max: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` (0-based), with full jitter
    /// over its upper half, or the provider's `Retry-After` when it is longer.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .initial
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.max);
        let half = exp / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
        let d = half + Duration::from_millis(jitter);
        retry_after.map_or(d, |ra| ra.max(d))
    }
}

/// Run `op` until it succeeds, fails with a final error, or the policy's
/// deadline passes (then the last error is returned). Each attempt first takes
/// a token from `budget`.
///
/// Only retry operations that are safe to repeat: reads, and changes fenced by
/// compare-and-set (a repeated flip then sees the new state and conflicts or
/// is a no-op; the caller re-reads to tell).
pub async fn retry<T, F, Fut>(
    budget: &Budget,
    policy: RetryPolicy,
    what: &str,
    mut op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let start = Instant::now();
    let mut attempt = 0u32;
    loop {
        budget.acquire().await;
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_retryable() => {
                let wait = policy.backoff(attempt, e.retry_after());
                if start.elapsed() + wait > policy.deadline {
                    return Err(e);
                }
                tracing::warn!(what, attempt, wait_ms = wait.as_millis() as u64, error = %e, "Provider request failed, retrying.");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn throttled() -> ProviderError {
        ProviderError::Throttled {
            provider: "p".into(),
            retry_after: None,
            message: "slow down".into(),
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            deadline: Duration::from_secs(60),
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        for attempt in 0..20 {
            let d = p.backoff(attempt, None);
            let cap = (p.initial * 2u32.pow(attempt.min(16))).min(p.max);
            assert!(
                d >= cap / 2 && d <= cap,
                "attempt {attempt}: {d:?} not in [{:?}, {cap:?}]",
                cap / 2
            );
        }
        assert_eq!(
            p.backoff(0, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn a_burst_lets_that_many_requests_through_at_once_and_no_more() {
        let b = Budget::with_burst(20, 5);
        for i in 0..5 {
            assert!(b.limiter.check().is_ok(), "request {i} of the burst waited");
        }
        assert!(
            b.limiter.check().is_err(),
            "a sixth request went through at once"
        );
        let even = Budget::per_second(20);
        assert!(even.limiter.check().is_ok());
        assert!(
            even.limiter.check().is_err(),
            "no burst without one asked for"
        );
    }

    #[test]
    fn a_burst_is_never_above_the_rate() {
        let b = Budget::with_burst(2, 5);
        assert!(b.limiter.check().is_ok());
        assert!(b.limiter.check().is_ok());
        assert!(b.limiter.check().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn retries_retryable_errors_then_succeeds() {
        let calls = AtomicU32::new(0);
        let budget = Budget::per_second(1000);
        let r = retry(&budget, RetryPolicy::default(), "read", || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(throttled())
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn final_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let budget = Budget::per_second(1000);
        let r: Result<(), _> = retry(&budget, RetryPolicy::default(), "apply", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(ProviderError::Conflict {
                provider: "p".into(),
                message: "changed".into(),
            })
        })
        .await;
        assert!(matches!(r, Err(ProviderError::Conflict { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline() {
        let budget = Budget::per_second(1000);
        let policy = RetryPolicy {
            deadline: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let start = Instant::now();
        let r: Result<(), _> = retry(&budget, policy, "read", || async { Err(throttled()) }).await;
        assert!(r.unwrap_err().is_retryable());
        assert!(start.elapsed() <= Duration::from_secs(5));
    }
}
