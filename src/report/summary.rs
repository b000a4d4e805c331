//! Posture over time: many reports folded into per-service figures
//! (median and p90, never the mean; share within the RTO; automation success).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::clock::{dur, percentile, wall};
use super::types::{Kind, Report, Verdict};

/// Median and p90 (nearest rank) of one measure, over `count` reports that had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    pub count: usize,
    pub median_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

impl Stat {
    fn of(values: &[i64]) -> Self {
        Self {
            count: values.len(),
            median_ms: percentile(values, 50),
            p90_ms: percentile(values, 90),
        }
    }
}

/// One service's posture over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub service: String,
    pub incidents: usize,
    pub manual: usize,
    pub drills: usize,
    /// Start to confirmed down (incidents and drills).
    pub time_to_detect: Stat,
    /// Start to the provider having the flip in sync.
    pub time_to_failover: Stat,
    /// Start to full restore (clients, else resolvers, on the new pool): the MTTR.
    pub time_to_restore: Stat,
    pub rto_met: usize,
    pub rto_missed: usize,
    pub rto_unknown: usize,
    /// `rto_met / (rto_met + rto_missed)`; `None` without a verdict.
    pub within_rto: Option<f64>,
    /// Flips started by automation, and those that completed with no person stepping in.
    pub automatic_flips: usize,
    pub automatic_unaided: usize,
    /// `automatic_unaided / automatic_flips`; `None` without automatic flips.
    pub automation_success: Option<f64>,
}

/// Posture of every service with a report in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The window: reports that started from `since_ms` to `now_ms` (epoch ms).
    pub since_ms: i64,
    pub now_ms: i64,
    pub services: Vec<ServiceSummary>,
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// Fold the reports that started in the last `since` before `now_ms`.
pub fn summary(reports: &[Report], since: Duration, now_ms: i64) -> Summary {
    let since_ms = now_ms.saturating_sub(i64::try_from(since.as_millis()).unwrap_or(i64::MAX));
    let mut by: BTreeMap<&str, Vec<&Report>> = BTreeMap::new();
    for r in reports {
        if (since_ms..=now_ms).contains(&r.started_at_ms) {
            by.entry(&r.service).or_default().push(r);
        }
    }
    Summary {
        since_ms,
        now_ms,
        services: by.into_iter().map(|(s, rs)| service(s, &rs)).collect(),
    }
}

fn service(name: &str, rs: &[&Report]) -> ServiceSummary {
    let count = |k: Kind| rs.iter().filter(|r| r.kind == k).count();
    let verdicts = |v: Verdict| rs.iter().filter(|r| r.rto.verdict == v).count();
    let offset = |key: &str, manual: bool| -> Vec<i64> {
        rs.iter()
            .filter(|r| manual || r.kind != Kind::Manual)
            .filter_map(|r| r.milestone(key).map(|m| m.offset_ms))
            .collect()
    };
    let restore: Vec<i64> = rs.iter().filter_map(|r| r.rto.achieved_ms).collect();
    let auto: Vec<&&Report> = rs
        .iter()
        .filter(|r| r.automation.flip_by.as_deref() == Some("automation"))
        .collect();
    let unaided = auto
        .iter()
        .filter(|r| r.automation.succeeded_alone())
        .count();
    let (met, missed) = (verdicts(Verdict::Met), verdicts(Verdict::Missed));
    ServiceSummary {
        service: name.to_string(),
        incidents: count(Kind::Incident),
        manual: count(Kind::Manual),
        drills: count(Kind::Drill),
        time_to_detect: Stat::of(&offset("confirmed_down", false)),
        time_to_failover: Stat::of(&offset("provider_in_sync", true)),
        time_to_restore: Stat::of(&restore),
        rto_met: met,
        rto_missed: missed,
        rto_unknown: verdicts(Verdict::Unknown),
        within_rto: ratio(met, met + missed),
        automatic_flips: auto.len(),
        automatic_unaided: unaided,
        automation_success: ratio(unaided, auto.len()),
    }
}

/// The summary as pretty-printed JSON.
pub fn render_summary_json(s: &Summary) -> String {
    // Plain data with string keys: serialising cannot fail.
    serde_json::to_string_pretty(s).unwrap_or_default()
}

fn stat_line(o: &mut String, what: &str, s: &Stat) {
    let f = |v: Option<i64>| v.map_or_else(|| "-".into(), dur);
    let _ = writeln!(
        o,
        "  {what:<30}median {:>8}   p90 {:>8}   (n={})",
        f(s.median_ms),
        f(s.p90_ms),
        s.count
    );
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{:.0}%", x * 100.0))
}

/// The summary as text (at most 100 columns).
pub fn render_summary_text(s: &Summary) -> String {
    let mut o = format!("Posture from {} to {}\n", wall(s.since_ms), wall(s.now_ms));
    if s.services.is_empty() {
        o.push_str("No reports in this window.\n");
    }
    for x in &s.services {
        let _ = writeln!(
            o,
            "\n{}: incidents {}, drills {}, manual moves {}",
            x.service, x.incidents, x.drills, x.manual
        );
        stat_line(&mut o, "time to detect", &x.time_to_detect);
        stat_line(&mut o, "time to failover complete", &x.time_to_failover);
        stat_line(&mut o, "MTTR (time to full restore)", &x.time_to_restore);
        let _ = writeln!(
            o,
            "  {:<30}{} ({} met, {} missed, {} unknown)",
            "within the RTO",
            pct(x.within_rto),
            x.rto_met,
            x.rto_missed,
            x.rto_unknown
        );
        let _ = writeln!(
            o,
            "  {:<30}{} ({} of {} automatic flips completed without a person)",
            "automation success",
            pct(x.automation_success),
            x.automatic_unaided,
            x.automatic_flips
        );
    }
    o
}
