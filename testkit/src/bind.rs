//! BIND 9 (`named`) started in a temporary directory on a free loopback port,
//! authoritative for one zone that accepts TSIG-signed RFC 2136 updates.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use tempfile::TempDir;

use crate::dns::{self, Answer};
use crate::net;

/// A TSIG key as BIND and rtoguard's config know it.
#[derive(Debug, Clone)]
pub struct TsigKey {
    /// Key name, absolute (`rtoguard.`).
    pub name: String,
    /// `hmac-sha256` or `hmac-sha512`.
    pub algorithm: String,
    /// Base64 secret.
    pub secret: String,
}

/// How to start a BIND server.
#[derive(Debug, Clone)]
pub struct BindBuilder {
    zone: String,
    records: Vec<String>,
    key: TsigKey,
    ip: IpAddr,
    /// Secondary of this primary (zone transferred by AXFR/IXFR with NOTIFY).
    primary: Option<SocketAddr>,
    notify: Vec<SocketAddr>,
    port: Option<u16>,
    /// The primary's `update-policy` rules (default: the key may change
    /// anything in the zone).
    policy: Option<String>,
    /// A secondary signs its SOA queries and transfers with the key.
    signed_transfers: bool,
    /// Wait until the zone is served (else only until named answers).
    wait_for_zone: bool,
    /// named's debug level (`-d`), 0 for none.
    debug: u8,
}

impl BindBuilder {
    /// Zone file lines after the SOA and NS, relative to the zone origin:
    /// `"www 300 IN A 127.0.0.2"`.
    pub fn records(mut self, lines: &[&str]) -> Self {
        self.records.extend(lines.iter().map(|s| s.to_string()));
        self
    }
    pub fn algorithm(mut self, alg: &str) -> Self {
        self.key.algorithm = alg.to_string();
        self
    }
    /// Listen on `ip`. BIND only listens on addresses an interface carries;
    /// on a stock loopback that is 127.0.0.1 alone, so a second server
    /// (a secondary) needs 127.0.0.1 with another [`port`](Self::port).
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = ip;
        self
    }
    /// Make this server a secondary that transfers the zone from `primary`.
    pub fn secondary_of(mut self, primary: SocketAddr) -> Self {
        self.primary = Some(primary);
        self
    }
    /// Listen on this port instead of a free one (so a primary can be told
    /// where to send NOTIFY before its secondary starts).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
    /// Send NOTIFY to these servers after every change (for secondaries).
    pub fn notify(mut self, to: SocketAddr) -> Self {
        self.notify.push(to);
        self
    }
    /// Use this TSIG key instead of a fresh `rtoguard.` one.
    pub fn key(mut self, key: TsigKey) -> Self {
        self.key = key;
        self
    }
    /// As a secondary, sign SOA queries and transfers to the primary with
    /// the key (`primaries { ... key NAME; }`).
    pub fn signed_transfers(mut self) -> Self {
        self.signed_transfers = true;
        self
    }
    /// Return once named answers, without waiting for the zone (for a
    /// secondary whose transfers are meant to fail).
    pub fn without_zone(mut self) -> Self {
        self.wait_for_zone = false;
        self
    }
    /// Run named at this debug level (`-d N`), so its log tells more
    /// (at 3, the transfer type it requests).
    pub fn debug(mut self, level: u8) -> Self {
        self.debug = level;
        self
    }
    /// Use these `update-policy` rules instead of `grant KEY zonesub ANY;`.
    pub fn update_policy(mut self, rules: &str) -> Self {
        self.policy = Some(rules.to_string());
        self
    }
    /// Start `named`; panics with its log when it does not come up.
    pub fn start(self) -> Bind {
        let mut last = String::new();
        for _ in 0..5 {
            match Bind::try_start(&self) {
                Ok(b) => return b,
                Err(log) => last = log,
            }
        }
        panic!("named did not start:\n{last}");
    }
}

/// A running `named`; killed on drop.
#[derive(Debug)]
pub struct Bind {
    pub addr: SocketAddr,
    pub zone: String,
    pub key: TsigKey,
    dir: TempDir,
    child: Option<Child>,
}

impl Bind {
    /// A builder for `zone` (`example.test.`) with a fresh `rtoguard.` hmac-sha256 key.
    pub fn builder(zone: &str) -> BindBuilder {
        BindBuilder {
            zone: absolute(zone),
            records: Vec::new(),
            key: TsigKey {
                name: "rtoguard.".into(),
                algorithm: "hmac-sha256".into(),
                secret: crate::random_secret(),
            },
            ip: net::lo(1),
            primary: None,
            notify: Vec::new(),
            port: None,
            policy: None,
            signed_transfers: false,
            wait_for_zone: true,
            debug: 0,
        }
    }

    /// A primary for `zone` with these records.
    pub fn start(zone: &str, records: &[&str]) -> Self {
        Self::builder(zone).records(records).start()
    }

    fn try_start(b: &BindBuilder) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("rtoguard-bind")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let port = b.port.unwrap_or_else(|| net::free_port(b.ip));
        let addr = SocketAddr::new(b.ip, port);
        write_files(dir.path(), b, port).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.path().join("named.log")).map_err(|e| e.to_string())?;
        let child = Command::new(named_binary())
            .args(["-g", "-u", "root", "-n", "1", "-4"])
            .args(["-d", &b.debug.to_string(), "-c"])
            .arg(dir.path().join("named.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run named ({e}); install bind9 (scripts/test does)"))?;
        let mut bind = Self {
            addr,
            zone: b.zone.clone(),
            key: b.key.clone(),
            dir,
            child: Some(child),
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Some(status) = bind
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(format!("named exited with {status}:\n{}", bind.log()));
            }
            let up = if b.wait_for_zone {
                dns::soa_serial(addr, &bind.zone).is_ok()
            } else {
                dns::query(addr, &bind.zone, RecordType::SOA, false).is_ok()
            };
            if up {
                return Ok(bind);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("named did not answer on {addr}:\n{}", bind.log()))
    }

    /// Write the TSIG secret to a file (for `tsig_secret_file`) and return its path.
    pub fn secret_file(&self) -> PathBuf {
        let p = self.dir.path().join("tsig.secret");
        std::fs::write(&p, format!("{}\n", self.key.secret)).expect("write secret file");
        p
    }

    /// Ask this server directly, without recursion.
    pub fn query(&self, name: &str, rtype: RecordType) -> Answer {
        dns::query(self.addr, name, rtype, false).expect("query BIND")
    }

    /// The zone's SOA serial.
    pub fn serial(&self) -> u32 {
        dns::soa_serial(self.addr, &self.zone).expect("SOA from BIND")
    }

    /// named's log so far.
    /// The zone's journal of dynamic updates (`named-journalprint` reads it):
    /// one transaction per UPDATE applied.
    pub fn journal_file(&self) -> PathBuf {
        self.dir.path().join("zone.db.jnl")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("named.log")).unwrap_or_default()
    }

    /// The process id, for tests that pause it (`SIGSTOP`) to make it slow.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stop the server now.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Bind {
    fn drop(&mut self) {
        self.stop();
    }
}

fn absolute(zone: &str) -> String {
    let z = zone.trim_end_matches('.');
    format!("{z}.")
}

fn named_binary() -> PathBuf {
    for p in ["/usr/sbin/named", "/usr/local/sbin/named"] {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    "named".into()
}

fn write_files(dir: &Path, b: &BindBuilder, port: u16) -> std::io::Result<()> {
    let d = dir.display();
    let k = &b.key;
    let zone_file = dir.join("zone.db");
    let mut conf = format!(
        "options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n  session-keyfile \"{d}/session.key\";\n  managed-keys-directory \"{d}\";\n  listen-on port {port} {{ {ip}; }};\n  listen-on-v6 {{ none; }};\n  recursion no;\n  dnssec-validation no;\n  notify {notify};\n  minimal-responses no;\n  transfer-source {ip};\n  notify-source {ip};\n}};\ncontrols {{ }};\nkey \"{name}\" {{ algorithm {alg}; secret \"{secret}\"; }};\n",
        ip = b.ip,
        notify = if b.notify.is_empty() {
            "no"
        } else {
            "explicit"
        },
        name = k.name,
        alg = k.algorithm,
        secret = k.secret,
    );
    match b.primary {
        None => {
            let also: String = b
                .notify
                .iter()
                .map(|a| format!("{} port {}; ", a.ip(), a.port()))
                .collect();
            let _ = write!(
                conf,
                "zone \"{z}\" {{\n  type primary;\n  file \"{f}\";\n  update-policy {{ {policy} }};\n  allow-transfer {{ any; }};\n{also_line}}};\n",
                z = b.zone,
                f = zone_file.display(),
                policy = b
                    .policy
                    .clone()
                    .unwrap_or_else(|| format!("grant {} zonesub ANY;", k.name)),
                also_line = if also.is_empty() {
                    String::new()
                } else {
                    format!("  also-notify {{ {also}}};\n")
                },
            );
            let mut zone = format!(
                "$ORIGIN {z}\n$TTL 300\n@ IN SOA ns1 hostmaster 1 60 30 600 5\n@ IN NS ns1\nns1 IN A 127.0.0.1\n",
                z = b.zone
            );
            for r in &b.records {
                zone.push_str(r);
                zone.push('\n');
            }
            std::fs::write(&zone_file, zone)?;
        }
        Some(p) => {
            let _ = write!(
                conf,
                "zone \"{z}\" {{\n  type secondary;\n  file \"{f}\";\n  primaries {{ {ip} port {port}{key}; }};\n  allow-notify {{ {ip}; }};\n}};\n",
                z = b.zone,
                f = zone_file.display(),
                ip = p.ip(),
                port = p.port(),
                key = if b.signed_transfers {
                    format!(" key \"{}\"", k.name)
                } else {
                    String::new()
                },
            );
        }
    }
    std::fs::write(dir.join("named.conf"), conf)
}

/// Start a secondary of `zone` without the key, transferring from
/// `primary`, and check that its transfer is REFUSED and that it serves
/// nothing at `name` (SERVFAIL); panics with its log otherwise.
pub async fn assert_unkeyed_secondary_refused(zone: &str, primary: SocketAddr, name: &str) {
    let builder = Bind::builder(zone).secondary_of(primary).without_zone();
    let secondary = tokio::task::spawn_blocking(move || builder.start())
        .await
        .expect("start BIND");
    assert!(
        crate::eventually(|| secondary.log().contains("Transfer status: REFUSED")).await,
        "BIND's transfer is refused:\n{}",
        secondary.log()
    );
    assert_eq!(
        secondary.query(name, RecordType::A).rcode,
        hickory_proto::op::ResponseCode::ServFail
    );
}
