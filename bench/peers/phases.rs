//! The fault's phase in unbound's cache cycle for each run: seeded, spread over the whole cycle, the same for every row.
//!
//! Client reach is the first refill of unbound's cache after the authority
//! answers the standby: with the fault at phase `p` of a `ttl` cycle and
//! the authority changing `f` after it, reach is `ttl - p` when that comes
//! after `f`, else one cycle more. Over a uniform phase, reach is uniform
//! on `[f, f + ttl]`, so the medians of two systems differ by their `f`:
//! the bench measures that only when the phases cover the cycle. A few
//! plain random draws can miss the narrow band where one system catches a
//! refill and the other does not (from 0.08 s to 0.68 s of a 5 s cycle),
//! and then every row catches the same refill. So run `i` of `n` takes
//! one random phase from the `i`-th `n`-th of the cycle (stratified), and
//! the runs go in a shuffled order, so a drift in the machine's load does
//! not follow the phase. Every row of a run gets the same phase (paired).

use std::time::Duration;

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng, rngs::StdRng};

/// `runs` phases in `[0, cycle)`, one from each `runs`-th of it, in a
/// shuffled order; the same `seed` gives the same phases.
pub fn phases(seed: u64, runs: usize, cycle: Duration) -> Vec<Duration> {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = runs.max(1) as f64;
    let mut out: Vec<Duration> = (0..runs)
        .map(|i| cycle.mul_f64((i as f64 + rng.random_range(0.0..1.0)) / n))
        .collect();
    out.shuffle(&mut rng);
    out
}
