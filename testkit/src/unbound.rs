//! unbound as a caching resolver on a free loopback port, with a stub zone pointing at a test BIND.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use tempfile::TempDir;

use crate::{dns, net};

/// Names unbound serves itself unless told `nodefault` (RFC 6761 and friends).
const SPECIAL: &[&str] = &[
    "test.",
    "invalid.",
    "localhost.",
    "local.",
    "onion.",
    "home.arpa.",
    "example.",
    "resolver.arpa.",
];

/// A running `unbound -d`; killed on drop.
#[derive(Debug)]
pub struct Unbound {
    /// Where it answers (UDP and TCP).
    pub addr: SocketAddr,
    dir: TempDir,
    child: Option<Child>,
}

impl Unbound {
    /// Start unbound with a stub zone for `zone` (`example.test.`) served by
    /// `auth`; panics with its log when it does not come up.
    pub fn start(zone: &str, auth: SocketAddr) -> Self {
        Self::start_checked(zone, auth, true)
    }

    /// Like [`Unbound::start`] for an `auth` that is not up yet (the
    /// daemon's own embedded server, started after it): ready once it
    /// answers its built-in `localhost.`.
    pub fn start_before_auth(zone: &str, auth: SocketAddr) -> Self {
        Self::start_checked(zone, auth, false)
    }

    fn start_checked(zone: &str, auth: SocketAddr, ask_auth: bool) -> Self {
        let zone = format!("{}.", zone.trim_end_matches('.'));
        let mut last = String::new();
        for _ in 0..5 {
            match Self::try_start(&zone, auth, ask_auth) {
                Ok(u) => return u,
                Err(log) => last = log,
            }
        }
        panic!("unbound did not start:\n{last}");
    }

    fn try_start(zone: &str, auth: SocketAddr, ask_auth: bool) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("rtoguard-unbound")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let ip = net::lo(1);
        let addr = SocketAddr::new(ip, net::free_port(ip));
        let conf = dir.path().join("unbound.conf");
        std::fs::write(&conf, config(dir.path(), addr, zone, auth)).map_err(|e| e.to_string())?;
        let log =
            std::fs::File::create(dir.path().join("unbound.log")).map_err(|e| e.to_string())?;
        let child = Command::new(unbound_binary())
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                format!("cannot run unbound ({e}); install unbound (scripts/test does)")
            })?;
        let mut u = Self {
            addr,
            dir,
            child: Some(child),
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Some(status) = u.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("unbound exited with {status}:\n{}", u.log()));
            }
            let (name, rtype) = if ask_auth {
                (zone, RecordType::SOA)
            } else {
                ("localhost.", RecordType::A)
            };
            if dns::query(addr, name, rtype, true).is_ok_and(|a| !a.values.is_empty()) {
                return Ok(u);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = u.log();
        u.stop();
        Err(format!("unbound did not answer on {addr}:\n{log}"))
    }

    /// unbound's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("unbound.log")).unwrap_or_default()
    }

    /// Stop the resolver now.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        self.stop();
    }
}

fn config(dir: &Path, addr: SocketAddr, zone: &str, auth: SocketAddr) -> String {
    let mut nodefault = String::new();
    for s in SPECIAL {
        if zone == *s || zone.ends_with(&format!(".{s}")) {
            nodefault.push_str(&format!("  local-zone: \"{s}\" nodefault\n"));
        }
    }
    format!(
        "server:\n  directory: \"{d}\"\n  username: \"\"\n  chroot: \"\"\n  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  interface: {ip}@{port}\n  port: {port}\n  so-reuseport: no\n  num-threads: 1\n  do-ip6: no\n  do-not-query-localhost: no\n  access-control: 127.0.0.0/8 allow\n  module-config: \"iterator\"\n  qname-minimisation: no\n{nodefault}remote-control:\n  control-enable: no\nstub-zone:\n  name: \"{zone}\"\n  stub-addr: {aip}@{aport}\n",
        d = dir.display(),
        ip = addr.ip(),
        port = addr.port(),
        aip = auth.ip(),
        aport = auth.port(),
    )
}

fn unbound_binary() -> PathBuf {
    for p in ["/usr/sbin/unbound", "/usr/local/sbin/unbound"] {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    "unbound".into()
}
