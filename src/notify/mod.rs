//! Notifications: webhooks told about incidents, flips, recoveries and missed RTOs.
//!
//! - [`Event`]: one notification with its incident id and a one-line summary,
//!   built by [`Event::incident`], [`Event::flip`], [`Event::recovery`],
//!   [`Event::rto_missed`].
//! - [`Notifier`]: [`Notifier::send`] never waits: it puts the event on each
//!   subscribed webhook's bounded queue (dropping it with a WARN when full);
//!   one background task per webhook POSTs in order, with a per-request
//!   timeout and bounded retries with backoff.
//! - [`body`]: the JSON document ([`body::json_body`] documents it) and the
//!   Slack body (`{"text": ...}`).
//!
//! Webhook URLs are secrets (Slack's carries its token): logs and errors
//! name only the URL's host.

pub mod body;
mod deliver;
mod event;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_bodies;
#[cfg(test)]
mod tests_failures;

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use event::{Event, EventKind, words};

use crate::config::{Notify, NotifyEvent};
use deliver::Target;

/// How many notifications wait per webhook before new ones are dropped.
pub const QUEUE_LEN: usize = 64;

/// Why notifications cannot start, or why one delivery failed. None holds
/// a webhook URL.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NotifyError {
    #[error("notify.webhooks[{index}]: {reason}")]
    Url { index: usize, reason: String },
    #[error("notify.webhooks[{index}]: the URL from {from} is not an http(s) URL with a host")]
    BadUrl { index: usize, from: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("webhook at {host}: timed out")]
    Timeout { host: String },
    #[error("webhook at {host}: transport error: {message}")]
    Transport { host: String, message: String },
    #[error("webhook at {host}: answered HTTP {code}")]
    Status { host: String, code: u16 },
}

impl NotifyError {
    /// True when the same request may succeed later: timeouts, transport
    /// errors, HTTP 408, 429 and 5xx. Setup errors and other answers are final.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Status { code, .. } => matches!(code, 408 | 429 | 500..=599),
            Self::Url { .. } | Self::BadUrl { .. } | Self::Client(_) => false,
        }
    }
}

/// Sends events to the configured webhooks without ever waiting. Cheap to
/// clone (clones share their webhooks, see [`Notifier::replace_with`]); with
/// no webhooks, `send` does nothing.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    queues: Arc<std::sync::RwLock<Arc<[Queue]>>>,
}

#[derive(Debug)]
struct Queue {
    host: String,
    events: Vec<NotifyEvent>,
    tx: mpsc::Sender<Event>,
}

impl Notifier {
    /// Read every webhook URL and start one worker per webhook. The returned
    /// task ends when `cancel` fires (in-flight requests are abandoned) or
    /// when every `Notifier` clone is dropped and the queues are drained.
    /// `controller` is this vantage's id, sent in every body. Call it inside
    /// a tokio runtime.
    pub fn start(
        cfg: &Notify,
        controller: &str,
        cancel: CancellationToken,
    ) -> Result<(Self, JoinHandle<()>), NotifyError> {
        Self::start_with(cfg, controller, cancel, QUEUE_LEN)
    }

    fn start_with(
        cfg: &Notify,
        controller: &str,
        cancel: CancellationToken,
        queue_len: usize,
    ) -> Result<(Self, JoinHandle<()>), NotifyError> {
        let targets = cfg
            .webhooks
            .iter()
            .enumerate()
            .map(|(i, w)| Target::new(i, w, controller))
            .collect::<Result<Vec<_>, _>>()?;
        let mut queues = Vec::new();
        let mut workers = Vec::new();
        for (target, w) in targets.into_iter().zip(&cfg.webhooks) {
            let (tx, rx) = mpsc::channel(queue_len.max(1));
            let events: Vec<&str> = w.events.iter().map(|e| e.as_str()).collect();
            info!(host = %target.host, format = w.format.as_str(), events = %events.join(","), "Webhook notifications on.");
            queues.push(Queue {
                host: target.host.clone(),
                events: w.events.clone(),
                tx,
            });
            workers.push(tokio::spawn(target.run(rx, cancel.clone())));
        }
        let all = tokio::spawn(async move {
            for w in workers {
                let _ = w.await;
            }
        });
        Ok((
            Self {
                queues: Arc::new(std::sync::RwLock::new(queues.into())),
            },
            all,
        ))
    }

    /// Queue `event` for every webhook that wants its kind; never waits.
    pub fn send(&self, event: Event) {
        for q in self
            .current()
            .iter()
            .filter(|q| q.events.contains(&event.kind))
        {
            match q.tx.try_send(event.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(e)) => {
                    warn!(host = %q.host, event = e.kind.as_str(), service = %e.service, incident = %e.incident, "Notification queue full; dropped this one.");
                }
                Err(TrySendError::Closed(e)) => {
                    warn!(host = %q.host, event = e.kind.as_str(), incident = %e.incident, "Notifications stopped; dropped this one.");
                }
            }
        }
    }

    /// How many webhooks are configured.
    pub fn webhooks(&self) -> usize {
        self.current().len()
    }

    /// From now on this notifier and every clone of it send to `other`'s
    /// webhooks (a reload); the old workers end once their queues drain.
    pub fn replace_with(&self, other: &Notifier) {
        let new = other.current();
        // A panic while holding this lock leaves a value that is still whole.
        *self
            .queues
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = new;
    }

    fn current(&self) -> Arc<[Queue]> {
        // A panic while holding this lock leaves a value that is still whole.
        self.queues
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
