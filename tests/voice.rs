//! One voice across controllers, and the writer when a region is gone, on a
//! live set-up: the README's two regions plus a witness.
//!
//! east (127.0.0.31) runs in the primary's region, west (127.0.0.32) in the
//! standby's (so west writes a failover first), the witness agent
//! (127.0.0.33) in a third place; quorum 2 of 3, the default majority. West
//! pulls the witness through a relay, so a test can cut that link while both
//! keep running. Both controllers post every event to one webhook receiver.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::cluster::{NAME, Node};
use common::daemon::wait_for;
use common::{OutputText, provider_and_service, run, shared_port};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net::{free_port, lo};
use rtoguard_testkit::region::Region;
use rtoguard_testkit::relay::Relay;
use serde_json::Value;
use tempfile::TempDir;

const PRIMARY: &str = "127.0.0.2";
const STANDBY: &str = "127.0.0.3";
const TOKEN: &str = "voice-test-token-0c41ae";
const HEALTH: &str = "health = { interval = \"200ms\", rise = 2, fall = 2, max_age = \"2s\" }";
/// The writer rule's grace: 3 × interval, at least 5 s.
const GRACE: Duration = Duration::from_secs(5);

/// The whole set-up; every process and relay stops on drop.
struct Trio {
    east: Node,
    west: Node,
    witness: Node,
    /// West's pulls of the witness pass here.
    west_to_witness: Relay,
    primary: Region,
    _standby: Region,
    bind: Bind,
    hook: Arc<Mutex<Vec<Value>>>,
    /// Where east and west serve `/metrics`.
    metrics: [SocketAddr; 2],
    dir: TempDir,
    _turn: MutexGuard<'static, ()>,
}

/// One set-up at a time: three daemons each on a 2-core machine is plenty.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Where one vantage serves its peer API.
fn api(last: u8) -> SocketAddr {
    SocketAddr::new(lo(last), free_port(lo(last)))
}

impl Trio {
    fn start() -> Self {
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
        let (hook, got) = common::webhook::receiver(false);
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

    fn served(&self) -> Vec<String> {
        self.bind.query(NAME, RecordType::A).values
    }

    /// The webhook bodies received so far: (event, controller, incident).
    fn hooks(&self) -> Vec<(String, String, String)> {
        let word = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
        let got = self.hook.lock().unwrap_or_else(|e| e.into_inner());
        got.iter()
            .map(|v| (word(v, "event"), word(v, "controller"), word(v, "incident")))
            .collect()
    }

    fn logs(&self) -> String {
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
fn counted(t: &Trio, family: &str) -> f64 {
    let prefix = format!("{family}{{");
    t.metrics
        .iter()
        .filter_map(|m| common::pair::scrape(*m))
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
fn flips(n: &Node) -> (usize, usize) {
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
fn ttl_changes(n: &Node) -> usize {
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
fn decisions(n: &Node, decision: &str) -> Vec<String> {
    n.history()
        .into_iter()
        .filter(|e| e["detail"]["decision"] == decision)
        .filter_map(|e| e["message"].as_str().map(str::to_string))
        .collect()
}

/// Wait until `n` believes `pool` is served and nothing is under way.
fn wait_settled(t: &Trio, n: &Node, pool: &str) {
    wait_for(
        Duration::from_secs(40),
        || {
            let s = n.status();
            s["controller"]["active"] == pool && s["busy"].is_null()
        },
        || t.logs(),
    );
}

#[test]
fn one_incident_one_voice_the_writer_tells_and_the_other_journals_a_view() {
    let mut t = Trio::start();
    t.primary.stop();
    wait_for(
        Duration::from_secs(40),
        || t.served() == [STANDBY],
        || t.logs(),
    );
    wait_settled(&t, &t.east, "standby");
    wait_settled(&t, &t.west, "standby");
    // West recovers its incident (the watch ends), east closes its view.
    let told = |t: &Trio, event: &str| t.hooks().iter().filter(|h| h.0 == event).count();
    wait_for(
        Duration::from_secs(60),
        || told(&t, "recovery") >= 1,
        || t.logs(),
    );
    wait_for(
        Duration::from_secs(30),
        || !decisions(&t.east, "view").is_empty() && t.east.status()["incident"].is_null(),
        || t.logs(),
    );
    std::thread::sleep(GRACE);
    // Incident events only (a vantage's own impairment is its own to tell).
    let hooks: Vec<_> = t
        .hooks()
        .into_iter()
        .filter(|h| ["incident", "flip", "recovery", "rto_missed"].contains(&h.0.as_str()))
        .collect();
    for event in ["incident", "flip", "recovery"] {
        let sent: Vec<_> = hooks.iter().filter(|h| h.0 == event).collect();
        assert_eq!(sent.len(), 1, "one {event} webhook:\n{}", t.logs());
        assert_eq!(sent[0].1, "west", "the writer tells:\n{}", t.logs());
    }
    let incident = &hooks[0].2;
    assert!(hooks.iter().all(|h| &h.2 == incident), "{hooks:?}");
    assert_eq!(flips(&t.west), (1, 0), "{}", t.logs());
    assert_eq!(flips(&t.east).0, 0, "east wrote nothing:\n{}", t.logs());
    // East's journal is a view of west's incident, named with west's id.
    let views = decisions(&t.east, "view");
    assert!(
        views
            .iter()
            .any(|v| v.contains("west") && v.contains(incident.as_str())),
        "east's view names west and its incident {incident}: {views:?}\n{}",
        t.logs()
    );
    assert!(
        decisions(&t.west, "view").is_empty(),
        "west speaks:\n{}",
        t.logs()
    );
    // Counted once across controllers, so the dashboard's sums are right.
    assert_eq!(counted(&t, "rtoguard_incidents_total"), 1.0, "{}", t.logs());
    assert_eq!(counted(&t, "rtoguard_flips_total"), 1.0, "{}", t.logs());
    assert_eq!(counted(&t, "rtoguard_rto_met_total"), 1.0, "{}", t.logs());
    assert_eq!(counted(&t, "rtoguard_incident_open"), 0.0, "{}", t.logs());
    // One report: the writer's; east stores none.
    assert!(t.west.report().is_ok(), "{}", t.logs());
    assert!(
        t.east.report().is_err(),
        "east has no report:\n{}",
        t.logs()
    );
}

#[test]
fn losing_the_primary_region_fails_over_at_the_survivor_with_one_write() {
    let mut t = Trio::start();
    let serial0 = t.bind.serial();
    let lost = Instant::now();
    t.east.kill();
    t.primary.stop();
    wait_for(
        Duration::from_secs(40),
        || t.served() == [STANDBY],
        || t.logs(),
    );
    let took = lost.elapsed();
    // West comes first for its own region (rank 0 × grace): detection
    // (fall × interval, east going stale after max_age) and one write.
    eprintln!("region lost to standby served: {took:?}");
    assert!(took < GRACE * 2, "took {took:?}:\n{}", t.logs());
    wait_settled(&t, &t.west, "standby");
    assert_eq!(flips(&t.west), (1, 0), "one write:\n{}", t.logs());
    let ttl_changes = ttl_changes(&t.west);
    let moved = t.bind.serial() - serial0;
    assert_eq!(moved as usize, 1 + ttl_changes, "{}", t.logs());
    // The dead controller goes stale once its last observation passes max_age.
    let stale = |t: &Trio| t.west.pool("primary")["quorum"]["stale"] == serde_json::json!(["east"]);
    wait_for(Duration::from_secs(10), || stale(&t), || t.logs());
    let p = t.west.pool("primary");
    let down = p["quorum"]["down"].as_array().map_or(0, Vec::len);
    assert_eq!(down, 2, "west and the witness: {p:#}");
    assert_eq!(t.west.report().map(|_| ()), Ok(()), "{}", t.logs());
    assert!(
        t.hooks().iter().any(|h| h.0 == "flip" && h.1 == "west"),
        "{}",
        t.logs()
    );
}

#[test]
fn without_the_witness_too_nothing_flips_but_an_operator_can() {
    let mut t = Trio::start();
    let serial0 = t.bind.serial();
    t.west_to_witness.cut();
    t.east.kill();
    t.primary.stop();
    let short = |t: &Trio| t.west.pool("primary")["quorum"]["fresh"] == 1;
    wait_for(Duration::from_secs(20), || short(&t), || t.logs());
    // Well past detection, max_age and the writer's grace.
    std::thread::sleep(GRACE * 2);
    assert_eq!(t.served(), [PRIMARY], "{}", t.logs());
    // Nothing flipped. While the lost vantages' last observations were
    // still fresh, west alone saw the primary down: suspect, so the TTL
    // may have been lowered (once); nothing else was written.
    assert_eq!(flips(&t.west).0, 0, "{}", t.logs());
    let moved = t.bind.serial() - serial0;
    assert_eq!(moved as usize, ttl_changes(&t.west), "{}", t.logs());
    let p = t.west.pool("primary");
    assert_eq!(p["health"], "unknown", "{p:#}");
    assert_eq!(t.west.status()["short_of_quorum"], true, "{}", t.logs());
    let held = t.west.history().iter().any(|e| {
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("too few fresh vantages for a quorum of 2"))
    });
    assert!(held, "the journal says short of quorum:\n{}", t.logs());
    // The operator vouches for the standby the quorum cannot judge.
    let out = run(&[
        "failover",
        "checkout",
        "--to",
        "standby",
        "--force",
        "--config",
        t.west.config_str(),
    ]);
    assert!(out.status.success(), "{}\n{}", out.text(), t.logs());
    wait_for(
        Duration::from_secs(20),
        || t.served() == [STANDBY],
        || t.logs(),
    );
    assert_eq!(flips(&t.west), (1, 0), "{}", t.logs());
    assert!(t.dir.path().exists());
}
