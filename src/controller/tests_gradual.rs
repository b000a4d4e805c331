//! The gradual failback's step machine with a fake clock, and its invariants over random health and answers.

use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::*;

const HOLD: Duration = Duration::from_secs(120);

fn writes(out: &[Output]) -> Vec<(u8, u8)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Write(w) => Some((w.from.1, w.to.1)),
            Output::Journal(_) => None,
        })
        .collect()
}

fn journal(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Journal(e) => Some(e.to_string()),
            Output::Write(_) => None,
        })
        .collect()
}

#[test]
fn steps_through_10_50_100_holding_each_while_the_target_is_up() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut g = Gradual::start("standby", "primary", &[10, 50, 100], HOLD, &mut out);
    assert_eq!(writes(&out), [(90, 10)]);
    g.written(t0, &mut out);
    assert_eq!(
        g.progress(),
        Some(Progress {
            step: 1,
            of: 3,
            weight: 10,
            hold_until: Some(t0 + HOLD)
        })
    );
    assert_eq!(g.deadline(), Some(t0 + HOLD));
    // Before the hold ends nothing moves.
    g.observe(t0 + HOLD / 2, PoolHealth::Up, PoolHealth::Up, &mut out);
    assert_eq!(writes(&out).len(), 1);
    let t1 = t0 + HOLD;
    g.observe(t1, PoolHealth::Up, PoolHealth::Up, &mut out);
    g.written(t1, &mut out);
    let t2 = t1 + HOLD;
    g.observe(t2, PoolHealth::Up, PoolHealth::Up, &mut out);
    g.written(t2, &mut out);
    assert_eq!(writes(&out), [(90, 10), (50, 50), (0, 100)]);
    assert_eq!(g.outcome(), Some(Outcome::Completed));
    assert_eq!(g.progress(), None);
    assert_eq!(
        journal(&out),
        [
            "gradual failback step 1 of 3: 10% of the weight on primary",
            "gradual failback step 1 of 3 served (10%): holding 120s",
            "gradual failback step 2 of 3: 50% of the weight on primary",
            "gradual failback step 2 of 3 served (50%): holding 120s",
            "gradual failback step 3 of 3: 100% of the weight on primary",
            "gradual failback complete after 3 steps: primary serves",
        ]
    );
}

#[test]
fn a_target_that_fails_during_a_hold_rolls_back_to_the_current_pool() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut g = Gradual::start("standby", "primary", &[10, 50, 100], HOLD, &mut out);
    g.written(t0, &mut out);
    g.observe(t0 + HOLD, PoolHealth::Up, PoolHealth::Up, &mut out);
    g.written(t0 + HOLD, &mut out);
    g.observe(t0 + HOLD + HOLD / 2, PoolHealth::Down, PoolHealth::Up, &mut out);
    assert_eq!(writes(&out), [(90, 10), (50, 50), (100, 0)]);
    assert_eq!(g.outcome(), None, "the rollback is being written");
    g.written(t0 + HOLD * 2, &mut out);
    assert_eq!(g.outcome(), Some(Outcome::RolledBack));
    let said = journal(&out);
    assert!(
        said.contains(
            &"gradual failback rolled back at step 2 of 3: primary is down; all weight back on standby"
                .to_string()
        ),
        "{said:?}"
    );
    // Ended: later health changes write nothing.
    g.observe(t0 + HOLD * 3, PoolHealth::Up, PoolHealth::Up, &mut out);
    assert_eq!(writes(&out).len(), 3);
}

#[test]
fn the_current_pool_failing_mid_way_moves_all_weight_to_the_healthy_target() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut g = Gradual::start("standby", "primary", &[10, 50, 100], HOLD, &mut out);
    g.written(t0, &mut out);
    g.observe(t0 + Duration::from_secs(1), PoolHealth::Up, PoolHealth::Down, &mut out);
    assert_eq!(writes(&out), [(90, 10), (0, 100)]);
}

#[test]
fn both_pools_unhealthy_writes_nothing_and_a_failed_write_stops() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut g = Gradual::start("standby", "primary", &[10, 100], HOLD, &mut out);
    g.written(t0, &mut out);
    g.observe(t0 + HOLD, PoolHealth::Down, PoolHealth::Down, &mut out);
    assert_eq!(writes(&out), [(90, 10)], "fail-static");
    g.observe(t0 + HOLD, PoolHealth::Up, PoolHealth::Up, &mut out);
    g.failed(&mut out);
    assert_eq!(g.outcome(), Some(Outcome::Stopped));
    assert_eq!(
        journal(&out).last().map(String::as_str),
        Some("gradual failback stopped at step 2 of 2: the write failed")
    );
}

#[test]
fn the_journal_events_are_typed() {
    let hold = GradualEvent::Hold {
        step: 1,
        of: 3,
        weight: 10,
        hold: HOLD,
    };
    let json = serde_json::to_string(&hold).unwrap();
    assert_eq!(
        json,
        r#"{"event":"hold","step":1,"of":3,"weight":10,"hold":120}"#
    );
    assert_eq!(serde_json::from_str::<GradualEvent>(&json).unwrap(), hold);
}

#[derive(Clone, Debug)]
enum Op {
    To(PoolHealth),
    From(PoolHealth),
    Advance(u64),
    Answer(bool),
}

fn health() -> impl Strategy<Value = PoolHealth> {
    prop_oneof![
        Just(PoolHealth::Up),
        Just(PoolHealth::Suspect),
        Just(PoolHealth::Down),
        Just(PoolHealth::Unknown),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        health().prop_map(Op::To),
        health().prop_map(Op::From),
        (0..300u64).prop_map(Op::Advance),
        prop::bool::weighted(0.9).prop_map(Op::Answer),
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
        ops in prop::collection::vec(op(), 1..80),
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
        for op in ops {
            let seen = out.len();
            match op {
                Op::To(h) => to = h,
                Op::From(h) => from = h,
                Op::Advance(s) => now += Duration::from_secs(s),
                Op::Answer(true) => g.written(now, &mut out),
                Op::Answer(false) => g.failed(&mut out),
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
