//! The campaign's faults: what each one breaks on the field, what the right outcome is, and how it heals.

use std::fmt;
use std::time::Duration;

use rtoguard_testkit::relay::Direction;

use super::campaign::{CONTROLLERS, Field, VANTAGES, controller_of, ip, other};

/// A small seeded generator (splitmix64): the same seed, the same campaign.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<T: Copy>(&mut self, of: &[T]) -> T {
        of[self.below(of.len())]
    }
}

/// One round's fault, on the pool active when the round starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The active pool's region server stops.
    ActiveDies,
    /// The active pool refuses this vantage's probes (the rest see it up).
    VantageLosesActive(&'static str),
    /// Every peer link of this controller is cut both ways.
    ControllerCut(&'static str),
    /// One direction of every peer link of this controller is cut: its
    /// words do not get out (`mute`) or others' do not get in.
    OneWayCut { id: &'static str, mute: bool },
    /// The active pool's region dies with the controller in it.
    RegionDies,
    /// The first writer's link to BIND (the controller in the region the
    /// flip goes to) is slowed by this much each way, and the active pool's
    /// server stops (a slow write path under a real flip).
    ProviderSlow(&'static str, Duration),
}

/// Every kind, in the order the table prints them.
pub const KINDS: [&str; 6] = [
    "active pool dies",
    "vantage loses active",
    "controller cut off",
    "one-way cut",
    "region dies",
    "provider link slow",
];

impl Fault {
    /// A random fault while `active` is served.
    pub fn pick(rng: &mut Rng, active: &str) -> Self {
        match rng.below(6) {
            0 => Fault::ActiveDies,
            1 => Fault::VantageLosesActive(rng.pick(&VANTAGES)),
            2 => Fault::ControllerCut(rng.pick(&CONTROLLERS)),
            3 => Fault::OneWayCut {
                id: rng.pick(&CONTROLLERS),
                mute: rng.below(2) == 0,
            },
            4 => Fault::RegionDies,
            _ => Fault::ProviderSlow(
                controller_of(other(active)),
                Duration::from_millis(rng.pick(&[300, 800, 1500])),
            ),
        }
    }

    /// Its row in the table (one of [`KINDS`]).
    pub fn kind(self) -> &'static str {
        KINDS[match self {
            Fault::ActiveDies => 0,
            Fault::VantageLosesActive(_) => 1,
            Fault::ControllerCut(_) => 2,
            Fault::OneWayCut { .. } => 3,
            Fault::RegionDies => 4,
            Fault::ProviderSlow(..) => 5,
        }]
    }

    /// Whether the right outcome is a flip away from the active pool.
    pub fn flips(self) -> bool {
        matches!(
            self,
            Fault::ActiveDies | Fault::RegionDies | Fault::ProviderSlow(..)
        )
    }

    /// Break the field, `active` being the pool served.
    pub fn apply(self, f: &mut Field, active: &str) {
        match self {
            Fault::ActiveDies => f.region(active).stop(),
            Fault::VantageLosesActive(v) => f.region(active).block_source(ip(v)),
            Fault::ControllerCut(id) => f.peer_links(id).iter().for_each(|(l, _)| l.cut()),
            Fault::OneWayCut { id, mute } => {
                for (l, pulls) in f.peer_links(id) {
                    // `id`'s requests go upstream on its own pulls, and its
                    // answers come back from upstream on the others'.
                    let its_words = if pulls {
                        Direction::ToUpstream
                    } else {
                        Direction::FromUpstream
                    };
                    let theirs = if pulls {
                        Direction::FromUpstream
                    } else {
                        Direction::ToUpstream
                    };
                    l.cut_one_way(if mute { its_words } else { theirs });
                }
            }
            Fault::RegionDies => {
                f.region(active).stop();
                f.cluster.node_mut(controller_of(active)).kill();
            }
            Fault::ProviderSlow(id, by) => {
                f.link(id, "provider").delay(by);
                f.region(active).stop();
            }
        }
    }

    /// Undo whatever [`Fault::apply`] did (`active` as it was then).
    pub fn heal(self, f: &mut Field, active: &str) {
        f.heal_links();
        for v in VANTAGES {
            f.region(active).unblock_source(ip(v));
        }
        f.region(active).resume();
        for n in &mut f.cluster.nodes {
            n.restart();
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::ActiveDies => write!(f, "the active pool's server stops"),
            Fault::VantageLosesActive(v) => write!(f, "vantage {v} loses the active pool"),
            Fault::ControllerCut(id) => write!(f, "{id} is cut from its peers"),
            Fault::OneWayCut { id, mute: true } => write!(f, "{id} is heard by no peer"),
            Fault::OneWayCut { id, mute: false } => write!(f, "{id} hears no peer"),
            Fault::RegionDies => write!(f, "the active pool's region dies with its controller"),
            Fault::ProviderSlow(id, by) => write!(
                f,
                "{id}'s link to BIND is {} ms slower each way and the active pool's server stops",
                by.as_millis()
            ),
        }
    }
}
