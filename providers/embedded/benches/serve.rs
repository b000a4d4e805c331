//! Benchmark: the embedded authoritative server. The server runs on one
//! core (a current-thread runtime on its own thread) on 127.0.0.1; a client
//! thread keeps CLIENTS (default 16) UDP queries in flight for SECS (default
//! 5) seconds, each one answered before the next (closed loop), and prints
//! queries per second and the p50 / p99 / max answer latency. Then the
//! write: WRITES (default 2000) compare-and-set swaps through the provider,
//! in memory only and with the state file kept (synced and renamed), with
//! their min / p50 / p99 / max.
//!
//! Run: `cargo bench -p rtoguard-embedded --bench serve`. Wall-clock figures: on a loaded
//! machine they are noisy, compare runs on one machine only.

// Benchmarks measure wall-clock time (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType as Wire};
use rtoguard_embedded::{
    Embedded, EmbeddedProvider, EmbeddedSettings, NameServer, StaticRecord, ZoneSettings,
};
use rtoguard_provider_api::{Change, Provider, RecordSet, RecordType};

const ZONE: &str = "gslb.example.test.";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn settings(state_file: Option<std::path::PathBuf>) -> EmbeddedSettings {
    EmbeddedSettings {
        name: "bench".into(),
        listen: vec!["127.0.0.1:0".parse().expect("an address")],
        rate_limit: 0,
        state_file,
        zones: vec![ZoneSettings {
            name: ZONE.into(),
            hostmaster: "hostmaster".into(),
            ttl: 3600,
            negative_ttl: 60,
            name_servers: vec![NameServer {
                name: "ns1".into(),
                addresses: vec!["127.0.0.1".parse().expect("an address")],
            }],
            records: vec![StaticRecord {
                name: "www".into(),
                rtype: "A".into(),
                ttl: 5,
                values: vec!["192.0.2.10".into(), "192.0.2.11".into()],
            }],
            transfer: None,
            zone_file: None,
        }],
    }
}

/// Start the server on a runtime of its own (one thread); the handle keeps it.
fn serve(
    state_file: Option<std::path::PathBuf>,
) -> (
    Arc<Embedded>,
    std::thread::JoinHandle<()>,
    tokio::sync::oneshot::Sender<()>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let server = Embedded::start(&settings(state_file))
                .await
                .expect("the server starts");
            tx.send(server.clone()).expect("send");
            let _ = stopped.await;
            server.stop().await;
        });
    });
    let server = rx.recv().expect("the server");
    (server, handle, stop)
}

/// The sorted latencies of every answer, and the queries per second.
fn load(addr: SocketAddr, clients: usize, secs: u64) -> (Vec<Duration>, f64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let end = Instant::now() + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for i in 0..clients {
            tasks.push(tokio::spawn(async move {
                let sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                sock.connect(addr).await.expect("connect");
                let mut lat = Vec::new();
                let mut buf = vec![0u8; 1500];
                let mut id = (i as u16) << 10;
                while Instant::now() < end {
                    id = id.wrapping_add(1);
                    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
                    m.add_query(Query::query(
                        Name::from_ascii("www.gslb.example.test.").expect("a name"),
                        Wire::A,
                    ));
                    let bytes = m.to_vec().expect("encode");
                    let t = Instant::now();
                    sock.send(&bytes).await.expect("send");
                    match tokio::time::timeout(Duration::from_secs(1), sock.recv(&mut buf)).await {
                        Ok(Ok(n)) if n >= 2 && buf[..2] == id.to_be_bytes() => {
                            lat.push(t.elapsed())
                        }
                        _ => {}
                    }
                }
                lat
            }));
        }
        let start = Instant::now();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("client"));
        }
        let qps = all.len() as f64 / start.elapsed().as_secs_f64();
        all.sort();
        (all, qps)
    })
}

fn pct(v: &[Duration], p: f64) -> Duration {
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn show(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Time `n` compare-and-set swaps through the provider, flipping between two values.
fn writes(server: Arc<Embedded>, n: u64) -> Vec<Duration> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let p = EmbeddedProvider::new(server);
        let set = |v: &str| RecordSet::new("www.gslb.example.test.", RecordType::A, 5, [v]);
        let mut current = p
            .read(ZONE, "www.gslb.example.test.", RecordType::A)
            .await
            .expect("read");
        let mut out = Vec::new();
        for i in 0..n {
            let want = vec![set(if i % 2 == 0 {
                "198.51.100.1"
            } else {
                "198.51.100.2"
            })];
            let change = Change::new(
                "www.gslb.example.test.",
                RecordType::A,
                current,
                want.clone(),
            )
            .expect("a change");
            let t = Instant::now();
            p.apply(ZONE, &change).await.expect("the swap");
            out.push(t.elapsed());
            current = want;
        }
        out.sort();
        out
    })
}

fn main() {
    let clients = env("CLIENTS", 16) as usize;
    let secs = env("SECS", 5);
    let n = env("WRITES", 2000);
    let (server, handle, stop) = serve(None);
    let addr = server.addrs()[0];
    let (lat, qps) = load(addr, clients, secs);
    println!(
        "embedded server, one core, {clients} UDP clients in a closed loop for {secs}s on loopback:"
    );
    println!(
        "  {qps:.0} queries/s answered ({} answers); latency p50 {}  p99 {}  max {}",
        lat.len(),
        show(pct(&lat, 0.5)),
        show(pct(&lat, 0.99)),
        show(*lat.last().expect("answers"))
    );
    let w = writes(server.clone(), n);
    println!(
        "write (compare-and-set swap), in memory, {n} swaps: min {}  p50 {}  p99 {}  max {}",
        show(w[0]),
        show(pct(&w, 0.5)),
        show(pct(&w, 0.99)),
        show(*w.last().expect("writes"))
    );
    let _ = stop.send(());
    let _ = handle.join();
    let dir = tempfile::tempdir().expect("tempdir");
    let (kept, handle, stop) = serve(Some(dir.path().join("embedded-bench.json")));
    let w = writes(kept, n.min(500));
    println!(
        "write with the state file kept (fsync + rename), {} swaps: min {}  p50 {}  p99 {}  max {}",
        w.len(),
        show(w[0]),
        show(pct(&w, 0.5)),
        show(pct(&w, 0.99)),
        show(*w.last().expect("writes"))
    );
    let _ = stop.send(());
    let _ = handle.join();
}
