//! Builds the configured providers as `Arc<dyn Provider>`, reading secrets.

use std::collections::BTreeMap;
use std::sync::Arc;

use rtoguard_provider_api::Provider;

use crate::config::{Config, ProviderKind, TsigAlgorithm};

/// A provider could not be built (bad secret source, unreachable endpoint
/// at construction). The message never contains a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[error("provider {name}: {message}")]
pub struct BuildError {
    pub name: String,
    pub message: String,
}

/// The providers of a config, built on first use; a provider that fails to
/// build does not stop the others.
#[derive(Debug, Default)]
pub struct Providers {
    built: BTreeMap<String, Result<Arc<dyn Provider>, BuildError>>,
}

impl Providers {
    /// The provider called `name`, built now if needed.
    pub async fn get(&mut self, cfg: &Config, name: &str) -> Result<Arc<dyn Provider>, BuildError> {
        if !self.built.contains_key(name) {
            let p = build(cfg, name).await;
            self.built.insert(name.to_string(), p);
        }
        // Inserted just above when missing.
        self.built.get(name).cloned().expect("provider entry present")
    }
}

/// Build provider `name` of `cfg`. (Stub until the provider crates land.)
pub async fn build(cfg: &Config, name: &str) -> Result<Arc<dyn Provider>, BuildError> {
    let _ = (cfg, ProviderKind::Route53, TsigAlgorithm::HmacSha256);
    Err(BuildError { name: name.to_string(), message: "not built yet".into() })
}

/// Make ring the process's TLS crypto provider (once; later calls are no-ops).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
