//! The provider's own record of what happened: BIND's update log (who wrote what) and a poll of the served record over time.

// Test harness: polls timed on the wall clock (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;

/// One update BIND applied: the client address it came from (the relay on
/// the writer's own loopback address) and the A values it added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub client: String,
    pub added: Vec<String>,
}

/// BIND's applied updates in `log` (named's own log, in order). Its lines
/// for one request share `client @0x… ADDR#PORT`; a request whose lines
/// say "update unsuccessful" or "update failed" changed nothing (a
/// compare-and-set that lost, say) and is left out.
pub fn updates(log: &str) -> Vec<Update> {
    let mut out: Vec<(String, Update, bool)> = Vec::new();
    for line in log.lines().filter(|l| l.contains("updating zone")) {
        let Some(key) = client_key(line) else {
            continue;
        };
        let client = key
            .split_whitespace()
            .nth(2)
            .and_then(|a| a.split('#').next())
            .unwrap_or_default()
            .to_string();
        let starts_again = line.contains(": deleting")
            && out
                .last()
                .is_some_and(|(k, u, _)| *k == key && !u.added.is_empty());
        if out.last().is_none_or(|(k, _, _)| *k != key) || starts_again {
            let fresh = Update {
                client,
                added: Vec::new(),
            };
            out.push((key.clone(), fresh, true));
        }
        // Just pushed or matched above: `out` is not empty.
        let Some((_, u, ok)) = out.last_mut() else {
            continue;
        };
        if line.contains("update unsuccessful") || line.contains("update failed") {
            *ok = false;
        }
        if let Some(v) = line.split("adding an RR at ").nth(1)
            && let Some(value) = v.split(" A ").nth(1)
        {
            u.added.push(value.trim().to_string());
            u.added.sort();
        }
    }
    out.into_iter()
        .filter(|(_, u, ok)| *ok && !u.added.is_empty())
        .map(|(_, u, _)| u)
        .collect()
}

/// `client @0x… ADDR#PORT` of a named log line, the key of one request.
fn client_key(line: &str) -> Option<String> {
    let at = line.find("client @")?;
    let rest = &line[at..];
    let end = rest.find(['/', ':'])?;
    Some(rest[..end].to_string())
}

/// When a set of A values was first seen served.
pub type Change = (Instant, Vec<String>);

/// Every change of the served A values seen by polling BIND every 25 ms
/// (directly, not through any relay), with when it was first seen.
pub struct Served {
    changes: Arc<Mutex<Vec<Change>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Served {
    pub fn watch(bind: SocketAddr, name: &str) -> Self {
        let changes = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s, name) = (changes.clone(), stop.clone(), name.to_string());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                if let Ok(a) = rtoguard_testkit::dns::query(bind, &name, RecordType::A, false) {
                    let mut c = c.lock().unwrap_or_else(|e| e.into_inner());
                    if c.last().is_none_or(|(_, v)| *v != a.values) {
                        c.push((Instant::now(), a.values));
                    }
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        });
        Self {
            changes,
            stop,
            thread: Some(thread),
        }
    }

    /// The changes first seen after `since`.
    pub fn since(&self, since: Instant) -> Vec<Change> {
        let c = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        c.iter().filter(|(t, _)| *t > since).cloned().collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
