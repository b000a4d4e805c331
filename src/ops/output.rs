//! Step-by-step output of manual operations: human lines or JSON lines.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

/// Where steps are printed. Human lines carry the wall-clock time and the
/// offset from the start; `--json` prints one object a line with the same.
/// While a countdown bar runs, steps are printed above it (the bar owns the
/// terminal's last line).
#[derive(Debug, Clone)]
pub struct Output {
    json: bool,
    start: Instant,
    bar: Arc<Mutex<Option<indicatif::ProgressBar>>>,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            start: Instant::now(),
            bar: Arc::default(),
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    pub fn start(&self) -> Instant {
        self.start
    }

    /// Print one step: `event` is a stable word, `message` a sentence.
    pub fn step(&self, event: &str, message: &str, detail: Value) {
        let elapsed = self.start.elapsed();
        let bar = self.bar.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) => bar.suspend(|| self.print(elapsed, message, detail, event)),
            None => self.print(elapsed, message, detail, event),
        }
    }

    fn print(&self, elapsed: Duration, message: &str, detail: Value, event: &str) {
        let now = time::OffsetDateTime::now_utc();
        if self.json {
            let mut obj = json!({
                "at": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "elapsed_ms": elapsed.as_millis() as u64,
                "event": event,
                "message": message,
            });
            if let (Some(o), Value::Object(d)) = (obj.as_object_mut(), detail) {
                o.extend(d);
            }
            outln!("{obj}");
        } else {
            let t = now
                .format(&time::macros::format_description!(
                    "[hour]:[minute]:[second]"
                ))
                .unwrap_or_default();
            outln!("{t} +{:>6.1}s  {message}", elapsed.as_secs_f64());
        }
        let _ = std::io::stdout().flush();
    }

    /// A countdown for a wait: a live bar on a terminal, a line every 10 s otherwise.
    pub fn countdown(&self, label: &str, total: Duration) -> Countdown {
        let bar = (!self.json && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(total.as_secs().max(1));
            b.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}s of {len}s")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_message(label.to_string());
            if let Ok(mut slot) = self.bar.lock() {
                *slot = Some(b.clone());
            }
            b
        });
        Countdown {
            out: self.clone(),
            label: label.to_string(),
            total,
            bar,
            last_line: None,
        }
    }
}

/// A running countdown display.
#[derive(Debug)]
pub struct Countdown {
    out: Output,
    label: String,
    total: Duration,
    bar: Option<indicatif::ProgressBar>,
    last_line: Option<Instant>,
}

impl Countdown {
    /// Show that `elapsed` of the wait has passed.
    pub fn update(&mut self, elapsed: Duration) {
        let left = self.total.saturating_sub(elapsed);
        if let Some(b) = &self.bar {
            b.set_position(elapsed.as_secs());
        } else if self
            .last_line
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(10))
        {
            self.last_line = Some(Instant::now());
            self.out.step(
                "wait",
                &format!("{}: {}s left", self.label, left.as_secs()),
                json!({ "left_s": left.as_secs() }),
            );
        }
    }

    /// Clear the bar (also on drop, so that an error or an abort leaves no
    /// fragment of it).
    pub fn finish(self) {}
}

impl Drop for Countdown {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
            if let Ok(mut slot) = self.out.bar.lock() {
                *slot = None;
            }
        }
    }
}
