//! The client of the peers benchmark: resolves through unbound every 100 ms,
//! fetches `/healthz` from the answer, and keeps every request's outcome.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use rtoguard_testkit::dns;

/// One request: when it ended and which region answered (None: it failed).
type Outcome = (Instant, Option<String>);

/// A client loop; stopped on drop.
pub struct Client {
    log: Arc<Mutex<Vec<Outcome>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Client {
    pub fn start(resolver: SocketAddr, port: u16) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, st) = (log.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                let next = Instant::now() + Duration::from_millis(100);
                let region = dns::query(resolver, super::NAME, RecordType::A, true)
                    .ok()
                    .and_then(|a| a.values.first().cloned())
                    .and_then(|ip| fetch_region(&ip, port));
                l.lock().expect("client log").push((Instant::now(), region));
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        });
        Self {
            log,
            stop,
            thread: Some(thread),
        }
    }

    /// The first request after `from` answered by `region`.
    pub fn first(&self, region: &str, from: Instant) -> Option<Instant> {
        let log = self.log.lock().expect("client log");
        log.iter()
            .find(|(t, r)| *t >= from && r.as_deref() == Some(region))
            .map(|(t, _)| *t)
    }

    /// Requests that failed in `from..to`.
    pub fn failed(&self, from: Instant, to: Instant) -> usize {
        let log = self.log.lock().expect("client log");
        log.iter()
            .filter(|(t, r)| *t >= from && *t < to && r.is_none())
            .count()
    }

    /// Wait up to `limit` for the first response from `region` after `from`.
    pub fn wait_first(&self, region: &str, from: Instant, limit: Duration) -> Option<Instant> {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if let Some(t) = self.first(region, from) {
                return Some(t);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// GET /healthz from `ip:port`; the `x-region` header's value, if any.
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
