//! Property tests of the durable state: random event orders and clock jumps
//! with restarts (a fresh controller restored from the journaled changes)
//! in the middle never lose or invent a pin, a halt, a drill or the flip count.

use std::time::SystemTime;

use super::*;

#[derive(Clone, Debug)]
pub(super) enum Step {
    Health(usize, PoolHealth),
    /// Advance time, ticking at every deadline on the way and at the end.
    Advance(u64),
    Pin(Option<u64>),
    Unpin,
    Failover(usize),
    /// A drill: simulated fault or planned to this pool, with this dwell.
    Drill(bool, usize, u64),
    Restart,
}

pub(super) fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..3usize, health()).prop_map(|(p, h)| Step::Health(p, h)),
        5 => prop_oneof![0..300u64, 0..20_000u64].prop_map(Step::Advance),
        2 => prop::option::of(1..3000u64).prop_map(Step::Pin),
        1 => Just(Step::Unpin),
        1 => (0..3usize).prop_map(Step::Failover),
        1 => (any::<bool>(), 0..3usize, 1..2000u64).prop_map(|(s, p, d)| Step::Drill(s, p, d)),
        2 => Just(Step::Restart),
    ]
}

pub(super) fn wall(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

/// One controller after another, with a provider that accepts every call.
pub(super) struct Life {
    pub(super) c: Controller,
    pub(super) t0: Instant,
    pub(super) secs: u64,
    health: [PoolHealth; 3],
    active: Option<String>,
    ttl: u32,
    /// Every durable change so far, as the journal holds them (JSON round trip).
    journal: Vec<Change>,
    /// What the incidents did so far, checked action by action.
    pub(super) seen: super::incidents::Seen,
}

type Kept = (Option<Pin>, Option<Halt>, usize, Option<Drill>);

impl Life {
    pub(super) fn new(policy: Policy) -> Result<Self, TestCaseError> {
        let mut life = Self {
            c: Controller::new(policy),
            t0: Instant::now(),
            secs: 0,
            health: [PoolHealth::Up; 3],
            active: Some("primary".into()),
            ttl: 300,
            journal: Vec::new(),
            seen: Default::default(),
        };
        life.start()?;
        Ok(life)
    }

    fn now(&self) -> Instant {
        self.t0 + Duration::from_secs(self.secs)
    }

    fn kept(&self) -> Kept {
        let s = self.c.status();
        (s.pin, s.halted, s.automatic_flips_in_window, s.drill)
    }

    /// `Started` with what the journal holds, then every pool's health.
    fn start(&mut self) -> Result<(), TestCaseError> {
        let restored = Durable::replay(self.journal.iter().cloned());
        self.send(Event::Started {
            active: self.active.clone(),
            ttl: self.ttl,
            intent: None,
            wall: wall(self.secs),
            restored: Box::new(restored),
        })?;
        for (i, health) in self.health.into_iter().enumerate() {
            let pool = POOLS[i].into();
            self.send(Event::PoolHealth { pool, health })?;
        }
        Ok(())
    }

    /// Handles one event and answers every provider call at once.
    fn send(&mut self, event: Event) -> Result<(), TestCaseError> {
        let mut queue = vec![event];
        for _ in 0..64 {
            let Some(event) = queue.pop() else {
                return Ok(());
            };
            let now = self.now();
            let actions = self.c.handle(now, event);
            for action in &actions {
                self.seen.observe(&self.c, now, action, &self.health)?;
            }
            for action in actions {
                if let Some(change) = action.change() {
                    self.journal.push(change);
                }
                match action {
                    Action::Journal(Entry {
                        change: Some(change),
                        ..
                    }) => {
                        let text = serde_json::to_string(&change).unwrap();
                        self.journal.push(serde_json::from_str(&text).unwrap());
                    }
                    Action::Flip { to, .. } => {
                        self.active = Some(to.clone());
                        queue.push(Event::Flipped { to });
                    }
                    Action::SetTtl { ttl, .. } => {
                        self.ttl = ttl;
                        queue.push(Event::TtlApplied { ttl });
                    }
                    // The watch ends at once (the incident waits for it).
                    Action::StartWatch { .. } => queue.push(Event::WatchEnded),
                    Action::Reread => queue.push(Event::ProviderState {
                        active: self.active.clone(),
                        ttl: self.ttl,
                    }),
                    _ => {}
                }
            }
        }
        prop_assert!(queue.is_empty(), "the provider answers never ended");
        Ok(())
    }

    fn advance(&mut self, secs: u64) -> Result<(), TestCaseError> {
        let end = self.secs + secs;
        for _ in 0..100 {
            match self.c.next_deadline() {
                Some(d) if d <= self.t0 + Duration::from_secs(end) => {
                    self.secs = d.duration_since(self.t0).as_secs().max(self.secs);
                    self.send(Event::Tick)?;
                }
                _ => break,
            }
        }
        self.secs = end;
        self.send(Event::Tick)
    }

    pub(super) fn run(&mut self, step: &Step) -> Result<(), TestCaseError> {
        let by = "user:alice".to_owned();
        match step {
            Step::Health(i, h) => {
                self.health[*i] = *h;
                let pool = POOLS[*i].into();
                self.send(Event::PoolHealth { pool, health: *h })
            }
            Step::Advance(secs) => self.advance(*secs),
            Step::Pin(secs) => self.send(Event::Command(Command::Pin {
                by,
                reason: "maintenance".into(),
                until: secs.map(|s| wall(self.secs + s)),
            })),
            Step::Unpin => self.send(Event::Command(Command::Unpin { by })),
            Step::Failover(i) => self.send(Event::Command(Command::Failover {
                to: POOLS[*i].into(),
                planned: false,
                force: true,
            })),
            Step::Drill(simulate_fault, to, dwell_secs) => {
                self.send(Event::Command(Command::Drill {
                    id: format!("drill-{}", self.secs),
                    to: POOLS[*to].into(),
                    simulate_fault: *simulate_fault,
                    dwell_secs: *dwell_secs,
                }))
            }
            Step::Restart => {
                self.c = Controller::new(self.c.policy().clone());
                self.start()
            }
        }
    }
}

/// What may change a pin and a halt: only an operator's command or the pin's end.
fn check(step: &Step, before: &Kept, after: &Kept, now: SystemTime) -> Result<(), TestCaseError> {
    let (pin, halted, flips, drill) = before;
    // A drill starts with an operator's planned failover, which lifts a halt too.
    let operator = matches!(
        step,
        Step::Unpin | Step::Failover(_) | Step::Pin(_) | Step::Drill(..)
    );
    if let Some(pin) = pin
        && after.0.is_none()
    {
        let ended = pin.until.is_some_and(|u| u <= now);
        prop_assert!(ended || matches!(step, Step::Unpin), "pin lost by {step:?}");
    }
    if after.0.is_some() && pin.is_none() {
        prop_assert!(matches!(step, Step::Pin(_)), "pin invented by {step:?}");
    }
    if halted.is_some() && after.1.is_none() {
        prop_assert!(operator, "halt lifted by {step:?}");
    }
    if let Some(d) = drill
        && after.3.is_none()
    {
        prop_assert!(
            d.dwell_until <= now,
            "drill ended before its dwell by {step:?}"
        );
    }
    if after.3.is_some() && drill.is_none() {
        prop_assert!(
            matches!(step, Step::Drill(..)),
            "drill invented by {step:?}"
        );
    }
    if matches!(step, Step::Restart) {
        prop_assert_eq!(&after.3, drill, "restart changed the drill");
        prop_assert_eq!(&after.0, pin, "restart changed the pin");
        prop_assert_eq!(&after.1, halted, "restart changed the halt");
        prop_assert!(after.2 >= *flips, "restart forgot automatic flips");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn restarts_never_lose_or_invent_a_pin_or_a_halt(
        steps in prop::collection::vec(step(), 1..80),
        auto in any::<bool>(),
    ) {
        let mut policy = Policy::with_defaults(POOLS.iter().map(|p| p.to_string()).collect());
        policy.max_flips = 2;
        if auto {
            policy.failback_mode = FailbackMode::Auto;
        }
        let mut life = Life::new(policy)?;
        for step in &steps {
            let before = life.kept();
            life.run(step)?;
            let after = life.kept();
            check(step, &before, &after, wall(life.secs))?;
        }
    }
}
