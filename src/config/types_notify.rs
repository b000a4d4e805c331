//! The validated notification settings: webhooks and what they receive.

use std::time::Duration;

use super::secret::{Secret, SecretSource};

/// `[notify]`: where incidents, flips, recoveries and missed RTOs are sent.
#[derive(Debug, Clone, Default)]
pub struct Notify {
    pub webhooks: Vec<Webhook>,
}

/// One `[[notify.webhooks]]` entry.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// A secret: never logged; only its host is.
    pub url: WebhookUrl,
    pub format: WebhookFormat,
    /// What is sent to this webhook (default: every event).
    pub events: Vec<NotifyEvent>,
    /// Per request.
    pub timeout: Duration,
    /// Attempts after the first failed one.
    pub retries: u32,
    /// The wait before the first retry; it doubles each time.
    pub backoff: Duration,
}

/// Where a webhook URL comes from. Slack webhook URLs carry their secret in
/// the path, so every form is treated as a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookUrl {
    /// `url = "..."` written in the config.
    Inline(Secret),
    /// `url_file` or `url_env`.
    Source(SecretSource),
}

impl WebhookUrl {
    /// The URL (read from its file or variable now).
    pub fn resolve(&self) -> Result<Secret, String> {
        match self {
            Self::Inline(s) => Ok(s.clone()),
            Self::Source(src) => src.read(),
        }
    }

    /// "the config", "file /etc/x" or "env VAR": never the value.
    pub fn describe(&self) -> String {
        match self {
            Self::Inline(_) => "the config".to_string(),
            Self::Source(src) => src.describe(),
        }
    }
}

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// rtoguard's JSON document (see `docs/notifications.md`).
    Json,
    /// `{"text": "..."}`, as Slack (and Mattermost, Rocket.Chat) take it.
    Slack,
}

impl WebhookFormat {
    pub const ALL: [(Self, &'static str); 2] = [(Self::Json, "json"), (Self::Slack, "slack")];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Slack => "slack",
        }
    }
}

/// The events a webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotifyEvent {
    /// An incident opened: the active pool turned suspect or down.
    Incident,
    /// Traffic moved to another pool.
    Flip,
    /// The incident ended: clients reach a healthy pool.
    Recovery,
    /// The incident took longer than the service's RTO.
    RtoMissed,
    /// This vantage cannot probe for reasons of its own (descriptors,
    /// buffers, source address, a late scheduler).
    VantageImpaired,
    /// This vantage can probe again.
    VantageRecovered,
    /// The journal cannot be written: no provider call is made until it can.
    JournalFailed,
}

impl NotifyEvent {
    pub const ALL: [(Self, &'static str); 7] = [
        (Self::Incident, "incident"),
        (Self::Flip, "flip"),
        (Self::Recovery, "recovery"),
        (Self::RtoMissed, "rto_missed"),
        (Self::VantageImpaired, "vantage_impaired"),
        (Self::VantageRecovered, "vantage_recovered"),
        (Self::JournalFailed, "journal_failed"),
    ];

    /// The config and JSON word, e.g. "rto_missed".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Flip => "flip",
            Self::Recovery => "recovery",
            Self::RtoMissed => "rto_missed",
            Self::VantageImpaired => "vantage_impaired",
            Self::VantageRecovered => "vantage_recovered",
            Self::JournalFailed => "journal_failed",
        }
    }
}
