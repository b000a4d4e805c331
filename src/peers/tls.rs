//! The peer API's TLS: the server config from PEM files, and a listener that handshakes off the accept path.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::PeerError;

/// The certificate chain and key files of the peer API.
pub use crate::config::PeerTls as TlsFiles;

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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

/// Connections whose TLS handshake finished; handshakes run in their own
/// tasks so a slow client never holds up the others.
pub(super) struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Accept on `tcp` and handshake with `config` until `cancel` fires.
    pub(super) fn start(
        tcp: TcpListener,
        config: Arc<ServerConfig>,
        cancel: CancellationToken,
    ) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let (stream, remote) = tokio::select! {
                    _ = cancel.cancelled() => return,
                    got = tcp.accept() => match got {
                        Ok(pair) => pair,
                        Err(e) => {
                            warn!(error = %e, "Peer API accept failed.");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    },
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, remote)).await;
                        }
                        Ok(Err(e)) => {
                            debug!(remote = %remote, error = %e, "Peer TLS handshake failed.")
                        }
                        Err(_) => debug!(remote = %remote, "Peer TLS handshake timed out."),
                    }
                });
            }
        });
        Ok(Self { local, ready })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(pair) => pair,
            // The acceptor stopped (cancelled): no more connections; the
            // server's graceful shutdown ends the wait.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// The remote address of a peer API connection, TLS or not.
#[derive(Debug, Clone, Copy)]
pub(super) struct Remote(pub SocketAddr);

impl Connected<IncomingStream<'_, TlsListener>> for Remote {
    fn connect_info(s: IncomingStream<'_, TlsListener>) -> Self {
        Self(*s.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TcpListener>> for Remote {
    fn connect_info(s: IncomingStream<'_, TcpListener>) -> Self {
        Self(*s.remote_addr())
    }
}
