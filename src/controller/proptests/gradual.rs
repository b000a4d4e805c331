//! A gradual failback's weights over random health, time and answers: they sum to 100 and never all go to a down pool.

use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::health;
use crate::controller::PoolHealth;
use crate::controller::gradual::{Gradual, Output};

const HOLD: Duration = Duration::from_secs(120);

#[derive(Clone, Debug)]
enum Step {
    To(PoolHealth),
    From(PoolHealth),
    Advance(u64),
    Answer(bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        health().prop_map(Step::To),
        health().prop_map(Step::From),
        (0..300u64).prop_map(Step::Advance),
        prop::bool::weighted(0.9).prop_map(Step::Answer),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever the health and the answers: every write's weights sum to
    /// 100, partial weights only while the target is up and the current
    /// pool is not down (the first step's target is up), all the weight
    /// never on a pool that is down, the target's weight only rises until
    /// a rollback, and an end once reached stays.
    #[test]
    fn weights_sum_to_100_and_never_all_on_a_down_pool(
        steps in prop::collection::btree_set(1..100u8, 0..5),
        steps_taken in prop::collection::vec(step(), 1..80),
    ) {
        let mut steps: Vec<u8> = steps.into_iter().collect();
        steps.push(100);
        let mut now = Instant::now();
        let (mut to, mut from) = (PoolHealth::Up, PoolHealth::Up);
        let mut out = Vec::new();
        let mut g = Gradual::start("standby", "primary", &steps, HOLD, &mut out);
        let mut last_to = 0;
        let mut rolled = false;
        let mut ended = None;
        for op in steps_taken {
            let seen = out.len();
            match op {
                Step::To(h) => to = h,
                Step::From(h) => from = h,
                Step::Advance(s) => now += Duration::from_secs(s),
                Step::Answer(true) => g.written(now, &mut out),
                Step::Answer(false) => g.failed(&mut out),
            }
            g.observe(now, to, from, &mut out);
            for o in &out[seen..] {
                let Output::Write(w) = o else { continue };
                prop_assert_eq!(u16::from(w.from.1) + u16::from(w.to.1), 100);
                if w.to.1 == 100 {
                    prop_assert_ne!(to, PoolHealth::Down);
                }
                if w.from.1 == 100 && seen > 0 {
                    prop_assert_ne!(from, PoolHealth::Down);
                    rolled = true;
                }
                if w.from.1 > 0 && w.to.1 > 0 {
                    prop_assert!(to == PoolHealth::Up && from != PoolHealth::Down);
                }
                prop_assert!(rolled || w.to.1 > last_to, "{} then {}", last_to, w.to.1);
                last_to = w.to.1;
            }
            if let Some(done) = ended {
                prop_assert_eq!(g.outcome(), Some(done));
                prop_assert_eq!(out.len(), seen, "nothing after the end");
            }
            ended = g.outcome();
        }
    }
}
