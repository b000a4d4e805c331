//! The HTTP side: the API key header, the request budget, retries, and PowerDNS's answers mapped to `ProviderError`.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rtoguard_provider_api::ProviderError;
use rtoguard_provider_api::limits::{Budget, RetryPolicy, retry};

use crate::api::{ApiError, Patch, Zone};

/// The API key. `Debug` never shows it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: String) -> Self {
        Self(key)
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

/// Who we are, for error messages.
#[derive(Debug, Clone)]
pub struct Who {
    pub provider: String,
    pub key_source: String,
}

/// A rate-limited, retrying client of one PowerDNS server's zones.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    /// `{api_url}/servers/{server_id}`.
    base: String,
    key: ApiKey,
    pub(crate) who: Who,
    pub(crate) budget: Budget,
    pub(crate) policy: RetryPolicy,
}

impl Client {
    pub fn new(
        api_url: &str,
        server_id: &str,
        key: ApiKey,
        who: Who,
        rps: u32,
    ) -> Result<Self, ProviderError> {
        // Err means a provider is installed already, which is all we need.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("rtoguard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Transport {
                provider: who.provider.clone(),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            http,
            base: format!("{}/servers/{server_id}", api_url.trim_end_matches('/')),
            key,
            who,
            budget: Budget::per_second(rps),
            policy: RetryPolicy::default(),
        })
    }

    /// `GET /zones/{id}` with `query` (`rrset_name`, `rrset_type`, `rrsets`), retried.
    pub async fn zone(&self, id: &str, query: &[(&str, String)]) -> Result<Zone, ProviderError> {
        let what = format!("GET zone {id}");
        retry(&self.budget, self.policy, &what, || {
            self.zone_once(id, query)
        })
        .await
    }

    /// `GET /zones/{id}`, one attempt, outside the budget.
    pub async fn zone_once(
        &self,
        id: &str,
        query: &[(&str, String)],
    ) -> Result<Zone, ProviderError> {
        let bytes = self
            .once(Method::GET, &format!("/zones/{id}"), query, None)
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| ProviderError::Server {
            provider: self.who.provider.clone(),
            message: format!("unreadable zone {id} from the API: {e}"),
        })
    }

    /// `PATCH /zones/{id}` with rrset replacements, one attempt (PowerDNS
    /// answers 204 No Content).
    pub async fn patch_once(&self, id: &str, patch: &Patch) -> Result<(), ProviderError> {
        let body = serde_json::to_vec(patch).map_err(|e| ProviderError::BadRequest {
            provider: self.who.provider.clone(),
            message: format!("cannot encode the change: {e}"),
        })?;
        self.once(Method::PATCH, &format!("/zones/{id}"), &[], Some(body))
            .await
            .map(|_| ())
    }

    /// `PUT /zones/{id}/notify`: ask PowerDNS to NOTIFY the zone's
    /// secondaries now (primary zones only), retried.
    pub async fn notify(&self, id: &str) -> Result<(), ProviderError> {
        let what = format!("PUT zone {id} notify");
        let path = format!("/zones/{id}/notify");
        retry(&self.budget, self.policy, &what, || {
            self.once(Method::PUT, &path, &[], None)
        })
        .await
        .map(|_| ())
    }

    async fn once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, ProviderError> {
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .http
            .request(method, &url)
            .header("X-API-Key", self.key.expose())
            .query(query);
        if let Some(b) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b);
        }
        let resp = req.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        let bytes = resp.bytes().await.map_err(|e| self.transport(e))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(classify(&self.who, status, &bytes, path, retry_after))
    }

    fn transport(&self, e: reqwest::Error) -> ProviderError {
        // reqwest's message names the URL, never the X-API-Key header.
        let provider = self.who.provider.clone();
        let timeout = e.is_timeout();
        let message = e.without_url().to_string();
        if timeout {
            ProviderError::Timeout { provider, message }
        } else {
            ProviderError::Transport { provider, message }
        }
    }
}

/// `Retry-After` in seconds (PowerDNS itself never sends it; a proxy may).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<f64>().ok().map(Duration::from_secs_f64)
}

/// Map a failed answer to the error that says what can be done about it.
/// PowerDNS writes `{"error": "..."}` as JSON, or plain text for 401 and 404.
pub fn classify(
    who: &Who,
    status: StatusCode,
    body: &[u8],
    path: &str,
    retry_after: Option<Duration>,
) -> ProviderError {
    let provider = who.provider.clone();
    let said = match serde_json::from_slice::<ApiError>(body) {
        Ok(e) if !e.error.is_empty() => e.to_string(),
        _ => String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(200)
            .collect(),
    };
    let message = if said.is_empty() {
        format!("HTTP {status} on {path}")
    } else {
        format!("HTTP {status} on {path}: {said}")
    };
    match status.as_u16() {
        429 => ProviderError::Throttled {
            provider,
            retry_after,
            message,
        },
        401 | 403 => ProviderError::Auth {
            provider,
            credential_source: who.key_source.clone(),
            message: format!("{message} (check the API key and the server's api-key setting)"),
        },
        404 => ProviderError::NotFound {
            provider,
            message: format!(
                "{message} (is the zone on this server, and are api_url and server_id right?)"
            ),
        },
        422 => ProviderError::BadRequest {
            provider,
            message: format!("{message} (PowerDNS refused the records as sent)"),
        },
        s if s >= 500 => ProviderError::Server { provider, message },
        _ => ProviderError::BadRequest { provider, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Who {
        Who {
            provider: "pdns".into(),
            key_source: "file /etc/rtoguard/pdns-key".into(),
        }
    }

    #[test]
    fn maps_statuses() {
        let e = classify(
            &who(),
            StatusCode::UNAUTHORIZED,
            b"Unauthorized",
            "/zones/x.",
            None,
        );
        assert!(
            matches!(&e, ProviderError::Auth { credential_source, .. } if credential_source == "file /etc/rtoguard/pdns-key")
        );
        let e = classify(
            &who(),
            StatusCode::UNPROCESSABLE_ENTITY,
            br#"{"error": "Record www.example.test./A '1.2.3': unable to parse IP address"}"#,
            "/zones/x.",
            None,
        );
        assert_eq!(e.kind(), "bad-request");
        assert!(e.to_string().contains("unable to parse IP address"), "{e}");
        assert!(!e.is_retryable());
        let e = classify(
            &who(),
            StatusCode::TOO_MANY_REQUESTS,
            b"",
            "/zones/x.",
            Some(Duration::from_secs(2)),
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        let e = classify(&who(), StatusCode::BAD_GATEWAY, b"", "/zones/x.", None);
        assert!(e.is_retryable() && e.kind() == "server");
        let e = classify(
            &who(),
            StatusCode::NOT_FOUND,
            b"Not Found",
            "/zones/x.",
            None,
        );
        assert_eq!(e.kind(), "not-found");
    }

    #[test]
    fn the_key_is_never_printed() {
        assert_eq!(format!("{:?}", ApiKey::new("s3cr3t".into())), "REDACTED");
    }
}
