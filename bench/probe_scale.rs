//! Benchmark: the probe engine at scale. 2,000 HTTP endpoints on loopback
//! (ENDPOINTS=n to change; one listener per address 127.1.x.y, all in this
//! process; 50 per pool, two pools per service), interval 1 s, for 60 s
//! (DURATION=secs to change). Prints the daemon's CPU as a fraction of one
//! core, endpoints per core at that CPU, its peak RSS, probe scheduling
//! lateness p50 / p99 over the measured window (the daemon's
//! `rtoguard_probe_lateness_seconds`, scraped at its start and end) and
//! from the daemon's start, and the load average the figures were taken under.
//!
//! Run: `cargo bench --bench probe_scale`;
//! `ENDPOINTS=10000 cargo bench --bench probe_scale` for the target
//! (each endpoint is a listener here: the descriptor limit's hard value must
//! allow it; the soft one is raised to it, as the daemon does).
//! RTOGUARD_BIN=path runs another build of the daemon (a before/after pair
//! on the same load). SILENT=1: every endpoint takes the request and never
//! answers, so each probe waits out its 500 ms timeout (the memory of
//! probes in flight at once).

// Benchmarks measure wall-clock time (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rtoguard_testkit::bind::Bind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PER_POOL: usize = 50;

fn main() {
    let secs = env_or("DURATION", 60);
    let endpoints = env_or("ENDPOINTS", 2000) as usize;
    let services = endpoints.div_ceil(2 * PER_POOL).max(1);
    // Listeners and their connections: the soft limit up to the hard one.
    let _ = rtoguard::bounded::descriptors::raise_nofile();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let port = 18_080 + (std::process::id() % 1000) as u16;
    let metrics = SocketAddr::from(([127, 0, 0, 1], port + 1000));
    let addrs: Vec<IpAddr> = (0..services * 2 * PER_POOL)
        .map(|i| IpAddr::from([127, 1, (i / 250) as u8, (i % 250 + 1) as u8]))
        .collect();
    rt.block_on(serve_all(&addrs, port));
    let records: Vec<String> = (0..services)
        .map(|s| format!("svc{s} 300 IN A {}", addrs[s * 2 * PER_POOL]))
        .collect();
    let refs: Vec<&str> = records.iter().map(String::as_str).collect();
    let bind = Bind::start("example.test.", &refs);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        config_text(&bind, dir.path(), &addrs, port, metrics),
    )
    .unwrap();
    let log = dir.path().join("daemon.log");
    // RTOGUARD_BIN: another build of the daemon, to compare two back to back.
    let bin = std::env::var("RTOGUARD_BIN").unwrap_or(env!("CARGO_BIN_EXE_rtoguard").into());
    let mut child = Command::new(bin)
        .args([
            "run",
            "--log-format",
            "json",
            "--config",
            config.to_str().unwrap(),
        ])
        .env("RUST_LOG", "warn,rtoguard::runtime=info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("spawn rtoguard run");
    let pid = child.id();
    let spawned = Instant::now();
    std::thread::sleep(Duration::from_secs(5));
    let (cpu0, t0, late0) = (cpu_ticks(pid), Instant::now(), lateness_buckets(metrics));
    std::thread::sleep(Duration::from_secs(secs));
    let (cpu1, t1, late1) = (cpu_ticks(pid), Instant::now(), lateness_buckets(metrics));
    let hwm_kib = status_kib(pid, "VmHWM:");
    let (cpu_all, life) = (cpu_ticks(pid), spawned.elapsed());
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let (p50, p99, probes) = lateness(&text);
    let ticks = 100.0; // USER_HZ on Linux
    let cores = (cpu1 - cpu0) as f64 / ticks / (t1 - t0).as_secs_f64();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "probe engine: {} HTTP endpoints, interval 1s, measured {secs}s after a 5s warm-up (load average {})",
        addrs.len(),
        load.join(" ")
    );
    // Endpoints per core from the probes the daemon ran in its whole life
    // and the CPU it took for them (start-up included), so a daemon that
    // falls behind its schedule is not credited for probes it never ran.
    let per_core = probes as f64 / (cpu_all as f64 / ticks);
    let rate = probes as f64 / life.as_secs_f64();
    println!(
        "  cpu {cores:.3} core  endpoints per core {per_core:.0} (target >= 10000)  peak rss {:.1} MiB (target <= 150 at 10000)  probes {probes} ({rate:.0}/s for {} planned)",
        hwm_kib as f64 / 1024.0,
        addrs.len()
    );
    // Lateness over the measured window (the daemon's own histogram,
    // scraped at its start and end), then over the daemon's whole life.
    let window = window_lateness(&late0, &late1);
    println!(
        "  lateness over the measured {secs}s: {window}  (target p99 <= 50 ms)\n  lateness from the daemon's start (its first round included): p50 {p50:.1} ms  p99 {p99:.1} ms"
    );
}

/// `rtoguard_probe_lateness_seconds` buckets from the daemon's metrics:
/// (upper bound in seconds, cumulative count).
fn lateness_buckets(addr: SocketAddr) -> Vec<(f64, u64)> {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return Vec::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.lines()
        .filter_map(|l| l.strip_prefix("rtoguard_probe_lateness_seconds_bucket{le=\""))
        .filter_map(|l| {
            let (le, rest) = l.split_once("\"}")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, rest.split_whitespace().next()?.parse().ok()?))
        })
        .collect()
}

/// p50, p99 (as the bucket bound they fall under) and the share of probes
/// later than 50 ms between two scrapes.
fn window_lateness(before: &[(f64, u64)], after: &[(f64, u64)]) -> String {
    if after.is_empty() {
        return "no metrics scraped".into();
    }
    let count = |le: f64, v: &[(f64, u64)]| v.iter().find(|(b, _)| *b == le).map_or(0, |(_, c)| *c);
    let diff: Vec<(f64, u64)> = after
        .iter()
        .map(|&(le, c)| (le, c.saturating_sub(count(le, before))))
        .collect();
    let total = diff.last().map_or(0, |(_, c)| *c);
    if total == 0 {
        return "no probes".into();
    }
    let at = |q: f64| {
        let rank = (q * total as f64).ceil() as u64;
        let le = diff
            .iter()
            .find(|(_, c)| *c >= rank)
            .map_or(f64::INFINITY, |(le, _)| *le);
        if le.is_finite() {
            format!("<= {:.1} ms", le * 1e3)
        } else {
            "over 5 s".into()
        }
    };
    let over = total - count(0.05, &diff);
    format!(
        "p50 {}  p99 {}  later than 50 ms {over} of {total} ({:.2} %)",
        at(0.50),
        at(0.99),
        over as f64 * 100.0 / total as f64
    )
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One listener per address answering `200 ok` and closing; with SILENT=1
/// reading the request and never answering (a region that black-holes:
/// every probe waits out its timeout).
async fn serve_all(addrs: &[IpAddr], port: u16) {
    let silent = env_or("SILENT", 0) == 1;
    for &ip in addrs {
        let l = tokio::net::TcpListener::bind(SocketAddr::new(ip, port))
            .await
            .expect("bind a loopback address");
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = l.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let _ = s.read(&mut buf).await;
                    if silent {
                        while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
                        return;
                    }
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n").await;
                });
            }
        });
    }
}

fn config_text(
    bind: &Bind,
    state: &std::path::Path,
    addrs: &[IpAddr],
    port: u16,
    metrics: SocketAddr,
) -> String {
    let mut s = format!(
        "[controller]\nid = \"bench\"\nstate_dir = \"{d}\"\ncontrol_socket = \"{d}/control.sock\"\nmetrics_listen = \"{metrics}\"\n\n[providers.bind]\ntype = \"rfc2136\"\nserver = \"{}\"\ntsig_key_name = \"{}\"\ntsig_secret_file = \"{}\"\n\n",
        bind.addr,
        bind.key.name,
        bind.secret_file().display(),
        d = state.display()
    );
    for svc in 0..addrs.len() / (2 * PER_POOL) {
        let _ = write!(
            s,
            "[[services]]\nname = \"svc{svc}\"\nprovider = \"bind\"\nzone = \"example.test.\"\nrecord = \"svc{svc}.example.test.\"\ntype = \"A\"\nrto = \"5m\"\nprobe = {{ type = \"http\", port = {port}, path = \"/healthz\", timeout = \"500ms\" }}\nhealth = {{ interval = \"1s\", rise = 2, fall = 2 }}\n"
        );
        for (p, name) in ["primary", "standby"].iter().enumerate() {
            let eps: Vec<String> = (0..PER_POOL)
                .map(|e| format!("\"{}\"", addrs[svc * 2 * PER_POOL + p * PER_POOL + e]))
                .collect();
            let _ = write!(
                s,
                "[[services.pools]]\nname = \"{name}\"\nregion = \"{name}\"\nendpoints = [{}]\n",
                eps.join(", ")
            );
        }
        s.push('\n');
    }
    s
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// The scheduler's lateness from the daemon's last JSON log line about it.
fn lateness(log: &str) -> (f64, f64, u64) {
    for line in log.lines().rev() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
            && v["fields"]["message"] == "Probe scheduler stopped."
        {
            let f = &v["fields"];
            return (
                f["lateness_p50_ms"].as_f64().unwrap_or(f64::NAN),
                f["lateness_p99_ms"].as_f64().unwrap_or(f64::NAN),
                f["probes"].as_u64().unwrap_or(0),
            );
        }
    }
    (f64::NAN, f64::NAN, 0)
}
