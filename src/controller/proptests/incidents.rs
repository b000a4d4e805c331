//! Property tests of incidents and the writer delay: random event orders,
//! clock jumps and restarts; an incident opens once per episode, closes
//! only when the active pool is up and nothing is under way, survives a
//! restart, says "RTO missed" once, and waits its writer delay once.

use std::collections::BTreeSet;

use super::durable::{Life, Step, step, wall};
use super::*;

/// What the incidents did so far, as a runtime would see it.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// The incident open now, by its announcements.
    open: Option<String>,
    /// Every id ever opened.
    ids: BTreeSet<String>,
    /// Incidents for which "RTO missed" was said.
    rto_said: BTreeSet<String>,
    /// The first write of the open incident that had a writer delay.
    first_write: Option<Instant>,
    /// The longest writer delay of the policy.
    pub(super) max_delay: Duration,
    /// This controller flipped within the open incident: it speaks for it.
    wrote: bool,
}

impl Seen {
    /// Checks one action of `c`, taken at `now` with the pools' `health`.
    pub(super) fn observe(
        &mut self,
        c: &Controller,
        now: Instant,
        action: &Action,
        health: &[PoolHealth; 3],
    ) -> Result<(), TestCaseError> {
        match action {
            Action::IncidentOpened { incident, .. } => {
                prop_assert!(
                    self.open.is_none(),
                    "opened {} during {:?}",
                    incident.id,
                    self.open
                );
                prop_assert!(
                    self.ids.insert(incident.id.clone()),
                    "id {} reused",
                    incident.id
                );
                self.open = Some(incident.id.clone());
                self.first_write = None;
                self.wrote = false;
            }
            Action::Journal(e) if e.kind == EntryKind::Flipped => self.wrote = true,
            Action::IncidentClosed {
                incident,
                pool,
                voice,
                ..
            } => {
                prop_assert_eq!(self.open.as_ref(), Some(&incident.id));
                // One voice: the writer of the flip tells people.
                prop_assert!(!self.wrote || voice.speaks(), "wrote, but {voice}");
                let i = POOLS.iter().position(|p| p == pool);
                let up = i.is_some_and(|i| health[i] == PoolHealth::Up);
                prop_assert!(up, "closed with {pool} not up: {health:?}");
                let s = c.status();
                // A check of what is served (a re-read, no move) may follow.
                let check = s.phase == "rereading" && s.moving_to.is_none();
                prop_assert!(s.phase == "idle" || check, "closed with a move under way");
                prop_assert!(s.queued_command.is_none() && s.pending_intent.is_none());
                self.open = None;
            }
            Action::RtoMissed { id, .. } => {
                prop_assert_eq!(self.open.as_ref(), Some(id));
                prop_assert!(
                    self.rto_said.insert(id.clone()),
                    "RTO missed said twice for {id}"
                );
            }
            Action::Flip { not_before, .. } | Action::SetTtl { not_before, .. } => {
                self.check_wait(now, *not_before)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Within one incident every write is due by the first write plus the
    /// longest delay: the delay is counted once, not once per write.
    fn check_wait(&mut self, now: Instant, at: Option<Instant>) -> Result<(), TestCaseError> {
        let Some(at) = at else {
            return Ok(());
        };
        prop_assert!(at > now, "a wait that already passed");
        prop_assert!(at <= now + self.max_delay, "waits longer than any delay");
        if self.open.is_some() {
            let first = *self.first_write.get_or_insert(now);
            prop_assert!(at <= first + self.max_delay, "the delay was counted twice");
        }
        Ok(())
    }

    /// The controller holds the incident the announcements say is open.
    fn agrees(&self, c: &Controller) -> Result<(), TestCaseError> {
        prop_assert_eq!(c.incident().map(|i| &i.id), self.open.as_ref());
        Ok(())
    }
}

fn policy(auto: bool, rto: u64, grace: u64) -> Policy {
    let mut p = Policy::with_defaults(POOLS.iter().map(|p| p.to_string()).collect());
    p.max_flips = 2;
    if auto {
        p.failback_mode = FailbackMode::Auto;
    }
    p.local = Local::new("checkout", Duration::from_secs(rto));
    for (i, pool) in POOLS.iter().enumerate() {
        let d = Duration::from_secs(grace * i as u64);
        p.local.writer_delay.insert(pool.to_string(), d);
    }
    p.local.writer_delay_otherwise = Duration::from_secs(grace * 3);
    p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn incidents_open_once_close_when_over_and_survive_restarts(
        steps in prop::collection::vec(step(), 1..80),
        auto in any::<bool>(),
        rto in 30..3000u64,
        grace in 0..20u64,
    ) {
        let mut life = Life::new(policy(auto, rto, grace))?;
        life.seen.max_delay = Duration::from_secs(grace * 3);
        for step in &steps {
            let before = life.c.incident().cloned();
            life.run(step)?;
            life.seen.agrees(&life.c)?;
            if matches!(step, Step::Restart) && let Some(before) = &before {
                // Taken up again; or, once health is known, over (a move
                // under way is not durable), as announced and checked.
                let after = life.c.incident();
                prop_assert!(after.is_none_or(|a| a.id == before.id), "restart changed the incident");
                if before.rto_missed && let Some(after) = after {
                    prop_assert!(after.rto_missed, "restart forgot RTO missed");
                }
            }
        }
        let _ = wall(life.secs);
    }
}
