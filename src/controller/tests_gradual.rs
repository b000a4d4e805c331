//! The gradual failback's step machine with a fake clock (its invariants: `proptests/gradual.rs`).

use std::time::Duration;

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
    g.observe(
        t0 + HOLD + HOLD / 2,
        PoolHealth::Down,
        PoolHealth::Up,
        &mut out,
    );
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
    g.observe(
        t0 + Duration::from_secs(1),
        PoolHealth::Up,
        PoolHealth::Down,
        &mut out,
    );
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
        hold: 120,
    };
    let json = serde_json::to_string(&hold).unwrap();
    assert_eq!(
        json,
        r#"{"event":"hold","step":1,"of":3,"weight":10,"hold":120}"#
    );
    assert_eq!(serde_json::from_str::<GradualEvent>(&json).unwrap(), hold);
}

#[test]
fn a_step_left_unfinished_resumes_at_its_weight_or_rolls_back() {
    let mut out = Vec::new();
    let g = Gradual::resume(
        "standby",
        "primary",
        &[10, 50, 100],
        HOLD,
        (50, false, PoolHealth::Up),
        &mut out,
    );
    assert_eq!(writes(&out), [(50, 50)]);
    assert_eq!(g.progress().map(|p| p.step), Some(2));
    let mut out = Vec::new();
    let mut g = Gradual::resume(
        "standby",
        "primary",
        &[10, 50, 100],
        HOLD,
        (50, true, PoolHealth::Down),
        &mut out,
    );
    assert_eq!(writes(&out), [(100, 0)]);
    g.written(Instant::now(), &mut out);
    assert_eq!(g.outcome(), Some(Outcome::RolledBack));
}
