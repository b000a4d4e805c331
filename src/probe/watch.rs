//! The connection watch (`health.watch`): one idle connection held to each TCP/HTTP(S) endpoint; when the peer closes or resets it, the endpoint is in doubt and the scheduler probes it at once.
//!
//! HAProxy's `observe layer4` with `on-error fastinter` is the model, with
//! one difference that matters: the watch never marks anything down. A
//! closed connection only moves the endpoint's next probe to now (and the
//! probe's result starts fast confirmation as any failure would), so `fall`,
//! `rise` and the quorum stay exactly as strong. A server that closes idle
//! connections after its own timeout costs one probe that succeeds.
//!
//! Each watched connection takes one descriptor from a budget (a share of
//! the descriptor limit left after probes and the control socket, see
//! [`crate::bounded::descriptors::watch_cap`]). When there is no descriptor
//! (the budget is spent, or the process is out of them) this host is
//! impaired for watching only: it logs it, tries again later, and the
//! regular probes go on as before; nothing is voted down.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::checker::{Check, Limits};
use super::connect::{connect_error, connect_from, endpoint_addrs};
use super::{ProbeError, ProbeResult, ProbeSpec, Target};
use crate::bounded::descriptors;

/// The first wait before reconnecting after a close or a failed connect.
pub(super) const BACKOFF_FLOOR: Duration = Duration::from_millis(100);
/// A connection open this long was a steady one: the backoff starts over.
pub(super) const STEADY: Duration = Duration::from_secs(1);

/// A check with an optional watch: the scheduler's probe, plus a signal
/// that the endpoint should be probed now.
pub(super) struct Watched<C> {
    check: C,
    poke: Option<Arc<Notify>>,
}

impl<C: Check> Check for Watched<C> {
    fn check(&self, timeout: Duration) -> impl Future<Output = ProbeResult> + Send {
        self.check.check(timeout)
    }

    async fn poked(&self) {
        match &self.poke {
            Some(n) => n.notified().await,
            None => std::future::pending().await,
        }
    }
}

/// The watched connections' descriptor budget under the process's limits.
pub(super) fn budget(limits: Limits) -> Arc<Semaphore> {
    let soft = descriptors::nofile().soft;
    let reserve = descriptors::reserve_for(limits.max_in_flight);
    Arc::new(Semaphore::new(descriptors::watch_cap(soft, reserve)))
}

/// Wrap every check; start a watch for each target that asks for one and
/// has a TCP or HTTP(S) probe (a DNS probe has no connection to hold).
pub(super) fn arm<C: Check>(
    items: Vec<(Target, C)>,
    budget: &Arc<Semaphore>,
    cancel: &CancellationToken,
) -> Vec<(Target, Watched<C>)> {
    items
        .into_iter()
        .map(|(t, check)| {
            let poke = Watch::for_target(&t, budget.clone()).map(|w| {
                let poke = Arc::new(Notify::new());
                tokio::spawn(w.run(Arc::downgrade(&poke), cancel.clone()));
                poke
            });
            (t, Watched { check, poke })
        })
        .collect()
}

/// What one watched connection came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The connection was open this long, then the peer closed or reset it.
    Closed { lived: Duration },
    /// No connection: the endpoint refused it, or did not answer in time.
    Unreachable(String),
    /// This host could not hold a connection (no descriptor): the watch is
    /// off for now; probes go on.
    Impaired(String),
}

/// The watch of one endpoint.
#[derive(Debug)]
pub(super) struct Watch {
    service: String,
    endpoint: String,
    port: u16,
    source: Option<std::net::IpAddr>,
    /// How long a connect may take.
    timeout: Duration,
    /// The longest wait between attempts.
    cap: Duration,
    budget: Arc<Semaphore>,
}

impl Watch {
    /// The watch `t` asks for, if any.
    pub(super) fn for_target(t: &Target, budget: Arc<Semaphore>) -> Option<Self> {
        let port = match &*t.spec {
            _ if !t.watch => return None,
            // A name resolved through configured resolvers (an alias pool):
            // its addresses move, so no connection is held to one of them.
            _ if !t.resolve_via.is_empty() => return None,
            ProbeSpec::Http { port, .. } | ProbeSpec::Tcp { port } => *port,
            ProbeSpec::Dns { .. } => return None,
        };
        Some(Self {
            service: t.service.clone(),
            endpoint: t.endpoint.clone(),
            port,
            source: t.source,
            timeout: t.timeout,
            cap: t.interval.max(BACKOFF_FLOOR),
            budget,
        })
    }

    /// Hold connections until the scheduler's side is gone or `cancel`
    /// fires; poke at every close.
    pub(super) async fn run(self, poke: Weak<Notify>, cancel: CancellationToken) {
        let mut backoff = Backoff::new(BACKOFF_FLOOR, self.cap);
        let mut impaired = false;
        loop {
            let outcome = tokio::select! {
                _ = cancel.cancelled() => return,
                o = self.once() => o,
            };
            let Some(poke) = poke.upgrade() else {
                return;
            };
            match &outcome {
                Outcome::Closed { lived } => {
                    debug!(service = %self.service, endpoint = %self.endpoint, ?lived,
                        "Watched connection closed by the endpoint; probing it now.");
                    poke.notify_one();
                    impaired = false;
                }
                Outcome::Unreachable(why) => {
                    debug!(service = %self.service, endpoint = %self.endpoint, why = %why,
                        "Watched connection cannot be opened; probes go on.");
                    impaired = false;
                }
                Outcome::Impaired(why) if !impaired => {
                    warn!(service = %self.service, endpoint = %self.endpoint, why = %why,
                        "Cannot hold a watched connection (no descriptor); probes go on at their interval.");
                    impaired = true;
                }
                Outcome::Impaired(_) => {}
            }
            drop(poke);
            let wait = backoff.after(&outcome);
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Open one connection (a descriptor from the budget) and hold it until
    /// the endpoint closes or resets it; bytes sent unasked are dropped.
    pub(super) async fn once(&self) -> Outcome {
        let Ok(_permit) = self.budget.try_acquire() else {
            return Outcome::Impaired("the watch's descriptor budget is spent".into());
        };
        let addr = match endpoint_addrs(&self.endpoint, self.port, None).await {
            Ok(addrs) => addrs[0],
            Err(e) => return classify(e),
        };
        let mut stream = match tokio::time::timeout(self.timeout, connect_from(addr, self.source))
            .await
        {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return classify(connect_error(&e)),
            Err(_) => return Outcome::Unreachable(ProbeError::Timeout(self.timeout).to_string()),
        };
        let since = Instant::now();
        let mut buf = [0u8; 256];
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
        Outcome::Closed {
            lived: since.elapsed(),
        }
    }
}

/// A failed connect: this host's own trouble, or the endpoint's.
pub(super) fn classify(e: ProbeError) -> Outcome {
    match e {
        ProbeError::Local(l) => Outcome::Impaired(l.to_string()),
        other => Outcome::Unreachable(other.to_string()),
    }
}

/// The wait before the next connection: from `floor`, doubling after every
/// short-lived connection or failed attempt up to `cap`, and back to `floor`
/// after a steady connection (open at least [`STEADY`]).
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    floor: Duration,
    cap: Duration,
    next: Duration,
}

impl Backoff {
    pub(super) fn new(floor: Duration, cap: Duration) -> Self {
        Self {
            floor,
            cap: cap.max(floor),
            next: floor,
        }
    }

    /// The wait after `outcome`.
    pub(super) fn after(&mut self, outcome: &Outcome) -> Duration {
        if matches!(outcome, Outcome::Closed { lived } if *lived >= STEADY) {
            self.next = self.floor;
        }
        let wait = self.next;
        self.next = self.next.saturating_mul(2).min(self.cap);
        wait
    }
}
