//! Tests of the peer API against real loopback listeners: tokens, the log line, TLS.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rtoguard_testkit::net::lo;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{Observations, PeerSet, PeerSpec, PoolObs, ServiceObs, TlsFiles, serve};
use crate::config::{Secret, SecretSource};
use crate::controller::PoolHealth;

pub(super) const TOKEN: &str = "peer-token-7f3a9c";

/// Observations of `vantage`: primary down, standby up.
/// `o` as published: the peer API stamps each answer with its clock.
pub(super) fn served(mut o: Observations) -> Observations {
    assert!(o.served_at_ms.is_some(), "an answer carries served_at_ms");
    o.served_at_ms = None;
    o
}

pub(super) fn sample(vantage: &str) -> Observations {
    let mut o = Observations::empty(vantage, "fnv1a64:0123456789abcdef", 1_700_000_000_000);
    let pool = |pool: &str, health| PoolObs {
        pool: pool.into(),
        health,
        endpoints: vec![],
    };
    o.upsert(ServiceObs {
        service: "checkout".into(),
        pools: vec![
            pool("primary", PoolHealth::Down),
            pool("standby", PoolHealth::Up),
        ],
        last_write: None,
        served: None,
    });
    o
}

/// A secret with `value`, read the way the config reads it.
pub(super) fn secret(value: &str) -> Secret {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("token");
    std::fs::write(&path, format!("{value}\n")).expect("write token");
    SecretSource::File(path).read().expect("token reads")
}

/// The peer API on 127.0.0.1 (port 0), serving `obs`.
pub(super) async fn start(
    tls: Option<TlsFiles>,
    obs: watch::Receiver<Observations>,
    cancel: &CancellationToken,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    serve(
        SocketAddr::new(lo(1), 0),
        tls,
        secret(TOKEN),
        obs,
        cancel.clone(),
    )
    .await
    .expect("peer API starts")
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Log lines written while a test runs (current-thread runtime only).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_right_token_gets_the_observations() {
    let cancel = CancellationToken::new();
    let (_tx, rx) = watch::channel(sample("eu-west-1"));
    let (addr, server) = start(None, rx, &cancel).await;
    let url = format!("http://{addr}/v1/observations");
    let resp = client().get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let got: Observations = resp.json().await.unwrap();
    assert_eq!(served(got), sample("eu-west-1"));
    let resp = client()
        .get(format!("http://{addr}/v1/other"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    cancel.cancel();
    server.await.unwrap();
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_refused_and_never_logged() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let cancel = CancellationToken::new();
    let (_tx, rx) = watch::channel(sample("eu-west-1"));
    let (addr, server) = start(None, rx, &cancel).await;
    let url = format!("http://{addr}/v1/observations");
    let near_miss = "peer-token-7f3a9d";
    for req in [
        client().get(&url),
        client().get(&url).bearer_auth(near_miss),
        client().get(&url).bearer_auth(format!("{TOKEN}x")),
        client().get(&url).basic_auth("rtoguard", Some(TOKEN)),
    ] {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("bearer token")),
            "{body}"
        );
    }
    cancel.cancel();
    server.await.unwrap();
    let text = logs.text();
    assert_eq!(
        text.matches("Peer API request refused.").count(),
        4,
        "{text}"
    );
    assert!(text.contains("remote=127.0.0.1:"), "{text}");
    assert!(
        text.contains("no Authorization header") && text.contains("wrong token"),
        "{text}"
    );
    assert!(
        !text.contains(TOKEN) && !text.contains(near_miss),
        "a token was logged:\n{text}"
    );
}

/// A CA (PEM in `dir/ca.pem`) and a certificate for 127.0.0.1 it signed
/// (`dir/peer.crt`, `dir/peer.key`).
pub(super) fn make_tls(dir: &std::path::Path) -> TlsFiles {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("peer.crt"), leaf.pem()).unwrap();
    std::fs::write(dir.join("peer.key"), leaf_key.serialize_pem()).unwrap();
    TlsFiles {
        cert_file: dir.join("peer.crt"),
        key_file: dir.join("peer.key"),
    }
}

/// Wait (bounded) until `done` holds for the set's first peer.
pub(super) async fn until(
    set: &PeerSet,
    done: impl Fn(&super::PeerView) -> bool,
) -> super::PeerView {
    for _ in 0..400 {
        let view = set.snapshot().remove(0);
        if done(&view) {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "the peer never reached the expected state: {:?}",
        set.snapshot()
    );
}

#[tokio::test]
async fn tls_with_a_private_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let files = make_tls(dir.path());
    let cancel = CancellationToken::new();
    let (_tx, rx) = watch::channel(sample("eu-west-1"));
    let (addr, server) = start(Some(files), rx, &cancel).await;
    let spec = |ca_file| PeerSpec {
        id: "eu-west-1".into(),
        url: format!("https://{addr}"),
        token: secret(TOKEN),
        ca_file,
        max_clock_skew: std::time::Duration::from_secs(2),
    };
    let trusted = PeerSet::spawn(
        vec![spec(Some(dir.path().join("ca.pem")))],
        Duration::from_millis(50),
        cancel.clone(),
    );
    let view = until(&trusted, |v| v.obs.is_some()).await;
    assert_eq!(view.obs.map(served), Some(sample("eu-west-1")));
    assert!(view.last_ok.is_some());
    // Without the CA, the system roots do not trust the certificate.
    let untrusted = PeerSet::spawn(vec![spec(None)], Duration::from_millis(50), cancel.clone());
    let view = until(&untrusted, |v| v.last_error.is_some()).await;
    assert!(view.obs.is_none() && view.last_ok.is_none(), "{view:?}");
    // Plain HTTP to a TLS listener gets nowhere either.
    let plain = client()
        .get(format!("http://{addr}/v1/observations"))
        .bearer_auth(TOKEN)
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
    cancel.cancel();
    server.await.unwrap();
}

#[tokio::test]
async fn a_bad_certificate_file_fails_serve() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("peer.crt"), "not a certificate").unwrap();
    std::fs::write(dir.path().join("peer.key"), "not a key").unwrap();
    let files = TlsFiles {
        cert_file: dir.path().join("peer.crt"),
        key_file: dir.path().join("peer.key"),
    };
    let (_tx, rx) = watch::channel(sample("eu-west-1"));
    let cancel = CancellationToken::new();
    let err = serve(
        SocketAddr::new(lo(1), 0),
        Some(files),
        secret(TOKEN),
        rx,
        cancel,
    )
    .await
    .expect_err("a bad certificate must fail");
    assert!(err.to_string().contains("peer.crt"), "{err}");
}

#[test]
fn constant_time_eq_compares_whole_values() {
    use super::server::constant_time_eq;
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"abcd"));
    assert!(constant_time_eq(b"", b""));
}
