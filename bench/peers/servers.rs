//! The peers as authorities on loopback: PowerDNS (bind backend, a LUA
//! `ifurlup` record) and gdnsd (`http_status` + `simplefo`), from the
//! templates in `bench/peers/`, each in a temporary directory, killed on drop.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use rtoguard_testkit::dns;
use rtoguard_testkit::net::{free_port, lo};
use tempfile::TempDir;

const PDNS_CONF: &str = include_str!("pdns.conf");
const PDNS_NAMED: &str = include_str!("named.conf");
const PDNS_ZONE: &str = include_str!("pdns.zone");
const GDNSD_CONFIG: &str = include_str!("gdnsd.config");
const GDNSD_ZONE: &str = include_str!("gdnsd.zone");

/// Which peer.
#[derive(Clone, Copy)]
pub enum Kind {
    PowerDns,
    Gdnsd,
}

/// A running peer authority for `example.test.`.
pub struct Peer {
    pub addr: SocketAddr,
    child: Child,
    dir: TempDir,
}

impl Peer {
    /// Start `kind` on a free port of 127.0.0.1, checking the regions'
    /// `/healthz` on `http_port`; waits until it answers for the zone.
    pub fn start(kind: Kind, http_port: u16) -> Self {
        let mut last = String::new();
        for _ in 0..5 {
            match Self::try_start(kind, http_port) {
                Ok(p) => return p,
                Err(e) => last = e,
            }
        }
        panic!("the peer did not start:\n{last}");
    }

    fn try_start(kind: Kind, http_port: u16) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("rtoguard-peer")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let addr = SocketAddr::new(lo(1), free_port(lo(1)));
        let fill = |t: &str| {
            t.replace("@DIR@", &dir.path().display().to_string())
                .replace("@IP@", &addr.ip().to_string())
                .replace("@PORT@", &addr.port().to_string())
                .replace("@HTTP@", &http_port.to_string())
        };
        let d = dir.path();
        let mut cmd = match kind {
            Kind::PowerDns => {
                write(d, "pdns.conf", &fill(PDNS_CONF))?;
                write(d, "named.conf", &fill(PDNS_NAMED))?;
                write(d, "example.test.zone", &fill(PDNS_ZONE))?;
                let mut c = Command::new("pdns_server");
                c.arg(format!("--config-dir={}", d.display()));
                c
            }
            Kind::Gdnsd => {
                std::fs::create_dir_all(d.join("zones")).map_err(|e| e.to_string())?;
                write(d, "config", &fill(GDNSD_CONFIG))?;
                write(d, "zones/example.test", &fill(GDNSD_ZONE))?;
                let mut c = Command::new("gdnsd");
                c.arg("-c").arg(d).arg("start");
                c
            }
        };
        let log = std::fs::File::create(d.join("peer.log")).map_err(|e| e.to_string())?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run the peer ({e}); bench/run installs it"))?;
        let mut p = Self { addr, child, dir };
        p.wait_ready()?;
        Ok(p)
    }

    /// Until the zone's record is answered (15 s), or the process exits.
    fn wait_ready(&mut self) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}:\n{}", self.log()));
            }
            if dns::query(self.addr, super::NAME, RecordType::A, false)
                .is_ok_and(|a| !a.values.is_empty())
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("no answer on {}:\n{}", self.addr, self.log()))
    }

    /// What the peer has logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("peer.log")).unwrap_or_default()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    std::fs::write(dir.join(name), text).map_err(|e| format!("write {name}: {e}"))
}
