//! Benchmark: propagation to clients behind a caching resolver (issue 4), from fault or flip to the first standby response.
//!
//! Testbed: BIND + unbound (stub zone to BIND) + regions on 127.0.0.2 / .3 +
//! `rtoguard run` (interval 1s, fall 3) whose watch asks unbound and fetches
//! `client_url`, + our own client resolving through unbound every 100 ms.
//! Scenarios: sudden failure, brownout then failure (TTL lowering on / off,
//! and with a risk window opened one normal TTL before the brownout),
//! planned failover; sudden failure at TTL 5 on RFC 2136 (BIND) and on the
//! embedded provider (rtoguard answering; unbound's stub points at it), run
//! in turn, with the ratio of their medians; then the report's client-reach
//! time against our loop's.
//!
//! Run: `cargo bench --bench propagation`; RUNS (sudden, default 5),
//! BROWNOUT_RUNS (3), RISK_RUNS (3), PLANNED_RUNS (3), EMBEDDED_RUNS (RUNS),
//! ONLY=sudden|brownout|risk|planned|embedded; SHOW_JOURNAL=1 prints each
//! run's journal, the fault's time and the daemon's incident and endpoint
//! lines.

// Benchmarks measure wall-clock time (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::Testbed;
use common::daemon::{Daemon, all_up, wait_for};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::dns;
use rtoguard_testkit::net::{free_port, lo};
use rtoguard_testkit::unbound::Unbound;

const NAME: &str = "checkout.example.test.";
const HEALTH: &str = "health = { interval = \"1s\", rise = 2, fall = 3 }\ndamping = { hold_down = \"1s\", max_flips = 100, flip_window = \"1h\" }";
/// Brownout runs the daemon flipped before the fault that may be replaced, per row.
const MAX_EARLY: usize = 2;
/// No replacement runs after this much of the benchmark (it must end within 15 min).
const REPLACE_UNTIL: Duration = Duration::from_secs(660);
/// The brownout: share of probes failed, one step every 10 s, then death.
const BROWNOUT: [f64; 4] = [0.10, 0.13, 0.16, 0.20];

/// The journal is printed for the first run without a report only.
static JOURNAL_SHOWN: AtomicBool = AtomicBool::new(false);

/// What one run measured (seconds).
struct Run {
    /// Fault (or flip, for a planned move) to our client's first standby response.
    measured: f64,
    /// Fault (or flip) to the authority (BIND, or the embedded server) serving the standby.
    detection: f64,
    /// That plus what unbound still held of the old answer then.
    floor: f64,
    /// The report's first client on the new pool minus our loop's (None: no report).
    report_err: Option<f64>,
    /// The same from the journal's watch result, when there was no report.
    watch_err: Option<f64>,
    /// The daemon flipped before the fault (brownout only): left out of the median.
    early: bool,
}

fn main() {
    let only = std::env::var("ONLY").unwrap_or_default();
    let want = |s: &str| only.is_empty() || only == s;
    let runs = |var: &str, d: usize| env_usize(var).unwrap_or(d);
    let began = Instant::now();
    let mut rows = Vec::new();
    if want("sudden") {
        let r = repeat("sudden", runs("RUNS", 5), began, || sudden(30, 5));
        rows.push(("sudden failure, ttl 30s", r));
    }
    if want("brownout") {
        let n = runs("BROWNOUT_RUNS", 3);
        let on = repeat("brownout-on", n, began, || brownout(30, 5));
        let off = repeat("brownout-off", n, began, || brownout(30, 30));
        rows.push(("brownout, lowering on (5s)", on));
        rows.push(("brownout, lowering off", off));
    }
    if want("risk") {
        let n = runs("RISK_RUNS", 3);
        let r = repeat("brownout-risk", n, began, || brownout_in_risk_window(30, 5));
        // Every run must reach the standby within lowered TTL + detection + 1 s.
        let within = r
            .iter()
            .filter(|r| r.measured <= r.detection + 5.0 + 1.0)
            .count();
        eprintln!(
            "brownout-risk: {within} of {} run(s) within lowered TTL + detection + 1s",
            r.len()
        );
        rows.push(("brownout, risk window one TTL ahead (5s)", r));
    }
    if want("planned") {
        let r = repeat("planned", runs("PLANNED_RUNS", 3), began, || planned(30, 2));
        rows.push(("planned failover, lowered 2s", r));
    }
    if want("embedded") {
        let n = runs("EMBEDDED_RUNS", runs("RUNS", 5));
        let (bind, embedded) = in_turn(n, began);
        rows.push((RFC2136_ROW, bind));
        rows.push((EMBEDDED_ROW, embedded));
    }
    print_table(&rows, began.elapsed());
    print_ratio(&rows);
}

/// The rows of the RFC 2136 path and the embedded mode, side by side.
const RFC2136_ROW: &str = "sudden, ttl 5s, RFC 2136";
const EMBEDDED_ROW: &str = "sudden, ttl 5s, embedded";

/// Sudden failure at TTL 5 (never lowered below it), `n` runs on each
/// authority, in turn (which goes first alternates), so both rows share
/// the machine's load.
fn in_turn(n: usize, began: Instant) -> (Vec<Run>, Vec<Run>) {
    let (mut bind, mut embedded) = (Vec::new(), Vec::new());
    for i in 0..n {
        for on_bind in [i % 2 == 0, i % 2 == 1] {
            let (tag, authority, out) = if on_bind {
                ("rfc2136", Authority::Bind, &mut bind)
            } else {
                ("embedded", Authority::Embedded, &mut embedded)
            };
            let tag = format!("{tag} {}/{n},", i + 1);
            out.extend(repeat(&tag, 1, began, || sudden_on(authority, 5, 5)));
        }
    }
    (bind, embedded)
}

/// The embedded row's median over the RFC 2136 row's.
fn print_ratio(rows: &[(&str, Vec<Run>)]) {
    let med = |f: fn(&Run) -> f64| {
        let of = |name: &str| {
            let row = rows.iter().find(|r| r.0 == name)?;
            median(row.1.iter().map(f).collect())
        };
        Some((of(EMBEDDED_ROW)?, of(RFC2136_ROW)?))
    };
    if let Some((e, b)) = med(|r| r.measured) {
        println!(
            "embedded / RFC 2136, median client reach: {e:.3}s / {b:.3}s = {:.2}",
            e / b
        );
    }
    if let Some((e, b)) = med(|r| r.detection) {
        println!(
            "  the authority on the standby (median): embedded {e:.3}s, RFC 2136 {b:.3}s ({:+.0} ms)",
            (e - b) * 1e3
        );
    }
}

fn env_usize(var: &str) -> Option<usize> {
    std::env::var(var).ok().and_then(|v| v.parse().ok())
}

/// `n` runs that count; a brownout run the daemon flipped early is replaced,
/// up to [`MAX_EARLY`] times while the benchmark is within [`REPLACE_UNTIL`],
/// and kept (marked) for the table.
fn repeat(tag: &str, n: usize, began: Instant, mut f: impl FnMut() -> Run) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let counted = |v: &[Run]| v.iter().filter(|r| !r.early).count();
    let more =
        |v: &[Run]| v.len() < n || (v.len() < n + MAX_EARLY && began.elapsed() < REPLACE_UNTIL);
    while counted(&out) < n && more(&out) {
        let r = f();
        eprintln!(
            "{tag} run {}/{n}: client {:.3}s  auth {:.3}s  floor {:.3}s  report-err {}{}",
            out.len() + 1,
            r.measured,
            r.detection,
            r.floor,
            err_text(&r),
            if r.early {
                "  (flipped before the fault: replaced)"
            } else {
                ""
            }
        );
        out.push(r);
    }
    out
}

fn err_text(r: &Run) -> String {
    match (r.report_err, r.watch_err) {
        (Some(e), _) => format!("{e:+.3}s"),
        (None, Some(e)) => format!("none (watch result in the journal: {e:+.3}s)"),
        (None, None) => "none".into(),
    }
}

/// Kill the primary at a random moment of unbound's cache cycle.
fn sudden(normal: u32, lowered: u32) -> Run {
    sudden_on(Authority::Bind, normal, lowered)
}

/// [`sudden`] with the record served by `authority`.
fn sudden_on(authority: Authority, normal: u32, lowered: u32) -> Run {
    let mut rig = Rig::start_on(authority, normal, lowered);
    random_wait(normal);
    let fault = Instant::now();
    rig.tb.primary.stop();
    rig.follow(fault, false)
}

/// Fail a growing share of probes for 40 s, then kill the primary. A random
/// wait first puts the fault at a random moment of unbound's cache cycle.
fn brownout(normal: u32, lowered: u32) -> Run {
    let mut rig = Rig::start(normal, lowered);
    random_wait(normal);
    brown_then_kill(&mut rig)
}

/// The brownout's steps, then the primary killed; followed to the client.
fn brown_then_kill(rig: &mut Rig) -> Run {
    for ratio in BROWNOUT {
        rig.tb.primary.set_failure_ratio(ratio);
        std::thread::sleep(Duration::from_secs(10));
    }
    let early = rig.served() == ["127.0.0.3"];
    rig.tb.primary.set_failure_ratio(0.0);
    let fault = Instant::now();
    rig.tb.primary.stop();
    rig.follow(fault, early)
}

/// The brownout with `rtoguard risk` opened one normal TTL before it, so
/// caches hold only lowered answers when the flip comes.
fn brownout_in_risk_window(normal: u32, lowered: u32) -> Run {
    let mut rig = Rig::start(normal, lowered);
    random_wait(normal);
    let out = Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args(["risk", "checkout", "--for", "10m", "--reason", "bench"])
        .args(["--config", rig.tb.config_str()])
        .stdin(Stdio::null())
        .output()
        .expect("run rtoguard risk");
    assert!(out.status.success(), "rtoguard risk failed");
    std::thread::sleep(Duration::from_secs(u64::from(normal)));
    brown_then_kill(&mut rig)
}

/// `rtoguard failover --planned`: measured from the flip at BIND.
fn planned(normal: u32, lowered: u32) -> Run {
    let rig = Rig::start(normal, lowered);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args([
            "failover",
            "checkout",
            "--to",
            "standby",
            "--planned",
            "--yes",
        ])
        .args(["--config", rig.tb.config_str()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rtoguard failover");
    let start = Instant::now();
    let (flip, held) = rig.wait_flip(start, Duration::from_secs(u64::from(normal) + 60));
    let mut r = rig.finish(flip, flip, held, false);
    r.detection = 0.0;
    let _ = cmd.wait();
    r
}

/// Sleep a random time within one TTL of `ttl_s` seconds.
fn random_wait(ttl_s: u32) {
    let ms = rand::random_range(0..u64::from(ttl_s) * 1000);
    std::thread::sleep(Duration::from_millis(ms));
}

/// Who serves the record: BIND, written through RFC 2136, or the daemon's
/// own embedded server.
#[derive(Clone, Copy)]
enum Authority {
    Bind,
    Embedded,
}

/// The testbed's config with its provider turned into the embedded server
/// on `dns` (the same service, records served by the daemon itself).
fn on_embedded(text: &str, dns: SocketAddr) -> String {
    let start = text.find("[providers.bind]").expect("a provider table");
    let end = text.find("[[services]]").expect("a service");
    let edge = format!(
        "[providers.edge]\ntype = \"embedded\"\nlisten = [\"{dns}\"]\nrate_limit = 0\n\n[[providers.edge.zones]]\nname = \"example.test.\"\nname_servers = [{{ name = \"ns1\", addresses = [\"{ip}\"] }}]\n\n",
        ip = dns.ip(),
    );
    format!("{}{edge}{}", &text[..start], &text[end..]).replacen(
        "provider = \"bind\"",
        "provider = \"edge\"",
        1,
    )
}

/// The testbed, unbound, the daemon and our client loop; torn down on drop
/// (fields drop in order: the client first, the testbed last).
struct Rig {
    client: ClientLoop,
    daemon: Daemon,
    unbound: Unbound,
    tb: Testbed,
    /// The authoritative server of the record (BIND, or the embedded one).
    auth: SocketAddr,
}

impl Rig {
    fn start(normal: u32, lowered: u32) -> Self {
        Self::start_on(Authority::Bind, normal, lowered)
    }

    fn start_on(authority: Authority, normal: u32, lowered: u32) -> Self {
        let tb = Testbed::start_with(normal, lowered, "10m", HEALTH);
        let auth = match authority {
            Authority::Bind => tb.bind.addr,
            Authority::Embedded => SocketAddr::new(lo(1), free_port(lo(1))),
        };
        let unbound = match authority {
            Authority::Bind => Unbound::start("example.test.", auth),
            // The daemon that serves the zone starts below.
            Authority::Embedded => Unbound::start_before_auth("example.test.", auth),
        };
        let extra = format!(
            "\n[services.propagation]\nresolvers = [ {{ name = \"unbound\", address = \"{u}\" }} ]\nauthoritatives = [ {{ name = \"bind\", address = \"{b}\" }} ]\nclient_url = \"http://checkout.example.test:{p}/healthz\"\nqueries_per_second = 10\n",
            u = unbound.addr,
            b = auth,
            p = tb.port,
        );
        let mut text = std::fs::read_to_string(&tb.config).expect("read config");
        if let Authority::Embedded = authority {
            text = on_embedded(&text, auth);
        }
        // Each region says who it is (`x-region`): the watch's client check
        // needs the pools' markers to tell the new pool from the old.
        for pool in ["primary", "standby"] {
            let at = format!("name = \"{pool}\"\n");
            let marked = format!("{at}marker = {{ header = \"x-region\", value = \"{pool}\" }}\n");
            text = text.replacen(&at, &marked, 1);
        }
        text.push_str(&extra);
        std::fs::write(&tb.config, text).expect("write config");
        let daemon = Daemon::start(&tb, &[]);
        wait_for(
            Duration::from_secs(30),
            || all_up(&tb),
            || daemon.log_text(),
        );
        let client = ClientLoop::start(unbound.addr, tb.port);
        wait_for(
            Duration::from_secs(10),
            || client.seen_primary(),
            || "our client never reached the primary".into(),
        );
        Self {
            client,
            daemon,
            unbound,
            tb,
            auth,
        }
    }

    /// What the authoritative server answers for the record now.
    fn served(&self) -> Vec<String> {
        dns::query(self.auth, NAME, RecordType::A, false)
            .map(|a| a.values)
            .unwrap_or_default()
    }

    /// After a fault at `fault`: wait for the flip, the client, the report.
    fn follow(&self, fault: Instant, early: bool) -> Run {
        let (flip, held) = self.wait_flip(fault, Duration::from_secs(60));
        self.finish(fault, flip, held, early)
    }

    /// Poll the authority until it serves the standby; then ask unbound
    /// what it still holds of the old answer (seconds left).
    fn wait_flip(&self, from: Instant, limit: Duration) -> (Instant, f64) {
        while self.served() != ["127.0.0.3"] {
            assert!(
                from.elapsed() < limit,
                "the authority never served the standby:\n{}",
                self.daemon.log_text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let flip = Instant::now();
        let held = match dns::query(self.unbound.addr, NAME, RecordType::A, true) {
            Ok(a) if a.values == ["127.0.0.2"] => held_for(a.ttl, SystemTime::now()),
            _ => 0.0,
        };
        (flip, held)
    }

    fn finish(&self, from: Instant, flip: Instant, held: f64, early: bool) -> Run {
        let reach = self.client.wait_standby(Duration::from_secs(90), || {
            format!("{}\n{}", self.daemon.log_text(), self.unbound.log())
        });
        let ours = wall_ms(reach.1);
        let report_err = report_reach_ms(&self.tb).map(|ms| (ms - ours) as f64 / 1e3);
        let mut watch_err = None;
        if report_err.is_none() {
            let (text, reached) = journal(&self.tb);
            if !JOURNAL_SHOWN.swap(true, Ordering::SeqCst) {
                eprintln!("  no report with a first_client; the journal:\n{text}");
            } else {
                eprintln!("  no report with a first_client (journal as above)");
            }
            watch_err = reached.map(|ms| (ms - ours) as f64 / 1e3);
        }
        if std::env::var("SHOW_JOURNAL").is_ok() {
            eprintln!("{}", journal(&self.tb).0);
            let log = self.daemon.log_text();
            let fault = SystemTime::now() - from.elapsed();
            eprintln!("    fault at {}", humantime::format_rfc3339_millis(fault));
            for l in log
                .lines()
                .filter(|l| l.contains("checkout-") || l.contains("Endpoint state"))
            {
                eprintln!("    {l}");
            }
        }
        let bind = flip.duration_since(from).as_secs_f64();
        Run {
            measured: secs_between(from, reach.0),
            detection: bind,
            floor: bind + held,
            report_err,
            watch_err,
            early,
        }
    }
}

/// Seconds until unbound drops an answer it gave with `ttl` at `now`: it
/// counts whole seconds of the wall clock and still serves an answer whose
/// TTL has reached 0, so the answer lives to the end of second `now + ttl`.
fn held_for(ttl: u32, now: SystemTime) -> f64 {
    let frac = f64::from(
        now.duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_millis(),
    ) / 1e3;
    f64::from(ttl) + 1.0 - frac
}

fn secs_between(a: Instant, b: Instant) -> f64 {
    if b >= a {
        b.duration_since(a).as_secs_f64()
    } else {
        -a.duration_since(b).as_secs_f64()
    }
}

fn wall_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as i64
}

/// The journal, one entry a line (kind, incident, message), and the wall-clock
/// ms at which the last watch result's client reached the new pool.
fn journal(tb: &Testbed) -> (String, Option<i64>) {
    let out = common::run(&["history", "--json", "--config", tb.config_str()]);
    let entries: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let text = entries
        .iter()
        .map(|v| {
            let f = |k: &str, d: &'static str| v[k].as_str().unwrap_or(d).to_string();
            format!(
                "    {:<16} {:<24} {}",
                f("kind", "?"),
                f("incident", "-"),
                f("message", "")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let reached = entries
        .iter()
        .rev()
        .find(|v| v["kind"] == "watch-result")
        .and_then(|v| v["detail"]["clients"][0]["reached_at"].as_str())
        .and_then(|s| humantime::parse_rfc3339(s).ok())
        .map(wall_ms);
    (text, reached)
}

/// Wall-clock ms of the report's `first_client` milestone, once the report
/// of a move to the standby is saved (polled for up to 4 s: the watch ends
/// and the report is saved within moments of the client's reach).
fn report_reach_ms(tb: &Testbed) -> Option<i64> {
    let limit = Instant::now() + Duration::from_secs(4);
    while Instant::now() < limit {
        let out = common::run(&["report", "--format", "json", "--config", tb.config_str()]);
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout)
            && v["to_pool"] == "standby"
            && let Some(first) = v["timeline"]
                .as_array()
                .and_then(|t| t.iter().find(|m| m["key"] == "first_client"))
        {
            // What the report counted of the clients, and over which window.
            for c in v["clients"].as_array().into_iter().flatten() {
                eprintln!(
                    "  report client via {}: {} requests, {} failed, {} old pool (counted {} to {} ms)",
                    c["resolver"],
                    c["requests"],
                    c["failed"],
                    c["old_pool"],
                    c["counted_from_ms"],
                    c["counted_to_ms"]
                );
            }
            return Some(v["started_at_ms"].as_i64()? + first["offset_ms"].as_i64()?);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    None
}

/// What our client has seen.
#[derive(Default)]
struct Seen {
    primary: bool,
    /// First response carrying the standby's marker.
    standby: Option<(Instant, SystemTime)>,
}

/// A client that resolves through unbound every 100 ms and fetches from the answer.
struct ClientLoop {
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ClientLoop {
    fn start(resolver: SocketAddr, port: u16) -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                let next = Instant::now() + Duration::from_millis(100);
                let region = dns::query(resolver, NAME, RecordType::A, true)
                    .ok()
                    .and_then(|a| a.values.first().cloned())
                    .and_then(|ip| fetch_region(&ip, port));
                let at = (Instant::now(), SystemTime::now());
                let mut g = s.lock().expect("client state");
                match region.as_deref() {
                    Some("primary") => g.primary = true,
                    Some("standby") if g.standby.is_none() => g.standby = Some(at),
                    _ => {}
                }
                drop(g);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        });
        Self {
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen_primary(&self) -> bool {
        self.seen.lock().expect("client state").primary
    }

    fn wait_standby(&self, limit: Duration, why: impl Fn() -> String) -> (Instant, SystemTime) {
        let mut at = None;
        wait_for(
            limit,
            || {
                at = self.seen.lock().expect("client state").standby;
                at.is_some()
            },
            why,
        );
        at.expect("set when wait_for returned")
    }
}

impl Drop for ClientLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// GET / from `ip:port`; the `x-region` header's value, if any.
fn fetch_region(ip: &str, port: u16) -> Option<String> {
    let addr = SocketAddr::new(ip.parse().ok()?, port);
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let req = "GET /healthz HTTP/1.1\r\nHost: checkout.example.test\r\nConnection: close\r\n\r\n";
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("x-region")
            .then(|| v.trim().to_string())
    })
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

fn print_table(rows: &[(&str, Vec<Run>)], took: Duration) {
    println!("propagation: BIND + unbound (caching) + 2 regions on loopback; interval 1s, fall 3;");
    println!(
        "  measured = fault (planned: flip at BIND) -> our client's first standby response (resolving via unbound every 100 ms)"
    );
    println!(
        "  floor = fault -> the authority (BIND, or the embedded server) serves standby + what unbound still held of the old answer then;\n  over = measured - floor, per run; medians; brownout runs flipped before the fault left out"
    );
    println!(
        "{:<30} {:>4} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  target",
        "scenario", "runs", "min", "median", "max", "auth", "floor", "over"
    );
    for (name, runs) in rows {
        let ok: Vec<&Run> = runs.iter().filter(|r| !r.early).collect();
        let m = |f: fn(&Run) -> f64| median(ok.iter().map(|r| f(r)).collect());
        let all: Vec<f64> = ok.iter().map(|r| r.measured).collect();
        let early = runs.len() - ok.len();
        println!(
            "{name:<30} {:>4} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  {}{}",
            ok.len(),
            s(all.iter().copied().reduce(f64::min)),
            s(m(|r| r.measured)),
            s(all.iter().copied().reduce(f64::max)),
            s(m(|r| r.detection)),
            s(m(|r| r.floor)),
            s(m(|r| r.measured - r.floor)),
            target(
                name,
                rows,
                m(|r| r.measured),
                m(|r| r.detection),
                m(|r| r.floor)
            ),
            if early > 0 {
                format!(" ({early} early flips left out, replaced)")
            } else {
                String::new()
            },
        );
    }
    print_error(rows);
    println!("  whole benchmark: {:.0}s", took.as_secs_f64());
}

fn s(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x:.3}s"))
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

/// The target of one row, with whether it was met.
fn target(
    name: &str,
    rows: &[(&str, Vec<Run>)],
    med: Option<f64>,
    det: Option<f64>,
    floor: Option<f64>,
) -> String {
    let (Some(med), Some(det), Some(floor)) = (med, det, floor) else {
        return "no data".into();
    };
    if name.starts_with("sudden") {
        format!("median <= floor + 1s: {}", verdict(med <= floor + 1.0))
    } else if name.contains("lowering on") {
        let off = rows
            .iter()
            .find(|r| r.0.contains("lowering off"))
            .and_then(|r| {
                median(
                    r.1.iter()
                        .filter(|x| !x.early)
                        .map(|x| x.measured)
                        .collect(),
                )
            });
        let twice = off.map_or("no off data".into(), |o| {
            format!(
                "{:.1}x better than off: {}",
                o / med,
                verdict(o >= 2.0 * med)
            )
        });
        format!(
            "median <= auth + 5s + 1s: {}; {twice}",
            verdict(med <= det + 6.0)
        )
    } else if name.starts_with("planned") {
        format!("median <= 2s + 0.5s: {}", verdict(med <= 2.5))
    } else {
        "(reference for lowering on)".into()
    }
}

fn print_error(rows: &[(&str, Vec<Run>)]) {
    let runs: Vec<&Run> = rows.iter().flat_map(|r| &r.1).collect();
    let line = |label: &str, errs: Vec<f64>, what: &str| {
        let worst = errs.iter().copied().map(f64::abs).reduce(f64::max);
        println!(
            "{label:<30} {:>4} {:>8} {:>8} {:>8}  |error| <= 0.5s: {} ({what}; {} of {} runs)",
            errs.len(),
            s(errs.iter().copied().reduce(f64::min)),
            s(median(errs.clone())),
            s(errs.iter().copied().reduce(f64::max)),
            worst.map_or("no data", |w| verdict(w <= 0.5)),
            errs.len(),
            runs.len(),
        );
    };
    let report: Vec<f64> = runs.iter().filter_map(|r| r.report_err).collect();
    line(
        "measurement error",
        report,
        "report first_client - our loop",
    );
    let watch: Vec<f64> = runs.iter().filter_map(|r| r.watch_err).collect();
    if !watch.is_empty() {
        line(
            "  runs without a report",
            watch,
            "journal watch-result client reach - our loop",
        );
    }
}
