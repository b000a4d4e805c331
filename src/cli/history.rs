//! `rtoguard history`: the journal, filtered (`--service`, `--since`, `-n`),
//! as lines or JSON, and with `--follow` the entries added after, until Ctrl-C.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::HistoryArgs;
use super::shared::{fail_msg, load};
use crate::journal::{Entry, Journal, history};

/// How often `--follow` looks for new entries.
const FOLLOW_POLL: Duration = Duration::from_millis(250);

pub async fn run(a: &HistoryArgs) -> ExitCode {
    let cfg = match load(&a.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let service = a.service.as_deref().or(a.service_flag.as_deref());
    if let Some(name) = service
        && cfg.service(name).is_none()
    {
        let valid: Vec<&str> = cfg.services.iter().map(|s| s.name.as_str()).collect();
        let msg = format!(
            "no service {name:?} in the config; services are: {}",
            valid.join(", ")
        );
        return fail_msg(&msg, 64);
    }
    let j = match Journal::open(&cfg.controller.state_dir) {
        Ok(j) => j,
        Err(e) => return fail_msg(&e.to_string(), 1),
    };
    let entries = match j.entries(service, 0) {
        Ok(e) => e,
        Err(e) => return fail_msg(&e.to_string(), 1),
    };
    let last = entries.last().map_or(0, |e| e.seq);
    let since = a.since.map(|s| s.epoch_ms());
    let shown: Vec<&Entry> = entries
        .iter()
        .filter(|e| since.is_none_or(|s| e.at_ms >= s))
        .collect();
    let skip = a.lines.map_or(0, |n| shown.len().saturating_sub(n));
    for e in &shown[skip..] {
        print_entry(e, a.json);
    }
    if a.follow {
        return follow(&j, service, last, a.json).await;
    }
    ExitCode::SUCCESS
}

/// Print the entries added after `last` as they come, until Ctrl-C (exit 0:
/// following ends that way).
async fn follow(j: &Journal, service: Option<&str>, mut last: i64, json: bool) -> ExitCode {
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return ExitCode::SUCCESS,
            () = tokio::time::sleep(FOLLOW_POLL) => {}
        }
        match j.entries(service, last) {
            Ok(new) => {
                for e in &new {
                    print_entry(e, json);
                    last = e.seq;
                }
                // The reader went away (`history --follow | head`): done.
                if crate::out::closed() {
                    return ExitCode::SUCCESS;
                }
            }
            Err(e) => return fail_msg(&e.to_string(), 1),
        }
    }
}

fn print_entry(e: &Entry, json: bool) {
    if json {
        outln!("{}", history::json_line(e));
    } else {
        outln!("{}", history::text_line(e));
    }
}

/// The start of `--since`: a duration back from now (`2h`, `30m`) or a
/// time (RFC 3339, `2026-12-02T06:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since(SystemTime);

impl Since {
    fn epoch_ms(self) -> i64 {
        self.0
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// Parse `--since` (clap's value parser).
pub fn parse_since(s: &str) -> Result<Since, String> {
    if let Ok(d) = humantime::parse_duration(s) {
        return Ok(Since(
            SystemTime::now().checked_sub(d).unwrap_or(UNIX_EPOCH),
        ));
    }
    humantime::parse_rfc3339_weak(s).map(Since).map_err(|_| {
        format!("{s:?} is neither a duration (2h, 30m) nor a time (2026-12-02T06:00:00Z)")
    })
}

#[cfg(test)]
mod tests {
    use super::parse_since;

    #[test]
    fn since_takes_a_duration_or_a_time() {
        let t = parse_since("2026-12-02T06:00:00Z").unwrap();
        assert_eq!(t.epoch_ms(), 1_796_191_200_000);
        let ago = parse_since("2h").unwrap().epoch_ms();
        let now = crate::journal::now_ms();
        assert!((now - 7_200_000 - ago).abs() < 60_000, "{ago} vs {now}");
        let err = parse_since("yesterday").unwrap_err();
        assert!(err.contains("neither a duration"), "{err}");
    }
}
