//! Tests: the HTTP endpoint on loopback and the metered provider.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, Provider, ProviderError, Receipt, RecordSet, RecordType,
    SyncState,
};
use tokio_util::sync::CancellationToken;

use super::tests::{FLIP_AUTO, sample};
use super::*;

#[tokio::test]
async fn the_endpoint_serves_metrics_on_loopback() {
    let m = Metrics::new();
    m.flip("checkout", "active_down", false);
    let cancel = CancellationToken::new();
    let addr = "127.0.0.1:0".parse().expect("literal address");
    let (local, task) = serve(addr, m.clone(), cancel.clone())
        .await
        .expect("bind loopback");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let resp = client
        .get(format!("http://{local}/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(resp.status(), 200);
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    assert_eq!(ctype.as_deref(), Some(CONTENT_TYPE));
    let body = resp.text().await.expect("body");
    assert_eq!(sample(&body, FLIP_AUTO), Some(1.0));
    let missing = client
        .get(format!("http://{local}/other"))
        .send()
        .await
        .expect("GET /other");
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
        Capabilities {
            weighted: false,
            ttl_floor: 1,
            cas: CasMode::Native,
            served_here: false,
        }
    }
    async fn read(&self, _: &str, _: &str, _: RecordType) -> Result<Vec<RecordSet>, ProviderError> {
        Ok(self.sets.lock().expect("lock").clone())
    }
    async fn apply(&self, _: &str, change: &Change) -> Result<Receipt, ProviderError> {
        let mut sets = self.sets.lock().expect("lock");
        if sets.as_slice() != change.expected() {
            return Err(ProviderError::Conflict {
                provider: "fake".into(),
                message: "changed".into(),
            });
        }
        *sets = change.desired().to_vec();
        Ok(Receipt {
            id: "1".into(),
            status: "NOERROR".into(),
        })
    }
    async fn wait_in_sync(
        &self,
        _: &str,
        _: &Change,
        _: &Receipt,
        _: Duration,
    ) -> Result<SyncState, ProviderError> {
        Ok(SyncState::InSync)
    }
}

#[tokio::test]
async fn the_metered_provider_counts_a_success_and_a_conflict() {
    let name = "checkout.example.test.";
    let set = |ip: &str| RecordSet::new(name, RecordType::A, 300, [ip]);
    let fake: Arc<dyn Provider> = Arc::new(Fake {
        sets: Mutex::new(vec![set("127.0.0.2")]),
    });
    let m = Metrics::new();
    let p = Metered::wrap(fake, m.clone());
    assert_eq!(p.name(), "fake");
    let flip = Change::new(
        name,
        RecordType::A,
        vec![set("127.0.0.2")],
        vec![set("127.0.0.3")],
    )
    .expect("valid change");
    p.apply("example.test.", &flip)
        .await
        .expect("first apply matches");
    let err = p
        .apply("example.test.", &flip)
        .await
        .expect_err("second apply conflicts");
    assert!(matches!(err, ProviderError::Conflict { .. }), "{err}");
    assert_eq!(
        p.read("example.test.", name, RecordType::A)
            .await
            .expect("read"),
        vec![set("127.0.0.3")]
    );
    let t = m.render();
    let req = |op: &str, r: &str| {
        sample(
            &t,
            &format!(
                r#"rtoguard_provider_requests_total{{provider="fake",op="{op}",result="{r}"}}"#
            ),
        )
    };
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
    assert_eq!(
        e(ProviderError::Throttled {
            provider: p(),
            retry_after: None,
            message: p()
        }),
        RequestResult::Throttled
    );
    assert_eq!(
        e(ProviderError::Conflict {
            provider: p(),
            message: p()
        }),
        RequestResult::Conflict
    );
    assert_eq!(
        e(ProviderError::Auth {
            provider: p(),
            credential_source: p(),
            message: p()
        }),
        RequestResult::Error
    );
    assert_eq!(
        RequestResult::of(&Ok::<_, ProviderError>(1)),
        RequestResult::Ok
    );
}
