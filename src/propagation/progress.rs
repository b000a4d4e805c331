//! Progress events of a running watch, and their renderer: a spinner on a TTY, timestamped lines otherwise.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::EndReason;

/// One thing that happened during a watch; `elapsed` is from the incident start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// An authoritative server serves the new data.
    Authoritative {
        server: String,
        elapsed: Duration,
        serial: Option<u32>,
    },
    /// A resolver hands out the new data.
    Resolver { resolver: String, elapsed: Duration },
    /// A client reached the new pool through this resolver's answer.
    Client {
        resolver: String,
        elapsed: Duration,
        failed: u32,
        old_pool: u32,
    },
    /// A path keeps failing (timeouts, SERVFAIL, refusals).
    Failing {
        path: String,
        elapsed: Duration,
        reason: String,
    },
    /// Once a second: what is still awaited.
    Tick {
        elapsed: Duration,
        waiting: Vec<String>,
    },
    /// The watch ended.
    Done { elapsed: Duration, end: EndReason },
}

impl Progress {
    /// One human line for this event (`None` for ticks, which only move the spinner).
    pub fn line(&self) -> Option<String> {
        let at = |d: &Duration| format!("+{:.1}s", d.as_secs_f64());
        Some(match self {
            Self::Authoritative {
                server,
                elapsed,
                serial,
            } => {
                let serial = serial.map_or_else(|| "?".to_string(), |s| s.to_string());
                format!(
                    "{} authoritative {server} serves the new data (serial {serial})",
                    at(elapsed)
                )
            }
            Self::Resolver { resolver, elapsed } => {
                format!("{} resolver {resolver} switched", at(elapsed))
            }
            Self::Client {
                resolver,
                elapsed,
                failed,
                old_pool,
            } => format!(
                "{} client via {resolver} reached the new pool ({failed} failed, {old_pool} old-pool requests before)",
                at(elapsed)
            ),
            Self::Failing {
                path,
                elapsed,
                reason,
            } => format!("{} {path} keeps failing: {reason}", at(elapsed)),
            Self::Tick { .. } => return None,
            Self::Done { elapsed, end } => format!("{} watch ended: {end}", at(elapsed)),
        })
    }
}

/// Render events until the sender is dropped: an `indicatif` spinner when
/// `is_tty`, plain lines with an RFC 3339 timestamp otherwise.
pub fn render_progress(mut rx: mpsc::Receiver<Progress>, is_tty: bool) -> JoinHandle<()> {
    tokio::spawn(async move {
        let bar = is_tty.then(spinner);
        while let Some(event) = rx.recv().await {
            match (&bar, &event) {
                (Some(bar), Progress::Tick { elapsed, waiting }) => {
                    bar.set_message(format!(
                        "+{}s waiting for {}",
                        elapsed.as_secs(),
                        waiting.join(", ")
                    ));
                }
                (Some(bar), e) => {
                    if let Some(line) = e.line() {
                        bar.println(line);
                    }
                }
                (None, e) => {
                    if let Some(line) = e.line() {
                        outln!("{} {line}", now_rfc3339());
                    }
                }
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    })
}

/// A spinner on standard output: the story's lines go there too, above it.
fn spinner() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_the_path_and_offset() {
        let e = Progress::Resolver {
            resolver: "local".into(),
            elapsed: Duration::from_millis(31_240),
        };
        assert_eq!(e.line().as_deref(), Some("+31.2s resolver local switched"));
        let tick = Progress::Tick {
            elapsed: Duration::from_secs(3),
            waiting: vec!["resolver local".into()],
        };
        assert_eq!(tick.line(), None);
    }

    #[tokio::test]
    async fn renderer_ends_when_the_sender_is_dropped() {
        let (tx, rx) = mpsc::channel(4);
        let h = render_progress(rx, false);
        tx.send(Progress::Done {
            elapsed: Duration::from_secs(1),
            end: EndReason::Converged,
        })
        .await
        .expect("renderer alive");
        drop(tx);
        h.await.expect("renderer task ends cleanly");
    }
}
