//! Unit tests for each controller rule, with a fake clock.

use std::time::Duration;

use tokio::time::Instant;

use super::*;

pub(super) struct Harness {
    pub(super) c: Controller,
    pub(super) t0: Instant,
}

pub(super) fn pools() -> Vec<String> {
    vec!["primary".into(), "standby".into(), "dr".into()]
}

impl Harness {
    /// Started on `primary` at TTL 300, all pools `Up`.
    pub(super) fn new(policy: Policy) -> Self {
        let mut h = Self::bare(policy);
        let out = h.ev(0, started(Some("primary"), 300, None));
        assert!(flips(&out).is_empty());
        for p in pools() {
            h.health(0, &p, PoolHealth::Up);
        }
        h
    }

    pub(super) fn bare(policy: Policy) -> Self {
        Self {
            c: Controller::new(policy),
            t0: Instant::now(),
        }
    }

    pub(super) fn at(&self, secs: u64) -> Instant {
        self.t0 + Duration::from_secs(secs)
    }

    pub(super) fn ev(&mut self, secs: u64, event: Event) -> Vec<Action> {
        let now = self.at(secs);
        self.c.handle(now, event)
    }

    pub(super) fn health(&mut self, secs: u64, pool: &str, health: PoolHealth) -> Vec<Action> {
        let pool = pool.to_owned();
        self.ev(secs, Event::PoolHealth { pool, health })
    }

    pub(super) fn cmd(&mut self, secs: u64, command: Command) -> Vec<Action> {
        self.ev(secs, Event::Command(command))
    }
}

pub(super) fn started(active: Option<&str>, ttl: u32, intent: Option<Intent>) -> Event {
    Event::Started {
        active: active.map(str::to_owned),
        ttl,
        intent,
    }
}

pub(super) fn flips(out: &[Action]) -> Vec<(Option<String>, String, u32, Reason)> {
    out.iter()
        .filter_map(|a| match a {
            Action::Flip {
                from,
                to,
                ttl,
                reason,
                ..
            } => Some((from.clone(), to.clone(), *ttl, *reason)),
            _ => None,
        })
        .collect()
}

pub(super) fn ttls(out: &[Action]) -> Vec<u32> {
    out.iter()
        .filter_map(|a| match a {
            Action::SetTtl { ttl, .. } => Some(*ttl),
            _ => None,
        })
        .collect()
}

fn alerts(out: &[Action]) -> Vec<String> {
    out.iter()
        .filter_map(|a| match a {
            Action::Alert { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn journaled(out: &[Action], kind: EntryKind) -> bool {
    out.iter()
        .any(|a| matches!(a, Action::Journal(e) if e.kind == kind))
}

fn refusal(out: &[Action]) -> Option<String> {
    out.iter().find_map(|a| match a {
        Action::Refused { message, .. } => Some(message.clone()),
        _ => None,
    })
}

fn flipped(to: &str) -> Event {
    Event::Flipped { to: to.into() }
}

fn auto_policy() -> Policy {
    let mut p = Policy::with_defaults(pools());
    p.failback_mode = FailbackMode::Auto;
    p
}

#[test]
fn suspect_lowers_ttl_once_and_restores_after_quiet() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    assert_eq!(
        ttls(&h.health(10, "primary", PoolHealth::Suspect)),
        vec![30]
    );
    assert!(!h.ev(11, Event::TtlApplied { ttl: 30 }).is_empty());
    assert!(ttls(&h.health(20, "primary", PoolHealth::Suspect)).is_empty());
    assert!(ttls(&h.ev(21, Event::Tick)).is_empty(), "lowered once only");
    h.health(30, "primary", PoolHealth::Up);
    assert_eq!(h.c.next_deadline(), Some(h.at(30 + 600)));
    assert!(ttls(&h.ev(629, Event::Tick)).is_empty());
    assert_eq!(ttls(&h.ev(630, Event::Tick)), vec![300]);
    h.ev(631, Event::TtlApplied { ttl: 300 });
    assert_eq!(h.c.next_deadline(), None);
    assert_eq!(h.c.status().ttl, Some(300));
}

#[test]
fn suspect_again_restarts_the_quiet_period() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Suspect);
    h.ev(11, Event::TtlApplied { ttl: 30 });
    h.health(30, "primary", PoolHealth::Up);
    h.health(400, "primary", PoolHealth::Suspect);
    h.health(500, "primary", PoolHealth::Up);
    assert!(ttls(&h.ev(630, Event::Tick)).is_empty());
    assert_eq!(ttls(&h.ev(1100, Event::Tick)), vec![300]);
}

#[test]
fn down_flips_at_once_to_the_first_up_pool_with_normal_ttl() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let out = h.health(10, "primary", PoolHealth::Down);
    let want = (
        Some("primary".to_owned()),
        "standby".to_owned(),
        300,
        Reason::ActiveDown,
    );
    assert_eq!(flips(&out), vec![want]);
    let out = h.ev(11, flipped("standby"));
    assert!(out.contains(&Action::StartWatch {
        to: "standby".into(),
        old_ttl: 300
    }));
    assert_eq!(h.c.status().active.as_deref(), Some("standby"));
}

#[test]
fn a_suspect_episode_flips_with_the_lowered_ttl_then_restores() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Suspect);
    h.ev(11, Event::TtlApplied { ttl: 30 });
    let out = h.health(40, "primary", PoolHealth::Down);
    assert_eq!(flips(&out)[0].2, 30);
    h.ev(41, flipped("standby"));
    assert_eq!(h.c.next_deadline(), Some(h.at(41 + 600)));
    assert_eq!(ttls(&h.ev(641, Event::Tick)), vec![300]);
}

#[test]
fn never_targets_suspect_or_unknown_pools() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(1, "standby", PoolHealth::Suspect);
    h.health(1, "dr", PoolHealth::Unknown);
    let out = h.health(10, "primary", PoolHealth::Down);
    assert!(flips(&out).is_empty());
    let out = h.health(20, "dr", PoolHealth::Up);
    assert_eq!(flips(&out)[0].1, "dr");
}

#[test]
fn no_up_pool_keeps_records_and_alerts_once_per_episode() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(1, "standby", PoolHealth::Down);
    h.health(1, "dr", PoolHealth::Suspect);
    let out = h.health(10, "primary", PoolHealth::Down);
    assert!(flips(&out).is_empty());
    assert!(alerts(&out)[0].contains("no healthy pool: keeping records as they are"));
    assert!(alerts(&h.ev(20, Event::Tick)).is_empty());
    assert!(alerts(&h.health(30, "dr", PoolHealth::Down)).is_empty());
    h.health(40, "primary", PoolHealth::Up);
    let out = h.health(50, "primary", PoolHealth::Down);
    assert_eq!(alerts(&out).len(), 1, "a new episode alerts again");
}

#[test]
fn nothing_happens_while_the_active_pool_is_unknown() {
    let mut h = Harness::bare(Policy::with_defaults(pools()));
    h.ev(0, started(Some("primary"), 300, None));
    h.health(0, "standby", PoolHealth::Up);
    let out = h.ev(5, Event::Tick);
    assert!(flips(&out).is_empty() && ttls(&out).is_empty());
    assert_eq!(h.c.next_deadline(), None);
    assert_eq!(flips(&h.health(10, "primary", PoolHealth::Down)).len(), 1);
}

#[test]
fn nothing_is_decided_before_started() {
    let mut h = Harness::bare(Policy::with_defaults(pools()));
    h.health(0, "standby", PoolHealth::Up);
    assert!(flips(&h.health(1, "primary", PoolHealth::Down)).is_empty());
    let out = h.ev(2, started(Some("primary"), 300, None));
    assert_eq!(flips(&out).len(), 1);
}

#[test]
fn one_provider_call_at_a_time() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Suspect);
    assert!(flips(&h.health(11, "primary", PoolHealth::Down)).is_empty());
    let cmd = Command::Failover {
        to: "dr".into(),
        planned: false,
        force: false,
    };
    let out = h.cmd(12, cmd.clone());
    assert!(flips(&out).is_empty() && journaled(&out, EntryKind::Queued));
    assert_eq!(h.c.status().queued_command, Some(cmd));
    // The TTL answer arrives: the queued operator command runs first.
    let out = h.ev(13, Event::TtlApplied { ttl: 30 });
    assert_eq!(
        flips(&out),
        vec![(Some("primary".into()), "dr".into(), 30, Reason::Manual)]
    );
    assert!(flips(&h.ev(14, Event::Tick)).is_empty());
}

#[test]
fn planned_failover_lowers_drains_flips_and_restores() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let cmd = Command::Failover {
        to: "standby".into(),
        planned: true,
        force: false,
    };
    let out = h.cmd(10, cmd);
    assert_eq!(ttls(&out), vec![30]);
    assert!(flips(&out).is_empty());
    let out = h.ev(12, Event::TtlApplied { ttl: 30 });
    assert!(journaled(&out, EntryKind::Draining) && flips(&out).is_empty());
    assert_eq!(h.c.next_deadline(), Some(h.at(12 + 300)));
    assert!(flips(&h.ev(311, Event::Tick)).is_empty());
    let out = h.ev(312, Event::Tick);
    assert_eq!(
        flips(&out),
        vec![(
            Some("primary".into()),
            "standby".into(),
            30,
            Reason::Planned
        )]
    );
    let out = h.ev(313, flipped("standby"));
    assert!(out.contains(&Action::StartWatch {
        to: "standby".into(),
        old_ttl: 30
    }));
    assert_eq!(h.c.next_deadline(), Some(h.at(313 + 600)));
    assert_eq!(ttls(&h.ev(913, Event::Tick)), vec![300]);
}

#[test]
fn planned_move_aborts_when_the_target_fails_during_the_drain() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(
        10,
        Command::Failover {
            to: "standby".into(),
            planned: true,
            force: false,
        },
    );
    h.ev(12, Event::TtlApplied { ttl: 30 });
    h.health(100, "standby", PoolHealth::Down);
    let out = h.ev(312, Event::Tick);
    assert!(flips(&out).is_empty() && journaled(&out, EntryKind::Aborted));
    assert!(!alerts(&out).is_empty(), "the operator hears of it");
}

#[test]
fn auto_failback_waits_for_stable_for_and_is_planned() {
    let mut h = Harness::new(auto_policy());
    h.health(10, "primary", PoolHealth::Down);
    h.ev(11, flipped("standby"));
    h.health(100, "primary", PoolHealth::Up);
    assert_eq!(h.c.next_deadline(), Some(h.at(100 + 300)));
    h.health(200, "primary", PoolHealth::Suspect);
    h.health(250, "primary", PoolHealth::Up);
    assert!(
        ttls(&h.ev(400, Event::Tick)).is_empty(),
        "the suspect spell reset stable_for"
    );
    let out = h.ev(550, Event::Tick);
    assert_eq!(ttls(&out), vec![30]);
    h.ev(551, Event::TtlApplied { ttl: 30 });
    let out = h.ev(851, Event::Tick);
    assert_eq!(
        flips(&out),
        vec![(
            Some("standby".into()),
            "primary".into(),
            30,
            Reason::Failback
        )]
    );
}

#[test]
fn manual_failback_waits_for_the_command() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    h.ev(11, flipped("standby"));
    h.health(100, "primary", PoolHealth::Up);
    assert!(flips(&h.ev(5000, Event::Tick)).is_empty());
    let out = h.cmd(5001, Command::Failback { planned: false });
    assert_eq!(
        flips(&out),
        vec![(
            Some("standby".into()),
            "primary".into(),
            300,
            Reason::Failback
        )]
    );
}

#[test]
fn hold_down_delays_the_next_automatic_flip() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    h.ev(11, flipped("standby"));
    assert!(flips(&h.health(30, "standby", PoolHealth::Down)).is_empty());
    assert_eq!(h.c.next_deadline(), Some(h.at(11 + 120)));
    assert!(flips(&h.ev(130, Event::Tick)).is_empty());
    let out = h.ev(131, Event::Tick);
    assert_eq!(flips(&out)[0].1, "dr");
}

#[test]
fn flip_cap_halts_automation_until_an_operator_command() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    let mut t = 0;
    for (down, to) in [
        ("primary", "standby"),
        ("standby", "primary"),
        ("primary", "standby"),
    ] {
        t += 200;
        h.health(t - 100, to, PoolHealth::Up);
        assert_eq!(flips(&h.health(t, down, PoolHealth::Down))[0].1, to);
        h.ev(t + 1, flipped(to));
    }
    h.health(650, "primary", PoolHealth::Up);
    let out = h.health(800, "standby", PoolHealth::Down);
    assert!(flips(&out).is_empty());
    assert!(alerts(&out)[0].contains("flip cap reached"));
    assert_eq!(h.c.status().halted, Some(Halt::FlipCap));
    assert!(alerts(&h.ev(900, Event::Tick)).is_empty(), "alerted once");
    let out = h.cmd(
        1000,
        Command::Failover {
            to: "primary".into(),
            planned: false,
            force: false,
        },
    );
    assert_eq!(flips(&out)[0].3, Reason::Manual);
    assert_eq!(h.c.status().halted, None);
}

#[test]
fn a_pinned_service_is_never_moved_automatically() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(5, Command::Pin);
    let out = h.health(10, "primary", PoolHealth::Suspect);
    assert!(ttls(&out).is_empty());
    assert!(flips(&h.health(20, "primary", PoolHealth::Down)).is_empty());
    assert_eq!(h.c.next_deadline(), None);
    let out = h.cmd(
        30,
        Command::Failover {
            to: "dr".into(),
            planned: false,
            force: false,
        },
    );
    assert_eq!(flips(&out)[0].1, "dr", "manual commands still work");
    h.ev(31, flipped("dr"));
    h.health(40, "dr", PoolHealth::Down);
    assert!(flips(&h.ev(1000, Event::Tick)).is_empty());
    let out = h.cmd(1001, Command::Unpin);
    assert_eq!(flips(&out)[0].1, "standby");
}

#[test]
fn manual_failover_refusals_name_the_pool() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(1, "dr", PoolHealth::Down);
    let out = h.cmd(
        10,
        Command::Failover {
            to: "dr".into(),
            planned: false,
            force: false,
        },
    );
    let msg = refusal(&out).expect("refused");
    assert!(msg.contains("dr") && msg.contains("down"), "{msg}");
    assert!(flips(&out).is_empty());
    let out = h.cmd(
        11,
        Command::Failover {
            to: "mars".into(),
            planned: false,
            force: false,
        },
    );
    let msg = refusal(&out).expect("refused");
    assert!(
        msg.contains("mars") && msg.contains("primary, standby, dr"),
        "{msg}"
    );
    let out = h.cmd(
        12,
        Command::Failover {
            to: "dr".into(),
            planned: false,
            force: true,
        },
    );
    assert_eq!(flips(&out)[0].1, "dr", "force overrides");
}

#[test]
fn a_lost_compare_and_set_rereads_and_never_flips_twice() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: false,
        conflict: true,
    };
    let out = h.ev(11, failed);
    assert!(out.contains(&Action::Reread));
    let state = Event::ProviderState {
        active: Some("standby".into()),
        ttl: 300,
    };
    let out = h.ev(12, state);
    assert!(journaled(&out, EntryKind::DoneByOtherWriter));
    assert!(flips(&out).is_empty());
    assert!(flips(&h.ev(500, Event::Tick)).is_empty());
    assert_eq!(h.c.status().active.as_deref(), Some("standby"));
}

#[test]
fn retryable_failures_back_off_then_decide_afresh() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: true,
        conflict: false,
    };
    let out = h.ev(11, failed);
    assert!(flips(&out).is_empty());
    assert_eq!(h.c.next_deadline(), Some(h.at(41)));
    h.health(20, "standby", PoolHealth::Down);
    let out = h.ev(41, Event::Tick);
    assert_eq!(
        flips(&out)[0].1,
        "dr",
        "decided afresh with the current health"
    );
}

#[test]
fn a_final_provider_refusal_halts_automation() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: false,
        conflict: false,
    };
    let out = h.ev(11, failed);
    assert_eq!(h.c.status().halted, Some(Halt::ProviderRejected));
    assert!(!alerts(&out).is_empty());
    assert!(flips(&h.ev(1000, Event::Tick)).is_empty());
}

#[test]
fn status_serialises() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Suspect);
    let status = h.c.status();
    assert_eq!(status.phase, "setting_ttl");
    let json = serde_json::to_string(&status).expect("serialises");
    let back: Status = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, status);
    assert_eq!(back.pools[1].up_for_secs, Some(10));
}

#[test]
fn after_a_lost_compare_and_set_nothing_is_decided_on_a_stale_view() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.health(10, "primary", PoolHealth::Down);
    let conflict = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: false,
        conflict: true,
    };
    assert!(h.ev(11, conflict).contains(&Action::Reread));
    let unreadable = Event::ProviderFailed {
        op: ProviderOp::Read,
        retryable: false,
        conflict: false,
    };
    h.ev(12, unreadable);
    assert_eq!(h.c.status().halted, Some(Halt::ProviderRejected));
    h.health(13, "standby", PoolHealth::Suspect);
    // The command lifts the halt, but the provider is read before anything else.
    let out = h.cmd(
        14,
        Command::Failover {
            to: "dr".into(),
            planned: false,
            force: false,
        },
    );
    assert_eq!(out.iter().filter(|a| **a == Action::Reread).count(), 1);
    assert!(flips(&out).is_empty());
    let state = Event::ProviderState {
        active: Some("standby".into()),
        ttl: 300,
    };
    let out = h.ev(15, state);
    assert_eq!(
        flips(&out),
        vec![(Some("standby".into()), "dr".into(), 300, Reason::Manual)]
    );
}

#[test]
fn an_operator_move_is_rechecked_before_it_is_retried() {
    let mut h = Harness::new(Policy::with_defaults(pools()));
    h.cmd(
        10,
        Command::Failover {
            to: "standby".into(),
            planned: false,
            force: false,
        },
    );
    let failed = Event::ProviderFailed {
        op: ProviderOp::Flip,
        retryable: true,
        conflict: false,
    };
    h.ev(11, failed);
    h.health(20, "standby", PoolHealth::Suspect);
    let out = h.ev(41, Event::Tick);
    assert!(flips(&out).is_empty() && journaled(&out, EntryKind::Aborted));
}
