//! Posture over time: median / p90, the share within the RTO, automation success.

use std::time::Duration;

use super::fixture::{T0, entries, outcome};
use super::*;

const DAY: i64 = 86_400_000;

fn base() -> Report {
    build(
        "i",
        "checkout",
        Kind::Incident,
        Duration::from_secs(300),
        &entries(),
        Some(&outcome()),
    )
}

/// A report `days` before now, with its kind, recovery, verdict and detection time.
fn variant(days: i64, kind: Kind, achieved: Option<i64>, verdict: Verdict, detect: i64) -> Report {
    let mut r = base();
    r.started_at_ms = T0 - days * DAY;
    r.kind = kind;
    r.rto.achieved_ms = achieved;
    r.rto.verdict = verdict;
    for m in r.timeline.iter_mut().filter(|m| m.key == "confirmed_down") {
        m.offset_ms = detect;
    }
    if kind == Kind::Manual {
        r.automation.flip_by = Some("operator".into());
    }
    r
}

fn reports() -> Vec<Report> {
    let mut person = variant(5, Kind::Incident, Some(90_000), Verdict::Met, 4_000);
    person.automation.operator_commands = 1;
    let mut other = variant(1, Kind::Incident, Some(10_000), Verdict::Met, 1_000);
    other.service = "search".into();
    vec![
        variant(1, Kind::Incident, Some(40_000), Verdict::Met, 2_000),
        variant(2, Kind::Incident, Some(51_000), Verdict::Met, 2_100),
        variant(3, Kind::Drill, Some(60_000), Verdict::Met, 3_000),
        person,
        variant(8, Kind::Incident, Some(400_000), Verdict::Missed, 9_000),
        variant(9, Kind::Manual, None, Verdict::Unknown, 0),
        variant(45, Kind::Incident, Some(1_000_000), Verdict::Missed, 60_000),
        other,
    ]
}

#[test]
fn median_p90_and_within_rto_share() {
    let s = summary(&reports(), Duration::from_secs(30 * 86_400), T0);
    assert_eq!(s.since_ms, T0 - 30 * DAY);
    let names: Vec<&str> = s.services.iter().map(|x| x.service.as_str()).collect();
    assert_eq!(names, ["checkout", "search"]);
    let c = &s.services[0];
    assert_eq!(
        (c.incidents, c.drills, c.manual),
        (4, 1, 1),
        "the 45-day-old report is out"
    );
    // Restore: 40, 51, 60, 90, 400 s; nearest rank: median the 3rd, p90 the 5th.
    assert_eq!(
        c.time_to_restore,
        Stat {
            count: 5,
            median_ms: Some(60_000),
            p90_ms: Some(400_000)
        }
    );
    // Detect (manual moves left out): 2.0, 2.1, 3.0, 4.0, 9.0 s.
    assert_eq!(
        c.time_to_detect,
        Stat {
            count: 5,
            median_ms: Some(3_000),
            p90_ms: Some(9_000)
        }
    );
    assert_eq!(
        c.time_to_failover,
        Stat {
            count: 6,
            median_ms: Some(3_300),
            p90_ms: Some(3_300)
        }
    );
    assert_eq!((c.rto_met, c.rto_missed, c.rto_unknown), (4, 1, 1));
    assert_eq!(c.within_rto, Some(0.8));
    assert_eq!((c.automatic_flips, c.automatic_unaided), (5, 4));
    assert_eq!(c.automation_success, Some(0.8));
    let search = &s.services[1];
    assert_eq!((search.incidents, search.within_rto), (1, Some(1.0)));
}

#[test]
fn summary_renders() {
    let s = summary(&reports(), Duration::from_secs(30 * 86_400), T0);
    let text = render_summary_text(&s);
    assert!(
        text.contains("checkout: incidents 4, drills 1, manual moves 1"),
        "{text}"
    );
    assert!(
        text.contains("MTTR (time to full restore)   median    1m00s   p90    6m40s   (n=5)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "within the RTO{:16}80% (4 met, 1 missed, 1 unknown)",
            ""
        )),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 100));
    insta::assert_snapshot!("summary_text", text);
    let back: Summary = serde_json::from_str(&render_summary_json(&s)).expect("JSON reads back");
    assert_eq!(back, s);
    let empty = summary(&reports(), Duration::from_secs(1), T0 + 365 * DAY);
    assert!(empty.services.is_empty());
    assert!(render_summary_text(&empty).contains("No reports in this window."));
}
