//! The Grafana dashboard queries only metric names the registry exposes.

use std::collections::BTreeSet;

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::{IncidentKind, Metrics, Phase, RequestResult};
use crate::controller::PoolHealth;
use crate::probe::EndpointState;

const DASHBOARD: &str = include_str!("../../contrib/grafana-dashboard.json");

/// A registry with one series in every family (empty families render nothing).
fn populated() -> Metrics {
    let m = Metrics::new();
    let d = Duration::from_millis(30);
    m.init_service("checkout", Duration::from_secs(300));
    m.probe("checkout", "primary", "127.0.0.2", "us-east-1", true, d);
    m.set_observation(
        "checkout",
        "primary",
        "127.0.0.2",
        "us-east-1",
        EndpointState::Up,
    );
    m.set_pool_health("checkout", "primary", PoolHealth::Up);
    m.set_active_pool("checkout", Some("primary"), &["primary", "standby"]);
    m.set_ttl("checkout", 300);
    m.set_risk_end("checkout", Some(SystemTime::now()));
    m.incident_started("checkout", IncidentKind::Drill);
    m.incident_recovered("checkout", d, Duration::from_secs(300));
    m.provider_request("bind", "apply", RequestResult::Ok, d);
    m.propagation_phase("checkout", Phase::Client, d);
    m.peer_success("eu-west-1", SystemTime::now());
    m.journal_write(d);
    m.probe_lateness(d);
    m.probe_local("checkout", "primary", "127.0.0.2", "us-east-1");
    m.set_vantage_impaired("us-east-1", "checkout", true);
    m
}

/// Every sample name the registry exposes, from its `# TYPE` lines.
fn exposed() -> BTreeSet<String> {
    let text = populated().render();
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let Some((name, kind)) = line.strip_prefix("# TYPE ").and_then(|r| r.split_once(' '))
        else {
            continue;
        };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            _ => &[""],
        };
        names.extend(suffixes.iter().map(|s| format!("{name}{s}")));
    }
    names
}

/// Every string in the dashboard (queries, variables, annotations).
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

/// The `rtoguard_*` identifiers in `text`.
fn metric_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("rtoguard_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

#[test]
fn every_metric_the_dashboard_queries_is_registered() {
    let dash: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    let mut all = Vec::new();
    strings(&dash, &mut all);
    let used: BTreeSet<String> = all.iter().flat_map(|s| metric_names(s)).collect();
    let exposed = exposed();
    let unknown: Vec<_> = used.difference(&exposed).collect();
    assert!(
        unknown.is_empty(),
        "the dashboard queries unregistered metrics {unknown:?}; registered: {exposed:?}"
    );
    for family in [
        "rtoguard_rto_met_total",
        "rtoguard_active_pool",
        "rtoguard_pool_health",
        "rtoguard_propagation_phase_seconds_bucket",
        "rtoguard_provider_requests_total",
    ] {
        assert!(used.contains(family), "the dashboard should chart {family}");
    }
}

#[test]
fn the_dashboard_has_an_executive_and_an_on_call_row() {
    let dash: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    let panels = dash["panels"].as_array().expect("panels");
    let rows: Vec<&str> = panels
        .iter()
        .filter(|p| p["type"] == "row")
        .filter_map(|p| p["title"].as_str())
        .collect();
    assert!(
        rows.len() == 2 && rows[0].starts_with("Executive") && rows[1].starts_with("On-call"),
        "{rows:?}"
    );
    let ids: BTreeSet<u64> = panels.iter().filter_map(|p| p["id"].as_u64()).collect();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
    for p in panels.iter().filter(|p| p["type"] != "row") {
        assert!(
            p["targets"].as_array().is_some_and(|t| !t.is_empty()),
            "panel {} has no query",
            p["title"]
        );
    }
}

#[test]
fn every_family_of_the_brief_is_exposed() {
    let exposed = exposed();
    let families = [
        "probe_results_total",
        "probe_duration_seconds_bucket",
        "observation_state",
        "pool_health",
        "active_pool",
        "flips_total",
        "ttl_seconds",
        "incidents_total",
        "incident_recovery_seconds_bucket",
        "rto_seconds",
        "rto_met_total",
        "rto_missed_total",
        "provider_requests_total",
        "provider_request_duration_seconds_bucket",
        "propagation_phase_seconds_bucket",
        "peer_last_success_timestamp_seconds",
        "journal_write_seconds_bucket",
        "probe_lateness_seconds_bucket",
        "quorum_insufficient",
        "incident_open",
        "vantage_impaired",
        "risk_window_end_seconds",
    ];
    for f in families {
        assert!(
            exposed.contains(&format!("rtoguard_{f}")),
            "rtoguard_{f} missing from {exposed:?}"
        );
    }
}

#[test]
fn names_are_found_in_queries() {
    let q = "histogram_quantile(0.5, sum by (le) (rate(rtoguard_probe_duration_seconds_bucket{x=\"y\"}[5m]))) / rtoguard_rto_seconds";
    assert_eq!(
        metric_names(q),
        [
            "rtoguard_probe_duration_seconds_bucket",
            "rtoguard_rto_seconds"
        ]
    );
}

/// Every controller exports these per service, whatever voice it has: a
/// query must take one value per service (`max by (service)`) before it
/// adds services up, or two controllers count a service twice.
#[test]
fn per_controller_gauges_are_taken_once_per_service_not_summed() {
    let dash: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    let mut all = Vec::new();
    strings(&dash, &mut all);
    let gauges = [
        "rtoguard_incident_open",
        "rtoguard_rto_seconds",
        "rtoguard_quorum_insufficient",
        "rtoguard_ttl_seconds",
    ];
    // Queries, not the service variable's `label_values(...)`.
    let queries = all
        .iter()
        .filter(|s| s.contains("rtoguard_") && !s.starts_with("label_values("));
    for q in queries {
        for g in gauges
            .iter()
            .filter(|g| metric_names(q).iter().any(|n| n == *g))
        {
            let once = format!("max by (service) ({g}");
            let pooled = format!("max by (service, pool) ({g}");
            assert!(
                q.contains(&once) || q.contains(&pooled),
                "{g} is aggregated across controllers without max: {q}"
            );
        }
    }
}
