//! Builds the configured providers as `Arc<dyn Provider>`, reading secrets.

use std::collections::BTreeMap;
use std::sync::Arc;

use rtoguard_provider_api::Provider;

pub mod embedded;

#[cfg(feature = "rfc2136")]
use crate::config::{Config, ProviderKind};

#[cfg(feature = "test-hooks")]
pub mod served_here;

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
        self.built
            .get(name)
            .cloned()
            .expect("provider entry present")
    }
}

/// Build provider `name` of `cfg`.
pub async fn build(cfg: &Config, name: &str) -> Result<Arc<dyn Provider>, BuildError> {
    let err = |message: String| BuildError {
        name: name.to_string(),
        message,
    };
    let pc = cfg
        .providers
        .get(name)
        .ok_or_else(|| err("not configured".into()))?;
    install_crypto();
    #[cfg(feature = "test-hooks")]
    if crate::test_hooks::served_here() {
        tracing::warn!(
            provider = name,
            "Test hook: this controller serves its own copy of the records."
        );
        return Ok(Arc::new(served_here::ServedHere::new(cfg, name)));
    }
    match &pc.kind {
        #[cfg(feature = "rfc2136")]
        ProviderKind::Rfc2136(c) => rfc2136(name, c).map_err(err),
        #[cfg(feature = "route53")]
        ProviderKind::Route53(c) => route53(name, c).await.map_err(err),
        #[cfg(feature = "cloudflare")]
        ProviderKind::Cloudflare(c) => cloudflare(name, c).map_err(err),
        #[cfg(feature = "powerdns")]
        ProviderKind::PowerDns(c) => powerdns(name, c).map_err(err),
        #[cfg(feature = "embedded")]
        ProviderKind::Embedded(c) => embedded::provider(cfg, name, c).await.map_err(err),
        #[cfg(feature = "webhook")]
        ProviderKind::Webhook(c) => webhook(name, c).map_err(err),
        #[cfg(feature = "azure")]
        ProviderKind::Azure(c) => azure(name, c).map_err(err),
        #[cfg(feature = "gcloud")]
        ProviderKind::Gcloud(c) => gcloud(name, c).map_err(err),
        // `check` refuses these already; a config built another way hears the same.
        #[allow(unreachable_patterns)]
        other => Err(err(crate::config::compiled_out(other.type_name()))),
    }
}

#[cfg(feature = "rfc2136")]
fn rfc2136(name: &str, c: &crate::config::Rfc2136Config) -> Result<Arc<dyn Provider>, String> {
    let secret = c.tsig_secret.read()?;
    let s = rtoguard_rfc2136::Rfc2136Settings {
        name: name.to_string(),
        server: c.server,
        key_name: c.tsig_key_name.clone(),
        algorithm: c.tsig_algorithm,
        secret_base64: secret.expose().to_string(),
        timeout: c.timeout,
        requests_per_second: c.requests_per_second,
    };
    let p = rtoguard_rfc2136::Rfc2136Provider::new(s).map_err(|e| e.to_string())?;
    Ok(Arc::new(p))
}

#[cfg(feature = "route53")]
async fn route53(
    name: &str,
    c: &crate::config::Route53Config,
) -> Result<Arc<dyn Provider>, String> {
    let s = rtoguard_route53::Route53Settings {
        name: name.to_string(),
        region: c.region.clone(),
        endpoint_url: c.endpoint_url.clone(),
        hosted_zone_id: c.hosted_zone_id.clone(),
        requests_per_second: c.requests_per_second,
        credentials: None,
    };
    let p = rtoguard_route53::Route53Provider::new(s)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(p))
}

#[cfg(feature = "cloudflare")]
fn cloudflare(
    name: &str,
    c: &crate::config::CloudflareConfig,
) -> Result<Arc<dyn Provider>, String> {
    let token = c.api_token.read()?;
    let s = rtoguard_cloudflare::CloudflareSettings {
        name: name.to_string(),
        api_url: c.api_url.clone(),
        token: token.expose().to_string(),
        token_source: c.api_token.describe(),
        zone_id: c.zone_id.clone(),
        requests_per_second: c.requests_per_second,
    };
    let p = rtoguard_cloudflare::CloudflareProvider::new(s)
        .map_err(|e| e.to_string())?
        .with_ttl_floor(c.ttl_floor);
    Ok(Arc::new(p))
}

#[cfg(feature = "powerdns")]
fn powerdns(name: &str, c: &crate::config::PowerDnsConfig) -> Result<Arc<dyn Provider>, String> {
    let key = c.api_key.read()?;
    let s = rtoguard_powerdns::PowerDnsSettings {
        name: name.to_string(),
        api_url: c.api_url.clone(),
        server_id: c.server_id.clone(),
        api_key: key.expose().to_string(),
        key_source: c.api_key.describe(),
        dns_server: c.dns_server,
        requests_per_second: c.requests_per_second,
    };
    let p = rtoguard_powerdns::PowerDnsProvider::new(s).map_err(|e| e.to_string())?;
    Ok(Arc::new(p))
}

#[cfg(feature = "webhook")]
fn webhook(
    name: &str,
    c: &crate::config::WebhookProviderConfig,
) -> Result<Arc<dyn Provider>, String> {
    let token = match &c.token {
        None => None,
        Some(src) => Some((src.read()?.expose().to_string(), src.describe())),
    };
    let s = rtoguard_webhook::WebhookSettings {
        name: name.to_string(),
        url: c.url.clone(),
        token,
        timeout: c.timeout,
        requests_per_second: c.requests_per_second,
    };
    let p = rtoguard_webhook::WebhookProvider::new(s).map_err(|e| e.to_string())?;
    Ok(Arc::new(p))
}

#[cfg(feature = "azure")]
fn azure(name: &str, c: &crate::config::AzureConfig) -> Result<Arc<dyn Provider>, String> {
    use crate::config::AzureCredentials as C;
    let credentials = match &c.credentials {
        C::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } => rtoguard_azure::Credentials::ClientSecret {
            tenant_id: tenant_id.clone(),
            client_id: client_id.clone(),
            secret: secret.read()?.expose().to_string(),
            secret_source: secret.describe(),
        },
        C::ManagedIdentity { client_id } => rtoguard_azure::Credentials::ManagedIdentity {
            client_id: client_id.clone(),
        },
    };
    let s = rtoguard_azure::AzureSettings {
        name: name.to_string(),
        subscription_id: c.subscription_id.clone(),
        resource_group: c.resource_group.clone(),
        zone_name: c.zone_name.clone(),
        credentials,
        api_url: c.api_url.clone(),
        login_url: c.login_url.clone(),
        imds_url: c.imds_url.clone(),
        requests_per_second: c.requests_per_second,
    };
    let p = rtoguard_azure::AzureProvider::new(s).map_err(|e| e.to_string())?;
    Ok(Arc::new(p))
}

#[cfg(feature = "gcloud")]
fn gcloud(name: &str, c: &crate::config::GcloudConfig) -> Result<Arc<dyn Provider>, String> {
    use crate::config::GcloudCredentials;
    let credentials = match &c.credentials {
        GcloudCredentials::KeyFile(src) => rtoguard_gcloud::Credentials::ServiceAccount {
            json: src.read()?.expose().to_string(),
            source: src.describe(),
        },
        GcloudCredentials::MetadataServer(url) => {
            rtoguard_gcloud::Credentials::MetadataServer { url: url.clone() }
        }
    };
    let s = rtoguard_gcloud::GcloudSettings {
        name: name.to_string(),
        project: c.project.clone(),
        managed_zone: c.managed_zone.clone(),
        api_url: c.api_url.clone(),
        credentials,
        requests_per_second: c.requests_per_second,
    };
    let p = rtoguard_gcloud::GcloudProvider::new(s).map_err(|e| e.to_string())?;
    Ok(Arc::new(p))
}

/// Make ring the process's TLS crypto provider (once; later calls are no-ops).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
