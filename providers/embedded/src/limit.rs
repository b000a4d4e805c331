//! Response rate limiting per client prefix: a token bucket per IPv4 /24
//! and per IPv6 /56, so one network cannot use the server as an amplifier.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// What to do with one UDP response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the client's budget: answer.
    Answer,
    /// Over it: send an empty truncated reply, so a real client retries over TCP.
    Slip,
    /// Over it: send nothing.
    Drop,
}

/// Token buckets keyed by client prefix.
pub struct Limiter {
    buckets: DefaultKeyedRateLimiter<u128>,
    limited: AtomicU64,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter").finish_non_exhaustive()
    }
}

impl Limiter {
    /// `per_second` responses per prefix with a burst of the same size;
    /// `None` when 0 (no limit).
    pub fn new(per_second: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        Some(Self {
            buckets: RateLimiter::keyed(Quota::per_second(rate)),
            limited: AtomicU64::new(0),
        })
    }

    /// Whether to answer `client` now; every second limited response slips.
    pub fn check(&self, client: IpAddr) -> Verdict {
        if self.buckets.check_key(&prefix(client)).is_ok() {
            return Verdict::Answer;
        }
        if self
            .limited
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(2)
        {
            Verdict::Slip
        } else {
            Verdict::Drop
        }
    }

    /// Forget the buckets that are full again (bounds the memory).
    pub fn forget_idle(&self) {
        self.buckets.retain_recent();
    }
}

/// The client's /24 (IPv4) or /56 (IPv6) as one key; the families never collide.
pub fn prefix(ip: IpAddr) -> u128 {
    match ip.to_canonical() {
        IpAddr::V4(v4) => u128::from(u32::from(v4) & 0xffff_ff00),
        IpAddr::V6(v6) => (u128::from(v6) & !((1u128 << 72) - 1)) | 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_group_a_v4_24_and_a_v6_56() {
        let p = |s: &str| prefix(s.parse().unwrap());
        assert_eq!(p("192.0.2.1"), p("192.0.2.254"));
        assert_ne!(p("192.0.2.1"), p("192.0.3.1"));
        assert_eq!(p("2001:db8:0:ff::1"), p("2001:db8:0:1::9"));
        assert_ne!(p("2001:db8:0:100::1"), p("2001:db8:0:1::1"));
        assert_eq!(p("::ffff:192.0.2.7"), p("192.0.2.1"));
    }

    #[test]
    fn over_budget_alternates_slip_and_drop() {
        let l = Limiter::new(3).expect("a limit");
        let ip: IpAddr = "198.51.100.9".parse().unwrap();
        let verdicts: Vec<_> = (0..7).map(|_| l.check(ip)).collect();
        assert_eq!(&verdicts[..3], &[Verdict::Answer; 3]);
        assert_eq!(
            &verdicts[3..],
            &[Verdict::Slip, Verdict::Drop, Verdict::Slip, Verdict::Drop]
        );
        // Another network has its own bucket.
        assert_eq!(l.check("198.51.101.9".parse().unwrap()), Verdict::Answer);
        assert!(Limiter::new(0).is_none());
    }
}
