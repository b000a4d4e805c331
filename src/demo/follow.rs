//! The demo's live output: journal entries turned into `+S.s` lines, on a spinner at a terminal and as plain lines otherwise.

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use serde::Deserialize;

use crate::controller::PoolHealth;
use crate::journal::{Entry, Event, now_ms};

/// Where the demo writes: a spinner with lines above it on a TTY, plain lines otherwise.
#[derive(Debug)]
pub struct Out {
    bar: Option<ProgressBar>,
}

impl Out {
    /// A spinner on standard output when `is_tty`, plain lines otherwise.
    pub fn new(is_tty: bool) -> Self {
        let bar = is_tty.then(|| {
            // Standard output is the terminal asked about; stderr carries the logs.
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self { bar }
    }

    /// One line of output.
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => outln!("{text}"),
        }
    }

    /// What the demo waits for now (shown on the spinner only).
    pub fn waiting(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_string());
        }
    }

    /// A block of text (the report), printed as is.
    pub fn block(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| out!("{text}")),
            None => out!("{text}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `+S.s` from `t0_ms` to `at_ms` (wall-clock milliseconds).
pub fn offset(t0_ms: i64, at_ms: i64) -> String {
    format!("+{:.1}s", (at_ms - t0_ms) as f64 / 1e3)
}

/// Turns journal entries into demo lines, offsets from `t0_ms`.
#[derive(Debug)]
pub struct Follower {
    t0_ms: i64,
    after_seq: i64,
    /// When each incident's first entry was written: the watch's offsets count from it.
    starts: HashMap<String, i64>,
    /// A propagation watch started and has not reported yet: its lines,
    /// written when it ends, will be earlier than what comes meanwhile.
    watching: bool,
}

impl Follower {
    /// Follows entries written after `after_seq`.
    pub fn new(t0_ms: i64, after_seq: i64) -> Self {
        Self {
            t0_ms,
            after_seq,
            starts: HashMap::new(),
            watching: false,
        }
    }

    /// Offsets count from here (wall-clock milliseconds).
    pub fn t0_ms(&self) -> i64 {
        self.t0_ms
    }

    /// Whether a propagation watch is under way (its lines still to come).
    pub fn watching(&self) -> bool {
        self.watching
    }

    /// Restarts the clock at now (for the failback).
    pub fn restart_clock(&mut self) -> i64 {
        self.t0_ms = now_ms();
        self.t0_ms
    }

    /// Lines for the entries not seen yet.
    pub fn poll(&mut self, journal: &crate::journal::Journal) -> anyhow::Result<Vec<String>> {
        let entries = journal.entries(None, self.after_seq)?;
        let mut out = Vec::new();
        for e in &entries {
            self.after_seq = e.seq;
            if let Some(id) = &e.incident {
                self.starts.entry(id.clone()).or_insert(e.at_ms);
            }
            match e.event() {
                Some(Event::WatchStart { .. }) => self.watching = true,
                Some(Event::WatchResult { .. }) => self.watching = false,
                _ => {}
            }
            out.extend(self.describe(e));
        }
        Ok(out)
    }

    /// Zero or more lines for one entry (none for one without a typed event).
    fn describe(&self, e: &Entry) -> Vec<String> {
        let Some(event) = e.event() else {
            return Vec::new();
        };
        let at = offset(self.t0_ms, e.at_ms);
        let one = |label: &str| vec![labelled(&at, label, &e.message)];
        match &event {
            Event::Intent { .. } | Event::IntentClosed { .. } => Vec::new(),
            Event::Observation { health, .. } => match health {
                PoolHealth::Suspect | PoolHealth::Down => one("detection"),
                _ => one("health"),
            },
            Event::IncidentStart { .. } => one("incident opened"),
            Event::IncidentEnd { .. } => one("incident closed"),
            Event::ProviderResult {
                accepted_ms,
                in_sync_ms,
                ..
            } => self.provider_lines(e, &at, *accepted_ms, *in_sync_ms),
            Event::WatchStart { .. } => one("watching"),
            Event::WatchResult { watch, .. } => self.watch_lines(e, watch),
            _ => one(&event.kind().replace(['_', '-'], " ")),
        }
    }

    /// The provider's answer, and when it said the change was in sync.
    fn provider_lines(
        &self,
        e: &Entry,
        at: &str,
        accepted_ms: Option<i64>,
        in_sync_ms: Option<i64>,
    ) -> Vec<String> {
        let mut lines = match accepted_ms {
            Some(ms) => vec![format!(
                "{} provider accepted: {}",
                offset(self.t0_ms, ms),
                e.message
            )],
            None => vec![format!("{at} provider: {}", e.message)],
        };
        if let Some(ms) = in_sync_ms {
            lines.push(format!(
                "{} provider in sync: every server of the zone has the change",
                offset(self.t0_ms, ms)
            ));
        }
        lines
    }

    /// What the propagation watch saw, path by path, then its end.
    fn watch_lines(&self, e: &Entry, watch: &Value) -> Vec<String> {
        let w: Paths = serde_json::from_value(watch.clone()).unwrap_or_default();
        let start = e
            .incident
            .as_ref()
            .and_then(|id| self.starts.get(id).copied())
            .unwrap_or(e.at_ms);
        let at = |ms: Option<i64>| ms.map(|ms| offset(self.t0_ms, start + ms));
        let expected = w.expected.join(", ");
        let mut lines = Vec::new();
        for a in &w.authoritatives {
            if let Some(t) = at(a.converged_ms) {
                lines.push(format!("{t} authoritative {} serves {expected}", a.name));
            }
        }
        for r in &w.resolvers {
            if let Some(t) = at(r.switched_ms) {
                lines.push(format!("{t} resolver path {} hands out {expected}", r.name));
            }
        }
        for c in &w.clients {
            if let Some(t) = at(c.reached_ms) {
                lines.push(format!(
                    "{t} clients reach the new pool at {} (via {}; {} requests failed before)",
                    c.last_addr.as_deref().unwrap_or("?"),
                    c.resolver,
                    c.failed
                ));
            }
        }
        lines.push(labelled(
            &offset(self.t0_ms, e.at_ms),
            "propagation",
            &e.message,
        ));
        lines
    }
}

/// `AT LABEL: MESSAGE`, without the label when the message starts with it
/// ("flipped: flipped from …" reads "flipped from …").
fn labelled(at: &str, label: &str, message: &str) -> String {
    if message.starts_with(label) {
        format!("{at} {message}")
    } else {
        format!("{at} {label}: {message}")
    }
}

/// The parts of a propagation watch's report the demo shows.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Paths {
    expected: Vec<String>,
    authoritatives: Vec<Path>,
    resolvers: Vec<Path>,
    clients: Vec<Clients>,
}

/// One authoritative server or resolver path and when it served the change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Path {
    name: String,
    converged_ms: Option<i64>,
    switched_ms: Option<i64>,
}

/// The clients behind one resolver and when they reached the new pool.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Clients {
    resolver: String,
    reached_ms: Option<i64>,
    last_addr: Option<String>,
    failed: u64,
}

#[cfg(test)]
#[path = "tests_follow.rs"]
mod tests;
