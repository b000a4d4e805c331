//! Tests: values and labels after calls, the HTTP endpoint, the metered provider.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, Provider, ProviderError, Receipt, RecordSet, RecordType,
    SyncState,
};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::probe::{EndpointState, PoolHealth};

/// The value of the sample written exactly as `series` (name and labels).
pub(super) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{series}: {v:?} is not a number")))
}

const FLIP_AUTO: &str =
    r#"rtoguard_flips_total{service="checkout",reason="active_down",trigger="automatic"}"#;

#[test]
fn flips_count_from_zero_and_render_as_openmetrics() {
    let m = Metrics::new();
    m.init_service("checkout", Duration::from_secs(300));
    let text = m.render();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains("# TYPE rtoguard_flips counter"), "{text}");
    assert!(text.contains("# HELP rtoguard_flips Flips of a service's record"), "{text}");
    assert_eq!(sample(&text, FLIP_AUTO), Some(0.0));
    assert_eq!(sample(&text, r#"rtoguard_rto_seconds{service="checkout"}"#), Some(300.0));
    m.flip("checkout", "active_down", false);
    m.flip("checkout", "manual", true);
    let text = m.render();
    assert_eq!(sample(&text, FLIP_AUTO), Some(1.0));
    let manual = r#"rtoguard_flips_total{service="checkout",reason="manual",trigger="manual"}"#;
    assert_eq!(sample(&text, manual), Some(1.0));
}

#[test]
fn active_pool_switches_and_states_are_one_hot() {
    let m = Metrics::new();
    let pools = ["primary", "standby"];
    let active = |t: &str, p: &str| sample(t, &format!(r#"rtoguard_active_pool{{service="checkout",pool="{p}"}}"#));
    m.set_active_pool("checkout", Some("primary"), &pools);
    let t = m.render();
    assert_eq!((active(&t, "primary"), active(&t, "standby")), (Some(1.0), Some(0.0)));
    m.set_active_pool("checkout", Some("standby"), &pools);
    let t = m.render();
    assert_eq!((active(&t, "primary"), active(&t, "standby")), (Some(0.0), Some(1.0)));

    m.set_pool_health("checkout", "primary", PoolHealth::Suspect);
    m.set_pool_health("checkout", "primary", PoolHealth::Down);
    m.set_observation("checkout", "primary", "127.0.0.2", "us-east-1", EndpointState::Down);
    let t = m.render();
    let health = |h: &str| sample(&t, &format!(r#"rtoguard_pool_health{{service="checkout",pool="primary",health="{h}"}}"#));
    assert_eq!([health("unknown"), health("up"), health("suspect"), health("down")], [Some(0.0), Some(0.0), Some(0.0), Some(1.0)]);
    let obs = |s: &str| sample(&t, &format!(r#"rtoguard_observation_state{{service="checkout",pool="primary",endpoint="127.0.0.2",vantage="us-east-1",state="{s}"}}"#));
    assert_eq!([obs("unknown"), obs("up"), obs("down")], [Some(0.0), Some(0.0), Some(1.0)]);

    m.forget_service_state();
    assert_eq!(active(&m.render(), "standby"), None, "a reload forgets the old pools");
}

#[test]
fn probes_incidents_and_the_rest_record_their_values() {
    let m = Metrics::new();
    m.probe("checkout", "primary", "127.0.0.2", "us-east-1", true, Duration::from_millis(20));
    m.probe("checkout", "primary", "127.0.0.2", "us-east-1", false, Duration::from_secs(2));
    m.probe("checkout", "primary", "127.0.0.2", "us-east-1", false, Duration::from_secs(2));
    m.incident_started("checkout", IncidentKind::Incident);
    assert!(m.incident_recovered("checkout", Duration::from_secs(200), Duration::from_secs(300)));
    assert!(!m.incident_recovered("checkout", Duration::from_secs(400), Duration::from_secs(300)));
    m.set_ttl("checkout", 30);
    m.set_quorum_insufficient("checkout", true);
    m.propagation_phase("checkout", Phase::Resolver, Duration::from_secs(31));
    m.peer_success("eu-west-1", std::time::UNIX_EPOCH + Duration::from_secs(1_764_000_000));
    m.journal_write(Duration::from_millis(2));
    let t = m.render();
    let ep = r#"service="checkout",pool="primary",endpoint="127.0.0.2",vantage="us-east-1""#;
    assert_eq!(sample(&t, &format!("rtoguard_probe_results_total{{{ep},result=\"ok\"}}")), Some(1.0));
    assert_eq!(sample(&t, &format!("rtoguard_probe_results_total{{{ep},result=\"fail\"}}")), Some(2.0));
    assert_eq!(sample(&t, &format!("rtoguard_probe_duration_seconds_count{{{ep}}}")), Some(3.0));
    assert_eq!(sample(&t, &format!("rtoguard_probe_duration_seconds_bucket{{le=\"0.025\",{ep}}}")), Some(1.0));
    assert_eq!(sample(&t, r#"rtoguard_incidents_total{service="checkout",kind="incident"}"#), Some(1.0));
    assert_eq!(sample(&t, r#"rtoguard_rto_met_total{service="checkout"}"#), Some(1.0));
    assert_eq!(sample(&t, r#"rtoguard_rto_missed_total{service="checkout"}"#), Some(1.0));
    assert_eq!(sample(&t, r#"rtoguard_incident_recovery_seconds_sum{service="checkout"}"#), Some(600.0));
    assert_eq!(sample(&t, r#"rtoguard_ttl_seconds{service="checkout"}"#), Some(30.0));
    assert_eq!(sample(&t, r#"rtoguard_quorum_insufficient{service="checkout"}"#), Some(1.0));
    assert_eq!(sample(&t, r#"rtoguard_propagation_phase_seconds_count{service="checkout",phase="resolver"}"#), Some(1.0));
    assert_eq!(sample(&t, r#"rtoguard_peer_last_success_timestamp_seconds{peer="eu-west-1"}"#), Some(1_764_000_000.0));
    assert_eq!(sample(&t, "rtoguard_journal_write_seconds_count"), Some(1.0));
}

#[tokio::test]
async fn the_endpoint_serves_metrics_on_loopback() {
    let m = Metrics::new();
    m.flip("checkout", "active_down", false);
    let cancel = CancellationToken::new();
    let addr = "127.0.0.1:0".parse().expect("literal address");
    let (local, task) = serve(addr, m.clone(), cancel.clone()).await.expect("bind loopback");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let resp = client.get(format!("http://{local}/metrics")).send().await.expect("GET /metrics");
    assert_eq!(resp.status(), 200);
    let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(ctype.as_deref(), Some(CONTENT_TYPE));
    let body = resp.text().await.expect("body");
    assert_eq!(sample(&body, FLIP_AUTO), Some(1.0));
    let missing = client.get(format!("http://{local}/other")).send().await.expect("GET /other");
    assert_eq!(missing.status(), 404);
    cancel.cancel();
    task.await.expect("the server stops when cancelled");
}

/// A provider holding one record set in memory, with compare-and-set.
#[derive(Debug)]
struct Fake {
    sets: Mutex<Vec<RecordSet>>,
}

#[async_trait]
impl Provider for Fake {
    fn name(&self) -> &str {
        "fake"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities { weighted: false, ttl_floor: 1, cas: CasMode::Native }
    }
    async fn read(&self, _: &str, _: &str, _: RecordType) -> Result<Vec<RecordSet>, ProviderError> {
        Ok(self.sets.lock().expect("lock").clone())
    }
    async fn apply(&self, _: &str, change: &Change) -> Result<Receipt, ProviderError> {
        let mut sets = self.sets.lock().expect("lock");
        if sets.as_slice() != change.expected() {
            return Err(ProviderError::Conflict { provider: "fake".into(), message: "changed".into() });
        }
        *sets = change.desired().to_vec();
        Ok(Receipt { id: "1".into(), status: "NOERROR".into() })
    }
    async fn wait_in_sync(&self, _: &str, _: &Change, _: &Receipt, _: Duration) -> Result<SyncState, ProviderError> {
        Ok(SyncState::InSync)
    }
}

#[tokio::test]
async fn the_metered_provider_counts_a_success_and_a_conflict() {
    let name = "checkout.example.test.";
    let set = |ip: &str| RecordSet::new(name, RecordType::A, 300, [ip]);
    let fake: Arc<dyn Provider> = Arc::new(Fake { sets: Mutex::new(vec![set("127.0.0.2")]) });
    let m = Metrics::new();
    let p = Metered::wrap(fake, m.clone());
    assert_eq!(p.name(), "fake");
    let flip = Change::new(name, RecordType::A, vec![set("127.0.0.2")], vec![set("127.0.0.3")]).expect("valid change");
    p.apply("example.test.", &flip).await.expect("first apply matches");
    let err = p.apply("example.test.", &flip).await.expect_err("second apply conflicts");
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert_eq!(p.read("example.test.", name, RecordType::A).await.expect("read"), vec![set("127.0.0.3")]);
    let t = m.render();
    let req = |op: &str, r: &str| sample(&t, &format!(r#"rtoguard_provider_requests_total{{provider="fake",op="{op}",result="{r}"}}"#));
    assert_eq!(req("apply", "ok"), Some(1.0));
    assert_eq!(req("apply", "conflict"), Some(1.0));
    assert_eq!(req("read", "ok"), Some(1.0));
    assert_eq!(req("apply", "error"), None);
    let count = r#"rtoguard_provider_request_duration_seconds_count{provider="fake",op="apply"}"#;
    assert_eq!(sample(&t, count), Some(2.0));
}

#[test]
fn results_come_from_the_error_kind() {
    let e = |err: ProviderError| RequestResult::of::<()>(&Err(err));
    let p = || "p".to_string();
    assert_eq!(e(ProviderError::Throttled { provider: p(), retry_after: None, message: p() }), RequestResult::Throttled);
    assert_eq!(e(ProviderError::Conflict { provider: p(), message: p() }), RequestResult::Conflict);
    assert_eq!(e(ProviderError::Auth { provider: p(), credential_source: p(), message: p() }), RequestResult::Error);
    assert_eq!(RequestResult::of(&Ok::<_, ProviderError>(1)), RequestResult::Ok);
}

