//! The report of one region's evacuation: a row per service (moved, and
//! how long it took; stayed; refused, and why), stored in the journal like
//! an RTO report (kind `evacuation`) and listed by `rtoguard report --list`.

use serde::{Deserialize, Serialize};

use crate::controller::evacuation::Step;

/// One evacuation, as `rtoguard report ID` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvacuationReport {
    pub evacuation: String,
    pub region: String,
    /// The group evacuated (`None`: every service).
    pub group: Option<String>,
    pub by: String,
    pub reason: String,
    pub planned: bool,
    /// When it started and when its last move ended (epoch milliseconds).
    pub started_ms: i64,
    pub ended_ms: i64,
    /// When the region may be used again by itself (epoch ms; `None`: by `--end`).
    pub until_ms: Option<i64>,
    pub rows: Vec<EvacuationRow>,
}

/// One service of an evacuation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvacuationRow {
    pub service: String,
    #[serde(flatten)]
    pub step: Step,
    /// How the step ended, in words (`moved`, `not done within 120s`, ...).
    pub outcome: String,
    /// From the command to the move landing, for a service that moved.
    pub took_ms: Option<u64>,
}

impl EvacuationReport {
    /// Whether every planned move landed and nothing was refused.
    pub fn complete(&self) -> bool {
        self.rows
            .iter()
            .all(|r| r.outcome == "moved" || r.outcome == "stayed")
    }
}

/// The report as text.
pub fn render_evacuation_text(r: &EvacuationReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let scope = r
        .group
        .as_deref()
        .map_or("every service".to_owned(), |g| format!("group {g}"));
    let _ = writeln!(
        s,
        "evacuation {} of region {} ({scope})",
        r.evacuation, r.region
    );
    let _ = writeln!(s, "asked by {}: {}", r.by, r.reason);
    let how = if r.planned {
        "planned moves"
    } else {
        "moves at once"
    };
    let _ = writeln!(
        s,
        "started {}, last move ended {} ({how})",
        super::format_wall(r.started_ms),
        super::format_wall(r.ended_ms)
    );
    let until = r.until_ms.map_or("until ended".to_owned(), |u| {
        format!("until {}", super::format_wall(u))
    });
    let _ = writeln!(s, "region kept empty {until}");
    let width = r
        .rows
        .iter()
        .map(|x| x.service.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(s, "{:width$}  {:<44}  outcome", "service", "step");
    for row in &r.rows {
        let took = row.took_ms.map_or(String::new(), |ms| {
            format!(" after {:.1}s", ms as f64 / 1000.0)
        });
        let _ = writeln!(
            s,
            "{:width$}  {:<44}  {}{took}",
            row.service,
            row.step.to_string(),
            row.outcome
        );
    }
    let verdict = if r.complete() {
        "complete"
    } else {
        "incomplete"
    };
    let _ = write!(s, "evacuation {verdict}");
    s
}
