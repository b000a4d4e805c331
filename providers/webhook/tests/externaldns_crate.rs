//! The webhook provider against a server side we did not write: the
//! `externaldns-webhook` crate (its `Webhook` HTTP server over an in-memory
//! store of ours).
//!
//! That server binds fixed addresses (127.0.0.1:8888 for the protocol and
//! 0.0.0.0:8080 for health), so the test re-runs itself inside a private
//! network namespace (`unshare --net`, only loopback in it): nothing is
//! reachable beyond it, and parallel runs do not collide.
//!
//! What it shows: negotiation, `GET /records` and a create work; a flip
//! (`updateOld`/`updateNew`, the names in external-dns's OpenAPI document and
//! what external-dns sends since 0.17) is accepted by the crate with 200 but
//! ignored, because the crate reads `UpdateOld`/`UpdateNew` (external-dns up
//! to 0.16, before its JSON tags); our read-back catches that and reports a
//! conflict, the records left as they were.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use externaldns_webhook::changes::Changes;
use externaldns_webhook::domain_filter::DomainFilter;
use externaldns_webhook::endpoint::{Endpoint, RecordType as EdRecordType};
use externaldns_webhook::{Provider as EdProvider, Status, Webhook};
use rtoguard_provider_api::limits::RetryPolicy;
use rtoguard_provider_api::{Change, Provider, RecordSet, RecordType};
use rtoguard_webhook::{WebhookProvider, WebhookSettings};

const INSIDE: &str = "RTOGUARD_TEST_IN_NETNS";
const NAME: &str = "www.example.test.";

/// The crate's server side needs a store: a list of endpoints in memory.
#[derive(Debug, Default)]
struct Store(Mutex<Vec<Endpoint>>);

#[async_trait]
impl EdProvider for Store {
    async fn domain_filter(&self) -> eyre::Result<DomainFilter> {
        Ok(DomainFilter::Strings {
            include: Some(vec!["example.test".into()]),
            exclude: None,
        })
    }
    async fn records(&self) -> eyre::Result<Vec<Endpoint>> {
        Ok(self.0.lock().unwrap().clone())
    }
    async fn apply_changes(&self, changes: Changes) -> eyre::Result<()> {
        let mut all = self.0.lock().unwrap();
        all.retain(|e| !changes.delete.contains(e));
        for ft in changes.update {
            all.retain(|e| *e != ft.from);
            all.push(ft.to);
        }
        all.extend(changes.create);
        Ok(())
    }
}

impl Status for Store {}

fn endpoint(targets: &[&str], ttl: i64) -> Endpoint {
    Endpoint {
        dns_name: Some("www.example.test".into()),
        targets: Some(targets.iter().map(|s| s.to_string()).collect()),
        record_type: Some(EdRecordType::A),
        set_identifier: None,
        record_ttl: Some(ttl),
        labels: None,
        provider_specific: None,
    }
}

fn set(ttl: u32, values: &[&str]) -> RecordSet {
    RecordSet::new(NAME, RecordType::A, ttl, values)
}

#[test]
// The marker that this run is the one inside the namespace is the
// environment the outer run set for it.
#[allow(clippy::disallowed_methods)]
fn against_the_externaldns_webhook_crate() {
    if std::env::var_os(INSIDE).is_none() {
        let exe = std::env::current_exe().expect("test binary");
        let status = Command::new("unshare")
            .args([
                "--net",
                "sh",
                "-c",
                "ip link set lo up && exec \"$0\" \"$@\"",
            ])
            .arg(exe)
            .args([
                "--exact",
                "against_the_externaldns_webhook_crate",
                "--nocapture",
            ])
            .env(INSIDE, "1")
            .status()
            .expect("run unshare (util-linux) as root");
        assert!(status.success(), "the run inside the namespace failed");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(inside());
}

async fn inside() {
    let store = Arc::new(Store::default());
    store.0.lock().unwrap().push(endpoint(&["192.0.2.1"], 300));
    let server = Webhook::new(store.clone(), store.clone());
    tokio::spawn(async move { server.start().await });
    let p = WebhookProvider::new(WebhookSettings::new("crate", "http://127.0.0.1:8888"))
        .unwrap()
        .with_retry_policy(RetryPolicy {
            deadline: Duration::from_secs(10),
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
        });
    // Wait for the server: the doctor's proof, until it answers.
    let mut proof = Err(String::new());
    for _ in 0..100 {
        proof = p
            .prove_access("example.test.", NAME, RecordType::A)
            .await
            .map_err(|e| e.to_string());
        if proof.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let proof = proof.expect("the crate's server answers the negotiation");
    assert!(proof.contains("include example.test"), "{proof}");

    let sets = p.read("example.test.", NAME, RecordType::A).await.unwrap();
    assert_eq!(sets, vec![set(300, &["192.0.2.1"])]);

    // A name never served is created: the crate reads `create`.
    let api = "api.example.test.";
    let create = Change::new(
        api,
        RecordType::A,
        vec![],
        vec![RecordSet::new(api, RecordType::A, 60, ["192.0.2.8"])],
    )
    .unwrap();
    assert_eq!(
        p.apply("example.test.", &create).await.unwrap().status,
        "created"
    );
    let got = p.read("example.test.", api, RecordType::A).await.unwrap();
    assert_eq!(got[0].values, ["192.0.2.8"]);

    // A flip: the crate answers 200 yet ignores `updateOld`/`updateNew`.
    let flip = Change::new(
        NAME,
        RecordType::A,
        vec![set(300, &["192.0.2.1"])],
        vec![set(300, &["198.51.100.1"])],
    )
    .unwrap();
    let e = p.apply("example.test.", &flip).await.unwrap_err();
    assert_eq!(e.kind(), "conflict", "{e}");
    assert!(
        e.to_string().contains("does it read updateOld/updateNew"),
        "{e}"
    );
    let sets = p.read("example.test.", NAME, RecordType::A).await.unwrap();
    assert_eq!(
        sets,
        vec![set(300, &["192.0.2.1"])],
        "the record is left as it was"
    );
}
