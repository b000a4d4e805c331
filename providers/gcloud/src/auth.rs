//! Access tokens: a service-account key's signed assertion (RS256) exchanged at its `token_uri`, or the metadata server's; cached until near expiry.
//!
//! The key, the assertion and the token are never printed: errors name where
//! the credential came from (`file /etc/rtoguard/gcloud.json`, `the metadata
//! server http://metadata.google.internal`), never a value.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rtoguard_provider_api::ProviderError;
use rustls::pki_types::PrivatePkcs8KeyDer;
use rustls::pki_types::pem::PemObject;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::api::{OAuthError, TokenAnswer};

/// The scope rtoguard asks for: read and write Cloud DNS, nothing else.
pub const SCOPE: &str = "https://www.googleapis.com/auth/ndev.clouddns.readwrite";
/// Where a key without `token_uri` exchanges its assertion.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The metadata server's path for the default service account's token.
pub const METADATA_TOKEN_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
/// A cached token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(300);
/// How long an assertion is valid (Google's maximum is an hour).
const ASSERTION_LIFETIME: u64 = 3600;

/// Where the access tokens come from. `Debug` never shows the key.
#[derive(Clone)]
pub enum Credentials {
    /// A service-account key (the JSON text Google hands out) and where it
    /// came from, for messages (`file /etc/rtoguard/gcloud.json`).
    ServiceAccount { json: String, source: String },
    /// The metadata server of the machine rtoguard runs on (Compute Engine,
    /// GKE with workload identity), at this root.
    MetadataServer { url: String },
}

impl Credentials {
    /// Where the credential comes from, in words: never its value.
    pub fn source(&self) -> String {
        match self {
            Self::ServiceAccount { source, .. } => source.clone(),
            Self::MetadataServer { url } => format!("the metadata server {url}"),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServiceAccount { source, .. } => f
                .debug_struct("ServiceAccount")
                .field("json", &"REDACTED")
                .field("source", source)
                .finish(),
            Self::MetadataServer { url } => {
                f.debug_struct("MetadataServer").field("url", url).finish()
            }
        }
    }
}

/// The fields of a service-account key we use.
#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    client_email: String,
    #[serde(default)]
    private_key: String,
    #[serde(default)]
    private_key_id: String,
    #[serde(default)]
    token_uri: Option<String>,
}

/// A service account that signs its own assertions.
struct Signer {
    email: String,
    key_id: String,
    token_uri: String,
    key: RsaKeyPair,
}

impl Signer {
    /// Parse a key; the error says what is wrong and never quotes the file.
    fn parse(json: &str) -> Result<Self, String> {
        // serde_json's messages may quote a value: keep only where it broke.
        let k: KeyFile = serde_json::from_str(json).map_err(|e| {
            format!(
                "is not a service-account key (JSON breaks at line {} column {})",
                e.line(),
                e.column()
            )
        })?;
        if k.kind != "service_account" {
            return Err(
                "is not a service-account key (its \"type\" is not \"service_account\")".into(),
            );
        }
        if k.client_email.is_empty() {
            return Err("has no client_email".into());
        }
        let der = PrivatePkcs8KeyDer::from_pem_slice(k.private_key.as_bytes())
            .map_err(|_| "has no PKCS#8 PEM private_key".to_string())?;
        let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|e| format!("has a private_key that is not an RSA key ring accepts: {e}"))?;
        Ok(Self {
            email: k.client_email,
            key_id: k.private_key_id,
            token_uri: k.token_uri.unwrap_or_else(|| DEFAULT_TOKEN_URI.into()),
            key,
        })
    }

    /// The signed JWT (RFC 7523) asking for [`SCOPE`], issued at `now`
    /// (seconds since the epoch).
    fn assertion(&self, now: u64) -> Result<String, String> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": self.key_id});
        let claims = serde_json::json!({
            "iss": self.email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| "cannot sign the assertion".to_string())?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

enum Kind {
    Key(Box<Signer>),
    Metadata { url: String },
}

/// An access token and when to renew it.
struct Cached {
    token: String,
    renew_at: Instant,
}

/// Hands out access tokens, fetching one when none is cached or the cached
/// one is near its expiry.
pub struct Auth {
    provider: String,
    source: String,
    kind: Kind,
    cached: Mutex<Option<Cached>>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("provider", &self.provider)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Check the credentials (a key is parsed now); no request is sent.
    pub fn new(provider: &str, credentials: &Credentials) -> Result<Self, ProviderError> {
        let source = credentials.source();
        let kind = match credentials {
            Credentials::ServiceAccount { json, .. } => {
                Kind::Key(Box::new(Signer::parse(json).map_err(|why| {
                    ProviderError::Auth {
                        provider: provider.to_string(),
                        credential_source: source.clone(),
                        message: format!("the credentials file {why}"),
                    }
                })?))
            }
            Credentials::MetadataServer { url } => Kind::Metadata {
                url: url.trim_end_matches('/').to_string(),
            },
        };
        Ok(Self {
            provider: provider.to_string(),
            source,
            kind,
            cached: Mutex::new(None),
        })
    }

    /// Where the credential comes from, for messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The service account's email, when a key is used.
    pub fn account(&self) -> Option<&str> {
        match &self.kind {
            Kind::Key(s) => Some(&s.email),
            Kind::Metadata { .. } => None,
        }
    }

    /// A valid access token: the cached one, or a new one.
    pub async fn token(&self, http: &reqwest::Client) -> Result<String, ProviderError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.renew_at) {
            return Ok(c.token.clone());
        }
        let answer = self.fetch(http).await?;
        let lifetime = Duration::from_secs(answer.expires_in);
        let early = if lifetime > RENEW_BEFORE * 2 {
            lifetime - RENEW_BEFORE
        } else {
            lifetime / 2
        };
        *cached = Some(Cached {
            token: answer.access_token.clone(),
            renew_at: Instant::now() + early,
        });
        tracing::debug!(provider = %self.provider, source = %self.source,
            expires_in = answer.expires_in, "Cloud DNS access token obtained.");
        Ok(answer.access_token)
    }

    /// Forget the cached token (the API refused it).
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<TokenAnswer, ProviderError> {
        let (req, endpoint) = match &self.kind {
            Kind::Key(signer) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                let jwt = signer.assertion(now).map_err(|m| self.refused(m))?;
                // The assertion is base64url and dots: nothing to escape.
                let body = format!(
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}"
                );
                let req = http
                    .post(&signer.token_uri)
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(body);
                (req, format!("the token endpoint {}", signer.token_uri))
            }
            Kind::Metadata { url } => {
                let req = http
                    .get(format!("{url}{METADATA_TOKEN_PATH}"))
                    .query(&[("scopes", SCOPE)])
                    .header("Metadata-Flavor", "Google");
                (req, format!("the metadata server {url}"))
            }
        };
        let resp = req.send().await.map_err(|e| {
            let timeout = e.is_timeout();
            let message = format!("{endpoint}: {}", e.without_url());
            if timeout {
                ProviderError::Timeout {
                    provider: self.provider.clone(),
                    message,
                }
            } else {
                ProviderError::Transport {
                    provider: self.provider.clone(),
                    message,
                }
            }
        })?;
        let status = resp.status();
        let retry_after = crate::client::retry_after(resp.headers());
        let bytes = resp.bytes().await.unwrap_or_default();
        if status.is_success() {
            return serde_json::from_slice::<TokenAnswer>(&bytes).map_err(|_| {
                ProviderError::Server {
                    provider: self.provider.clone(),
                    message: format!("{endpoint} answered without an access token"),
                }
            });
        }
        Err(self.token_error(status, &bytes, &endpoint, retry_after))
    }

    fn refused(&self, message: String) -> ProviderError {
        ProviderError::Auth {
            provider: self.provider.clone(),
            credential_source: self.source.clone(),
            message,
        }
    }

    /// The token endpoint's refusal: OAuth's `error`/`error_description`,
    /// which name the problem (`invalid_grant: Invalid JWT Signature.`) and
    /// never the key.
    fn token_error(
        &self,
        status: StatusCode,
        body: &[u8],
        endpoint: &str,
        retry_after: Option<Duration>,
    ) -> ProviderError {
        let said = match serde_json::from_slice::<OAuthError>(body) {
            Ok(e) if !e.error.is_empty() => {
                if e.error_description.is_empty() {
                    e.error
                } else {
                    format!("{}: {}", e.error, e.error_description)
                }
            }
            _ => String::from_utf8_lossy(body)
                .trim()
                .chars()
                .take(200)
                .collect(),
        };
        let message = format!("{endpoint} answered HTTP {status}: {said}");
        let provider = self.provider.clone();
        match status.as_u16() {
            429 => ProviderError::Throttled {
                provider,
                retry_after,
                message,
            },
            s if s >= 500 => ProviderError::Server { provider, message },
            _ => self.refused(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    use rtoguard_testkit::gcloud::{TEST_ONLY_PRIVATE_KEY, service_account_json};

    #[test]
    fn the_assertion_is_a_signed_jwt_for_the_dns_scope() {
        let s = Signer::parse(&service_account_json("http://127.0.0.1:1/token")).unwrap();
        let jwt = s.assertion(1_700_000_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["scope"], SCOPE);
        assert_eq!(claims["aud"], "http://127.0.0.1:1/token");
        assert_eq!(claims["exp"], 1_700_003_600u64);
        let der = PrivatePkcs8KeyDer::from_pem_slice(TEST_ONLY_PRIVATE_KEY.as_bytes()).unwrap();
        let public = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .unwrap()
            .public()
            .as_ref()
            .to_vec();
        let signed = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
            .verify(
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
            )
            .expect("the signature verifies with the key's public half");
    }

    #[test]
    fn a_bad_key_is_named_by_its_source_and_never_quoted() {
        let creds = Credentials::ServiceAccount {
            json: r#"{"type": "service_account", "client_email": "a@b", "private_key": "s3cr3t-not-a-key"}"#.into(),
            source: "file /etc/rtoguard/gcloud.json".into(),
        };
        let e = Auth::new("gdns", &creds).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("file /etc/rtoguard/gcloud.json"), "{text}");
        assert!(text.contains("PKCS#8"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
        let broken = Credentials::ServiceAccount {
            json: "{\"private_key\": \"s3cr3t\" oops".into(),
            source: "file k.json".into(),
        };
        let text = Auth::new("gdns", &broken).unwrap_err().to_string();
        assert!(
            !text.contains("s3cr3t") && text.contains("line 1"),
            "{text}"
        );
        assert!(!format!("{creds:?}").contains("s3cr3t"));
    }
}
