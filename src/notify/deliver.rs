//! One webhook's worker: its queue, POST with a timeout, bounded retries.

use std::time::Duration;

use rand::RngExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::NotifyError;
use super::body;
use super::event::Event;
use crate::config::{Secret, Webhook, WebhookFormat};

/// The longest wait between two attempts, whatever the backoff or Retry-After.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// A webhook ready to call. Its URL is a secret: logs and errors name `host`.
pub(super) struct Target {
    pub host: String,
    url: Secret,
    format: WebhookFormat,
    retries: u32,
    backoff: Duration,
    controller: String,
    client: reqwest::Client,
}

impl Target {
    pub fn new(index: usize, w: &Webhook, controller: &str) -> Result<Self, NotifyError> {
        let from = w.url.describe();
        let url = w
            .url
            .resolve()
            .map_err(|reason| NotifyError::Url { index, reason })?;
        let host = host_of(url.expose()).ok_or(NotifyError::BadUrl { index, from })?;
        // Err means a provider is installed already, which is all we need.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(w.timeout)
            .connect_timeout(w.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("rtoguard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotifyError::Client(e.without_url().to_string()))?;
        let (format, retries, backoff) = (w.format, w.retries, w.backoff);
        Ok(Self {
            host,
            url,
            format,
            retries,
            backoff,
            controller: controller.to_string(),
            client,
        })
    }

    /// Deliver events in order until the queue closes or `cancel` fires.
    pub async fn run(self, mut rx: mpsc::Receiver<Event>, cancel: CancellationToken) {
        loop {
            let event = tokio::select! {
                _ = cancel.cancelled() => break,
                e = rx.recv() => match e {
                    Some(e) => e,
                    None => break,
                },
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.deliver(&event) => {}
            }
        }
        debug!(host = %self.host, "Webhook worker stopped.");
    }

    /// POST one event, retrying what a retry can fix, at most `retries` times.
    async fn deliver(&self, event: &Event) {
        let body = body::render(self.format, event, &self.controller);
        let (host, kind, incident) = (&self.host, event.kind.as_str(), &event.incident);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.post(&body).await {
                Ok(()) => {
                    info!(host, event = kind, service = %event.service, incident, attempt, "Notification sent.");
                    return;
                }
                Err((e, wait)) if e.is_retryable() && attempt <= self.retries => {
                    let wait = wait
                        .unwrap_or_else(|| self.backoff_for(attempt))
                        .min(MAX_WAIT);
                    debug!(host, event = kind, incident, attempt, error = %e, wait_ms = wait.as_millis() as u64, "Notification failed; retrying.");
                    tokio::time::sleep(wait).await;
                }
                Err((e, _)) => {
                    warn!(host, event = kind, service = %event.service, incident, attempts = attempt, error = %e, "Notification dropped: the webhook did not take it.");
                    return;
                }
            }
        }
    }

    /// `backoff × 2^(attempt-1)`, capped, with up to 50 % jitter off.
    fn backoff_for(&self, attempt: u32) -> Duration {
        let base = self
            .backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(MAX_WAIT);
        base.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    /// One request; on failure the error and the wait the server asked for.
    async fn post(&self, body: &[u8]) -> Result<(), (NotifyError, Option<Duration>)> {
        let sent = self
            .client
            .post(self.url.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await;
        let resp = sent.map_err(|e| (self.transport(e), None))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Err((
            NotifyError::Status {
                host: self.host.clone(),
                code: status.as_u16(),
            },
            retry_after,
        ))
    }

    /// A transport error in words that hold no URL.
    fn transport(&self, e: reqwest::Error) -> NotifyError {
        let timeout = e.is_timeout();
        let e = e.without_url();
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        let message = message.replace(self.url.expose(), "<url>");
        let host = self.host.clone();
        if timeout {
            NotifyError::Timeout { host }
        } else {
            NotifyError::Transport { host, message }
        }
    }
}

/// `host` or `host:port` of an http(s) URL; None when it is not one.
fn host_of(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?;
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}
