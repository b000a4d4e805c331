//! Building reports from a hand-written journal and watch outcome.

use std::time::Duration;

use super::fixture::{T0, entries, entry, outcome};
use super::*;

const MIN5: Duration = Duration::from_secs(300);

fn report(rto: Duration) -> Report {
    build(
        "checkout-1764000000000",
        "checkout",
        Kind::Incident,
        rto,
        &entries(),
        Some(&outcome()),
    )
}

/// (offset, wall clock, detail) of a milestone.
fn at(r: &Report, key: &str) -> (i64, String, Option<String>) {
    let m = r
        .milestone(key)
        .unwrap_or_else(|| panic!("no milestone {key}"));
    (m.offset_ms, m.at.clone(), m.detail.clone())
}

#[test]
fn every_timeline_field() {
    let r = report(MIN5);
    assert_eq!(r.started_at_ms, T0);
    assert_eq!(r.started_at, "2025-11-24T16:00:00.000Z");
    let start = at(&r, "first_failed_probe");
    assert_eq!(
        start,
        (
            0,
            "2025-11-24T16:00:00.000Z".into(),
            Some("pool primary".into())
        )
    );
    assert_eq!(
        at(&r, "suspect"),
        (
            400,
            "2025-11-24T16:00:00.400Z".into(),
            Some("pool primary".into())
        )
    );
    assert_eq!(
        at(&r, "ttl_lowered"),
        (
            900,
            "2025-11-24T16:00:00.900Z".into(),
            Some("TTL 30s".into())
        )
    );
    let down = at(&r, "confirmed_down");
    assert_eq!(down.0, 2_100);
    assert_eq!(
        down.2.as_deref(),
        Some("vantages: us-east-1, eu-west-1, ap-south-1")
    );
    let flip = at(&r, "flip_requested");
    assert_eq!(flip.0, 2_150);
    assert_eq!(
        flip.2.as_deref(),
        Some("primary -> standby, by automation (the active pool is down)")
    );
    assert_eq!(at(&r, "provider_accepted").0, 2_600);
    assert_eq!(
        at(&r, "provider_in_sync"),
        (3_300, "2025-11-24T16:00:03.300Z".into(), None)
    );
    let auths: Vec<_> = r
        .timeline
        .iter()
        .filter(|m| m.key == "auth_converged")
        .collect();
    assert_eq!(auths.len(), 2);
    assert_eq!((auths[0].offset_ms, auths[1].offset_ms), (3_800, 5_000));
    assert_eq!(auths[1].detail.as_deref(), Some("ns2 127.0.0.1:5302"));
    assert_eq!(at(&r, "resolvers_p50").0, 32_000);
    assert_eq!(at(&r, "resolvers_p95").0, 50_000);
    assert_eq!(at(&r, "resolvers_max").0, 50_000);
    assert_eq!(at(&r, "first_client").0, 15_000);
    assert_eq!(
        at(&r, "all_clients"),
        (
            51_000,
            "2025-11-24T16:00:51.000Z".into(),
            Some("3 clients".into())
        )
    );
    assert_eq!(at(&r, "incident_end").0, 61_500);
    let offsets: Vec<i64> = r.timeline.iter().map(|m| m.offset_ms).collect();
    assert!(
        offsets.windows(2).all(|w| w[0] <= w[1]),
        "timeline in order: {offsets:?}"
    );
    assert_eq!(
        (r.from_pool.as_deref(), r.to_pool.as_deref()),
        (Some("primary"), Some("standby"))
    );
}

#[test]
fn phases_add_up_and_rto_is_met() {
    let r = report(MIN5);
    let got: Vec<(PhaseName, i64, i64)> = r
        .phases
        .iter()
        .map(|p| (p.name, p.start_ms, p.end_ms))
        .collect();
    assert_eq!(
        got,
        vec![
            (PhaseName::Detection, 0, 2_100),
            (PhaseName::TtlDrain, 2_100, 2_150),
            (PhaseName::ProviderApply, 2_150, 3_300),
            (PhaseName::Authoritative, 3_300, 5_000),
            (PhaseName::ResolverCaches, 5_000, 50_000),
            (PhaseName::Clients, 50_000, 51_000),
        ]
    );
    assert_eq!(r.phases.iter().map(|p| p.duration_ms).sum::<i64>(), 51_000);
    assert_eq!(r.rto.objective_ms, 300_000);
    assert_eq!(r.rto.achieved_ms, Some(51_000));
    assert_eq!(r.rto.measured_to, MeasuredTo::AllClients);
    assert_eq!(r.rto.verdict, Verdict::Met);
    assert_eq!(r.rto.margin_ms, Some(249_000));
    assert_eq!(r.rto.costliest, Some(PhaseName::ResolverCaches));
}

#[test]
fn resolvers_predicted_vs_observed() {
    let r = report(MIN5);
    let rows: Vec<_> = r
        .resolvers
        .iter()
        .map(|x| {
            (
                x.name.as_str(),
                x.switched_ms,
                x.predicted_ms,
                x.kept_past_prediction,
                x.overstay_ms,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("unbound-a", Some(14_150), Some(32_600), false, None),
            ("unbound-b", Some(32_000), Some(32_600), false, None),
            ("unbound-c", Some(50_000), Some(32_600), true, Some(17_400)),
        ]
    );
    let s = r.resolver_spread.clone().expect("spread");
    assert_eq!(
        (s.watched, s.converged, s.p50_ms, s.p95_ms, s.max_ms),
        (3, 3, 32_000, 50_000, 50_000)
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("unbound-c kept the old answer 17.4s"))
    );
    assert_eq!(r.automation.flip_by.as_deref(), Some("automation"));
    assert!(r.automation.succeeded_alone());
}

#[test]
fn missed_rto_names_the_costliest_phase() {
    let r = report(Duration::from_secs(30));
    assert_eq!(r.rto.verdict, Verdict::Missed);
    assert_eq!(r.rto.margin_ms, Some(-21_000));
    assert_eq!(r.rto.costliest, Some(PhaseName::ResolverCaches));
    let text = render_text(&r);
    assert!(
        text.contains("RTO MISSED by 21.0s: recovered in 51.0s"),
        "{text}"
    );
    assert!(
        text.contains("Costliest phase: resolver caches (45.0s, 88% of the recovery)"),
        "{text}"
    );
}

#[test]
fn without_client_check_measures_to_resolvers() {
    let mut w = outcome();
    w.clients.clear();
    let r = build("i", "checkout", Kind::Incident, MIN5, &entries(), Some(&w));
    assert_eq!(r.rto.measured_to, MeasuredTo::AllResolvers);
    assert_eq!(r.rto.achieved_ms, Some(50_000));
    assert_eq!(r.rto.margin_ms, Some(250_000));
    assert_eq!(
        r.phases.last().map(|p| p.name),
        Some(PhaseName::ResolverCaches)
    );
    assert!(r.milestone("all_clients").is_none() && r.milestone("first_client").is_none());
    assert!(r.notes.iter().any(|n| n.contains("no client check")));
    assert!(render_text(&r).contains("(to all resolvers converged (no client check))"));
}

#[test]
fn journaled_watch_result_gives_the_same_report() {
    let mut e = entries();
    let watch = serde_json::to_value(outcome()).expect("outcome serialises");
    let event = crate::journal::Event::WatchResult {
        end: "converged".into(),
        outstanding: Vec::new(),
        watch,
    };
    e.push(entry(12, 51_200, "rtoguard", event));
    let from_journal = build(
        "checkout-1764000000000",
        "checkout",
        Kind::Incident,
        MIN5,
        &e,
        None,
    );
    assert_eq!(from_journal, report(MIN5));
}
