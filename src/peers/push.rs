//! Pushed observations: a long-poll on `GET /v1/observations`. A peer that
//! sends `?after=<version>&wait=<ms>` is answered as soon as this vantage's
//! observations differ from that version (a pool's health, an endpoint's
//! state, failing or local fault), or when the wait runs out, whichever
//! comes first. The answer carries its version (`x-rtoguard-version`) and
//! how long it was held (`x-rtoguard-waited-ms`, so clock skew is measured
//! from the answer, not the request). A peer without these headers is an
//! older one: it is pulled at the interval as before.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Observations;

/// The header with the answer's version.
pub const VERSION_HEADER: &str = "x-rtoguard-version";
/// The header with how long the answer was held, in ms.
pub const WAITED_HEADER: &str = "x-rtoguard-waited-ms";
/// The longest a request is held: well inside every timeout on the way.
pub const MAX_WAIT: Duration = Duration::from_secs(25);
/// The least time between two long-polls to one peer, so a peer whose
/// observations change at every probe is not asked in a tight loop.
pub const MIN_GAP: Duration = Duration::from_millis(10);

/// One answer as the puller reads it.
#[derive(Debug)]
pub struct Answer {
    pub obs: Observations,
    /// The answer's version, when the peer holds long-polls.
    pub version: Option<String>,
    /// How long the peer held the request, in ms.
    pub waited_ms: i64,
}

/// Make `req` a long-poll past `version`, held up to `wait` (at most
/// [`MAX_WAIT`]), with `timeout` for the answer on top.
pub fn long_poll(
    req: reqwest::RequestBuilder,
    version: &str,
    wait: Duration,
    timeout: Duration,
) -> reqwest::RequestBuilder {
    let wait = wait.min(MAX_WAIT);
    let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    req.query(&[("after", version), ("wait", &ms.to_string())])
        .timeout(wait + timeout)
}

/// The version and the time held an answer says, if the peer holds
/// long-polls (an older one sends neither).
pub fn held(headers: &reqwest::header::HeaderMap) -> (Option<String>, i64) {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let version = text(VERSION_HEADER)
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .map(str::to_string);
    let waited = text(WAITED_HEADER)
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0)
        .clamp(0, i64::try_from(MAX_WAIT.as_millis()).unwrap_or(i64::MAX));
    (version, waited)
}

/// What a peer asked to wait for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Wait {
    pub after: Option<String>,
    pub wait: Option<Duration>,
}

impl Wait {
    /// Read `after` and `wait` from a query string; anything else, or a
    /// value that does not parse, is ignored (the peer gets an answer now).
    pub fn parse(query: Option<&str>) -> Self {
        let mut w = Wait::default();
        for pair in query.unwrap_or("").split('&') {
            match pair.split_once('=') {
                Some(("after", v)) if !v.is_empty() && v.len() <= 64 => {
                    w.after = Some(v.to_string())
                }
                Some(("wait", v)) => w.wait = v.parse::<u64>().ok().map(Duration::from_millis),
                _ => {}
            }
        }
        w
    }
}

/// The version of what a peer acts on: every pool's health and every
/// endpoint's state, failing flag and local fault (not the times, which
/// move with every probe), and each service's last write and served
/// decision (so a flip reaches the peers at once: they adopt it).
pub fn version(obs: &Observations) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    obs.vantage.hash(&mut h);
    obs.config_digest.hash(&mut h);
    for s in &obs.services {
        s.service.hash(&mut h);
        if let Some(w) = &s.last_write {
            (&w.pool, w.at_ms).hash(&mut h);
        }
        if let Some(d) = &s.served {
            (&d.pool, d.at_ms, &d.by).hash(&mut h);
        }
        for p in &s.pools {
            p.pool.hash(&mut h);
            p.health.to_string().hash(&mut h);
            for e in &p.endpoints {
                e.endpoint.hash(&mut h);
                (e.state as u8, e.failing, e.local.is_some()).hash(&mut h);
            }
        }
    }
    format!("{:016x}", h.finish())
}

/// The observations to answer with, and how long the request was held:
/// at once without a version to wait past (or once it differs), else when
/// they change, the wait runs out, or the server stops.
pub async fn answer(
    mut rx: watch::Receiver<Observations>,
    w: Wait,
    stop: &CancellationToken,
) -> (Observations, Duration) {
    let start = Instant::now();
    let (Some(after), Some(wait)) = (w.after, w.wait) else {
        return (rx.borrow_and_update().clone(), Duration::ZERO);
    };
    let deadline = start + wait.min(MAX_WAIT);
    loop {
        if version(&rx.borrow_and_update()) != after {
            break;
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep_until(deadline) => break,
            changed = rx.changed() => {
                if changed.is_err() {
                    // No more publishing (a reload swapped it): hold to the
                    // deadline rather than answer a tight loop.
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = tokio::time::sleep_until(deadline) => {}
                    }
                    break;
                }
            }
        }
    }
    let obs = rx.borrow().clone();
    let held_ms = start.elapsed().as_millis();
    tracing::debug!(held_ms, "Long-poll answered.");
    (obs, start.elapsed())
}
