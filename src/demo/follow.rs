//! The demo's live output: journal entries turned into `+S.s` lines, on a spinner at a terminal and as plain lines otherwise.

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use crate::journal::{Entry, now_ms};

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
            None => println!("{text}"),
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
            Some(bar) => bar.suspend(|| print!("{text}")),
            None => print!("{text}"),
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
}

impl Follower {
    /// Follows entries written after `after_seq`.
    pub fn new(t0_ms: i64, after_seq: i64) -> Self {
        Self {
            t0_ms,
            after_seq,
            starts: HashMap::new(),
        }
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
            out.extend(self.describe(e));
        }
        Ok(out)
    }

    /// Zero or more lines for one entry.
    fn describe(&self, e: &Entry) -> Vec<String> {
        let at = offset(self.t0_ms, e.at_ms);
        let d = &e.detail;
        let one = |label: &str| vec![format!("{at} {label}: {}", e.message)];
        match e.kind.as_str() {
            "intent" | "intent-closed" => Vec::new(),
            "observation" => match d["health"].as_str() {
                Some("Suspect" | "Down") => one("detection"),
                _ => one("health"),
            },
            "incident-start" => one("incident opened"),
            "incident-end" => one("incident closed"),
            "provider-result" => self.provider_lines(e, &at),
            "watch-start" => one("propagation"),
            "watch-result" => self.watch_lines(e),
            kind => one(&kind.replace(['_', '-'], " ")),
        }
    }

    /// The provider's answer, and when it said the change was in sync.
    fn provider_lines(&self, e: &Entry, at: &str) -> Vec<String> {
        let mut lines = match e.detail["accepted_ms"].as_i64() {
            Some(ms) => vec![format!(
                "{} provider accepted: {}",
                offset(self.t0_ms, ms),
                e.message
            )],
            None => vec![format!("{at} provider: {}", e.message)],
        };
        if let Some(ms) = e.detail["in_sync_ms"].as_i64() {
            lines.push(format!(
                "{} provider in sync: every server of the zone has the change",
                offset(self.t0_ms, ms)
            ));
        }
        lines
    }

    /// What the propagation watch saw, path by path, then its end.
    fn watch_lines(&self, e: &Entry) -> Vec<String> {
        let d = &e.detail;
        let start = e
            .incident
            .as_ref()
            .and_then(|id| self.starts.get(id).copied())
            .unwrap_or(e.at_ms);
        let at = |ms: &Value| ms.as_i64().map(|ms| offset(self.t0_ms, start + ms));
        let mut lines = Vec::new();
        for a in d["authoritatives"].as_array().into_iter().flatten() {
            if let Some(t) = at(&a["converged_ms"]) {
                lines.push(format!(
                    "{t} authoritative {} serves {}",
                    text(&a["name"]),
                    values(&d["expected"])
                ));
            }
        }
        for r in d["resolvers"].as_array().into_iter().flatten() {
            if let Some(t) = at(&r["switched_ms"]) {
                lines.push(format!(
                    "{t} resolver path {} hands out {}",
                    text(&r["name"]),
                    values(&d["expected"])
                ));
            }
        }
        for c in d["clients"].as_array().into_iter().flatten() {
            if let Some(t) = at(&c["reached_ms"]) {
                lines.push(format!(
                    "{t} clients reach the new pool at {} (via {}; {} requests failed before)",
                    text(&c["last_addr"]),
                    text(&c["resolver"]),
                    c["failed"].as_u64().unwrap_or(0)
                ));
            }
        }
        lines.push(format!(
            "{} propagation: {}",
            offset(self.t0_ms, e.at_ms),
            e.message
        ));
        lines
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("?").to_string()
}

fn values(v: &Value) -> String {
    let list: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect();
    list.join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(seq: i64, at_ms: i64, kind: &str, message: &str, detail: Value) -> Entry {
        Entry {
            seq,
            at_ms,
            service: "www".into(),
            incident: Some("www-1".into()),
            kind: kind.into(),
            actor: "rtoguard".into(),
            message: message.into(),
            detail,
        }
    }

    #[test]
    fn lines_carry_offsets_and_skip_intents() {
        let mut f = Follower::new(1_000, 0);
        f.starts.insert("www-1".into(), 1_500);
        let obs = entry(
            1,
            2_250,
            "observation",
            "pool primary is Down (was Suspect)",
            json!({"health": "Down"}),
        );
        assert_eq!(
            f.describe(&obs),
            ["+1.2s detection: pool primary is Down (was Suspect)"]
        );
        let intent = entry(2, 2_300, "intent", "about to Flip", json!({}));
        assert!(f.describe(&intent).is_empty());
        let result = entry(
            3,
            3_000,
            "provider-result",
            "Flip: done",
            json!({"accepted_ms": 2_900, "in_sync_ms": 3_400}),
        );
        assert_eq!(
            f.describe(&result),
            [
                "+1.9s provider accepted: Flip: done",
                "+2.4s provider in sync: every server of the zone has the change"
            ]
        );
    }

    #[test]
    fn a_watch_result_lists_each_path_from_the_incident_start() {
        let mut f = Follower::new(1_000, 0);
        f.starts.insert("www-1".into(), 1_500);
        let watch = entry(
            4,
            9_000,
            "watch-result",
            "propagation all converged: 0 outstanding",
            json!({
                "expected": ["127.0.0.3"],
                "authoritatives": [{"name": "demo-authority", "converged_ms": 2_000}],
                "resolvers": [{"name": "demo-authority", "switched_ms": 2_100}],
                "clients": [{"resolver": "demo-authority", "reached_ms": 2_500,
                             "last_addr": "127.0.0.3:8080", "failed": 3}],
            }),
        );
        assert_eq!(
            f.describe(&watch),
            [
                "+2.5s authoritative demo-authority serves 127.0.0.3",
                "+2.6s resolver path demo-authority hands out 127.0.0.3",
                "+3.0s clients reach the new pool at 127.0.0.3:8080 (via demo-authority; 3 requests failed before)",
                "+8.0s propagation: propagation all converged: 0 outstanding",
            ]
        );
    }
}
