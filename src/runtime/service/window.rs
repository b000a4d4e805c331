//! The fault window of each pool from this vantage's probes: the last
//! successful probe and the first failed one after it, for the incident's
//! report (recovery is measured from the last success, a bound that never
//! understates).

use std::collections::BTreeMap;

use tokio::time::Instant;

use crate::journal::FaultWindow;
use crate::probe::ProbeResult;

/// One endpoint's last success and first failure since (probe start, epoch ms).
#[derive(Debug, Default, Clone, Copy)]
struct Marks {
    last_ok_ms: Option<i64>,
    first_failed_ms: Option<i64>,
}

/// Every endpoint's marks, by pool.
#[derive(Debug, Default)]
pub struct Windows {
    pools: BTreeMap<String, BTreeMap<String, Marks>>,
}

impl Windows {
    /// Note one probe result. A result that says nothing about the endpoint
    /// (this host could not probe) changes nothing.
    pub fn note(&mut self, pool: &str, endpoint: &str, r: &ProbeResult) {
        if r.local.is_some() {
            return;
        }
        // Looked up before inserted: no key is allocated after the first result.
        let marks = match self.pools.get_mut(pool) {
            Some(m) => m,
            None => self.pools.entry(pool.to_string()).or_default(),
        };
        let m = match marks.get_mut(endpoint) {
            Some(m) => m,
            None => marks.entry(endpoint.to_string()).or_default(),
        };
        let at = wall_ms(r.at);
        if r.ok {
            *m = Marks {
                last_ok_ms: Some(at),
                first_failed_ms: None,
            };
        } else {
            m.first_failed_ms.get_or_insert(at);
        }
    }

    /// The pool's window: its last successful probe (any endpoint), and the
    /// first failed probe after it.
    pub fn of(&self, pool: &str) -> Option<FaultWindow> {
        let marks = self.pools.get(pool)?;
        let last_ok_ms = marks.values().filter_map(|m| m.last_ok_ms).max();
        let failed = marks.values().filter_map(|m| m.first_failed_ms);
        let first_failed_ms = match last_ok_ms {
            Some(ok) => failed.filter(|&f| f >= ok).min(),
            None => failed.min(),
        };
        Some(FaultWindow {
            last_ok_ms,
            first_failed_ms,
        })
    }
}

/// The epoch milliseconds of a moment on the task's clock.
fn wall_ms(at: Instant) -> i64 {
    let ago = Instant::now().saturating_duration_since(at);
    crate::journal::now_ms() - i64::try_from(ago.as_millis()).unwrap_or(i64::MAX / 2)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn probe(ok: bool, at: Instant) -> ProbeResult {
        ProbeResult {
            ok,
            latency: Duration::from_millis(1),
            detail: String::new(),
            at,
            lateness: Duration::ZERO,
            local: None,
        }
    }

    #[test]
    fn the_window_is_the_last_success_and_the_first_failure_after_it() {
        let mut w = Windows::default();
        // In the past, so every probe's start is a moment already gone.
        let t0 = Instant::now() - Duration::from_secs(1);
        // Endpoint b was failing long before; a's success and failure frame the fault.
        w.note("primary", "b", &probe(false, t0));
        w.note("primary", "a", &probe(true, t0 + Duration::from_millis(10)));
        w.note("primary", "a", &probe(true, t0 + Duration::from_millis(20)));
        w.note(
            "primary",
            "a",
            &probe(false, t0 + Duration::from_millis(30)),
        );
        w.note(
            "primary",
            "a",
            &probe(false, t0 + Duration::from_millis(40)),
        );
        let win = w.of("primary").expect("a window");
        let (ok, failed) = (
            win.last_ok_ms.expect("ok"),
            win.first_failed_ms.expect("failed"),
        );
        // Each moment is read against the wall clock once: a millisecond either way.
        assert!((9..=11).contains(&(failed - ok)), "{win:?}");
        assert!(w.of("standby").is_none());
    }
}
