//! Two peered controllers, east (127.0.0.21) and west (127.0.0.22), whose peer API links each pass through a testkit relay.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net::{free_port, lo};
use rtoguard_testkit::region::Region;
use rtoguard_testkit::relay::Relay;
use serde_json::Value;
use tempfile::TempDir;

use super::cluster::{NAME, Node};
use super::daemon::wait_for;
use super::{provider_and_service, shared_port};

const TOKEN: &str = "pair-test-token-5be21d";
// Two controllers and no witness: 2 of 2, the region-loss risk accepted on purpose.
const HEALTH: &str = "health = { interval = \"200ms\", rise = 2, fall = 2, max_age = \"2s\", quorum = 2, accept_single_region_risk = true }";

/// One controller of the pair and where its metrics are served.
pub struct Side {
    pub node: Node,
    pub metrics: SocketAddr,
}

impl Side {
    /// `/metrics` now, or None when it does not answer.
    pub fn scrape(&self) -> Option<String> {
        scrape(self.metrics)
    }

    /// `rtoguard_peer_last_success_timestamp_seconds{peer="PEER"}` now.
    pub fn peer_last_success(&self, peer: &str) -> Option<f64> {
        let prefix = format!("rtoguard_peer_last_success_timestamp_seconds{{peer=\"{peer}\"}}");
        self.scrape()?
            .lines()
            .find(|l| l.starts_with(&prefix))?
            .rsplit(' ')
            .next()?
            .parse()
            .ok()
    }

    /// The peers the pool `pool` counts as stale, by this controller's status.
    pub fn stale(&self, pool: &str) -> Option<Vec<String>> {
        let p = self.node.pool(pool);
        let stale = p["quorum"]["stale"].as_array()?;
        Some(
            stale
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        )
    }

    /// This controller's status entry for peer `id`.
    pub fn peer(&self, id: &str) -> Value {
        let s = self.node.status();
        s["peers"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["id"] == id).cloned())
            .unwrap_or(Value::Null)
    }
}

/// The whole set-up; every process and relay stops on drop (in this order).
pub struct Pair {
    pub east: Side,
    pub west: Side,
    /// East's pulls of west's peer API pass here.
    pub east_to_west: Relay,
    /// West's pulls of east's peer API pass here.
    pub west_to_east: Relay,
    pub primary: Region,
    pub standby: Region,
    pub bind: Bind,
    pub dir: TempDir,
}

impl Pair {
    /// Start BIND, the regions, both relays and both controllers, and wait
    /// until each sees both pools up by quorum (2 of 2).
    pub fn start() -> Self {
        let bind = Bind::start("example.test.", &["checkout 30 IN A 127.0.0.2"]);
        let port = shared_port();
        let primary = Region::start_at(SocketAddr::new(lo(2), port), "primary");
        let standby = Region::start_at(SocketAddr::new(lo(3), port), "standby");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("token"), TOKEN).expect("write token");
        let secret = dir.path().join("tsig.secret");
        std::fs::copy(bind.secret_file(), &secret).expect("copy TSIG secret");
        let ttl = r#"ttl = { normal = "30s", lowered = "5s", restore_after = "1h" }"#;
        let service = provider_and_service(&bind, &secret, port, ttl, HEALTH, ("east", "west"));
        let (east_ip, west_ip) = (lo(21), lo(22));
        let east_api = SocketAddr::new(east_ip, free_port(east_ip));
        let west_api = SocketAddr::new(west_ip, free_port(west_ip));
        let east_to_west = Relay::tcp(east_ip, west_api);
        let west_to_east = Relay::tcp(west_ip, east_api);
        let start = |id: &'static str, api: SocketAddr, peer: &str, via: &Relay| {
            side(&dir, &service, id, api, (peer, via.addr()))
        };
        let east = start("east", east_api, "west", &east_to_west);
        let west = start("west", west_api, "east", &west_to_east);
        let pair = Self {
            east,
            west,
            east_to_west,
            west_to_east,
            primary,
            standby,
            bind,
            dir,
        };
        for s in [&pair.east, &pair.west] {
            wait_for(
                Duration::from_secs(30),
                || {
                    ["primary", "standby"]
                        .iter()
                        .all(|p| s.node.pool(p)["health"] == "up")
                },
                || pair.logs(),
            );
        }
        pair
    }

    /// What BIND serves for the record.
    pub fn served(&self) -> Vec<String> {
        self.bind.query(NAME, RecordType::A).values
    }

    /// Both logs, for failure messages.
    pub fn logs(&self) -> String {
        [&self.east, &self.west]
            .iter()
            .map(|s| format!("===== {} log\n{}\n", s.node.id, s.node.log_text()))
            .collect()
    }
}

/// Write vantage `id`'s config (peer API on `api`, metrics beside it, one
/// peer reached at `peer.1`) and start it.
fn side(
    dir: &TempDir,
    service: &str,
    id: &'static str,
    api: SocketAddr,
    peer: (&str, SocketAddr),
) -> Side {
    let state = dir.path().join(id);
    std::fs::create_dir_all(&state).expect("state dir");
    let ip: IpAddr = api.ip();
    let metrics = SocketAddr::new(ip, free_port(ip));
    let text = format!(
        "[controller]\nid = \"{id}\"\nstate_dir = \"{s}\"\ncontrol_socket = \"{s}/control.sock\"\npeer_listen = \"{api}\"\npeer_token_file = \"{t}\"\nprobe_source = \"{ip}\"\nmetrics_listen = \"{metrics}\"\n\n[[peers]]\nid = \"{pid}\"\nurl = \"http://{paddr}\"\ntoken_file = \"{t}\"\n\n{service}",
        s = state.display(),
        t = dir.path().join("token").display(),
        pid = peer.0,
        paddr = peer.1,
    );
    let config = state.join("config.toml");
    std::fs::write(&config, text).expect("write config");
    let node = Node::spawn(id, ip, api.port(), config, state.join("daemon.log"), false);
    Side { node, metrics }
}

/// One `GET /metrics` (connection closed after it); the body.
pub fn scrape(addr: SocketAddr) -> Option<String> {
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: rtoguard\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let (_, body) = out.split_once("\r\n\r\n")?;
    Some(body.to_string())
}
