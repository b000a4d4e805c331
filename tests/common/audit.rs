//! The campaign's invariants, checked round by round against the provider's own log (BIND's), and the table of outcomes.

// Test harness: real processes timed on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use super::campaign::{CONTROLLERS, FLIP_BOUND, Field, endpoint, ip, other};
use super::cluster::Node;
use super::faults::{Fault, KINDS};
use super::provider_log::updates;

/// Where each source was read up to, and every violation found so far.
pub struct Audit {
    seed: u64,
    round: u64,
    /// Bytes of named's log already audited.
    bind_read: usize,
    /// Journal entries of each controller already audited.
    journal_read: BTreeMap<&'static str, usize>,
    /// The A values BIND holds, by its log.
    zone: Vec<String>,
    found: Vec<String>,
}

/// A controller's applied writes in journal entries `from..`: (flips, TTL writes).
fn journal_writes(n: &Node, from: usize) -> ((usize, usize), usize) {
    let h = n.history();
    let applied = |op: &str| {
        h.iter()
            .skip(from)
            .filter(|e| e["kind"] == "provider-result")
            .filter(|e| e["message"].as_str().is_some_and(|m| m.starts_with(op)))
            .filter(|e| !e["detail"]["diff"]["desired"].is_null())
            .filter(|e| e["detail"]["diff"]["error"].is_null())
            .count()
    };
    ((applied("flip"), applied("set the TTL")), h.len())
}

impl Audit {
    /// Start reading where the field is now.
    pub fn new(f: &Field, seed: u64) -> Self {
        let mut a = Self {
            seed,
            round: 0,
            bind_read: 0,
            journal_read: BTreeMap::new(),
            zone: vec![endpoint("primary").to_string()],
            found: Vec::new(),
        };
        a.provider(f);
        a.journals(f);
        a.found.clear();
        a
    }

    /// Audit one round: `fault` on `active` at `t0`, its outcome after `took`.
    /// Returns this round's violations.
    pub fn round(
        &mut self,
        f: &Field,
        fault: Fault,
        active: &str,
        t0: Instant,
        took: Option<Duration>,
        served_now: &str,
    ) -> Vec<String> {
        self.round += 1;
        let mut v = Vec::new();
        for id in f.disbelieving(served_now) {
            let says = f.node(id).active().unwrap_or_default();
            v.push(format!(
                "{id} believes {says:?} is served; BIND serves {served_now} (settled)"
            ));
        }
        let served: Vec<Vec<String>> = f.served.since(t0).into_iter().map(|(_, s)| s).collect();
        let target = vec![endpoint(other(active)).to_string()];
        if !fault.flips() && !served.is_empty() {
            v.push(format!(
                "the record changed ({served:?}) while a majority of vantages saw {active} up"
            ));
        }
        if fault.flips() && served != [target.clone()] {
            v.push(format!(
                "expected exactly one flip to {target:?}, BIND served {served:?}"
            ));
        }
        if matches!(fault, Fault::ActiveDies | Fault::RegionDies)
            && took.is_some_and(|t| t > FLIP_BOUND)
        {
            v.push(format!(
                "the flip came {took:?} after the fault, beyond detection + grace + write ({FLIP_BOUND:?})"
            ));
        }
        if !fault.flips() && took.is_none() {
            v.push("the fault never showed in any controller's status".into());
        }
        let by_writer = self.provider(f);
        let flips: usize = by_writer.values().map(|(flips, _)| flips).sum();
        let want = usize::from(fault.flips());
        if flips != want {
            v.push(format!(
                "BIND's log shows {flips} value change(s) for this round (want {want}): {by_writer:?}"
            ));
        }
        // A TTL-only write while the pool is up by quorum is no violation:
        // a controller whose own vantage sees trouble lowers the TTL as a
        // precaution (the quorum's `Suspect`, documented); it must still
        // agree with that controller's journal (below).
        v.extend(self.agree(f, &by_writer));
        self.keep(fault, &v);
        v
    }

    /// After the last round: nothing may change while nothing is broken.
    pub fn quiet(&mut self, f: &Field, active: &str) -> Vec<String> {
        self.round += 1;
        let mut v = Vec::new();
        if f.cluster.served() != [endpoint(active)] {
            v.push(format!("BIND moved off {active} with nothing broken"));
        }
        let by_writer = self.provider(f);
        if !by_writer.is_empty() {
            v.push(format!(
                "BIND took writes with nothing broken: {by_writer:?}"
            ));
        }
        v.extend(self.agree(f, &by_writer));
        self.found
            .extend(v.iter().map(|x| format!("after the last round: {x}")));
        v
    }

    pub fn violations(&self) -> Vec<String> {
        self.found.clone()
    }

    fn keep(&mut self, fault: Fault, v: &[String]) {
        let (seed, round) = (self.seed, self.round);
        self.found.extend(
            v.iter()
                .map(|x| format!("seed {seed} round {round} ({fault}): {x}")),
        );
    }

    /// BIND's updates since the last read, by writer's address: (value
    /// changes, updates that kept the values, e.g. a TTL).
    fn provider(&mut self, f: &Field) -> BTreeMap<String, (usize, usize)> {
        let log = f.cluster.bind.log();
        let new = log.get(self.bind_read..).unwrap_or_default();
        self.bind_read = log.len();
        let mut by = BTreeMap::new();
        for u in updates(new) {
            let e: &mut (usize, usize) = by.entry(u.client.clone()).or_default();
            if u.added == self.zone {
                e.1 += 1;
            } else {
                e.0 += 1;
                self.zone = u.added;
            }
        }
        by
    }

    /// Each controller's journal since the last read against BIND's log.
    fn agree(&mut self, f: &Field, by_writer: &BTreeMap<String, (usize, usize)>) -> Vec<String> {
        let mut v = Vec::new();
        let journals = self.journals(f);
        for id in CONTROLLERS {
            let (flips, ttls) = journals.get(id).copied().unwrap_or_default();
            let (bflips, bkept) = by_writer
                .get(&ip(id).to_string())
                .copied()
                .unwrap_or_default();
            if (flips, ttls) != (bflips, bkept) {
                v.push(format!(
                    "{id}'s journal records {flips} flip(s) and {ttls} TTL write(s); BIND's log shows {bflips} value change(s) and {bkept} other update(s) from {}",
                    ip(id)
                ));
            }
        }
        for client in by_writer.keys() {
            if !CONTROLLERS.iter().any(|id| ip(id).to_string() == *client) {
                v.push(format!("BIND took an update from {client}, no controller"));
            }
        }
        v
    }

    /// Each controller's applied (flips, TTL writes) since the last read.
    fn journals(&mut self, f: &Field) -> BTreeMap<&'static str, (usize, usize)> {
        let mut out = BTreeMap::new();
        for id in CONTROLLERS {
            let from = self.journal_read.get(id).copied().unwrap_or(0);
            let (writes, len) = journal_writes(f.node(id), from);
            self.journal_read.insert(id, len.max(from));
            out.insert(id, writes);
        }
        out
    }
}

/// Outcome times and violations by fault kind.
#[derive(Default)]
pub struct Table {
    rows: BTreeMap<String, (Vec<Duration>, usize, usize)>,
}

impl Table {
    pub fn add(&mut self, kind: &str, took: Option<Duration>, violations: usize) {
        let row = self.rows.entry(kind.to_string()).or_default();
        row.0.extend(took);
        row.1 += 1;
        row.2 += violations;
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<24} {:>6} {:>9} {:>9} {:>9} {:>10}",
            "fault", "rounds", "min", "median", "max", "violations"
        )?;
        let order = KINDS.iter().copied().chain(["after the last round"]);
        let mut total = 0;
        for kind in order {
            let Some((times, n, bad)) = self.rows.get(kind) else {
                continue;
            };
            let mut t = times.clone();
            t.sort();
            let ms =
                |d: Option<&Duration>| d.map_or("-".into(), |d| format!("{}ms", d.as_millis()));
            writeln!(
                f,
                "{kind:<24} {n:>6} {:>9} {:>9} {:>9} {bad:>10}",
                ms(t.first()),
                ms(t.get(t.len() / 2)),
                ms(t.last()),
            )?;
            total += bad;
        }
        write!(f, "invariant violations: {total}")
    }
}
