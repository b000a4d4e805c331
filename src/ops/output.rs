//! Step-by-step output of manual operations: human lines or JSON lines.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

/// Where steps are printed. Human lines carry the wall-clock time and the
/// offset from the start; `--json` prints one object a line with the same.
#[derive(Debug, Clone)]
pub struct Output {
    json: bool,
    start: Instant,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            start: Instant::now(),
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
            println!("{obj}");
        } else {
            let t = now
                .format(&time::macros::format_description!(
                    "[hour]:[minute]:[second]"
                ))
                .unwrap_or_default();
            println!("{t} +{:>6.1}s  {message}", elapsed.as_secs_f64());
        }
        let _ = std::io::stdout().flush();
    }

    /// A countdown for a wait: a live bar on a terminal, a line every 10 s otherwise.
    pub fn countdown(&self, label: &str, total: Duration) -> Countdown {
        let bar = (!self.json && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(total.as_secs().max(1));
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len}s, {eta} left",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_message(label.to_string());
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

    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
