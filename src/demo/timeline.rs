//! The failback's lines in the order of their offsets: the journal is read
//! by polling and the watch reports at once, so lines are held a moment and
//! printed sorted.

use super::follow::Out;
use crate::journal::now_ms;

/// How long a line is held for an earlier one that may still arrive (the
/// journal poll and a provider call's journaling both lag).
const HOLD_MS: i64 = 1500;

/// Lines `+S.s …` (offsets from `t0_ms`) waiting to be printed in order.
#[derive(Debug)]
pub struct Timeline {
    t0_ms: i64,
    held: Vec<(i64, String)>,
}

impl Timeline {
    /// Offsets count from `t0_ms` (wall-clock milliseconds).
    pub fn new(t0_ms: i64) -> Self {
        Self {
            t0_ms,
            held: Vec::new(),
        }
    }

    /// Holds `line` (one without an offset takes the present).
    pub fn push(&mut self, line: String) {
        let now = now_ms() - self.t0_ms;
        self.push_at(line, now);
    }

    /// Prints, in order, the lines older than the hold.
    pub fn flush_ready(&mut self, out: &Out) {
        let now = now_ms() - self.t0_ms;
        self.flush_before(now, out);
    }

    /// Holds `line`; one without a `+S.s` offset takes `now_ms` (from the
    /// same start as the offsets).
    fn push_at(&mut self, line: String, now_ms: i64) {
        let at = offset_ms(&line).unwrap_or(now_ms);
        self.held.push((at, line));
    }

    /// Prints, in order, the lines older than the hold at `now_ms`.
    fn flush_before(&mut self, now_ms: i64, out: &Out) {
        self.held.sort_by_key(|(at, _)| *at);
        let ready = self
            .held
            .iter()
            .take_while(|(at, _)| *at <= now_ms - HOLD_MS)
            .count();
        for (_, line) in self.held.drain(..ready) {
            out.line(&line);
        }
    }

    /// Prints every line held, in order.
    pub fn flush_all(&mut self, out: &Out) {
        self.flush_before(i64::MAX, out);
    }
}

/// The milliseconds of a line's `+S.s` prefix.
fn offset_ms(line: &str) -> Option<i64> {
    let (secs, _) = line.strip_prefix('+')?.split_once("s ")?;
    let secs: f64 = secs.parse().ok()?;
    Some((secs * 1e3).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_out_by_offset_whatever_their_arrival() {
        let mut t = Timeline::new(0);
        for line in [
            "+0.9s failback: accepted",
            "+0.8s health: pool primary is up",
            "+9.5s watch ended: all converged (failback)",
            "+9.3s provider accepted: flip",
        ] {
            t.push_at(line.to_string(), 0);
        }
        t.push_at("no offset".to_string(), 9_400);
        t.held.sort_by_key(|(at, _)| *at);
        let order: Vec<&str> = t.held.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            order,
            [
                "+0.8s health: pool primary is up",
                "+0.9s failback: accepted",
                "+9.3s provider accepted: flip",
                "no offset",
                "+9.5s watch ended: all converged (failback)",
            ]
        );
        let out = Out::new(false);
        t.flush_before(9_000, &out);
        assert_eq!(t.held.len(), 3, "lines within the hold stay");
        t.flush_all(&out);
        assert!(t.held.is_empty());
    }
}
