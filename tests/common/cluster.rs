//! Three controllers (c11, c12, c13) and one agent (c14) on 127.0.0.11–14, peered, against BIND and two regions.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net::{free_port, lo};
use rtoguard_testkit::region::Region;
use serde_json::Value;
use tempfile::TempDir;

use super::daemon::wait_for;
use super::{OutputText, run, shared_port};

pub const NAME: &str = "checkout.example.test.";
/// The shared bearer token every vantage serves and sends.
const TOKEN: &str = "quorum-test-token-3f9a1c";
/// What a misconfigured peer sends instead.
pub const WRONG_TOKEN: &str = "wrong-token-77c0de";

/// One cluster at a time: four daemons each on a 2-core machine is plenty.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How a cluster is set up.
pub struct Options {
    /// The `health = {...}` line of the service.
    pub health: String,
    /// Extra environment for every controller.
    pub env: Vec<(String, String)>,
    /// (from, to): controller `from` sends [`WRONG_TOKEN`] when pulling `to`.
    pub wrong_token: Option<(&'static str, &'static str)>,
    /// Where controller `from` reaches `to` (a peer's id, or "provider"
    /// for BIND) instead of `to`'s own address: a relay, say.
    pub via: Option<Via>,
    /// The provider section each vantage gets instead of BIND's, given its
    /// id and address (the service then names provider `edge`): the
    /// embedded provider, say, one server per controller.
    pub provider: Option<ProviderFor>,
}

/// `(id, address)` to a `[providers.edge]` section (see [`Options::provider`]).
pub type ProviderFor = Box<dyn Fn(&str, IpAddr) -> String>;

/// `(from, to, to's address)` to the address `from` uses (see [`Options::via`]).
pub type Via = Box<dyn Fn(&str, &str, SocketAddr) -> SocketAddr>;

impl Default for Options {
    fn default() -> Self {
        Self {
            health: "health = { interval = \"200ms\", rise = 2, fall = 2, max_age = \"2s\" }"
                .into(),
            env: Vec::new(),
            wrong_token: None,
            via: None,
            provider: None,
        }
    }
}

/// One vantage: a controller (`rtoguard run`) or the agent (`rtoguard agent`).
pub struct Node {
    pub id: &'static str,
    pub ip: IpAddr,
    pub port: u16,
    pub config: PathBuf,
    pub log: PathBuf,
    agent: bool,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Node {
    pub fn config_str(&self) -> &str {
        self.config.to_str().expect("utf-8 temp path")
    }

    fn start(&mut self) {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open node log");
        let verb = if self.agent { "agent" } else { "run" };
        let child = Command::new(env!("CARGO_BIN_EXE_rtoguard"))
            .args(["--log-format", "text", verb, "--config", self.config_str()])
            // RUST_LOG in the options' env overrides this one.
            .env("RUST_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(f.try_clone().expect("clone log handle"))
            .stderr(f)
            .spawn()
            .expect("spawn rtoguard");
        self.child = Some(child);
    }

    /// Start `rtoguard run` (or `rtoguard agent`) as vantage `id` with
    /// `config`, logging to `log`; for set-ups other than [`Cluster`]'s.
    pub fn spawn(
        id: &'static str,
        ip: IpAddr,
        port: u16,
        config: PathBuf,
        log: PathBuf,
        agent: bool,
    ) -> Self {
        let mut n = Self {
            id,
            ip,
            port,
            config,
            log,
            agent,
            env: Vec::new(),
            child: None,
        };
        n.start();
        n
    }

    /// Start it again (same config, same state) after [`Node::kill`].
    pub fn restart(&mut self) {
        if self.child.is_none() {
            self.start();
        }
    }

    /// SIGKILL: no goodbye to peers, nothing drained.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The log so far, colour codes removed.
    pub fn log_text(&self) -> String {
        without_colours(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// `rtoguard status --json`: the service's status, or Null.
    pub fn status(&self) -> Value {
        let out = run(&["status", "--json", "--config", self.config_str()]);
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// The active pool this controller believes is served.
    pub fn active(&self) -> Option<String> {
        self.status()["controller"]["active"]
            .as_str()
            .map(str::to_string)
    }

    /// The status entry of `pool`.
    pub fn pool(&self, pool: &str) -> Value {
        let s = self.status();
        s["pools"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == pool).cloned())
            .unwrap_or(Value::Null)
    }

    /// Every journal entry, oldest first (`rtoguard history --json`).
    pub fn history(&self) -> Vec<Value> {
        let out = run(&["history", "--json", "--config", self.config_str()]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// `rtoguard report --format json` (the latest incident).
    pub fn report(&self) -> Result<Value, String> {
        let out = run(&["report", "--format", "json", "--config", self.config_str()]);
        serde_json::from_slice(&out.stdout).map_err(|_| out.text())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The whole set-up; every process stops on drop.
pub struct Cluster {
    /// c11, c12, c13 (controllers), c14 (agent).
    pub nodes: Vec<Node>,
    pub primary: Region,
    pub standby: Region,
    pub bind: Bind,
    pub dir: TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Cluster {
    /// Start BIND, the regions and every vantage, and wait until each
    /// controller sees both pools up by quorum.
    pub fn start(opts: Options) -> Self {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let bind = Bind::start("example.test.", &["checkout 30 IN A 127.0.0.2"]);
        let port = shared_port();
        let primary = Region::start_at(SocketAddr::new(lo(2), port), "primary");
        let standby = Region::start_at(SocketAddr::new(lo(3), port), "standby");
        let dir = tempfile::tempdir().expect("tempdir");
        let token = dir.path().join("token");
        let wrong = dir.path().join("wrong-token");
        std::fs::write(&token, TOKEN).expect("write token");
        std::fs::write(&wrong, WRONG_TOKEN).expect("write token");
        let ids = [("c11", 11), ("c12", 12), ("c13", 13), ("c14", 14)];
        let peers: Vec<(&str, IpAddr, u16)> = ids
            .iter()
            .map(|(id, last)| (*id, lo(*last), free_port(lo(*last))))
            .collect();
        let mut nodes = Vec::new();
        for (id, ip, peer_port) in &peers {
            let state = dir.path().join(id);
            std::fs::create_dir_all(&state).expect("state dir");
            let agent = *id == "c14";
            let mut text = format!(
                "[controller]\nid = \"{id}\"\nstate_dir = \"{s}\"\ncontrol_socket = \"{s}/control.sock\"\npeer_listen = \"{ip}:{peer_port}\"\npeer_token_file = \"{t}\"\nprobe_source = \"{ip}\"\n\n",
                s = state.display(),
                t = token.display(),
            );
            if !agent {
                for (pid, pip, pport) in peers.iter().filter(|p| p.0 != *id) {
                    let file = if opts.wrong_token == Some((id, pid)) {
                        &wrong
                    } else {
                        &token
                    };
                    let to = via(&opts, id, pid, SocketAddr::new(*pip, *pport));
                    text.push_str(&format!(
                        "[[peers]]\nid = \"{pid}\"\nurl = \"http://{to}\"\ntoken_file = \"{}\"\n\n",
                        file.display()
                    ));
                }
            }
            let service = service_text(&bind, &dir, port, &opts.health);
            if let Some(provider) = &opts.provider {
                let at = service.find("[[services]]").expect("a service");
                text.push_str(&provider(id, *ip));
                text.push('\n');
                text.push_str(&service[at..].replacen(
                    "provider = \"bind\"",
                    "provider = \"edge\"",
                    1,
                ));
            } else {
                let server = via(&opts, id, "provider", bind.addr);
                text.push_str(&service.replacen(
                    &format!("server = \"{}\"", bind.addr),
                    &format!("server = \"{server}\""),
                    1,
                ));
            }
            let config = state.join("config.toml");
            std::fs::write(&config, text).expect("write config");
            nodes.push(Node {
                id,
                ip: *ip,
                port: *peer_port,
                config,
                log: state.join("daemon.log"),
                agent,
                env: opts.env.clone(),
                child: None,
            });
        }
        for n in &mut nodes {
            n.start();
        }
        let c = Self {
            nodes,
            primary,
            standby,
            bind,
            dir,
            _turn: turn,
        };
        c.wait_all_up();
        c
    }

    /// Controller or agent `id`.
    pub fn node(&self, id: &str) -> &Node {
        self.nodes.iter().find(|n| n.id == id).expect("known node")
    }

    pub fn node_mut(&mut self, id: &str) -> &mut Node {
        self.nodes
            .iter_mut()
            .find(|n| n.id == id)
            .expect("known node")
    }

    /// The three controllers (not the agent) still running.
    pub fn controllers(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| !n.agent && n.child.is_some())
    }

    fn wait_all_up(&self) {
        for n in self.controllers() {
            wait_for(
                Duration::from_secs(30),
                || {
                    ["primary", "standby"]
                        .iter()
                        .all(|p| n.pool(p)["health"] == "up")
                },
                || self.logs(),
            );
        }
    }

    /// What BIND serves for the record.
    pub fn served(&self) -> Vec<String> {
        self.bind.query(NAME, RecordType::A).values
    }

    /// Every log and journal, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for n in &self.nodes {
            s.push_str(&format!("===== {} log\n{}\n", n.id, n.log_text()));
            if !n.agent {
                let h: Vec<String> = n.history().iter().map(Value::to_string).collect();
                s.push_str(&format!("===== {} journal\n{}\n", n.id, h.join("\n")));
            }
        }
        s
    }
}

/// `raw` without terminal colour codes (ESC [ ... m).
pub fn without_colours(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// The address controller `from` uses for `to` (see [`Options::via`]).
fn via(opts: &Options, from: &str, to: &str, addr: SocketAddr) -> SocketAddr {
    opts.via.as_ref().map_or(addr, |f| f(from, to, addr))
}

fn service_text(bind: &Bind, dir: &TempDir, port: u16, health: &str) -> String {
    let secret = dir.path().join("tsig.secret");
    std::fs::copy(bind.secret_file(), &secret).expect("copy TSIG secret");
    let ttl = r#"ttl = { normal = "30s", lowered = "5s", restore_after = "1h" }"#;
    super::provider_and_service(bind, &secret, port, ttl, health, ("c12", "c13"))
}

/// Asks `serves(id)` of every id in turn, as clients of each region would,
/// until all answer yes or `within` passes: when the first did and when all
/// did (`None`: never).
#[allow(dead_code)] // Not every test binary that has `common` asks.
pub fn first_and_all(
    ids: &[&str],
    within: Duration,
    mut serves: impl FnMut(&str) -> bool,
) -> (Option<std::time::Instant>, Option<std::time::Instant>) {
    #[allow(clippy::disallowed_methods)] // Wall clock of a real cluster.
    let now = std::time::Instant::now;
    let (mut first, mut all) = (None, None);
    let deadline = now() + within;
    while all.is_none() && now() < deadline {
        let yes = ids.iter().filter(|id| serves(id)).count();
        if yes > 0 && first.is_none() {
            first = Some(now());
        }
        if yes == ids.len() {
            all = Some(now());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (first, all)
}
