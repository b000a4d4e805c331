//! An impaired vantage end to end: `rtoguard run` against BIND and two
//! regions, where the daemon's descriptors really run out for a while (held
//! by a test hook, or taken by idle connections past its `ulimit -n`) or the
//! whole process stalls (SIGSTOP), several times. Nothing may flip or change
//! at BIND; the vantage must say it is impaired while it lasts and recovered
//! after.

// Integration tests time a real daemon on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::daemon::{Daemon, all_up, wait_for};
use common::{OutputText, Testbed, run};
use hickory_proto::rr::RecordType;
use rtoguard_testkit::net::{free_port, lo};

const NAME: &str = "checkout.example.test.";
const HEALTH: &str = "health = { interval = \"200ms\", rise = 2, fall = 2 }";
const TRIALS: usize = 3;
const GAUGE: &str = "rtoguard_vantage_impaired{vantage=\"test\"} ";

/// One kept-alive HTTP/1.1 connection to the daemon's metrics listener: it
/// is accepted before the descriptors run out, so scrapes over it still
/// work while the daemon cannot accept anything new.
struct Scraper {
    addr: SocketAddr,
    conn: Option<TcpStream>,
}

impl Scraper {
    fn gauge(&mut self) -> Option<i64> {
        let page = self.scrape()?;
        let line = page.lines().find(|l| l.starts_with(GAUGE))?;
        line[GAUGE.len()..].trim().parse().ok()
    }

    fn scrape(&mut self) -> Option<String> {
        if self.conn.is_none() {
            let c = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).ok()?;
            c.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
            self.conn = Some(c);
        }
        let got = self.conn.as_mut().and_then(|c| get(c, "/metrics"));
        if got.is_none() {
            self.conn = None;
        }
        got
    }
}

/// One GET over a kept-alive HTTP/1.1 connection; the body.
fn get<S: Read + Write>(c: &mut S, path: &str) -> Option<String> {
    c.write_all(format!("GET {path} HTTP/1.1\r\nHost: rtoguard\r\n\r\n").as_bytes())
        .ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = c.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let len: usize = text[..end].lines().find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|v| v.trim().parse().ok())
        })?;
        if buf.len() >= end + 4 + len {
            return Some(String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string());
        }
    }
}

fn status(tb: &Testbed) -> serde_json::Value {
    let out = run(&["status", "--json", "--config", tb.config_str()]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("status: {}", out.text()))
}

fn history(tb: &Testbed) -> String {
    run(&["history", "--config", tb.config_str()]).text()
}

/// What the control socket says about the vantage, over a connection
/// opened before the fault (a new one cannot be accepted meanwhile).
fn impaired_in_status(c: &mut UnixStream) -> Option<String> {
    let body = get(c, "/v1/status")?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    v["services"][0]["vantage"]["impaired"]
        .as_str()
        .map(str::to_string)
}

/// How descriptors run out in the daemon.
enum Fault {
    /// The daemon's test hook holds every descriptor while this file exists.
    Hook(PathBuf),
    /// Idle connections to the daemon's metrics listener, as many as its
    /// descriptor limit and then some (those wait in the listen backlog and
    /// take any descriptor the daemon frees): the real-world cause.
    Flood {
        to: SocketAddr,
        count: usize,
        held: Vec<TcpStream>,
    },
}

impl Fault {
    fn start(&mut self) {
        match self {
            Fault::Hook(flag) => std::fs::write(flag, b"hold").unwrap(),
            Fault::Flood { to, count, held } => {
                for _ in 0..*count {
                    held.push(TcpStream::connect_timeout(to, Duration::from_secs(2)).unwrap());
                }
            }
        }
    }

    fn stop(&mut self) {
        match self {
            Fault::Hook(flag) => std::fs::remove_file(flag).unwrap(),
            Fault::Flood { held, .. } => held.clear(),
        }
    }
}

/// One episode: descriptors run out for `hold`, then come back.
fn trial(tb: &Testbed, d: &Daemon, m: &mut Scraper, fault: &mut Fault, hold: Duration) {
    wait_for(Duration::from_secs(20), || all_up(tb), || d.log_text());
    let before = m.gauge();
    assert_eq!(
        before,
        Some(0),
        "impaired before the fault:\n{}",
        d.log_text()
    );
    let mut ctl = UnixStream::connect(tb.dir.path().join("control.sock")).unwrap();
    ctl.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(impaired_in_status(&mut ctl), None);
    fault.start();
    let start = Instant::now();
    let (mut gauge, mut said) = (false, None);
    while start.elapsed() < hold {
        gauge |= m.gauge() == Some(1);
        said = said.or_else(|| impaired_in_status(&mut ctl));
        std::thread::sleep(Duration::from_millis(100));
    }
    fault.stop();
    assert!(
        gauge,
        "vantage_impaired never 1 while descriptors were out:\n{}",
        d.log_text()
    );
    let said = said.unwrap_or_default();
    assert!(
        said.starts_with("out of file descriptors"),
        "status said {said:?} while descriptors were out"
    );
    wait_for(
        Duration::from_secs(20),
        || m.gauge() == Some(0) && all_up(tb),
        || d.log_text(),
    );
    let s = status(tb);
    assert!(s["vantage"]["impaired"].is_null(), "still impaired: {s}");
}

/// A testbed whose daemon serves metrics on a loopback port.
fn testbed() -> (Testbed, SocketAddr) {
    let tb = Testbed::start_with(60, 5, "1s", HEALTH);
    let metrics = SocketAddr::new(lo(1), free_port(lo(1)));
    let cfg = std::fs::read_to_string(&tb.config).unwrap().replacen(
        "[controller]\n",
        &format!("[controller]\nmetrics_listen = \"{metrics}\"\n"),
        1,
    );
    std::fs::write(&tb.config, cfg).unwrap();
    (tb, metrics)
}

/// Several episodes of `fault`; then nothing may have moved at BIND, and the
/// journal must hold one impaired and one recovered entry per episode.
fn episodes(tb: &Testbed, d: Daemon, metrics: SocketAddr, mut fault: Fault) {
    let serial = tb.bind.serial();
    let rec = tb.record_bind_states(NAME);
    let mut m = Scraper {
        addr: metrics,
        conn: None,
    };
    wait_for(
        Duration::from_secs(20),
        || m.gauge().is_some(),
        || d.log_text(),
    );
    for _ in 0..TRIALS {
        trial(tb, &d, &mut m, &mut fault, Duration::from_secs(3));
    }
    let states = rec.stop();
    assert!(!states.is_empty());
    for (_, values, ttl) in &states {
        assert_eq!(
            (values.as_slice(), *ttl),
            (&["127.0.0.2".to_string()][..], 60)
        );
    }
    assert_eq!(tb.bind.serial(), serial, "the zone changed");
    let (log, h) = (d.log_text(), history(tb));
    let impaired = "vantage test impaired: out of file descriptors";
    assert_eq!(h.matches(impaired).count(), TRIALS, "{h}");
    assert_eq!(h.matches("vantage test recovered").count(), TRIALS, "{h}");
    for never in ["is down", "about to flip", "set the TTL", "incident-start"] {
        assert!(!h.contains(never), "history has {never}:\n{h}\n{log}");
    }
    assert_eq!(tb.bind.query(NAME, RecordType::A).values, ["127.0.0.2"]);
    d.stop();
}

#[test]
fn descriptors_held_by_the_daemon_impair_the_vantage_and_move_nothing() {
    let (tb, metrics) = testbed();
    let flag = tb.dir.path().join("hold-fds");
    let flag_s = flag.to_str().unwrap().to_string();
    let d = Daemon::start_with_nofile(&tb, &[("RTOGUARD_TEST_HOLD_FDS", &flag_s)], 256);
    episodes(&tb, d, metrics, Fault::Hook(flag));
}

#[test]
fn idle_connections_that_exhaust_the_daemon_impair_the_vantage_and_move_nothing() {
    const NOFILE: usize = 128;
    let (tb, metrics) = testbed();
    let d = Daemon::start_with_nofile(&tb, &[], NOFILE as u32);
    let flood = Fault::Flood {
        to: metrics,
        count: NOFILE + 64,
        held: Vec::new(),
    };
    episodes(&tb, d, metrics, flood);
}

/// A stalled daemon (SIGSTOP, then SIGCONT) finds its probe scheduler behind:
/// the late results are local, the vantage impaired for a moment, and nothing
/// moves.
#[test]
fn a_stalled_scheduler_impairs_the_vantage_and_moves_nothing() {
    let (tb, _) = testbed();
    let d = Daemon::start(&tb, &[]);
    let serial = tb.bind.serial();
    let rec = tb.record_bind_states(NAME);
    let recovered = |n: usize| {
        let h = history(&tb);
        h.matches("vantage test recovered").count() >= n
    };
    for n in 1..=TRIALS {
        wait_for(Duration::from_secs(20), || all_up(&tb), || d.log_text());
        d.signal("STOP");
        std::thread::sleep(Duration::from_millis(1500));
        d.signal("CONT");
        wait_for(Duration::from_secs(20), || recovered(n), || history(&tb));
    }
    wait_for(Duration::from_secs(20), || all_up(&tb), || d.log_text());
    let states = rec.stop();
    assert!(
        states
            .iter()
            .all(|(_, v, ttl)| v == &["127.0.0.2"] && *ttl == 60)
    );
    assert_eq!(tb.bind.serial(), serial, "the zone changed");
    let h = history(&tb);
    assert!(h.contains("impaired: probe scheduler"), "{h}");
    let (impaired, recovered) = (
        h.matches("vantage test impaired").count(),
        h.matches("vantage test recovered").count(),
    );
    assert!(impaired >= TRIALS && impaired == recovered, "{h}");
    for never in ["is down", "about to flip", "set the TTL", "incident-start"] {
        assert!(!h.contains(never), "history has {never}:\n{h}");
    }
    d.stop();
}
