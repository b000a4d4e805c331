//! Pulls every peer's observations (long-polls a peer that holds them, else at the probe interval); keeps the last good ones and the last error.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use super::{Observations, PeerError};
use crate::config::{self, Config, Secret};

/// The most an answer may weigh.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// One peer to pull from, its token read.
#[derive(Debug, Clone)]
pub struct PeerSpec {
    pub id: String,
    /// The base URL, e.g. `https://rtoguard.eu-west-1.example.net:9420`.
    pub url: String,
    pub token: Secret,
    /// PEM file of the only CA trusted for this peer (else the system roots).
    pub ca_file: Option<PathBuf>,
    /// Beyond this clock skew the peer is stale.
    pub max_clock_skew: Duration,
}

impl PeerSpec {
    /// The peer as configured, its token read now.
    pub fn from_config(p: &config::Peer) -> Result<Self, PeerError> {
        Ok(Self {
            id: p.id.clone(),
            url: p.url.clone(),
            token: p.token.read().map_err(PeerError::Setup)?,
            ca_file: p.ca_file.clone(),
            max_clock_skew: p.max_clock_skew,
        })
    }
}

/// What is known about one peer now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerView {
    pub id: String,
    /// When the last good observations arrived (local clock).
    pub last_ok: Option<Instant>,
    /// The same moment on the wall clock, for the metric: taken once when
    /// the pull succeeds, so it holds still until the next one.
    pub last_ok_wall: Option<std::time::SystemTime>,
    /// The last pull's error; None once a pull succeeds again.
    pub last_error: Option<String>,
    /// The last good observations.
    pub obs: Option<Observations>,
    /// Its clock minus ours at the last good pull, in ms (see `skew`).
    pub skew_ms: Option<i64>,
    /// Beyond this skew its observations are stale.
    pub max_clock_skew: Duration,
}

/// Every peer's latest observations, pulled in the background.
#[derive(Debug, Clone)]
pub struct PeerSet {
    views: Arc<Mutex<Vec<PeerView>>>,
    /// Bumped when a peer says something new (see [`PeerSet::news`]).
    news: Arc<watch::Sender<u64>>,
    tracker: TaskTracker,
}

impl PeerView {
    /// How long ago the last good observations arrived.
    pub fn age(&self, now: Instant) -> Option<Duration> {
        self.last_ok.map(|at| now.saturating_duration_since(at))
    }

    /// Keep good observations that arrived at `at`, and measure the peer's
    /// clock skew from `wall` (our clock when the pull was sent and answered).
    pub fn accept(&mut self, obs: Observations, at: Instant, wall: (i64, i64)) {
        let skew = super::skew::clock_skew_ms(obs.peer_clock_ms(), wall.0, wall.1);
        super::skew::raise(&self.id, self.skew_ms, skew, self.max_clock_skew);
        self.skew_ms = Some(skew);
        self.last_ok = Some(at);
        self.last_ok_wall = Some(std::time::SystemTime::now());
        self.obs = Some(obs);
    }

    /// True unless its clock was measured beyond `max_clock_skew`.
    pub fn clock_ok(&self) -> bool {
        super::skew::within(self.skew_ms, self.max_clock_skew)
    }

    /// The peer as `rtoguard status` shows it.
    pub fn status(&self, now: Instant) -> PeerStatus {
        let obs = self.obs.as_ref();
        PeerStatus {
            id: self.id.clone(),
            age_ms: self
                .age(now)
                .map(|a| u64::try_from(a.as_millis()).unwrap_or(u64::MAX)),
            last_error: self.last_error.clone(),
            vantage: obs.map(|o| o.vantage.clone()),
            config_digest: obs.map(|o| o.config_digest.clone()),
            generated_at_ms: obs.map(|o| o.generated_at_ms),
            clock_skew_ms: self.skew_ms,
        }
    }
}

/// One peer as `rtoguard status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerStatus {
    pub id: String,
    /// Milliseconds since its last good observations (`None`: never).
    pub age_ms: Option<u64>,
    pub last_error: Option<String>,
    /// The vantage its last observations came from.
    pub vantage: Option<String>,
    pub config_digest: Option<String>,
    pub generated_at_ms: Option<i64>,
    /// Its clock minus ours, measured on the last good pull.
    #[serde(default)]
    pub clock_skew_ms: Option<i64>,
}

impl PeerSet {
    /// Pull each peer every `interval` until `cancel` fires (call within a
    /// tokio runtime).
    pub fn spawn(peers: Vec<PeerSpec>, interval: Duration, cancel: CancellationToken) -> Self {
        let views = peers
            .iter()
            .map(|p| PeerView {
                id: p.id.clone(),
                last_ok: None,
                last_ok_wall: None,
                last_error: None,
                obs: None,
                skew_ms: None,
                max_clock_skew: p.max_clock_skew,
            })
            .collect();
        let set = Self {
            views: Arc::new(Mutex::new(views)),
            news: Arc::new(watch::channel(0).0),
            tracker: TaskTracker::new(),
        };
        for (slot, peer) in peers.into_iter().enumerate() {
            let (me, cancel) = (set.clone(), cancel.clone());
            set.tracker
                .spawn(async move { me.pull_loop(slot, peer, interval, cancel).await });
        }
        set.tracker.close();
        set
    }

    /// Wait until every pull task has ended (after `cancel` fires).
    pub async fn stopped(&self) {
        self.tracker.wait().await;
    }

    /// Changes whenever a peer's answer may move a verdict: its votes or
    /// its last write changed, or it answers again after silence or an
    /// error. A service re-judges its pools then, not at its next tick.
    pub fn news(&self) -> watch::Receiver<u64> {
        self.news.subscribe()
    }

    /// Every peer's view, in config order.
    pub fn snapshot(&self) -> Vec<PeerView> {
        self.lock().clone()
    }

    /// The pull interval for `cfg`: its smallest service interval (5s without services).
    pub fn interval_for(cfg: &Config) -> Duration {
        let smallest = cfg.services.iter().map(|s| s.health.interval).min();
        smallest.unwrap_or(Duration::from_secs(5))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PeerView>> {
        // A poisoned lock only means a panic elsewhere mid-update; the views stay usable.
        self.views.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn pull_loop(
        self,
        slot: usize,
        peer: PeerSpec,
        interval: Duration,
        cancel: CancellationToken,
    ) {
        let timeout = interval.clamp(Duration::from_secs(1), Duration::from_secs(10));
        let client = match client(&peer, timeout) {
            Ok(c) => c,
            Err(e) => {
                warn!(peer = %peer.id, error = %e, "Cannot pull from this peer.");
                self.lock()[slot].last_error = Some(e.to_string());
                return;
            }
        };
        let url = format!("{}/v1/observations", peer.url.trim_end_matches('/'));
        let mut tick = tokio::time::interval(interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The version of the last answer from a peer that holds long-polls:
        // then the next request waits there for a change; else (an older
        // peer, or after an error) the pull waits for the interval here.
        let mut held: Option<String> = None;
        loop {
            let gap = match &held {
                Some(_) => tokio::time::sleep(super::push::MIN_GAP),
                None => tokio::time::sleep(Duration::ZERO),
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick(), if held.is_none() => {}
                _ = gap, if held.is_some() => tick.reset(),
            }
            let sent_ms = crate::journal::now_ms();
            let poll = held.as_deref().map(|v| (v, interval, timeout));
            let got = tokio::select! {
                _ = cancel.cancelled() => return,
                got = fetch(&client, &url, &peer.token, poll) => got,
            };
            let (got, waited) = match got {
                Ok(a) => {
                    held = a.version;
                    (Ok(a.obs), a.waited_ms)
                }
                Err(e) => {
                    held = None;
                    (Err(e), 0)
                }
            };
            let wall = (sent_ms.saturating_add(waited), crate::journal::now_ms());
            self.record(slot, &peer.id, got, Instant::now(), wall);
        }
    }

    /// Keep a good answer with its arrival time `at` and the peer's clock
    /// skew (from `wall`: our clock when the pull was sent and answered), or
    /// the error.
    fn record(
        &self,
        slot: usize,
        id: &str,
        got: Result<Observations, PeerError>,
        at: Instant,
        wall: (i64, i64),
    ) {
        let mut views = self.lock();
        let view = &mut views[slot];
        match got {
            Ok(obs) => {
                let silent = view.last_error.take().is_some();
                if silent {
                    info!(peer = %id, "Peer answers again.");
                }
                let version = super::push::version(&obs);
                let new = silent || view.obs.as_ref().map(super::push::version) != Some(version);
                view.accept(obs, at, wall);
                drop(views);
                if new {
                    debug!(peer = %id, "Peer observations changed; re-judging.");
                    self.news.send_modify(|n| *n = n.wrapping_add(1));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                if view.last_error.as_deref() != Some(msg.as_str()) {
                    warn!(peer = %id, error = %msg, retryable = e.is_retryable(), "Cannot pull observations from peer.");
                }
                view.last_error = Some(msg);
            }
        }
    }
}

/// One pull now, sent once (`rtoguard doctor`): the peer's observations
/// and its clock minus ours in ms, measured as every pull measures it.
pub async fn pull_once(
    peer: &PeerSpec,
    timeout: Duration,
) -> Result<(Observations, i64), PeerError> {
    let client = client(peer, timeout)?;
    let url = format!("{}/v1/observations", peer.url.trim_end_matches('/'));
    let sent_ms = crate::journal::now_ms();
    let obs = fetch(&client, &url, &peer.token, None).await?.obs;
    let skew = super::skew::clock_skew_ms(obs.peer_clock_ms(), sent_ms, crate::journal::now_ms());
    Ok((obs, skew))
}

fn client(peer: &PeerSpec, timeout: Duration) -> Result<reqwest::Client, PeerError> {
    let tls = crate::probe::TlsConfigs::new()
        .get(peer.ca_file.as_deref())
        .map_err(|e| PeerError::Setup(e.to_string()))?;
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("rtoguard/", env!("CARGO_PKG_VERSION")))
        // reqwest takes the settings themselves (it downcasts to
        // `ClientConfig`: an `Arc` of them is refused as "builder error").
        .tls_backend_preconfigured(rustls::ClientConfig::clone(&tls))
        .build()
        .map_err(|e| PeerError::Setup(format!("cannot build the HTTP client: {e}")))
}

/// One pull: GET the observations with our bearer token; with `poll`
/// (the version seen last, how long to wait, the request timeout), a
/// long-poll the peer holds until they change.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    token: &Secret,
    poll: Option<(&str, Duration, Duration)>,
) -> Result<super::push::Answer, PeerError> {
    let mut req = client.get(url).bearer_auth(token.expose());
    if let Some((version, wait, timeout)) = poll {
        req = super::push::long_poll(req, version, wait, timeout);
    }
    let mut resp = req
        .send()
        .await
        .map_err(|e| PeerError::Unreachable(e.to_string()))?;
    match resp.status().as_u16() {
        200 => {}
        401 => return Err(PeerError::Unauthorized),
        code => return Err(PeerError::Status(code)),
    }
    let (version, waited_ms) = super::push::held(resp.headers());
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| PeerError::Unreachable(e.to_string()))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(PeerError::Decode(format!("answer above {MAX_BODY} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(super::push::Answer {
        obs: super::parse_observations(&body)?,
        version,
        waited_ms,
    })
}
