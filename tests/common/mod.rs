//! Shared set-up for the binary's integration tests: BIND 9 with the demo
//! zone, two HTTP regions on 127.0.0.2 / 127.0.0.3, and a config for them.

// Test harness: real processes waited for on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use rtoguard_testkit::net::{free_port, lo};
use rtoguard_testkit::region::Region;
use tempfile::TempDir;

pub mod audit;
pub mod campaign;
pub mod cluster;
pub mod daemon;
pub mod faults;
pub mod notify;
pub mod pair;
pub mod provider_log;
pub mod trio;
pub mod webhook;

/// BIND + two regions + a config file.
pub struct Testbed {
    pub bind: Bind,
    pub primary: Region,
    pub standby: Region,
    pub dir: TempDir,
    pub config: PathBuf,
    pub port: u16,
}

/// A port free on both 127.0.0.2 and 127.0.0.3, so both regions share it.
pub fn shared_port() -> u16 {
    loop {
        let p = free_port(lo(2));
        if std::net::TcpListener::bind((lo(3), p)).is_ok() {
            return p;
        }
    }
}

impl Testbed {
    /// BIND serving `records` in `example.test.`, both regions on a shared
    /// port, and the config `text(bind, port, state dir)` written.
    pub fn serving(
        records: &[&str],
        text: impl FnOnce(&Bind, u16, &std::path::Path) -> String,
    ) -> Self {
        let bind = Bind::start("example.test.", records);
        let port = shared_port();
        let primary = Region::start_at(SocketAddr::new(lo(2), port), "primary");
        let standby = Region::start_at(SocketAddr::new(lo(3), port), "standby");
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, text(&bind, port, dir.path())).expect("write config");
        Self {
            bind,
            primary,
            standby,
            dir,
            config,
            port,
        }
    }

    /// `checkout.example.test.` A 127.0.0.2 with TTL `normal`.
    pub fn start(normal: u32, lowered: u32, restore_after: &str) -> Self {
        Self::start_with(
            normal,
            lowered,
            restore_after,
            "health = { interval = \"1s\", rise = 2, fall = 2 }",
        )
    }

    /// Like [`Testbed::start`], with extra service keys (health, failback, damping).
    pub fn start_with(normal: u32, lowered: u32, restore_after: &str, extra: &str) -> Self {
        let record = format!("checkout {normal} IN A 127.0.0.2");
        Self::serving(&[&record], |bind, port, dir| {
            let secret = bind.secret_file();
            config_text(
                bind,
                &secret,
                dir,
                port,
                normal,
                lowered,
                restore_after,
                extra,
            )
        })
    }

    /// Rewrite the config's probe timeout (the first `timeout = "…"`) to
    /// `timeout`, so it fits under a short fast interval.
    pub fn set_probe_timeout(&self, timeout: &str) {
        let text = std::fs::read_to_string(&self.config).expect("read config");
        let key = "timeout = \"";
        let start = text.find(key).expect("a probe timeout") + key.len();
        let end = start + text[start..].find('"').expect("a closing quote");
        let fitted = format!("{}{timeout}{}", &text[..start], &text[end..]);
        std::fs::write(&self.config, fitted).expect("write config");
    }

    pub fn config_str(&self) -> &str {
        self.config.to_str().expect("utf-8 temp path")
    }

    /// The TSIG secret file the config names.
    pub fn secret_path(&self) -> PathBuf {
        self.bind.secret_file()
    }

    /// Poll BIND every 50 ms for `name`, recording each answer until stopped.
    pub fn record_bind_states(&self, name: &str) -> Recorder {
        let stop = Arc::new(AtomicBool::new(false));
        let (addr, name, s) = (self.bind.addr, name.to_string(), stop.clone());
        let handle = std::thread::spawn(move || {
            let mut states = Vec::new();
            let sample = |states: &mut Vec<_>| {
                if let Ok(a) = rtoguard_testkit::dns::query(addr, &name, RecordType::A, false) {
                    states.push((Instant::now(), a.values, a.ttl));
                }
            };
            while !s.load(Ordering::SeqCst) {
                sample(&mut states);
                std::thread::sleep(Duration::from_millis(50));
            }
            // One sample after the stop: a write in the last 50 ms before
            // the command returned (in-sync is confirmed at once) is seen.
            sample(&mut states);
            states
        });
        Recorder { stop, handle }
    }
}

/// A running poll of BIND.
pub struct Recorder {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Vec<(Instant, Vec<String>, u32)>>,
}

impl Recorder {
    /// Stop and return (time, values, ttl) samples in order.
    pub fn stop(self) -> Vec<(Instant, Vec<String>, u32)> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().expect("recorder thread")
    }
}

/// The config for a testbed.
#[allow(clippy::too_many_arguments)]
pub fn config_text(
    bind: &Bind,
    secret: &std::path::Path,
    state: &std::path::Path,
    port: u16,
    normal: u32,
    lowered: u32,
    restore_after: &str,
    extra: &str,
) -> String {
    let ttl = format!(
        "ttl = {{ normal = \"{normal}s\", lowered = \"{lowered}s\", restore_after = \"{restore_after}\" }}"
    );
    format!(
        "[controller]\nid = \"test\"\nstate_dir = \"{state}\"\ncontrol_socket = \"{state}/control.sock\"\n\n{}",
        provider_and_service(bind, secret, port, &ttl, extra, ("region-a", "region-b")),
        state = state.display(),
    )
}

/// The `[providers.bind]` table and the `checkout` service (primary on
/// 127.0.0.2, standby on 127.0.0.3, both on `port`) with its `ttl` line,
/// `extra` service keys, and the pools' regions.
pub fn provider_and_service(
    bind: &Bind,
    secret: &std::path::Path,
    port: u16,
    ttl: &str,
    extra: &str,
    regions: (&str, &str),
) -> String {
    format!(
        r#"[providers.bind]
type = "rfc2136"
server = "{server}"
tsig_key_name = "{key}"
tsig_algorithm = "{alg}"
tsig_secret_file = "{secret}"

[[services]]
name = "checkout"
provider = "bind"
zone = "example.test."
record = "checkout.example.test."
type = "A"
rto = "5m"
{ttl}
probe = {{ type = "http", port = {port}, path = "/healthz", timeout = "{timeout}" }}
{extra}

[[services.pools]]
name = "primary"
region = "{primary}"
endpoints = ["127.0.0.2"]

[[services.pools]]
name = "standby"
region = "{standby}"
endpoints = ["127.0.0.3"]
"#,
        server = bind.addr,
        key = bind.key.name,
        alg = bind.key.algorithm,
        secret = secret.display(),
        primary = regions.0,
        standby = regions.1,
        timeout = probe_timeout(extra),
    )
}

/// The service the provider end-to-end tests fail over: `checkout` on
/// provider `provider`, probed over HTTP on `port`, primary 127.0.0.2 and
/// standby 127.0.0.3, TTL 4s lowered to 1s, fall 2 at 200ms.
pub fn checkout_on(provider: &str, port: u16) -> String {
    format!(
        r#"[[services]]
name = "checkout"
provider = "{provider}"
zone = "example.test."
record = "checkout.example.test."
type = "A"
rto = "5m"
ttl = {{ normal = "4s", lowered = "1s", restore_after = "1s" }}
probe = {{ type = "http", port = {port}, path = "/healthz", timeout = "150ms" }}
health = {{ interval = "200ms", rise = 2, fall = 2 }}
damping = {{ hold_down = "1s", max_flips = 3, flip_window = "1h" }}

[[services.pools]]
name = "primary"
region = "region-a"
endpoints = ["127.0.0.2"]

[[services.pools]]
name = "standby"
region = "region-b"
endpoints = ["127.0.0.3"]
"#
    )
}

/// Provider `edge`: rtoguard's embedded server answering on `dns` for
/// `example.test.` (its name server ns1 at `dns`'s address), with `zone`
/// (e.g. static `records = [...]`) added to the zone's table.
pub fn embedded_edge(dns: SocketAddr, zone: &str) -> String {
    format!(
        r#"[providers.edge]
type = "embedded"
listen = ["{dns}"]
rate_limit = 0

[[providers.edge.zones]]
name = "example.test."
name_servers = [{{ name = "ns1", addresses = ["{ns}"] }}]
{zone}
"#,
        ns = dns.ip()
    )
}

/// A probe timeout that fits the health interval written in `extra` (a
/// config whose timeout is not below the interval is refused): three
/// quarters of it, at most 1s; 1s when no interval is written (default 5s).
pub fn probe_timeout(extra: &str) -> String {
    let interval = extra
        .split("interval = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|v| match v.strip_suffix("ms") {
            Some(ms) => ms.parse::<u64>().ok(),
            None => v.strip_suffix('s')?.parse::<u64>().ok().map(|s| s * 1000),
        });
    let ms = interval.map_or(1000, |i| (i * 3 / 4).min(1000));
    format!("{ms}ms")
}

/// Run the rtoguard binary with `args`, no stdin.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rtoguard"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run rtoguard")
}

/// stdout and stderr of a run, together.
pub trait OutputText {
    fn text(&self) -> String;
}

impl OutputText for Output {
    fn text(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}
