//! Tokens for ARM: OAuth2 client credentials at the identity platform, or a managed identity from IMDS; cached until near expiry.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use rtoguard_provider_api::ProviderError;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::api::{TokenAnswer, TokenError};

/// The scope (v2 endpoint) and resource (IMDS) of Azure Resource Manager.
pub const SCOPE: &str = "https://management.azure.com/.default";
pub const RESOURCE: &str = "https://management.azure.com/";
/// The IMDS API version of the token endpoint.
const IMDS_API_VERSION: &str = "2018-02-01";
/// A token is renewed this long before it expires (or at half its life, if shorter).
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// How rtoguard proves who it is to Azure. `Debug` never shows the secret.
#[derive(Clone)]
pub enum Credentials {
    /// An app registration's client secret (OAuth2 client credentials).
    ClientSecret {
        tenant_id: String,
        client_id: String,
        secret: String,
        /// Where the secret came from (`file /etc/rtoguard/azure-secret`).
        secret_source: String,
    },
    /// The VM's or the node's managed identity, from the instance metadata
    /// service; `client_id` picks a user-assigned identity.
    ManagedIdentity { client_id: Option<String> },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientSecret {
                tenant_id,
                client_id,
                secret_source,
                ..
            } => f
                .debug_struct("ClientSecret")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("secret", &"REDACTED")
                .field("secret_source", secret_source)
                .finish(),
            Self::ManagedIdentity { client_id } => f
                .debug_struct("ManagedIdentity")
                .field("client_id", client_id)
                .finish(),
        }
    }
}

/// A bearer token. `Debug` never shows it.
#[derive(Clone)]
pub struct Bearer(String);

impl Bearer {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

/// Where tokens come from, and the one we hold.
#[derive(Debug)]
pub struct Tokens {
    pub(crate) provider: String,
    http: reqwest::Client,
    credentials: Credentials,
    login_url: String,
    imds_url: String,
    held: Mutex<Option<(Bearer, Instant)>>,
}

impl Tokens {
    pub fn new(
        provider: &str,
        http: reqwest::Client,
        credentials: Credentials,
        login_url: &str,
        imds_url: &str,
    ) -> Self {
        Self {
            provider: provider.to_string(),
            http,
            credentials,
            login_url: login_url.trim_end_matches('/').to_string(),
            imds_url: imds_url.trim_end_matches('/').to_string(),
            held: Mutex::new(None),
        }
    }

    /// Where the credentials come from, in words: never a secret.
    pub fn source(&self) -> String {
        match &self.credentials {
            Credentials::ClientSecret {
                tenant_id,
                client_id,
                secret_source,
                ..
            } => format!(
                "client secret from {secret_source}, tenant {tenant_id}, client {client_id}"
            ),
            Credentials::ManagedIdentity { client_id: None } => {
                format!("managed identity from IMDS at {}", self.imds_url)
            }
            Credentials::ManagedIdentity {
                client_id: Some(id),
            } => format!("managed identity {id} from IMDS at {}", self.imds_url),
        }
    }

    /// The token held, or a new one (one request, not retried: the ARM
    /// request that needs it is retried whole); true when it is new.
    pub async fn bearer(&self) -> Result<(Bearer, bool), ProviderError> {
        let mut held = self.held.lock().await;
        if let Some((token, renew_at)) = held.as_ref()
            && Instant::now() < *renew_at
        {
            return Ok((token.clone(), false));
        }
        let (token, life) = self.fetch().await?;
        let renew_at = Instant::now() + life.saturating_sub(RENEW_BEFORE.min(life / 2));
        *held = Some((token.clone(), renew_at));
        Ok((token, true))
    }

    /// Drop the token held (ARM refused it): the next request asks anew.
    pub async fn forget(&self) {
        *self.held.lock().await = None;
    }

    async fn fetch(&self) -> Result<(Bearer, Duration), ProviderError> {
        let (req, issuer) = match &self.credentials {
            Credentials::ClientSecret {
                tenant_id,
                client_id,
                secret,
                ..
            } => {
                let url = format!("{}/{tenant_id}/oauth2/v2.0/token", self.login_url);
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", secret.as_str()),
                    ("scope", SCOPE),
                ];
                (self.http.post(url).form(&form), "the identity platform")
            }
            Credentials::ManagedIdentity { client_id } => {
                let url = format!("{}/metadata/identity/oauth2/token", self.imds_url);
                let mut query = vec![("api-version", IMDS_API_VERSION), ("resource", RESOURCE)];
                if let Some(id) = client_id {
                    query.push(("client_id", id.as_str()));
                }
                (
                    self.http.get(url).query(&query).header("Metadata", "true"),
                    "IMDS",
                )
            }
        };
        let resp = req.send().await.map_err(|e| self.transport(issuer, e))?;
        let status = resp.status();
        let retry_after = crate::client::retry_after(resp.headers());
        let body = resp.bytes().await.map_err(|e| self.transport(issuer, e))?;
        if !status.is_success() {
            return Err(self.refused(issuer, status, &body, retry_after));
        }
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| ProviderError::Server {
                provider: self.provider.clone(),
                message: format!("unreadable token answer from {issuer}: {e}"),
            })?;
        Ok((
            Bearer(answer.access_token),
            Duration::from_secs(answer.expires_in),
        ))
    }

    fn transport(&self, issuer: &str, e: reqwest::Error) -> ProviderError {
        let what = format!("asking {issuer} for a token: ");
        crate::client::transport(&self.provider, &what, e)
    }

    /// A refusal of the issuer, named by its source and never its value.
    fn refused(
        &self,
        issuer: &str,
        status: StatusCode,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> ProviderError {
        let provider = self.provider.clone();
        let said = match serde_json::from_slice::<TokenError>(body) {
            Ok(e) if !e.error.is_empty() => format!("{}: {}", e.error, e.error_description),
            _ => crate::client::excerpt(body),
        };
        let message = self.scrub(format!("{issuer} answered HTTP {status}: {said}"));
        match status.as_u16() {
            429 => ProviderError::Throttled {
                provider,
                retry_after,
                message,
            },
            s if s >= 500 => ProviderError::Server { provider, message },
            _ => ProviderError::Auth {
                provider,
                credential_source: self.source(),
                message,
            },
        }
    }

    /// Never echo the secret, even if an issuer would.
    fn scrub(&self, message: String) -> String {
        match &self.credentials {
            Credentials::ClientSecret { secret, .. } if !secret.is_empty() => {
                message.replace(secret.as_str(), "REDACTED")
            }
            _ => message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_never_prints() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let c = Credentials::ClientSecret {
            tenant_id: "t".into(),
            client_id: "c".into(),
            secret: "s3cr3t-value".into(),
            secret_source: "env AZURE_SECRET".into(),
        };
        let tokens = Tokens::new(
            "az",
            reqwest::Client::new(),
            c.clone(),
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
        );
        assert!(!format!("{c:?} {tokens:?}").contains("s3cr3t-value"));
        assert_eq!(tokens.scrub("echo s3cr3t-value".into()), "echo REDACTED");
        assert_eq!(
            tokens.source(),
            "client secret from env AZURE_SECRET, tenant t, client c"
        );
        assert_eq!(format!("{:?}", Bearer("eyJ0".into())), "REDACTED");
    }
}
