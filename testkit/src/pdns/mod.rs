//! PowerDNS Authoritative (`pdns_server`) started in a temporary directory on
//! loopback with the gsqlite3 backend and the HTTP API on, authoritative for
//! one zone created through that API.

mod http;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use serde_json::{Value, json};

pub use http::http;
use http::rrset;
use tempfile::TempDir;

use crate::dns::{self, Answer};
use crate::net;

/// Where Debian's pdns-backend-sqlite3 puts the schema.
const SCHEMA: &str = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";

/// A running `pdns_server`; killed on drop.
#[derive(Debug)]
pub struct Pdns {
    /// The DNS port (UDP and TCP).
    pub addr: SocketAddr,
    /// The API root, `http://127.0.0.1:PORT/api/v1`.
    pub api_url: String,
    pub api_key: String,
    /// Absolute, `example.test.`.
    pub zone: String,
    web: SocketAddr,
    dir: TempDir,
    child: Option<Child>,
}

impl Pdns {
    /// A server on 127.0.0.1 for `zone` holding `rrsets`:
    /// `("www", "A", 300, &["127.0.0.2"])`, names relative to the zone.
    pub fn start(zone: &str, rrsets: &[(&str, &str, u32, &[&str])]) -> Self {
        Self::start_on(net::lo(1), zone, rrsets)
    }

    /// [`Pdns::start`] with the DNS port on `ip`.
    pub fn start_on(ip: IpAddr, zone: &str, rrsets: &[(&str, &str, u32, &[&str])]) -> Self {
        Self::start_with(ip, zone, rrsets, None)
    }

    /// A primary (`primary=yes`, the zone of kind `Master`) that sends NOTIFY
    /// to `secondary` (a secondary started after it). Left alone it checks
    /// for changed serials every `xfr-cycle-interval` (its default, 60 s).
    pub fn start_primary(
        zone: &str,
        rrsets: &[(&str, &str, u32, &[&str])],
        secondary: SocketAddr,
    ) -> Self {
        Self::start_with(net::lo(1), zone, rrsets, Some(secondary))
    }

    fn start_with(
        ip: IpAddr,
        zone: &str,
        rrsets: &[(&str, &str, u32, &[&str])],
        notify: Option<SocketAddr>,
    ) -> Self {
        let zone = absolute(zone);
        let mut last = String::new();
        for _ in 0..5 {
            match Self::try_start(ip, &zone, notify) {
                Ok(p) => {
                    p.create_zone(rrsets, notify.is_some());
                    return p;
                }
                Err(log) => last = log,
            }
        }
        panic!("pdns_server did not start:\n{last}");
    }

    fn try_start(ip: IpAddr, zone: &str, notify: Option<SocketAddr>) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("rtoguard-pdns")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let addr = SocketAddr::new(ip, net::free_port(ip));
        let web = SocketAddr::new(net::lo(1), net::free_port(net::lo(1)));
        let api_key = crate::random_secret();
        write_files(dir.path(), addr, web, &api_key, notify)?;
        let log = std::fs::File::create(dir.path().join("pdns.log")).map_err(|e| e.to_string())?;
        let child = Command::new(pdns_binary())
            .arg(format!("--config-dir={}", dir.path().display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                format!("cannot run pdns_server ({e}); install pdns-server and pdns-backend-sqlite3 (scripts/test does)")
            })?;
        let mut p = Self {
            addr,
            api_url: format!("http://{web}/api/v1"),
            api_key,
            zone: zone.to_string(),
            web,
            dir,
            child: Some(child),
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Some(status) = p.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("pdns_server exited with {status}:\n{}", p.log()));
            }
            if p.try_api("GET", "/servers/localhost", None)
                .is_ok_and(|(s, _)| s == 200)
            {
                return Ok(p);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "pdns_server's API did not answer on {web}:\n{}",
            p.log()
        ))
    }

    fn create_zone(&self, rrsets: &[(&str, &str, u32, &[&str])], primary: bool) {
        let rrsets: Vec<Value> = rrsets
            .iter()
            .map(|(name, rtype, ttl, values)| rrset(&self.fqdn(name), rtype, *ttl, values))
            .collect();
        let body = json!({
            "name": self.zone, "kind": if primary { "Master" } else { "Native" },
            "nameservers": [format!("ns1.{}", self.zone)], "rrsets": rrsets,
        });
        let (status, text) = self.api("POST", "/servers/localhost/zones", Some(&body));
        assert_eq!(
            status,
            201,
            "creating {}: {text}\n{}",
            self.zone,
            self.log()
        );
        let start = Instant::now();
        while dns::soa_serial(self.addr, &self.zone).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no SOA on {}:\n{}",
                self.addr,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `name` relative to the zone (`www`, `@`) made absolute.
    pub fn fqdn(&self, name: &str) -> String {
        match name {
            "@" | "" => self.zone.clone(),
            n if n.ends_with('.') => n.to_string(),
            n => format!("{n}.{}", self.zone),
        }
    }

    /// The API's HTTP address (for a relay in front of it).
    pub fn web_addr(&self) -> SocketAddr {
        self.web
    }

    /// Write the API key to a file (for `api_key_file`) and return its path.
    pub fn key_file(&self) -> PathBuf {
        let p = self.dir.path().join("pdns-api.key");
        std::fs::write(&p, format!("{}\n", self.api_key)).expect("write key file");
        p
    }

    /// Replace the rrset at `name` (relative) through the API, as a rival
    /// writer or an operator would.
    pub fn replace(&self, name: &str, rtype: &str, ttl: u32, values: &[&str]) {
        let mut set = rrset(&self.fqdn(name), rtype, ttl, values);
        set["changetype"] = json!("REPLACE");
        let path = format!("/servers/localhost/zones/{}", self.zone);
        let (status, text) = self.api("PATCH", &path, Some(&json!({ "rrsets": [set] })));
        assert_eq!(status, 204, "PATCH {name}: {text}");
    }

    /// One request to the API with the right key: the status and the body.
    pub fn api(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
        self.try_api(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.log()))
    }

    fn try_api(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, String)> {
        http(
            self.web,
            method,
            &format!("/api/v1{path}"),
            &self.api_key,
            body,
        )
    }

    /// Ask the DNS port directly, without recursion.
    pub fn query(&self, name: &str, rtype: RecordType) -> Answer {
        dns::query(self.addr, &self.fqdn(name), rtype, false).expect("query PowerDNS")
    }

    /// The zone's SOA serial on the DNS port.
    pub fn serial(&self) -> u32 {
        dns::soa_serial(self.addr, &self.zone).expect("SOA from PowerDNS")
    }

    /// pdns_server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pdns.log")).unwrap_or_default()
    }

    /// Stop the server now.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Pdns {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_files(
    dir: &Path,
    addr: SocketAddr,
    web: SocketAddr,
    key: &str,
    notify: Option<SocketAddr>,
) -> Result<(), String> {
    let db = dir.join("pdns.sqlite3");
    let schema = std::fs::read_to_string(SCHEMA)
        .map_err(|e| format!("{SCHEMA}: {e}; install pdns-backend-sqlite3 (scripts/test does)"))?;
    let conn = rusqlite::Connection::open(&db).map_err(|e| e.to_string())?;
    conn.execute_batch(&schema).map_err(|e| e.to_string())?;
    drop(conn);
    let conf = format!(
        "launch=gsqlite3\ngsqlite3-database={db}\nlocal-address={ip}\nlocal-port={port}\n\
         api=yes\napi-key={key}\nwebserver=yes\nwebserver-address={wip}\nwebserver-port={wport}\n\
         webserver-allow-from=127.0.0.0/8\nsecurity-poll-suffix=\nguardian=no\ndaemon=no\n\
         socket-dir={d}\ndistributor-threads=1\nreceiver-threads=1\nlog-dns-queries=no\n\
         loglevel=4\n",
        db = db.display(),
        ip = addr.ip(),
        port = addr.port(),
        wip = web.ip(),
        wport = web.port(),
        d = dir.display(),
    );
    let conf = match notify {
        None => conf,
        Some(to) => format!("{conf}primary=yes\nalso-notify={to}\n"),
    };
    std::fs::write(dir.join("pdns.conf"), conf).map_err(|e| e.to_string())
}

fn absolute(zone: &str) -> String {
    format!("{}.", zone.trim_end_matches('.'))
}

fn pdns_binary() -> PathBuf {
    for p in ["/usr/sbin/pdns_server", "/usr/local/sbin/pdns_server"] {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    "pdns_server".into()
}
