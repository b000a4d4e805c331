//! Benchmark: rtoguard beside PowerDNS and gdnsd (issue 13), sudden failure, client reach through a caching resolver.
//!
//! Same testbed for every row: regions on 127.0.0.2 / .3 (shared port),
//! unbound caching with a stub zone to the row's authority, a client
//! resolving through unbound every 100 ms and fetching, the primary killed
//! at a seeded random phase of unbound's 5 s cache cycle, the phases
//! spread over the whole cycle, the same phase for every row of a run
//! (paired runs; see `bench/peers/phases.rs`). The table puts the time the
//! authority answers the standby beside the client's reach, and the
//! difference (the cache's share), so it shows where each row's time goes.
//! Authorities: PowerDNS (LUA `ifurlup`), gdnsd (`http_status` +
//! `simplefo`), BIND + `rtoguard run`. Configs and tuning notes in
//! `bench/peers/`; rtoguard at its best as in `bench/detection.rs` (fast
//! confirmation 200 ms, probe timeout 150 ms). Each run goes through every
//! row in turn.
//!
//! rtoguard also holds its connection watch (`health.watch`, the default):
//! the primary's server closes its connections as it stops.
//!
//! Run: `cargo bench --bench peers`; RUNS (default 12: a run of the four
//! rows takes about a minute, so about 13 minutes in all; 5 runs gave
//! medians that moved by a tenth of a second from one run to the next);
//! SEED replays the phases of an earlier run (it is printed).

// Benchmarks measure wall-clock time (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

#[path = "peers/client.rs"]
mod client;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "peers/phases.rs"]
mod phases;
#[path = "peers/servers.rs"]
mod servers;
#[path = "peers/table.rs"]
mod table;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use client::Client;
use common::Testbed;
use common::daemon::{Daemon, all_up, wait_for};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::dns;
use rtoguard_testkit::region::Region;
use rtoguard_testkit::unbound::Unbound;
use servers::{Kind, Peer};
use table::print_table;

const NAME: &str = "checkout.example.test.";
/// The TTL of every row, seconds.
const TTL: u32 = 5;

/// One row of the table.
#[derive(Clone, Copy)]
enum System {
    Peer(Kind),
    /// rtoguard with this `fall` (interval 1 s, fast confirmation at its default).
    Rtoguard(u32),
}

impl System {
    fn label(self) -> String {
        match self {
            Self::Peer(Kind::PowerDns) => {
                "PowerDNS LUA ifurlup, 1s checks, TTL 5 (flips on one failed check)".into()
            }
            Self::Peer(Kind::Gdnsd) => "gdnsd tuned (2s minimum interval), TTL 5".into(),
            Self::Rtoguard(1) => "rtoguard, interval 1s, fall 1, TTL 5 (connection watch)".into(),
            Self::Rtoguard(fall) => format!(
                "rtoguard, interval 1s, fall {fall}, TTL 5 (fast confirmation 200ms, probe timeout 150ms, connection watch)"
            ),
        }
    }

    /// Whether its binary runs here (a peer not installed gets no row).
    fn available(self) -> bool {
        let probe = |bin: &str, arg: &str| {
            Command::new(bin)
                .arg(arg)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        };
        match self {
            Self::Peer(Kind::PowerDns) => probe("pdns_server", "--version"),
            Self::Peer(Kind::Gdnsd) => probe("gdnsd", "-h"),
            Self::Rtoguard(_) => true,
        }
    }
}

/// What one run measured: fault -> the client's first standby response
/// (seconds), and the client's failed requests in between.
#[derive(Clone, Copy)]
struct Run {
    reach: f64,
    failed: usize,
    /// Fault -> the authority answers the standby (seconds).
    flip: f64,
    /// The fault's phase in unbound's cache cycle (seconds after a refill).
    phase: f64,
}

/// The row's authority and the regions (dropped after the client and unbound).
enum Auth {
    /// The standby is only kept running.
    Peer {
        peer: Peer,
        primary: Region,
        _standby: Region,
    },
    Rtoguard(Daemon, Box<Testbed>),
}

/// Fields drop in order: the client first, the authority last.
struct Rig {
    client: Client,
    unbound: Unbound,
    auth: Auth,
    /// The authority's DNS address.
    dns: SocketAddr,
}

fn main() {
    let runs = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let systems = [
        System::Peer(Kind::PowerDns),
        System::Peer(Kind::Gdnsd),
        System::Rtoguard(1),
        System::Rtoguard(3),
    ];
    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random);
    let began = Instant::now();
    let mut rows: Vec<(System, Vec<Run>)> = Vec::new();
    for sys in systems {
        if sys.available() {
            rows.push((sys, Vec::new()));
        } else {
            eprintln!(
                "{}: not installed, no row (bench/run installs it)",
                sys.label()
            );
        }
    }
    // The cycle as unbound runs it (a little over the TTL: it counts whole
    // seconds, and refills at the first query after expiry).
    let cycle = rows
        .first()
        .map_or(Duration::from_secs(u64::from(TTL)), |(sys, _)| {
            (0..3)
                .find_map(|_| Rig::start(*sys))
                .map_or(Duration::from_secs(u64::from(TTL)), |r| r.cycle())
        });
    eprintln!(
        "unbound's cache cycle: {:.3}s; phases: seed {seed} (replay with SEED={seed})",
        cycle.as_secs_f64()
    );
    let phases = phases::phases(seed, runs, cycle);
    for (i, offset) in phases.into_iter().enumerate() {
        let i = i + 1;
        for (sys, out) in &mut rows {
            match one(*sys, offset) {
                Some(r) => {
                    eprintln!(
                        "run {i}/{runs} {}: phase {:.3}s, authority {:.3}s, reach {:.3}s, {} failed",
                        sys.label(),
                        r.phase,
                        r.flip,
                        r.reach,
                        r.failed,
                    );
                    out.push(r);
                }
                None => eprintln!("run {i}/{runs} {}: no standby within 60s", sys.label()),
            }
        }
    }
    print_table(&rows, runs, began.elapsed());
    println!(
        "unbound's cache cycle {:.3}s, fault phases spread over it: seed {seed}",
        cycle.as_secs_f64()
    );
}

/// One sudden-failure run of `sys`: the primary killed `offset` after
/// unbound fetched a fresh answer (the same offset for every row of a run).
fn one(sys: System, offset: Duration) -> Option<Run> {
    let mut rig = (0..3).find_map(|_| Rig::start(sys))?;
    rig.wait_refill();
    std::thread::sleep(offset);
    let fault = Instant::now();
    rig.primary().stop();
    let flip = rig.wait_flip(fault)?;
    let reach = rig
        .client
        .wait_first("standby", fault, Duration::from_secs(60));
    if reach.is_none() {
        eprintln!("{}", rig.logs());
    }
    let reach = reach?;
    Some(Run {
        reach: reach.duration_since(fault).as_secs_f64(),
        failed: rig.client.failed(fault, reach),
        flip: flip.duration_since(fault).as_secs_f64(),
        phase: offset.as_secs_f64(),
    })
}

impl Rig {
    /// A rig whose client reached the primary, and whose authority still
    /// answers the primary after every monitor has seen both regions; None
    /// (with the logs) when not: a startup probe failed under load, and at
    /// fall 1 that alone moves traffic.
    fn start(sys: System) -> Option<Self> {
        let (auth, dns, port) = authority(sys);
        let unbound = Unbound::start("example.test.", dns);
        let client = Client::start(unbound.addr, port);
        let rig = Self {
            client,
            unbound,
            auth,
            dns,
        };
        let seen = rig
            .client
            .wait_first("primary", Instant::now(), Duration::from_secs(15));
        // Every monitor has seen both regions up by then (gdnsd checks every
        // 2 s; PowerDNS starts checking at the first query).
        std::thread::sleep(Duration::from_secs(3));
        let primary = dns::query(rig.dns, NAME, RecordType::A, false)
            .is_ok_and(|a| a.values == ["127.0.0.2"]);
        if seen.is_some() && primary {
            return Some(rig);
        }
        eprintln!(
            "{}: the set-up moved off the primary before the fault; starting it again:\n{}",
            sys.label(),
            rig.logs()
        );
        None
    }

    /// Until unbound fetches the answer afresh (its TTL goes up), polled
    /// every 10 ms, at most two TTLs: the start of a cache cycle.
    fn wait_refill(&self) {
        let ttl = || dns::query(self.unbound.addr, NAME, RecordType::A, true).map(|a| a.ttl);
        let end = Instant::now() + Duration::from_secs(2 * u64::from(TTL));
        let mut last = ttl().unwrap_or(0);
        while Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
            let now = ttl().unwrap_or(last);
            if now > last {
                return;
            }
            last = now;
        }
        eprintln!("unbound's answer never refilled: the fault's phase is random");
    }

    /// The time between two refills of unbound's cache.
    fn cycle(&self) -> Duration {
        self.wait_refill();
        let from = Instant::now();
        self.wait_refill();
        from.elapsed()
    }

    /// Poll the authority every 10 ms until it answers the standby (60 s).
    fn wait_flip(&self, fault: Instant) -> Option<Instant> {
        while fault.elapsed() < Duration::from_secs(60) {
            let a = dns::query(self.dns, NAME, RecordType::A, false);
            if a.is_ok_and(|a| a.values == ["127.0.0.3"]) {
                return Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!("the authority never answered the standby:\n{}", self.logs());
        None
    }

    fn primary(&mut self) -> &mut Region {
        match &mut self.auth {
            Auth::Peer { primary, .. } => primary,
            Auth::Rtoguard(_, tb) => &mut tb.primary,
        }
    }

    fn logs(&self) -> String {
        let auth = match &self.auth {
            Auth::Peer { peer, .. } => peer.log(),
            Auth::Rtoguard(d, _) => d.log_text(),
        };
        format!("{auth}\n{}", self.unbound.log())
    }
}

/// The row's authority and regions; its DNS address and the regions' port.
fn authority(sys: System) -> (Auth, SocketAddr, u16) {
    match sys {
        System::Peer(kind) => {
            let port = common::shared_port();
            let lo = rtoguard_testkit::net::lo;
            let primary = Region::start_at(SocketAddr::new(lo(2), port), "primary");
            let standby = Region::start_at(SocketAddr::new(lo(3), port), "standby");
            let peer = Peer::start(kind, port);
            let dns = peer.addr;
            (
                Auth::Peer {
                    peer,
                    primary,
                    _standby: standby,
                },
                dns,
                port,
            )
        }
        System::Rtoguard(fall) => {
            let health = format!(
                "health = {{ interval = \"1s\", fast_interval = \"200ms\", rise = 2, fall = {fall} }}\ndamping = {{ hold_down = \"1s\", max_flips = 100, flip_window = \"1h\" }}"
            );
            let tb = Testbed::start_with(TTL, TTL, "10m", &health);
            // Its best, as bench/detection.rs: a probe timeout (150 ms) under
            // the fast interval, which may not be shorter than the timeout.
            let text = std::fs::read_to_string(&tb.config).expect("read config");
            let fitted = text.replacen("timeout = \"750ms\"", "timeout = \"150ms\"", 1);
            assert_ne!(text, fitted, "the testbed's probe timeout moved");
            std::fs::write(&tb.config, fitted).expect("write config");
            let daemon = Daemon::start(&tb, &[]);
            wait_for(
                Duration::from_secs(30),
                || all_up(&tb),
                || daemon.log_text(),
            );
            let (dns, port) = (tb.bind.addr, tb.port);
            (Auth::Rtoguard(daemon, Box::new(tb)), dns, port)
        }
    }
}
