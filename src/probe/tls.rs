//! TLS client settings shared by every HTTPS probe with the same trust, built once.
//!
//! Loading the system roots costs tens of milliseconds, and the settings
//! are the largest part of an HTTPS probe's memory: every endpoint with the
//! same trust holds the same settings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::ClientConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls_platform_verifier::BuilderVerifierExt;

use super::ProbeError;

/// The settings for one trust, or why they cannot be built.
type Built = Result<Arc<ClientConfig>, String>;

/// TLS settings by trust: the system's roots (`None`) or only one CA file.
#[derive(Debug, Default)]
pub struct TlsConfigs {
    built: Mutex<HashMap<Option<PathBuf>, Built>>,
}

impl TlsConfigs {
    pub fn new() -> Self {
        Self::default()
    }

    /// The settings for `ca_file`, built on first use (a failure is kept too,
    /// so a bad file is read once and reported by every probe).
    pub fn get(&self, ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, ProbeError> {
        let key = ca_file.map(Path::to_path_buf);
        // A poisoned lock only means a panic elsewhere mid-insert; the map is still usable.
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        built
            .entry(key)
            .or_insert_with(|| build(ca_file).map(Arc::new))
            .clone()
            .map_err(ProbeError::Config)
    }
}

fn provider() -> Arc<CryptoProvider> {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

fn build(ca_file: Option<&Path>) -> Result<ClientConfig, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let Some(path) = ca_file else {
        return Ok(builder
            .with_platform_verifier()
            .map_err(|e| format!("cannot load the system's CA roots: {e}"))?
            .with_no_client_auth());
    };
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("bad CA file {}: {e}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("bad CA certificate in {}: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("no certificate in CA file {}", path.display()));
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}
