//! Client reach: HTTP(S) requests through the address one resolver hands out, until the new pool's marker comes back.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Name, Resolve, Resolving};
use reqwest::{Client, Url};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{debug, info};

use super::track::Shared;
use super::{ClientCheck, Marker, Progress, PropagationError};

/// How long one client request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// What one request showed.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    NewPool,
    OldPool,
    Failed(String),
}

/// The URL's host and port, checked up front so a bad URL is reported once.
pub fn target(url: &str) -> Result<(Url, String, u16), PropagationError> {
    let bad = || PropagationError::ClientUrl(url.to_string());
    let u = Url::parse(url).map_err(|_| bad())?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad());
    }
    let host = u.host_str().ok_or_else(bad)?.to_string();
    let port = u.port_or_known_default().ok_or_else(bad)?;
    Ok((u, host, port))
}

/// Request the client URL through resolver `i`'s latest answer until the new
/// pool answers.
pub async fn run(
    ctx: Shared,
    i: usize,
    check: ClientCheck,
    mut addrs: watch::Receiver<Vec<IpAddr>>,
) {
    let Ok((url, host, port)) = target(&check.url) else {
        return;
    };
    let path = ctx.board().resolvers[i].server.name.clone();
    let limiter = ctx.limiter();
    let mut clients: HashMap<IpAddr, Client> = HashMap::new();
    while ctx.pace(&limiter).await {
        let ip = addrs.borrow_and_update().first().copied();
        let Some(ip) = ip else {
            // Nothing to connect to yet: wait for the resolver's first answer.
            tokio::select! {
                _ = ctx.cancel.cancelled() => return,
                r = addrs.changed() => if r.is_err() { ctx.cancel.cancelled().await; return },
            }
            continue;
        };
        let to = SocketAddr::new(ip, port);
        let seen = match client_for(&mut clients, &host, to) {
            Ok(c) => tokio::select! {
                _ = ctx.cancel.cancelled() => return,
                s = request(c, &url, &check) => s,
            },
            Err(e) => Seen::Failed(e.to_string()),
        };
        if record(&ctx, i, &path, to, seen) {
            return;
        }
    }
}

/// Note one request's result; true when the new pool has been reached.
fn record(ctx: &Shared, i: usize, path: &str, to: SocketAddr, seen: Seen) -> bool {
    let now = Instant::now();
    let (failed, old_pool) = {
        let mut b = ctx.board();
        let c = &mut b.clients[i];
        c.requests += 1;
        c.last_addr = Some(to);
        match seen {
            Seen::NewPool => c.reached = Some(now),
            Seen::OldPool => c.old_pool += 1,
            Seen::Failed(why) => {
                debug!(resolver = path, %to, reason = why.as_str(), "Client request failed.");
                c.failed += 1;
                c.last_error = Some(why);
            }
        }
        if c.reached.is_none() {
            return false;
        }
        (c.failed, c.old_pool)
    };
    let elapsed = ctx.elapsed(now);
    info!(resolver = path, %to, elapsed_ms = elapsed.as_millis() as u64, failed, old_pool, "Client reached the new pool.");
    ctx.report(Progress::Client {
        resolver: path.to_string(),
        elapsed,
        failed,
        old_pool,
    });
    true
}

fn client_for<'a>(
    clients: &'a mut HashMap<IpAddr, Client>,
    host: &str,
    to: SocketAddr,
) -> Result<&'a Client, PropagationError> {
    match clients.entry(to.ip()) {
        Entry::Occupied(e) => Ok(e.into_mut()),
        Entry::Vacant(e) => {
            // Err only means a provider was installed already, which is what we need.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let c = Client::builder()
                .no_proxy()
                .resolve(host, to)
                .dns_resolver(Arc::new(NoSystemResolver))
                .timeout(REQUEST_TIMEOUT)
                .build()
                .map_err(|e| PropagationError::Http(e.to_string()))?;
            Ok(e.insert(c))
        }
    }
}

async fn request(client: &Client, url: &Url, check: &ClientCheck) -> Seen {
    let resp = match client.get(url.clone()).send().await {
        Ok(r) => r,
        Err(e) => return Seen::Failed(format!("request: {e}")),
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = if needs_body(check) {
        resp.text().await.unwrap_or_default()
    } else {
        String::new()
    };
    let carries = |m: &Marker| match m {
        Marker::Header { name, value } => headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == value),
        Marker::Body(s) => body.contains(s.as_str()),
    };
    if check.old_marker.as_ref().is_some_and(carries) {
        Seen::OldPool
    } else if !status.is_success() {
        Seen::Failed(format!("status {status}"))
    } else if carries(&check.marker) {
        Seen::NewPool
    } else {
        // A success without the new pool's marker was served, by a pool
        // that is not the new one: the old pool's answer, not a failure
        // (the old pool's marker may be unknown, or it carries none).
        Seen::OldPool
    }
}

fn needs_body(check: &ClientCheck) -> bool {
    let body = |m: &Marker| matches!(m, Marker::Body(_));
    body(&check.marker) || check.old_marker.as_ref().is_some_and(body)
}

/// Refuses every name: the client may only connect where the watched resolver pointed it.
#[derive(Debug)]
struct NoSystemResolver;

impl Resolve for NoSystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let name = name.as_str().to_string();
        Box::pin(async move {
            Err(format!("{name}: only the watched resolver's answer is used").into())
        })
    }
}
