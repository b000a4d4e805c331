//! Tests: values and labels in the OpenMetrics text after calls.

use std::time::Duration;

use super::*;
use crate::controller::PoolHealth;
use crate::probe::EndpointState;

/// The value of the sample written exactly as `series` (name and labels).
pub(super) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{series}: {v:?} is not a number"))
        })
}

pub(super) const FLIP_AUTO: &str =
    r#"rtoguard_flips_total{service="checkout",reason="active_down",trigger="automatic"}"#;

#[test]
fn flips_count_from_zero_and_render_as_openmetrics() {
    let m = Metrics::new();
    m.init_service("checkout", Duration::from_secs(300));
    let text = m.render();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains("# TYPE rtoguard_flips counter"), "{text}");
    assert!(
        text.contains("# HELP rtoguard_flips Flips of a service's record"),
        "{text}"
    );
    assert_eq!(sample(&text, FLIP_AUTO), Some(0.0));
    assert_eq!(
        sample(&text, r#"rtoguard_rto_seconds{service="checkout"}"#),
        Some(300.0)
    );
    m.flip("checkout", "active_down", false);
    m.flip("checkout", "manual", true);
    let text = m.render();
    assert_eq!(sample(&text, FLIP_AUTO), Some(1.0));
    let manual = r#"rtoguard_flips_total{service="checkout",reason="manual",trigger="manual"}"#;
    assert_eq!(sample(&text, manual), Some(1.0));
}

#[test]
fn active_pool_switches_and_a_reload_forgets_it() {
    let m = Metrics::new();
    let pools = ["primary", "standby"];
    let active = |t: &str, p: &str| {
        sample(
            t,
            &format!(r#"rtoguard_active_pool{{service="checkout",pool="{p}"}}"#),
        )
    };
    m.set_active_pool("checkout", Some("primary"), &pools);
    let t = m.render();
    assert_eq!(
        (active(&t, "primary"), active(&t, "standby")),
        (Some(1.0), Some(0.0))
    );
    m.set_active_pool("checkout", Some("standby"), &pools);
    let t = m.render();
    assert_eq!(
        (active(&t, "primary"), active(&t, "standby")),
        (Some(0.0), Some(1.0))
    );

    m.forget_service_state();
    let t = m.render();
    assert_eq!(
        active(&t, "standby"),
        None,
        "a reload forgets the old pools"
    );
}

#[test]
fn health_and_observation_states_are_one_hot() {
    let m = Metrics::new();
    m.set_pool_health("checkout", "primary", PoolHealth::Suspect);
    m.set_pool_health("checkout", "primary", PoolHealth::Down);
    m.set_observation(
        "checkout",
        "primary",
        "127.0.0.2",
        "us-east-1",
        EndpointState::Down,
    );
    let t = m.render();
    let health = |h: &str| {
        sample(
            &t,
            &format!(r#"rtoguard_pool_health{{service="checkout",pool="primary",health="{h}"}}"#),
        )
    };
    assert_eq!(
        [
            health("unknown"),
            health("up"),
            health("suspect"),
            health("down")
        ],
        [Some(0.0), Some(0.0), Some(0.0), Some(1.0)]
    );
    let obs = |s: &str| {
        sample(
            &t,
            &format!(
                r#"rtoguard_observation_state{{service="checkout",pool="primary",endpoint="127.0.0.2",vantage="us-east-1",state="{s}"}}"#
            ),
        )
    };
    assert_eq!(
        [obs("unknown"), obs("up"), obs("down")],
        [Some(0.0), Some(0.0), Some(1.0)]
    );
}

#[test]
fn probes_count_by_result_and_time_in_buckets() {
    let m = Metrics::new();
    let probe = |ok, ms| {
        let d = Duration::from_millis(ms);
        m.probe("checkout", "primary", "127.0.0.2", "us-east-1", ok, d);
    };
    probe(true, 20);
    probe(false, 2000);
    probe(false, 2000);
    let t = m.render();
    let ep = r#"service="checkout",pool="primary",endpoint="127.0.0.2",vantage="us-east-1""#;
    let v = |series: String| sample(&t, &series);
    assert_eq!(
        v(format!(
            "rtoguard_probe_results_total{{{ep},result=\"ok\"}}"
        )),
        Some(1.0)
    );
    assert_eq!(
        v(format!(
            "rtoguard_probe_results_total{{{ep},result=\"fail\"}}"
        )),
        Some(2.0)
    );
    assert_eq!(
        v(format!("rtoguard_probe_duration_seconds_count{{{ep}}}")),
        Some(3.0)
    );
    let bucket = format!("rtoguard_probe_duration_seconds_bucket{{le=\"0.025\",{ep}}}");
    assert_eq!(v(bucket), Some(1.0));
}

#[test]
fn incidents_count_rto_met_and_missed() {
    let m = Metrics::new();
    let rto = Duration::from_secs(300);
    m.incident_started("checkout", IncidentKind::Incident);
    let open = r#"rtoguard_incident_open{service="checkout"}"#;
    assert_eq!(sample(&m.render(), open), Some(1.0));
    assert!(m.incident_recovered("checkout", Duration::from_secs(200), rto));
    assert!(!m.incident_recovered("checkout", Duration::from_secs(400), rto));
    let t = m.render();
    let v = |series: &str| sample(&t, &format!("rtoguard_{series}{{service=\"checkout\"}}"));
    assert_eq!(v("rto_met_total"), Some(1.0));
    assert_eq!(v("rto_missed_total"), Some(1.0));
    assert_eq!(v("incident_recovery_seconds_sum"), Some(600.0));
    assert_eq!(v("incident_open"), Some(0.0));
    let kind = r#"rtoguard_incidents_total{service="checkout",kind="incident"}"#;
    assert_eq!(sample(&t, kind), Some(1.0));
}

#[test]
fn ttl_quorum_phases_peers_and_journal_record_their_values() {
    let m = Metrics::new();
    m.set_ttl("checkout", 30);
    m.set_quorum_insufficient("checkout", true);
    m.propagation_phase("checkout", Phase::Resolver, Duration::from_secs(31));
    let at = std::time::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
    m.peer_success("eu-west-1", at);
    m.peer_clock_skew("eu-west-1", None);
    m.peer_clock_skew("ap-south-1", Some(-10_250));
    m.journal_write(Duration::from_millis(2));
    m.probe_lateness(Duration::from_millis(3));
    m.probe_lateness(Duration::from_millis(70));
    let t = m.render();
    let v = |series: &str| sample(&t, series);
    assert_eq!(v(r#"rtoguard_ttl_seconds{service="checkout"}"#), Some(30.0));
    assert_eq!(
        v(r#"rtoguard_quorum_insufficient{service="checkout"}"#),
        Some(1.0)
    );
    let phase = r#"rtoguard_propagation_phase_seconds_count{service="checkout",phase="resolver"}"#;
    assert_eq!(v(phase), Some(1.0));
    let peer = r#"rtoguard_peer_last_success_timestamp_seconds{peer="eu-west-1"}"#;
    assert_eq!(v(peer), Some(1_764_000_000.0));
    let skew = |p: &str| {
        v(&format!(
            r#"rtoguard_peer_clock_skew_seconds{{peer="{p}"}}"#
        ))
    };
    assert_eq!(skew("ap-south-1"), Some(-10.25));
    assert_eq!(skew("eu-west-1"), None, "not measured, not shown");
    assert_eq!(v("rtoguard_journal_write_seconds_count"), Some(1.0));
    assert_eq!(v("rtoguard_probe_lateness_seconds_count"), Some(2.0));
    assert_eq!(
        v(r#"rtoguard_probe_lateness_seconds_bucket{le="0.05"}"#),
        Some(1.0),
        "one of the two was later than 50 ms"
    );
}

#[test]
fn the_vantage_is_impaired_while_any_service_says_so_and_local_probes_are_counted_apart() {
    let m = Metrics::new();
    let g = r#"rtoguard_vantage_impaired{vantage="us-east-1"}"#;
    m.set_vantage_impaired("us-east-1", "checkout", false);
    assert_eq!(sample(&m.render(), g), Some(0.0));
    m.set_vantage_impaired("us-east-1", "checkout", true);
    m.set_vantage_impaired("us-east-1", "search", true);
    m.set_vantage_impaired("us-east-1", "checkout", false);
    assert_eq!(sample(&m.render(), g), Some(1.0), "search still impaired");
    m.set_vantage_impaired("us-east-1", "search", false);
    assert_eq!(sample(&m.render(), g), Some(0.0));
    m.set_vantage_impaired("us-east-1", "search", true);
    m.forget_service_state();
    assert_eq!(sample(&m.render(), g), None, "a reload forgets it");
    m.probe_local("checkout", "primary", "127.0.0.2", "us-east-1");
    let local = r#"rtoguard_probe_results_total{service="checkout",pool="primary",endpoint="127.0.0.2",vantage="us-east-1",result="local"}"#;
    assert_eq!(sample(&m.render(), local), Some(1.0));
}

#[test]
fn an_evacuation_shows_its_end_while_it_lasts() {
    let m = Metrics::new();
    let until = std::time::UNIX_EPOCH + Duration::from_secs(1_764_007_200);
    m.evacuation_started("checkout", "eu-west-1", Some(until));
    m.evacuation_started("api", "eu-west-1", None);
    let t = m.render();
    let end = |svc: &str| {
        sample(
            &t,
            &format!(
                r#"rtoguard_evacuation_end_timestamp_seconds{{service="{svc}",region="eu-west-1"}}"#
            ),
        )
    };
    assert_eq!(end("checkout"), Some(1_764_007_200.0));
    assert_eq!(end("api"), Some(0.0), "until evacuate --end");
    m.evacuation_ended("checkout", "eu-west-1");
    let t = m.render();
    let gone =
        r#"rtoguard_evacuation_end_timestamp_seconds{service="checkout",region="eu-west-1"}"#;
    assert_eq!(sample(&t, gone), None);
}
