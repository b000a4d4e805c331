//! HTTPS probe tests: a private CA made with rcgen, a rustls server that records SNI.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rtoguard_testkit::net::lo;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::tests_http::read_head;
use super::{ProbeSpec, Prober, TlsConfigs, probe_once};

const T: Duration = Duration::from_secs(5);

/// A CA (its PEM written to a temp file) and an HTTPS server on 127.0.0.2
/// with a certificate for `svc.example.test` signed by it.
struct TlsServer {
    addr: SocketAddr,
    sni: Arc<Mutex<Vec<Option<String>>>>,
    ca_dir: tempfile::TempDir,
}

impl TlsServer {
    fn start() -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_params = CertificateParams::new(vec!["svc.example.test".to_string()]).unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

        let ca_dir = tempfile::tempdir().unwrap();
        std::fs::write(ca_dir.path().join("ca.pem"), ca_cert.pem()).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key)
            .unwrap();
        let config = Arc::new(config);

        let listener = TcpListener::bind((lo(2), 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let sni = Arc::new(Mutex::new(Vec::new()));
        let seen = sni.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { return };
                let conn = ServerConnection::new(config.clone()).unwrap();
                let mut tls = StreamOwned::new(conn, tcp);
                let head = read_head(&mut tls);
                seen.lock()
                    .unwrap()
                    .push(tls.conn.server_name().map(str::to_string));
                if head.is_empty() {
                    continue; // handshake refused by the client
                }
                let _ = std::io::Write::write_all(
                    &mut tls,
                    b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nsecure",
                );
                tls.conn.send_close_notify();
                let _ = std::io::Write::flush(&mut tls);
            }
        });
        Self { addr, sni, ca_dir }
    }

    /// The SNI names seen so far, waiting (bounded) for the first handshake
    /// to finish on the server's side.
    fn sni_seen(&self) -> Vec<Option<String>> {
        for _ in 0..100 {
            let seen = self.sni.lock().unwrap().clone();
            if !seen.is_empty() {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Vec::new()
    }

    fn ca_file(&self) -> PathBuf {
        self.ca_dir.path().join("ca.pem")
    }

    fn spec(&self, host: &str, ca_file: Option<PathBuf>) -> ProbeSpec {
        ProbeSpec::Http {
            tls: true,
            port: self.addr.port(),
            path: "/healthz".into(),
            host: host.into(),
            expect_status: vec![(200, 200)],
            body_contains: Some("secure".into()),
            header: None,
            ca_file,
        }
    }
}

#[tokio::test]
async fn https_with_a_private_ca_sends_sni_and_verifies_the_name() {
    let server = TlsServer::start();
    let spec = server.spec("svc.example.test", Some(server.ca_file()));
    let r = probe_once(&spec, "127.0.0.2", T).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(server.sni_seen(), [Some("svc.example.test".to_string())]);
}

#[tokio::test]
async fn https_fails_when_the_name_does_not_match_the_certificate() {
    let server = TlsServer::start();
    let spec = server.spec("other.example.test", Some(server.ca_file()));
    let r = probe_once(&spec, "127.0.0.2", T).await;
    assert!(!r.ok);
    assert!(r.detail.starts_with("tls: "), "{r:?}");
    assert_eq!(server.sni_seen(), [Some("other.example.test".to_string())]);
}

#[tokio::test]
async fn https_fails_when_the_ca_is_not_trusted() {
    let server = TlsServer::start();
    let r = probe_once(&server.spec("svc.example.test", None), "127.0.0.2", T).await;
    assert!(!r.ok);
    assert!(r.detail.starts_with("tls: "), "{r:?}");
}

#[tokio::test]
async fn an_unreadable_ca_file_is_a_config_failure() {
    let server = TlsServer::start();
    let missing = server.ca_dir.path().join("missing.pem");
    let r = probe_once(
        &server.spec("svc.example.test", Some(missing)),
        "127.0.0.2",
        T,
    )
    .await;
    assert!(!r.ok);
    assert!(
        r.detail
            .starts_with("probe misconfigured: cannot read CA file"),
        "{r:?}"
    );
    assert!(
        server.sni.lock().unwrap().is_empty(),
        "no connection expected"
    );
}

#[tokio::test]
async fn tls_settings_are_built_once_per_trust_and_shared() {
    let server = TlsServer::start();
    let spec = Arc::new(server.spec("svc.example.test", Some(server.ca_file())));
    let shared = TlsConfigs::new();
    let first = Prober::with_tls(spec.clone(), "127.0.0.2", &shared);
    std::fs::remove_file(server.ca_file()).unwrap();
    // the CA file is gone: only the shared settings can make this one work
    let second = Prober::with_tls(spec.clone(), "127.0.0.2", &shared);
    assert!(first.probe(T).await.ok);
    assert!(second.probe(T).await.ok);
    let alone = Prober::new(spec, "127.0.0.2").probe(T).await;
    assert!(
        !alone.ok && alone.detail.contains("cannot read CA file"),
        "{alone:?}"
    );
}

#[tokio::test]
async fn a_ca_file_without_certificates_is_a_config_failure() {
    let server = TlsServer::start();
    std::fs::write(server.ca_file(), "not a certificate\n").unwrap();
    let r = probe_once(
        &server.spec("svc.example.test", Some(server.ca_file())),
        "127.0.0.2",
        T,
    )
    .await;
    assert!(!r.ok);
    assert!(
        r.detail
            .starts_with("probe misconfigured: no certificate in CA file"),
        "{r:?}"
    );
}
