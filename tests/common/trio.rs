//! The README's two regions plus a witness: controllers east (127.0.0.31,
//! the primary's region) and west (127.0.0.32, the standby's), the witness
//! agent (127.0.0.33); quorum 2 of 3. West pulls the witness through a
//! relay; both controllers post to one webhook receiver and serve metrics.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
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

pub const PRIMARY: &str = "127.0.0.2";
pub const STANDBY: &str = "127.0.0.3";
const TOKEN: &str = "voice-test-token-0c41ae";
const HEALTH: &str = "health = { interval = \"200ms\", rise = 2, fall = 2, max_age = \"2s\" }";
/// The writer rule's grace: 3 × interval, at least 5 s.
pub const GRACE: Duration = Duration::from_secs(5);

/// The whole set-up; every process and relay stops on drop.
pub struct Trio {
    pub east: Node,
    pub west: Node,
    pub witness: Node,
    /// West's pulls of the witness pass here.
    pub west_to_witness: Relay,
    pub primary: Region,
    _standby: Region,
    pub bind: Bind,
    hook: Arc<Mutex<Vec<Value>>>,
    /// Where east and west serve `/metrics`.
    metrics: [SocketAddr; 2],
    pub dir: TempDir,
    _turn: MutexGuard<'static, ()>,
}

/// One set-up at a time: three daemons each on a 2-core machine is plenty.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Where one vantage serves its peer API.
fn api(last: u8) -> SocketAddr {
    SocketAddr::new(lo(last), free_port(lo(last)))
}

impl Trio {
    pub fn start() -> Self {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
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
        let (hook, got) = super::webhook::receiver(false);
        let (east_api, west_api, witness_api) = (api(31), api(32), api(33));
        let west_to_witness = Relay::tcp(lo(32), witness_api);
        let metrics = [api(31), api(32)];
        let node = |id: &'static str, at: SocketAddr, peers: &[(&str, SocketAddr)]| {
            let outputs = match id {
                "east" => Some((hook.as_str(), metrics[0])),
                "west" => Some((hook.as_str(), metrics[1])),
                _ => None,
            };
            start(&dir, &service, id, at, peers, outputs)
        };
        let east = node(
            "east",
            east_api,
            &[("west", west_api), ("witness", witness_api)],
        );
        let west = node(
            "west",
            west_api,
            &[("east", east_api), ("witness", west_to_witness.addr())],
        );
        let witness = node("witness", witness_api, &[]);
        let trio = Self {
            east,
            west,
            witness,
            west_to_witness,
            primary,
            _standby: standby,
            bind,
            hook: got,
            metrics,
            dir,
            _turn: turn,
        };
        for n in [&trio.east, &trio.west] {
            wait_for(
                Duration::from_secs(30),
                || {
                    ["primary", "standby"]
                        .iter()
                        .all(|p| n.pool(p)["health"] == "up")
                },
                || trio.logs(),
            );
        }
        trio
    }

    pub fn served(&self) -> Vec<String> {
        self.bind.query(NAME, RecordType::A).values
    }

    /// The webhook bodies received so far: (event, controller, incident).
    pub fn hooks(&self) -> Vec<(String, String, String)> {
        let word = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
        let got = self.hook.lock().unwrap_or_else(|e| e.into_inner());
        got.iter()
            .map(|v| (word(v, "event"), word(v, "controller"), word(v, "incident")))
            .collect()
    }

    pub fn logs(&self) -> String {
        let mut s = String::new();
        for n in [&self.east, &self.west, &self.witness] {
            s.push_str(&format!("===== {} log\n{}\n", n.id, n.log_text()));
        }
        for n in [&self.east, &self.west] {
            let h: Vec<String> = n.history().iter().map(Value::to_string).collect();
            s.push_str(&format!("===== {} journal\n{}\n", n.id, h.join("\n")));
        }
        s.push_str(&format!("===== webhooks\n{:?}\n", self.hooks()));
        s
    }
}

/// Write vantage `id`'s config (peer API on `at`; `peers` pulled, none for
/// the agent; `outputs`: a controller's webhook and metrics address) and
/// start it.
fn start(
    dir: &TempDir,
    service: &str,
    id: &'static str,
    at: SocketAddr,
    peers: &[(&str, SocketAddr)],
    outputs: Option<(&str, SocketAddr)>,
) -> Node {
    let state = dir.path().join(id);
    std::fs::create_dir_all(&state).expect("state dir");
    let ip: IpAddr = at.ip();
    let token = dir.path().join("token");
    let mut text = format!(
        "[controller]\nid = \"{id}\"\nstate_dir = \"{s}\"\ncontrol_socket = \"{s}/control.sock\"\npeer_listen = \"{at}\"\npeer_token_file = \"{t}\"\nprobe_source = \"{ip}\"\n",
        s = state.display(),
        t = token.display(),
    );
    if let Some((hook, metrics)) = outputs {
        text.push_str(&format!(
            "metrics_listen = \"{metrics}\"\n\n[[notify.webhooks]]\nurl = \"{hook}\"\n\n"
        ));
    } else {
        text.push('\n');
    }
    for (pid, paddr) in peers {
        text.push_str(&format!(
            "[[peers]]\nid = \"{pid}\"\nurl = \"http://{paddr}\"\ntoken_file = \"{}\"\n\n",
            token.display()
        ));
    }
    text.push_str(service);
    let config = state.join("config.toml");
    std::fs::write(&config, text).expect("write config");
    let log = state.join("daemon.log");
    Node::spawn(id, ip, at.port(), config, log, peers.is_empty())
}

/// The sum of every `family` sample (e.g. `rtoguard_incidents_total`) on
/// both controllers' `/metrics`.
pub fn counted(t: &Trio, family: &str) -> f64 {
    let prefix = format!("{family}{{");
    t.metrics
        .iter()
        .filter_map(|m| super::pair::scrape(*m))
        .flat_map(|text| {
            text.lines()
                .filter(|l| l.starts_with(&prefix))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// The journal's flip results that changed the zone, and those that found
/// the flip made by another writer.
pub fn flips(n: &Node) -> (usize, usize) {
    let results: Vec<Value> = n
        .history()
        .into_iter()
        .filter(|e| e["kind"] == "provider-result")
        .filter(|e| e["message"].as_str().is_some_and(|m| m.starts_with("flip")))
        .filter(|e| e["detail"]["diff"]["error"].is_null())
        .collect();
    let applied = results
        .iter()
        .filter(|e| !e["detail"]["diff"]["desired"].is_null())
        .count();
    (applied, results.len() - applied)
}

/// The TTL changes `n` wrote to the zone.
pub fn ttl_changes(n: &Node) -> usize {
    n.history()
        .iter()
        .filter(|e| e["kind"] == "provider-result")
        .filter(|e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("set the TTL"))
        })
        .filter(|e| !e["detail"]["diff"]["desired"].is_null())
        .filter(|e| e["detail"]["diff"]["error"].is_null())
        .count()
}

/// The messages of `n`'s decisions of kind `decision` (`view`, ...).
pub fn decisions(n: &Node, decision: &str) -> Vec<String> {
    n.history()
        .into_iter()
        .filter(|e| e["detail"]["decision"] == decision)
        .filter_map(|e| e["message"].as_str().map(str::to_string))
        .collect()
}

/// Wait until `n` believes `pool` is served and nothing is under way.
pub fn wait_settled(t: &Trio, n: &Node, pool: &str) {
    wait_for(
        Duration::from_secs(40),
        || {
            let s = n.status();
            s["controller"]["active"] == pool && s["busy"].is_null()
        },
        || t.logs(),
    );
}
