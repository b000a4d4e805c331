//! The HTTP side: the media type on every request and answer, an optional
//! bearer token, the request budget, retries, and answers mapped to `ProviderError`.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use rtoguard_provider_api::ProviderError;
use rtoguard_provider_api::limits::{Budget, RetryPolicy, retry};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{Changes, DomainFilter, Endpoint, MEDIA_TYPE};

/// The bearer token. `Debug` never shows it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(token: String) -> Self {
        Self(token)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

/// A rate-limited webhook client. Errors name the URL, never a header.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    provider: String,
    token: Option<Token>,
    /// Where the token came from, or that there is none, for messages.
    token_source: String,
    budget: Budget,
    pub policy: RetryPolicy,
}

/// What one request is: method, path, and whether the answer has a body.
struct Call<'a, B> {
    method: Method,
    path: &'a str,
    body: Option<&'a B>,
}

impl Client {
    pub fn new(
        provider: &str,
        base: &str,
        token: Option<(Token, String)>,
        timeout: Duration,
        rps: u32,
    ) -> Result<Self, ProviderError> {
        // Err means a provider is installed already, which is all we need.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .user_agent(concat!("rtoguard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Transport {
                provider: provider.to_string(),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        let (token, token_source) = match token {
            Some((t, source)) => (Some(t), source),
            None => (None, "no token (token_file is not set)".to_string()),
        };
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            provider: provider.to_string(),
            token,
            token_source,
            budget: Budget::with_burst(rps, 2),
            policy: RetryPolicy::default(),
        })
    }

    /// The full URL of `path`, as errors name it.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /`: the negotiation, sent once. The answer must carry the media type.
    pub async fn negotiate(&self) -> Result<DomainFilter, ProviderError> {
        self.budget.acquire().await;
        self.send(Call::<()> {
            method: Method::GET,
            path: "/",
            body: None,
        })
        .await
    }

    /// `GET /`, retried (the daemon's first use).
    pub async fn negotiate_retried(&self) -> Result<DomainFilter, ProviderError> {
        retry(&self.budget, self.policy, "GET /", || {
            self.send(Call::<()> {
                method: Method::GET,
                path: "/",
                body: None,
            })
        })
        .await
    }

    /// `GET /records`, retried.
    pub async fn records(&self) -> Result<Vec<Endpoint>, ProviderError> {
        retry(&self.budget, self.policy, "GET /records", || {
            self.records_once()
        })
        .await
    }

    /// `GET /records`, sent once.
    pub async fn records_once(&self) -> Result<Vec<Endpoint>, ProviderError> {
        self.send(Call::<()> {
            method: Method::GET,
            path: "/records",
            body: None,
        })
        .await
    }

    /// `POST /adjustendpoints`, sent once (the caller retries the whole write).
    pub async fn adjust(&self, endpoints: &[Endpoint]) -> Result<Vec<Endpoint>, ProviderError> {
        self.budget.acquire().await;
        self.send(Call {
            method: Method::POST,
            path: "/adjustendpoints",
            body: Some(&endpoints),
        })
        .await
    }

    /// `POST /records`, sent once: the protocol has no compare-and-set, so
    /// only the caller, after reading again, may send it again.
    pub async fn apply(&self, changes: &Changes) -> Result<(), ProviderError> {
        self.budget.acquire().await;
        let url = self.url("/records");
        let resp = self.request(Method::POST, &url, Some(changes)).send();
        let resp = resp.await.map_err(|e| self.transport(&url, e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        Err(self.refusal(&Method::POST, &url, status, &headers, &body))
    }

    fn request<B: Serialize>(
        &self,
        method: Method,
        url: &str,
        body: Option<&B>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, url).header(ACCEPT, MEDIA_TYPE);
        if let Some(t) = &self.token {
            req = req.bearer_auth(&t.0);
        }
        if let Some(b) = body {
            // The body is our own types: serialising cannot fail.
            let bytes = serde_json::to_vec(b).unwrap_or_default();
            req = req.header(CONTENT_TYPE, MEDIA_TYPE).body(bytes);
        }
        req
    }

    async fn send<T: DeserializeOwned, B: Serialize>(
        &self,
        call: Call<'_, B>,
    ) -> Result<T, ProviderError> {
        let url = self.url(call.path);
        let method = call.method.clone();
        let resp = self.request(call.method, &url, call.body).send();
        let resp = resp.await.map_err(|e| self.transport(&url, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.map_err(|e| self.transport(&url, e))?;
        if !status.is_success() {
            let body = String::from_utf8_lossy(&bytes);
            return Err(self.refusal(&method, &url, status, &headers, &body));
        }
        self.check_media_type(&method, &url, call.path == "/", &headers)?;
        serde_json::from_slice(&bytes).map_err(|e| ProviderError::BadRequest {
            provider: self.provider.clone(),
            message: format!("{method} {url}: the answer is not the protocol's JSON: {e}"),
        })
    }

    /// The negotiation's answer must carry exactly the media type (as
    /// external-dns itself demands); other answers may also say plain
    /// `application/json`, which some providers send.
    fn check_media_type(
        &self,
        method: &Method,
        url: &str,
        negotiation: bool,
        headers: &HeaderMap,
    ) -> Result<(), ProviderError> {
        let got = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let canon: String = got
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let ok = canon == MEDIA_TYPE
            || (!negotiation && canon.split(';').next() == Some("application/json"));
        if ok {
            return Ok(());
        }
        let got = if got.is_empty() { "none" } else { got };
        Err(ProviderError::BadRequest {
            provider: self.provider.clone(),
            message: format!(
                "{method} {url} answered with Content-Type {got:?}, not {MEDIA_TYPE}: is this an external-dns webhook provider speaking version 1 of the protocol?"
            ),
        })
    }

    fn refusal(
        &self,
        method: &Method,
        url: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &str,
    ) -> ProviderError {
        let provider = self.provider.clone();
        let said: String = body.trim().chars().take(300).collect();
        let message = if said.is_empty() {
            format!("{method} {url} answered {status}")
        } else {
            format!("{method} {url} answered {status}: {said}")
        };
        match status.as_u16() {
            429 => ProviderError::Throttled {
                provider,
                retry_after: retry_after(headers),
                message,
            },
            401 | 403 => ProviderError::Auth {
                provider,
                credential_source: self.token_source.clone(),
                message,
            },
            404 => ProviderError::NotFound { provider, message },
            500..=599 => ProviderError::Server { provider, message },
            _ => ProviderError::BadRequest { provider, message },
        }
    }

    fn transport(&self, url: &str, e: reqwest::Error) -> ProviderError {
        let provider = self.provider.clone();
        let timeout = e.is_timeout();
        let message = format!("{url}: {}", e.without_url());
        if timeout {
            ProviderError::Timeout { provider, message }
        } else {
            ProviderError::Transport { provider, message }
        }
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not honoured: backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?;
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_never_printed() {
        assert_eq!(format!("{:?}", Token::new("s3cr3t".into())), "REDACTED");
    }

    #[test]
    fn retry_after_in_seconds() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }
}
