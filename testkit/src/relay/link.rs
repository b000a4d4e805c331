//! The control handle of a relay and the state its tasks read: cuts, delay, losses, counters.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::watch;

/// One direction of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client (who connects to the relay) to the upstream server.
    ToUpstream,
    /// From the upstream server back to the client.
    FromUpstream,
}

impl Direction {
    pub(crate) const BOTH: [Direction; 2] = [Direction::ToUpstream, Direction::FromUpstream];

    pub(crate) fn index(self) -> usize {
        match self {
            Direction::ToUpstream => 0,
            Direction::FromUpstream => 1,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::ToUpstream => "to upstream",
            Direction::FromUpstream => "from upstream",
        })
    }
}

/// What one direction carried so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flow {
    /// Bytes delivered.
    pub bytes: u64,
    /// Datagrams (UDP) or chunks written (TCP) delivered.
    pub packets: u64,
    /// Datagrams lost to a cut or a drop (UDP); chunks held for a
    /// retransmission (TCP; they are delivered later).
    pub dropped: u64,
}

/// Counters of a relay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub to_upstream: Flow,
    pub from_upstream: Flow,
    /// TCP connections accepted, or UDP clients (source addresses) seen.
    pub clients: u64,
}

/// The impairments in force.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct State {
    pub cut: [bool; 2],
    pub delay: Duration,
    pub drop: [f64; 2],
    /// Bumped by [`Link::reset_connections`].
    pub resets: u64,
}

#[derive(Debug, Default)]
struct Counters {
    bytes: AtomicU64,
    packets: AtomicU64,
    dropped: AtomicU64,
}

/// What a relay's tasks share with its [`Link`]s.
#[derive(Debug)]
pub(crate) struct Shared {
    pub state: watch::Sender<State>,
    counters: [Counters; 2],
    rngs: [Mutex<StdRng>; 2],
    seed: u64,
    pub clients: AtomicU64,
}

impl Shared {
    pub fn new(seed: u64) -> Self {
        Self {
            state: watch::Sender::new(State::default()),
            counters: Default::default(),
            // One stream per direction, so losses one way do not depend on
            // how the other way's packets interleave.
            rngs: [
                Mutex::new(StdRng::seed_from_u64(seed)),
                Mutex::new(StdRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15)),
            ],
            seed,
            clients: AtomicU64::new(0),
        }
    }

    pub fn now(&self) -> State {
        *self.state.borrow()
    }

    /// Draw whether the next packet going `dir` is lost (one draw per packet).
    pub fn lose(&self, dir: Direction) -> bool {
        let p = self.now().drop[dir.index()];
        // A poisoned generator is still a generator.
        let mut rng = self.rngs[dir.index()]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let draw: f64 = rng.random();
        draw < p
    }

    pub fn passed(&self, dir: Direction, bytes: usize) {
        let c = &self.counters[dir.index()];
        c.bytes.fetch_add(bytes as u64, Ordering::SeqCst);
        c.packets.fetch_add(1, Ordering::SeqCst);
    }

    /// Take back a count made before a send that then failed.
    pub fn unpass(&self, dir: Direction, bytes: usize) {
        let c = &self.counters[dir.index()];
        c.bytes.fetch_sub(bytes as u64, Ordering::SeqCst);
        c.packets.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn dropped(&self, dir: Direction) {
        self.counters[dir.index()]
            .dropped
            .fetch_add(1, Ordering::SeqCst);
    }

    fn flow(&self, dir: Direction) -> Flow {
        let c = &self.counters[dir.index()];
        Flow {
            bytes: c.bytes.load(Ordering::SeqCst),
            packets: c.packets.load(Ordering::SeqCst),
            dropped: c.dropped.load(Ordering::SeqCst),
        }
    }
}

/// Controls one relay's link while it runs; clones control the same link.
#[derive(Debug, Clone)]
pub struct Link {
    shared: Arc<Shared>,
}

impl Link {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    fn modify(&self, f: impl FnOnce(&mut State)) {
        self.shared.state.send_modify(f);
    }

    /// Cut both directions.
    pub fn cut(&self) {
        self.modify(|s| s.cut = [true, true]);
    }

    /// Cut `dir` only; the other direction keeps its state.
    pub fn cut_one_way(&self, dir: Direction) {
        self.modify(|s| s.cut[dir.index()] = true);
    }

    /// Delay every packet or chunk by `delay`, both ways (added latency).
    pub fn delay(&self, delay: Duration) {
        self.modify(|s| s.delay = delay);
    }

    /// Lose this share (0.0–1.0) of packets, both ways.
    pub fn drop_fraction(&self, fraction: f64) {
        let f = fraction.clamp(0.0, 1.0);
        self.modify(|s| s.drop = [f, f]);
    }

    /// Lose this share (0.0–1.0) of packets going `dir` only.
    pub fn drop_fraction_one_way(&self, dir: Direction, fraction: f64) {
        self.modify(|s| s.drop[dir.index()] = fraction.clamp(0.0, 1.0));
    }

    /// Close every open TCP connection with an RST, now (new ones are not affected).
    pub fn reset_connections(&self) {
        self.modify(|s| s.resets += 1);
    }

    /// Undo every cut, delay and loss: held TCP bytes flow again.
    pub fn heal(&self) {
        self.modify(|s| {
            *s = State {
                resets: s.resets,
                ..State::default()
            }
        });
    }

    /// True while `dir` is cut.
    pub fn is_cut(&self, dir: Direction) -> bool {
        self.shared.now().cut[dir.index()]
    }

    /// The seed of the loss generators (printed at start).
    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        let [to_upstream, from_upstream] = Direction::BOTH.map(|d| self.shared.flow(d));
        Stats {
            to_upstream,
            from_upstream,
            clients: self.shared.clients.load(Ordering::SeqCst),
        }
    }
}
