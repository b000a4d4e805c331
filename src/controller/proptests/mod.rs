//! Property tests: random health, time, provider answers and commands against the safety rules.

use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::*;

mod durable;
mod flapping;
mod gradual;
mod incidents;

const POOLS: [&str; 3] = ["primary", "standby", "dr"];

#[derive(Clone, Debug)]
enum Answer {
    Success,
    /// Another writer made the same change first; our compare-and-set loses.
    LostToOther,
    Conflict,
    Retryable,
    Final,
}

#[derive(Clone, Debug)]
enum Op {
    Health(usize, PoolHealth),
    /// Advance time, sending `Tick` at every deadline on the way.
    Advance(u64),
    /// A tick at a moment nobody asked for.
    SpuriousTick(u64),
    Answer(Answer),
    Command(Command),
    /// A peer publishes the decision it serves: pool, written this many
    /// seconds after the epoch of the run, by this writer.
    Peer(usize, u64, &'static str),
}

fn health() -> impl Strategy<Value = PoolHealth> {
    prop_oneof![
        3 => Just(PoolHealth::Up),
        1 => Just(PoolHealth::Suspect),
        2 => Just(PoolHealth::Down),
        1 => Just(PoolHealth::Unknown),
    ]
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        8 => Just(Answer::Success),
        1 => Just(Answer::LostToOther),
        1 => Just(Answer::Conflict),
        1 => Just(Answer::Retryable),
        1 => Just(Answer::Final),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let to = prop_oneof![
        Just("primary"),
        Just("standby"),
        Just("dr"),
        Just("nowhere")
    ];
    prop_oneof![
        (to, any::<bool>(), prop::bool::weighted(0.2)).prop_map(|(to, planned, force)| {
            Command::Failover {
                to: to.into(),
                planned,
                force,
            }
        }),
        any::<bool>().prop_map(|planned| Command::Failback { planned }),
        Just(Command::Pin {
            by: "user:alice".into(),
            reason: "maintenance".into(),
            until: None
        }),
        Just(Command::Unpin {
            by: "user:alice".into()
        }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, health()).prop_map(|(p, h)| Op::Health(p, h)),
        6 => (0..400u64).prop_map(Op::Advance),
        1 => (0..30u64).prop_map(Op::SpuriousTick),
        8 => answer().prop_map(Op::Answer),
        1 => command().prop_map(Op::Command),
        1 => (0..3usize, 0..2_000u64, prop_oneof![Just("west"), Just("south")])
            .prop_map(|(p, at, by)| Op::Peer(p, at, by)),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    let knobs = (any::<bool>(), 1..4u32, 0..300u64, 60..900u64, any::<bool>());
    knobs.prop_map(|(auto, max_flips, hold, stable, served_here)| {
        let mut p = Policy::with_defaults(POOLS.iter().map(|s| s.to_string()).collect());
        p.local.served_here = served_here;
        p.failback_mode = if auto {
            FailbackMode::Auto
        } else {
            FailbackMode::Manual
        };
        p.max_flips = max_flips;
        p.hold_down = Duration::from_secs(hold);
        p.stable_for = Duration::from_secs(stable);
        p.flip_window = Duration::from_secs(1800);
        p
    })
}

/// A fake runtime and provider around one controller, checking every action.
struct Sim {
    c: Controller,
    policy: Policy,
    now: Instant,
    health: [PoolHealth; 3],
    up_since: [Option<Instant>; 3],
    outstanding: Option<Action>,
    active: Option<String>,
    ttl: u32,
    pinned: bool,
    forced: bool,
    /// Completed flips: when, and whether automatic.
    done: Vec<(Instant, bool)>,
    /// The newest peer decision sent: (at, writer, pool).
    newest: Option<(u64, &'static str, String)>,
}

impl Sim {
    fn new(policy: Policy) -> Result<Self, TestCaseError> {
        let mut sim = Self {
            c: Controller::new(policy.clone()),
            policy,
            now: Instant::now(),
            health: [PoolHealth::Unknown; 3],
            up_since: [None; 3],
            outstanding: None,
            active: Some("primary".into()),
            ttl: 300,
            pinned: false,
            forced: false,
            done: Vec::new(),
            newest: None,
        };
        let started = Event::Started {
            active: sim.active.clone(),
            ttl: 300,
            intent: None,
            wall: std::time::SystemTime::UNIX_EPOCH,
            restored: Box::default(),
        };
        sim.send(started)?;
        Ok(sim)
    }

    fn idx(pool: &str) -> Option<usize> {
        POOLS.iter().position(|p| *p == pool)
    }

    fn send(&mut self, event: Event) -> Result<(), TestCaseError> {
        let out = self.c.handle(self.now, event);
        for action in out {
            self.check(&action)?;
        }
        Ok(())
    }

    fn run(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Health(i, h) => {
                if self.health[i] != h {
                    self.health[i] = h;
                    self.up_since[i] = (h == PoolHealth::Up).then_some(self.now);
                }
                self.send(Event::PoolHealth {
                    pool: POOLS[i].into(),
                    health: h,
                })
            }
            Op::Advance(secs) => self.advance(secs),
            Op::SpuriousTick(secs) => {
                self.now += Duration::from_secs(secs);
                self.send(Event::Tick)
            }
            Op::Answer(a) => self.answer(a),
            Op::Command(cmd) => {
                match &cmd {
                    Command::Pin { .. } => self.pinned = true,
                    Command::Unpin { .. } => self.pinned = false,
                    Command::Failover { force: true, .. } => self.forced = true,
                    _ => {}
                }
                self.send(Event::Command(cmd))
            }
            Op::Peer(i, at, by) => {
                let key = (at, by, POOLS[i].to_owned());
                if self
                    .newest
                    .as_ref()
                    .is_none_or(|n| (n.0, n.1) < (key.0, key.1))
                {
                    self.newest = Some(key);
                }
                self.send(Event::PeerDecision(Decision {
                    pool: POOLS[i].into(),
                    at: std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(at),
                    by: by.into(),
                    incident: None,
                }))
            }
        }
    }

    fn advance(&mut self, secs: u64) -> Result<(), TestCaseError> {
        let target = self.now + Duration::from_secs(secs);
        for _ in 0..100 {
            match self.c.next_deadline() {
                Some(d) if d <= target => {
                    prop_assert!(d >= self.now, "a deadline in the past was left unhandled");
                    self.now = d;
                    self.send(Event::Tick)?;
                    prop_assert!(
                        self.c.next_deadline() != Some(d),
                        "a tick at the deadline changed nothing"
                    );
                }
                _ => break,
            }
        }
        self.now = target;
        Ok(())
    }

    fn answer(&mut self, answer: Answer) -> Result<(), TestCaseError> {
        let Some(action) = self.outstanding.take() else {
            return Ok(());
        };
        let op = match &action {
            Action::SetTtl { .. } => ProviderOp::SetTtl,
            Action::Flip { .. } | Action::Adopt { .. } => ProviderOp::Flip,
            _ => ProviderOp::Read,
        };
        let failed = |retryable, conflict| Event::ProviderFailed {
            op,
            retryable,
            conflict,
        };
        let event = match (answer, action) {
            (Answer::Success, Action::SetTtl { ttl, .. }) => {
                self.ttl = ttl;
                Event::TtlApplied { ttl }
            }
            (Answer::Success, Action::Adopt { to, ttl, .. }) => {
                self.active = Some(to.clone());
                self.ttl = ttl;
                Event::Flipped { to }
            }
            (Answer::Success, Action::Flip { to, by, ttl, .. }) => {
                self.active = Some(to.clone());
                self.ttl = ttl;
                self.done.push((self.now, by == Initiator::Automation));
                Event::Flipped { to }
            }
            (Answer::LostToOther, Action::Flip { to, ttl, .. }) => {
                self.active = Some(to);
                self.ttl = ttl;
                self.done.push((self.now, false));
                failed(false, true)
            }
            // The runtime hears a write found served as a lost compare-and-set.
            (Answer::LostToOther, Action::Adopt { to, ttl, .. }) => {
                self.active = Some(to);
                self.ttl = ttl;
                failed(false, true)
            }
            (Answer::Success | Answer::LostToOther, _) => Event::ProviderState {
                active: self.active.clone(),
                ttl: self.ttl,
            },
            (Answer::Conflict, _) => failed(false, true),
            (Answer::Retryable, _) => failed(true, false),
            (Answer::Final, _) => failed(false, false),
        };
        self.send(event)
    }

    /// The safety rules, checked on every action as it comes out.
    fn check(&mut self, action: &Action) -> Result<(), TestCaseError> {
        let call = matches!(
            action,
            Action::SetTtl { .. } | Action::Flip { .. } | Action::Adopt { .. } | Action::Reread
        );
        if call {
            prop_assert!(
                self.outstanding.is_none(),
                "two provider calls outstanding: {action:?}"
            );
            self.outstanding = Some(action.clone());
        }
        if let Action::SetTtl { reason, .. } = action {
            let automatic = matches!(reason, TtlReason::Suspect | TtlReason::Restore);
            prop_assert!(
                !(automatic && self.pinned),
                "automatic TTL change while pinned"
            );
        }
        if let Action::Flip { to, by, reason, .. } = action {
            self.check_flip(to, *by, *reason)?;
        }
        if let Action::Adopt { to, writer, .. } = action {
            prop_assert!(
                self.policy.local.served_here,
                "adoption without the capability"
            );
            prop_assert!(
                self.active.as_deref() != Some(to),
                "adoption of the active pool"
            );
            let newest = self.newest.as_ref().map(|n| (n.1, n.2.as_str()));
            prop_assert_eq!(
                newest,
                Some((writer.as_str(), to.as_str())),
                "adoption of a decision not the newest"
            );
        }
        Ok(())
    }

    fn check_flip(&self, to: &str, by: Initiator, reason: Reason) -> Result<(), TestCaseError> {
        prop_assert!(!to.is_empty(), "flip with an empty target");
        let Some(i) = Self::idx(to) else {
            return Err(TestCaseError::fail(format!("flip to unknown pool {to}")));
        };
        prop_assert!(
            self.active.as_deref() != Some(to),
            "flip to the active pool"
        );
        if by == Initiator::Operator {
            prop_assert!(
                self.forced || self.health[i] == PoolHealth::Up,
                "unforced flip to {to}"
            );
            return Ok(());
        }
        prop_assert!(!self.pinned, "automatic flip while pinned");
        prop_assert_eq!(
            self.health[i],
            PoolHealth::Up,
            "automatic flip to a pool not up"
        );
        let active = self.active.as_deref().and_then(Self::idx);
        if reason == Reason::Failback {
            prop_assert_eq!(i, 0, "failback to a pool that is not preferred");
            let stable = self.up_since[0].is_some_and(|s| s + self.policy.stable_for <= self.now);
            prop_assert!(
                stable,
                "failback before the preferred pool was up for stable_for"
            );
        } else {
            let down = active.is_some_and(|a| self.health[a] == PoolHealth::Down);
            prop_assert!(
                down,
                "automatic {reason:?} flip while the active pool is not down"
            );
        }
        if let Some((last, _)) = self.done.last() {
            prop_assert!(
                *last + self.policy.hold_down <= self.now,
                "automatic flip within hold_down"
            );
        }
        let window = self.policy.flip_window;
        let recent = self
            .done
            .iter()
            .filter(|(at, auto)| *auto && self.now.duration_since(*at) < window)
            .count();
        prop_assert!(recent < self.policy.max_flips as usize, "flip cap exceeded");
        Ok(())
    }
}

proptest! {
    // Failures are not persisted to files outside this module; the cases
    // they found are unit tests in `tests.rs`.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn safety_rules_hold_for_random_sequences(
        policy in policy(),
        ops in prop::collection::vec(op(), 1..200),
    ) {
        let mut sim = Sim::new(policy)?;
        for op in ops {
            sim.run(op)?;
        }
    }
}
