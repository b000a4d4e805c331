//! Tests of the watch against real BIND and unbound on loopback; shared helpers here.

mod client;
mod failing;
mod forged;
mod outcome;
mod secondary;
mod ttl;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hickory_proto::rr::RecordType;
use rtoguard_testkit::bind::Bind;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use super::{Server, WatchSpec};

pub const ZONE: &str = "example.test.";

/// Replace `name`'s A records at `bind` with one `ip` at `ttl`; returns when BIND accepted it.
pub async fn flip(bind: &Bind, name: &str, ttl: u32, ip: &str) -> Instant {
    flip_record(bind, name, ttl, "A", ip).await
}

/// Replace `name`'s `rtype` records at `bind` with one `value` at `ttl`,
/// through a TSIG-signed RFC 2136 update sent by `nsupdate`.
pub async fn flip_record(bind: &Bind, name: &str, ttl: u32, rtype: &str, value: &str) -> Instant {
    let script = format!(
        "server {} {}\nzone {}\nupdate delete {name} {rtype}\nupdate add {name} {ttl} {rtype} {value}\nsend\n",
        bind.addr.ip(),
        bind.addr.port(),
        bind.zone
    );
    let key = format!(
        "{}:{}:{}",
        bind.key.algorithm, bind.key.name, bind.key.secret
    );
    let mut child = tokio::process::Command::new("nsupdate")
        .arg("-y")
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nsupdate (Debian package bind9-dnsutils)");
    let mut stdin = child.stdin.take().expect("nsupdate stdin");
    stdin
        .write_all(script.as_bytes())
        .await
        .expect("write the update");
    drop(stdin);
    let out = child.wait_with_output().await.expect("nsupdate ends");
    assert!(
        out.status.success(),
        "nsupdate failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        bind.log()
    );
    Instant::now()
}

/// Sleep until late in a wall-clock second. unbound counts TTLs in whole
/// seconds and serves a record through its TTL-0 second, so a copy cached at
/// `S + f` (S whole) lives until `S + 1 + TTL`: up to a second past `cached +
/// TTL`. Caching at `f` ≈ 0.75 keeps that slack near 0.25 s (with room for
/// a slow query before the second turns), so a prediction from the change
/// time can be compared within a second.
pub async fn align_late_in_second() {
    let sub = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .subsec_millis();
    let wait = (1_750 - sub) % 1_000;
    tokio::time::sleep(Duration::from_millis(u64::from(wait))).await;
}

/// Ask `resolver` (RD=1) so it caches `name`; returns the values and TTL it gave.
pub async fn prime(resolver: SocketAddr, name: &str) -> (Vec<String>, u32) {
    let name = name.to_string();
    let a = tokio::task::spawn_blocking(move || {
        rtoguard_testkit::dns::query(resolver, &name, RecordType::A, true)
    })
    .await
    .expect("query task")
    .expect("resolver answers");
    (a.values, a.ttl)
}

pub fn server(name: &str, addr: SocketAddr) -> Server {
    Server {
        name: name.to_string(),
        addr,
    }
}

/// A watch of `name`/A for `ip`, started at `start`, with a generous deadline.
pub fn spec(name: &str, ip: &str, start: Instant) -> WatchSpec {
    let mut s = WatchSpec::new(name, RecordType::A, &[ip], ZONE);
    s.start = start;
    s.deadline = Duration::from_secs(90);
    s
}

/// Send `signal` (`STOP`, `CONT`) to a process the test started.
pub fn signal(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -{signal} {pid} failed");
}
