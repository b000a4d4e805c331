//! A gradual failback in the controller: started where the failback would flip, each step a `Weigh` held while the target is up, rolled back, superseded, resumed after a restart.

use std::time::SystemTime;

use super::*;

/// On the standby (TTL 30s) with every pool up; failback in 10/50/100,
/// each step held 60s.
fn on_standby() -> Harness {
    let mut policy = Policy::with_defaults(pools());
    policy.steps = vec![10, 50, 100];
    policy.step_hold = Duration::from_secs(60);
    let mut h = Harness::bare(policy);
    h.ev(0, started(Some("standby"), 30, None));
    for p in pools() {
        h.health(0, &p, PoolHealth::Up);
    }
    h
}

/// The weight on the target of each `Weigh`, and what it expected there.
fn weighs(out: &[Action]) -> Vec<(u8, Option<u8>)> {
    out.iter()
        .filter_map(|a| match a {
            Action::Weigh {
                weights, expect, ..
            } => Some((weights.to.1, expect.as_ref().map(|e| e.to.1))),
            _ => None,
        })
        .collect()
}

fn weighed(h: &mut Harness, secs: u64, weight: u8) -> Vec<Action> {
    let to = "primary".to_owned();
    h.ev(secs, Event::Weighed { to, weight })
}

fn failback() -> Command {
    Command::Failback { planned: false }
}

#[test]
fn a_failback_with_steps_weighs_each_step_then_ends_as_a_flip() {
    let mut h = on_standby();
    let out = h.cmd(1, failback());
    assert!(flips(&out).is_empty(), "one flip instead of steps: {out:?}");
    assert_eq!(weighs(&out), [(10, None)]);
    let status = h.c.status();
    assert_eq!(status.phase, "gradual");
    assert_eq!(status.gradual.as_ref().map(|g| g.step), Some(1));
    let out = weighed(&mut h, 2, 10);
    assert!(journaled(&out, EntryKind::GradualHold));
    let g = h.c.status().gradual.expect("holding");
    assert_eq!(
        (g.step, g.of, g.weight, g.next_step_in_secs),
        (1, 3, 10, Some(60))
    );
    assert_eq!(h.c.next_deadline(), Some(h.at(62)));
    assert!(weighs(&h.ev(61, Event::Tick)).is_empty(), "held 60s");
    assert_eq!(weighs(&h.ev(62, Event::Tick)), [(50, Some(10))]);
    weighed(&mut h, 63, 50);
    assert_eq!(weighs(&h.ev(123, Event::Tick)), [(100, Some(50))]);
    let out = weighed(&mut h, 124, 100);
    assert!(journaled(&out, EntryKind::GradualCompleted) && journaled(&out, EntryKind::Flipped));
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::StartWatch { to, .. } if to == "primary")),
        "{out:?}"
    );
    let status = h.c.status();
    assert_eq!(
        (status.active.as_deref(), status.phase.as_str()),
        (Some("primary"), "idle")
    );
    assert_eq!(status.gradual, None);
}

#[test]
fn the_target_failing_during_a_hold_rolls_all_the_weight_back() {
    let mut h = on_standby();
    h.cmd(1, failback());
    weighed(&mut h, 2, 10);
    h.ev(62, Event::Tick);
    weighed(&mut h, 63, 50);
    let out = h.health(70, "primary", PoolHealth::Suspect);
    assert_eq!(weighs(&out), [(0, Some(50))]);
    assert!(journaled(&out, EntryKind::GradualRollback));
    let out = weighed(&mut h, 71, 0);
    assert!(journaled(&out, EntryKind::GradualRolledBack));
    assert!(!alerts(&out).is_empty(), "people are told");
    let status = h.c.status();
    assert_eq!(
        (status.active.as_deref(), status.phase.as_str()),
        (Some("standby"), "idle")
    );
    assert!(weighs(&h.ev(200, Event::Tick)).is_empty(), "it ended");
}

#[test]
fn a_failed_step_stops_the_failback_and_is_handled_as_a_failed_flip() {
    let mut h = on_standby();
    h.cmd(1, failback());
    let out = h.ev(
        2,
        Event::ProviderFailed {
            op: ProviderOp::Weigh,
            retryable: false,
            conflict: true,
        },
    );
    assert!(journaled(&out, EntryKind::GradualStopped));
    assert!(out.contains(&Action::Reread), "{out:?}");
    assert_eq!(h.c.status().gradual, None);
}

#[test]
fn an_operator_command_supersedes_a_holding_step() {
    let mut h = on_standby();
    h.cmd(1, failback());
    weighed(&mut h, 2, 10);
    let to = "standby".to_owned();
    let out = h.cmd(
        3,
        Command::Failover {
            to: to.clone(),
            planned: false,
            force: false,
        },
    );
    assert!(journaled(&out, EntryKind::GradualStopped));
    // 10% on the primary: no single pool is served, the flip expects none.
    assert_eq!(flips(&out), [(None, to, 30, Reason::Manual)]);
}

#[test]
fn a_step_left_unfinished_by_a_restart_resumes_once_the_target_is_up() {
    let mut policy = Policy::with_defaults(pools());
    policy.steps = vec![10, 50, 100];
    let intent = Intent {
        kind: IntentKind::Weigh {
            from: "standby".into(),
            to: "primary".into(),
            weight: 50,
        },
        reason: Reason::Failback,
        by: Initiator::Operator,
        requested_at: SystemTime::UNIX_EPOCH,
    };
    let mut h = Harness::bare(policy.clone());
    let out = h.ev(0, started(None, 30, Some(intent.clone())));
    assert!(weighs(&out).is_empty(), "health is not known yet");
    h.health(1, "standby", PoolHealth::Up);
    assert_eq!(
        weighs(&h.health(2, "primary", PoolHealth::Up)),
        [(50, None)]
    );
    assert_eq!(h.c.status().gradual.map(|g| g.step), Some(2));
    // The target down at start: all the weight back on the standby.
    let mut h = Harness::bare(policy);
    h.ev(0, started(None, 30, Some(intent)));
    h.health(1, "standby", PoolHealth::Up);
    assert_eq!(
        weighs(&h.health(2, "primary", PoolHealth::Down)),
        [(0, None)]
    );
}

#[test]
fn a_step_held_when_the_daemon_stopped_is_taken_up_again() {
    let mut h = on_standby();
    h.cmd(1, failback());
    let out = weighed(&mut h, 2, 10);
    let held = changes(&out);
    assert!(
        held.iter()
            .any(|c| matches!(c, Change::GradualHeld { held } if held.weight == 10)),
        "{held:?}"
    );
    let restored = Durable::replay(held);
    let mut policy = Policy::with_defaults(pools());
    policy.steps = vec![10, 50, 100];
    let mut h = Harness::bare(policy);
    h.ev(
        0,
        Event::Started {
            active: None,
            ttl: 30,
            intent: None,
            wall: wall(0),
            restored: Box::new(restored),
        },
    );
    h.health(1, "standby", PoolHealth::Up);
    assert_eq!(
        weighs(&h.health(2, "primary", PoolHealth::Up)),
        [(10, None)]
    );
    let out = weighed(&mut h, 3, 10);
    assert!(journaled(&out, EntryKind::GradualHold));
    // Completed: nothing is held any more.
    h.ev(123, Event::Tick);
    weighed(&mut h, 124, 50);
    h.ev(244, Event::Tick);
    let out = weighed(&mut h, 245, 100);
    assert!(changes(&out).contains(&Change::GradualEnded));
}

#[test]
fn the_automatic_failback_goes_step_by_step_too() {
    let mut policy = Policy::with_defaults(pools());
    policy.steps = vec![10, 50, 100];
    policy.failback_mode = FailbackMode::Auto;
    let mut h = Harness::bare(policy);
    h.ev(0, started(Some("standby"), 30, None));
    for p in pools() {
        h.health(0, &p, PoolHealth::Up);
    }
    assert!(
        weighs(&h.ev(299, Event::Tick)).is_empty(),
        "stable_for first"
    );
    let out = h.ev(300, Event::Tick);
    assert!(flips(&out).is_empty(), "{out:?}");
    assert_eq!(weighs(&out), [(10, None)]);
}

#[test]
fn a_pin_holds_an_automatic_gradual_failback_at_its_step() {
    let mut policy = Policy::with_defaults(pools());
    policy.steps = vec![10, 50, 100];
    policy.step_hold = Duration::from_secs(60);
    policy.failback_mode = FailbackMode::Auto;
    let mut h = Harness::bare(policy);
    h.ev(0, started(Some("standby"), 30, None));
    for p in pools() {
        h.health(0, &p, PoolHealth::Up);
    }
    h.ev(300, Event::Tick);
    weighed(&mut h, 301, 10);
    h.cmd(302, pin(None));
    assert!(weighs(&h.ev(361, Event::Tick)).is_empty(), "pinned");
    assert!(weighs(&h.health(362, "primary", PoolHealth::Down)).is_empty());
    let out = h.cmd(363, unpin());
    assert_eq!(weighs(&out), [(0, Some(10))], "rolled back once unpinned");
}
