//! What is notified: one event with its incident id and a one-line summary.

use std::time::{Duration, SystemTime};

pub use crate::config::NotifyEvent as EventKind;

/// One notification. Build it with [`Event::incident`], [`Event::flip`],
/// [`Event::recovery`], [`Event::rto_missed`], [`Event::vantage_impaired`]
/// or [`Event::vantage_recovered`]; they write the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub service: String,
    /// The incident this belongs to (the journal's incident id).
    pub incident: String,
    /// One line for people: `"checkout: flipped from primary to standby (primary down, confirmed by us-east-1, eu-west-1)"`.
    pub summary: String,
    pub at: SystemTime,
    /// The pool traffic left (flip).
    pub from: Option<String>,
    /// The pool traffic went to (flip), or serves now (recovery).
    pub to: Option<String>,
    /// The pool that failed (incident).
    pub pool: Option<String>,
    /// Why, in words: `"primary down"`, `"operator failover"`.
    pub reason: Option<String>,
    /// The vantages that agreed.
    pub confirmed_by: Vec<String>,
    /// Time since the incident opened (recovery, rto_missed).
    pub elapsed: Option<Duration>,
    /// The service's objective (recovery, rto_missed).
    pub rto: Option<Duration>,
}

impl Event {
    fn new(kind: EventKind, service: &str, incident: &str, summary: String) -> Self {
        Self {
            kind,
            service: service.to_string(),
            incident: incident.to_string(),
            summary,
            at: SystemTime::now(),
            from: None,
            to: None,
            pool: None,
            reason: None,
            confirmed_by: Vec::new(),
            elapsed: None,
            rto: None,
        }
    }

    /// The active pool turned suspect or down: `health` is the word ("down").
    pub fn incident(
        service: &str,
        incident: &str,
        pool: &str,
        health: &str,
        seen_by: &[String],
    ) -> Self {
        let summary = format!(
            "{service}: incident opened: pool {pool} is {health}{}",
            by("seen by", seen_by)
        );
        let mut e = Self::new(EventKind::Incident, service, incident, summary);
        e.pool = Some(pool.to_string());
        e.reason = Some(format!("{pool} {health}"));
        e.confirmed_by = seen_by.to_vec();
        e
    }

    /// Traffic moved from `from` (None: nothing was served) to `to`, because
    /// of `reason` ("primary down"), as `confirmed_by` agreed.
    pub fn flip(
        service: &str,
        incident: &str,
        from: Option<&str>,
        to: &str,
        reason: &str,
        confirmed_by: &[String],
    ) -> Self {
        let from_words = from.map(|f| format!(" from {f}")).unwrap_or_default();
        let why = match (reason.is_empty(), confirmed_by.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!(" ({reason})"),
            (true, false) => format!(" (confirmed by {})", confirmed_by.join(", ")),
            (false, false) => format!(" ({reason}, confirmed by {})", confirmed_by.join(", ")),
        };
        let summary = format!("{service}: flipped{from_words} to {to}{why}");
        let mut e = Self::new(EventKind::Flip, service, incident, summary);
        e.from = from.map(str::to_string);
        e.to = Some(to.to_string());
        e.reason = (!reason.is_empty()).then(|| reason.to_string());
        e.confirmed_by = confirmed_by.to_vec();
        e
    }

    /// Clients reach healthy `pool` again, `elapsed` after the incident opened.
    pub fn recovery(
        service: &str,
        incident: &str,
        pool: &str,
        elapsed: Duration,
        rto: Duration,
    ) -> Self {
        let verdict = if elapsed <= rto { "met" } else { "missed" };
        let summary = format!(
            "{service}: recovered on {pool} after {} (RTO {} {verdict})",
            words(elapsed),
            words(rto)
        );
        let mut e = Self::new(EventKind::Recovery, service, incident, summary);
        e.to = Some(pool.to_string());
        e.elapsed = Some(elapsed);
        e.rto = Some(rto);
        e
    }

    /// The incident has lasted longer than the RTO (sent once, when it passes).
    pub fn rto_missed(service: &str, incident: &str, elapsed: Duration, rto: Duration) -> Self {
        let summary = format!(
            "{service}: RTO missed: {} since the incident opened, objective {}",
            words(elapsed),
            words(rto)
        );
        let mut e = Self::new(EventKind::RtoMissed, service, incident, summary);
        e.elapsed = Some(elapsed);
        e.rto = Some(rto);
        e
    }

    /// This vantage cannot probe for reasons of its own (`reason`): its
    /// endpoints are unknown from here, never down, until it recovers.
    pub fn vantage_impaired(service: &str, vantage: &str, reason: &str) -> Self {
        let summary = format!(
            "{service}: vantage {vantage} impaired: {reason}; its endpoints are unknown from there, never down"
        );
        let mut e = Self::new(EventKind::VantageImpaired, service, "", summary);
        e.reason = Some(reason.to_string());
        e
    }

    /// This vantage can probe again.
    pub fn vantage_recovered(service: &str, vantage: &str) -> Self {
        let summary = format!("{service}: vantage {vantage} recovered: probes run again");
        Self::new(EventKind::VantageRecovered, service, "", summary)
    }

    /// The journal cannot be written (`error`): the provider is not called
    /// until it can, so automation waits.
    pub fn journal_failed(service: &str, incident: &str, error: &str) -> Self {
        let summary = format!(
            "{service}: the journal cannot be written ({error}); no provider change is made until it can"
        );
        let mut e = Self::new(EventKind::JournalFailed, service, incident, summary);
        e.reason = Some(error.to_string());
        e
    }

    /// The same event at another time (tests, replays from the journal).
    pub fn at(mut self, at: SystemTime) -> Self {
        self.at = at;
        self
    }
}

fn by(words: &str, who: &[String]) -> String {
    if who.is_empty() {
        String::new()
    } else {
        format!(" ({words} {})", who.join(", "))
    }
}

/// A duration in whole seconds, as people read it: "2m 10s".
pub fn words(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}
