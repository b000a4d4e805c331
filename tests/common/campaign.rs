//! The campaign's field: the quorum cluster (see `cluster`) with a relay on every link between vantages and between each controller and BIND.
//!
//! Controller `cX` pulls each peer through its own TCP relay and writes to
//! BIND through its own DNS relay (UDP and TCP), each listening on `cX`'s
//! loopback address, so BIND's log names the writer by address. The probes
//! go to the pools' endpoints themselves (they are the record's values), so
//! a vantage loses a pool by the region server refusing its address.

// Test harness: real processes waited for on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtoguard_testkit::net::lo;
use rtoguard_testkit::region::Region;
use rtoguard_testkit::relay::{self, Link, Relay};
use serde_json::Value;

use super::cluster::{Cluster, NAME, Node, Options};
use super::provider_log::Served;

pub const CONTROLLERS: [&str; 3] = ["c11", "c12", "c13"];
pub const VANTAGES: [&str; 4] = ["c11", "c12", "c13", "c14"];
pub const POOLS: [&str; 2] = ["primary", "standby"];
/// Probe every 200 ms; a vantage's view is stale after 2 s. Flips may
/// follow each other at once and without a cap.
const HEALTH: &str = "health = { interval = \"200ms\", rise = 2, fall = 2, max_age = \"2s\" }\ndamping = { hold_down = \"1s\", max_flips = 1000, flip_window = \"1h\" }";
/// Detection (fall × interval + max_age, the last vote going stale) +
/// writer grace (rank × grace for the next writer: 5 s) + write time (the
/// RFC 2136 timeout: 2 s).
pub const FLIP_BOUND: Duration = Duration::from_millis(400 + 2000 + 5000 + 2000);

/// The cluster, its relays and a watch on what BIND serves.
pub struct Field {
    pub cluster: Cluster,
    relays: Arc<Mutex<BTreeMap<(String, String), Relay>>>,
    pub served: Served,
}

/// The loopback address of vantage `cNN`.
pub fn ip(id: &str) -> IpAddr {
    // The ids are the constants above, "c" and a number.
    lo(id[1..].parse().expect("a vantage id is c and a number"))
}

/// The endpoint of `pool` (the record's value while it is active).
pub fn endpoint(pool: &str) -> &'static str {
    if pool == "primary" {
        "127.0.0.2"
    } else {
        "127.0.0.3"
    }
}

/// The other pool.
pub fn other(pool: &str) -> &'static str {
    if pool == "primary" {
        "standby"
    } else {
        "primary"
    }
}

/// The controller in `pool`'s region (the cluster's pools are in c12's
/// and c13's regions).
pub fn controller_of(pool: &str) -> &'static str {
    if pool == "primary" { "c12" } else { "c13" }
}

impl Field {
    /// Start everything; relays' loss generators seeded from `seed`.
    pub fn start(seed: u64) -> Self {
        let relays = Arc::new(Mutex::new(BTreeMap::new()));
        let r = relays.clone();
        let via = move |from: &str, to: &str, addr| {
            if !CONTROLLERS.contains(&from) {
                return addr;
            }
            let mut map = r.lock().unwrap_or_else(|e| e.into_inner());
            let opts = relay::Options {
                seed: Some(seed.wrapping_add(map.len() as u64)),
                ..relay::Options::default()
            };
            let relay = if to == "provider" {
                Relay::dns_with(ip(from), addr, opts)
            } else {
                Relay::tcp_with(ip(from), addr, opts)
            };
            let at = relay.addr();
            map.insert((from.to_string(), to.to_string()), relay);
            at
        };
        let cluster = Cluster::start(Options {
            health: HEALTH.into(),
            via: Some(Box::new(via)),
            ..Options::default()
        });
        let served = Served::watch(cluster.bind.addr, NAME);
        Self {
            cluster,
            relays,
            served,
        }
    }

    /// The link controller `from` uses to reach `to` (a vantage, or "provider").
    pub fn link(&self, from: &str, to: &str) -> Link {
        let map = self.relays.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(from.to_string(), to.to_string()))
            .map(|r| r.link())
            .expect("every controller has a relay to every peer and to BIND")
    }

    /// Every peer link touching `id`: (link, true when `id` is the puller).
    pub fn peer_links(&self, id: &str) -> Vec<(Link, bool)> {
        let map = self.relays.lock().unwrap_or_else(|e| e.into_inner());
        map.iter()
            .filter(|((from, to), _)| to != "provider" && (from == id || to == id))
            .map(|((from, _), r)| (r.link(), from == id))
            .collect()
    }

    /// Heal every relay.
    pub fn heal_links(&self) {
        let map = self.relays.lock().unwrap_or_else(|e| e.into_inner());
        for r in map.values() {
            r.heal();
        }
    }

    pub fn region(&mut self, pool: &str) -> &mut Region {
        if pool == "primary" {
            &mut self.cluster.primary
        } else {
            &mut self.cluster.standby
        }
    }

    pub fn node(&self, id: &str) -> &Node {
        self.cluster.node(id)
    }

    /// BIND serves `active`; every controller runs, sees both pools up with
    /// no stale vantage and has nothing under way.
    pub fn settled(&self, active: &str) -> bool {
        self.cluster.served() == [endpoint(active)]
            && CONTROLLERS.iter().all(|id| {
                let s = self.node(id).status();
                s["busy"].is_null() && POOLS.iter().all(|p| pool_settled(&s, p))
            })
    }

    /// The controllers whose status does not say `active` is served.
    pub fn disbelieving(&self, active: &str) -> Vec<&'static str> {
        CONTROLLERS
            .into_iter()
            .filter(|id| self.node(id).active().as_deref() != Some(active))
            .collect()
    }

    /// Wait until `ok`; false after `limit`.
    pub fn wait(&self, limit: Duration, mut ok: impl FnMut(&Self) -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if ok(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// What each controller's status says, and the tail of each log: for
    /// failure messages.
    pub fn state(&self) -> String {
        let mut s = format!("BIND serves {:?}\n", self.cluster.served());
        for n in &self.cluster.nodes {
            let log = n.log_text();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            s.push_str(&format!("===== {} status\n{}\n", n.id, n.status()));
            s.push_str(&format!("===== {} log (tail)\n{}\n", n.id, tail.join("\n")));
        }
        s
    }
}

/// `pool` is up by quorum in status `s`: every vantage fresh and saying up.
fn pool_settled(s: &Value, pool: &str) -> bool {
    let Some(p) = s["pools"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == pool))
    else {
        return false;
    };
    let none = |k: &str| p["quorum"][k].as_array().is_some_and(Vec::is_empty);
    p["health"] == "up" && none("stale") && none("down") && none("suspect")
}
