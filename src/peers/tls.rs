//! The peer API's TLS: the server config from PEM files, and a bounded handshake in the connection's own task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tracing::debug;

use super::PeerError;

/// The certificate chain and key files of the peer API.
pub use crate::config::PeerTls as TlsFiles;

/// How long a client may take to finish its TLS handshake (its place under
/// the connection cap is held meanwhile).
const HANDSHAKE_TIMEOUT: Duration = crate::bounded::HEADER_TIMEOUT;

/// The server config from `files` (ring provider; no client certificates).
pub(super) fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, PeerError> {
    let (cert, key) = (&files.cert_file, &files.key_file);
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| PeerError::Setup(format!("certificate {}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(PeerError::Setup(format!(
            "no certificate in {}",
            cert.display()
        )));
    }
    // The error names the file only: never key material.
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| PeerError::Setup(format!("private key {}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PeerError::Setup(format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| PeerError::Setup(format!("certificate and key do not fit: {e}")))?;
    Ok(Arc::new(config))
}

/// Handshake on `tcp` within [`HANDSHAKE_TIMEOUT`]; None (logged) when it fails.
pub(super) async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    remote: SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(e)) => {
            debug!(remote = %remote, error = %e, "Peer TLS handshake failed.");
            None
        }
        Err(_) => {
            debug!(remote = %remote, "Peer TLS handshake timed out.");
            None
        }
    }
}
