//! An HTTP "region" on a loopback address: answers every path with its
//! marker header (`x-region: NAME`) and body (`region NAME`). It can be made
//! to fail (a status code, or a share of requests) or stopped and started
//! again on the same address.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tokio::sync::oneshot;

use crate::net;

#[derive(Debug, Default)]
struct Shared {
    name: String,
    /// 0 = healthy (200); otherwise this status is returned.
    status: AtomicU16,
    /// Share of requests answered 503, in millionths.
    fail_ppm: AtomicU32,
    requests: AtomicU64,
    /// Source addresses whose connections are closed unanswered.
    blocked: Mutex<HashSet<IpAddr>>,
    /// Set from the moment `stop` is called: a connection accepted while
    /// the server shuts down is closed unanswered, so nothing is served
    /// after the stop began (a close it causes once drew a 200).
    stopping: AtomicBool,
}

/// A running region; stopped on drop.
#[derive(Debug)]
pub struct Region {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Region {
    /// Start region `name` on `ip` at a free port.
    pub fn start(ip: IpAddr, name: &str) -> Self {
        Self::start_at(SocketAddr::new(ip, net::free_port(ip)), name)
    }

    /// Start region `name` on `addr`.
    pub fn start_at(addr: SocketAddr, name: &str) -> Self {
        let shared = Arc::new(Shared {
            name: name.to_string(),
            ..Shared::default()
        });
        let mut r = Self {
            addr,
            shared,
            stop: None,
            thread: None,
        };
        r.resume();
        r
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// `http://ADDR` of this region.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answer every request with `status` (200 makes it healthy again).
    pub fn set_status(&self, status: u16) {
        self.shared
            .status
            .store(if status == 200 { 0 } else { status }, Ordering::SeqCst);
    }

    /// Answer this share (0.0–1.0) of requests with 503, at random.
    pub fn set_failure_ratio(&self, ratio: f64) {
        self.shared
            .fail_ppm
            .store((ratio.clamp(0.0, 1.0) * 1e6) as u32, Ordering::SeqCst);
    }

    /// Close connections from `source` without answering (a vantage that
    /// cannot reach this region) until [`Region::unblock_source`].
    pub fn block_source(&self, source: IpAddr) {
        self.blocked().insert(source);
    }

    /// Answer connections from `source` again.
    pub fn unblock_source(&self, source: IpAddr) {
        self.blocked().remove(&source);
    }

    fn blocked(&self) -> std::sync::MutexGuard<'_, HashSet<IpAddr>> {
        // A poisoned set is still a set: a panic elsewhere must not hide it.
        self.shared
            .blocked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Close the listener: connections are refused until [`Region::resume`].
    pub fn stop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Listen again on the same address.
    pub fn resume(&mut self) {
        if self.thread.is_some() {
            return;
        }
        self.shared.stopping.store(false, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let shared = self.shared.clone();
        let addr = self.addr;
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = bind_retry(addr).await;
                let _ = ready_tx.send(());
                let app = Router::new().fallback(handle).with_state(shared.clone());
                let listener = Filtered { listener, shared };
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("region listening");
        self.stop = Some(tx);
        self.thread = Some(thread);
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A listener that closes connections from blocked sources unanswered.
struct Filtered {
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
}

impl axum::serve::Listener for Filtered {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, peer) = axum::serve::Listener::accept(&mut self.listener).await;
            let blocked = self
                .shared
                .blocked
                .lock()
                .map(|b| b.contains(&peer.ip()))
                .unwrap_or(false);
            if !blocked && !self.shared.stopping.load(Ordering::SeqCst) {
                return (io, peer);
            }
            drop(io);
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

async fn bind_retry(addr: SocketAddr) -> tokio::net::TcpListener {
    for _ in 0..100 {
        if let Ok(l) = tokio::net::TcpListener::bind(addr).await {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot listen on {addr}");
}

async fn handle(State(s): State<Arc<Shared>>) -> impl IntoResponse {
    s.requests.fetch_add(1, Ordering::SeqCst);
    let status = s.status.load(Ordering::SeqCst);
    let fail = s.fail_ppm.load(Ordering::SeqCst);
    let code = if status != 0 {
        StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
    } else if fail > 0 && rand::random_range(0..1_000_000) < fail {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        code,
        [
            ("x-region", s.name.clone()),
            ("connection", "close".to_string()),
        ],
        format!("region {}\n", s.name),
    )
}
