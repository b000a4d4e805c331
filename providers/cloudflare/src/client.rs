//! The HTTP side: bearer auth, the request budget, retries, and the v4 envelope mapped to `ProviderError`.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rtoguard_provider_api::ProviderError;
use rtoguard_provider_api::limits::{Budget, RetryPolicy, retry};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{ApiMessage, Envelope, ResultInfo};

/// Cloudflare's codes for a token that is invalid or lacks permission.
const AUTH_CODES: [u32; 2] = [9109, 10000];
/// "Record does not exist": a batch named an id that is gone.
const RECORD_GONE: u32 = 81044;

/// The API token. `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(token: String) -> Self {
        Self(token)
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

/// Who we are, for error messages.
#[derive(Debug, Clone)]
pub struct Who {
    pub provider: String,
    pub token_source: String,
}

/// A rate-limited, retrying v4 API client.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Token,
    who: Who,
    budget: Budget,
    policy: RetryPolicy,
}

/// One successful answer: the result and, for lists, the pagination.
pub struct Answer<T> {
    pub result: T,
    pub info: Option<ResultInfo>,
}

impl Client {
    pub fn new(base: &str, token: Token, who: Who, rps: u32) -> Result<Self, ProviderError> {
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
            base: base.trim_end_matches('/').to_string(),
            token,
            who,
            budget: Budget::per_second(rps),
            policy: RetryPolicy::default(),
        })
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn provider(&self) -> &str {
        &self.who.provider
    }

    /// `GET base/path?query`, retried.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Answer<T>, ProviderError> {
        let what = format!("GET {path}");
        retry(&self.budget, self.policy, &what, || {
            self.once::<T, ()>(Method::GET, path, query, None)
        })
        .await
    }

    /// `GET base/path?query`, sent once (the doctor's checks: no retries).
    pub async fn get_once<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Answer<T>, ProviderError> {
        self.budget.acquire().await;
        self.once::<T, ()>(Method::GET, path, query, None).await
    }

    /// Where the token came from (`file /etc/rtoguard/cf-token`), for messages.
    pub fn token_source(&self) -> &str {
        &self.who.token_source
    }

    /// `POST base/path` with a JSON body, retried: only for requests that are
    /// fenced (a batch naming the record ids it replaces).
    pub async fn post_fenced<T: DeserializeOwned, B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Answer<T>, ProviderError> {
        let what = format!("POST {path}");
        retry(&self.budget, self.policy, &what, || {
            self.once::<T, B>(Method::POST, path, &[], Some(body))
        })
        .await
    }

    async fn once<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<Answer<T>, ProviderError> {
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .http
            .request(method, &url)
            .bearer_auth(self.token.expose())
            .query(query);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        let bytes = resp.bytes().await.map_err(|e| self.transport(e))?;
        let env: Envelope<T> = match serde_json::from_slice(&bytes) {
            Ok(env) => env,
            Err(e) if status.is_success() => {
                return Err(ProviderError::Server {
                    provider: self.who.provider.clone(),
                    message: format!("unreadable response to {path}: {e}"),
                });
            }
            Err(_) => Envelope {
                success: false,
                errors: Vec::new(),
                result: None,
                result_info: None,
            },
        };
        match env.result {
            Some(result) if status.is_success() && env.success => Ok(Answer {
                result,
                info: env.result_info,
            }),
            _ => Err(classify(&self.who, status, &env.errors, retry_after)),
        }
    }

    fn transport(&self, e: reqwest::Error) -> ProviderError {
        // reqwest's message names the URL, never the Authorization header.
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

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<f64>().ok().map(Duration::from_secs_f64)
}

/// Map a failed answer to the error that says what can be done about it.
pub fn classify(
    who: &Who,
    status: StatusCode,
    errors: &[ApiMessage],
    retry_after: Option<Duration>,
) -> ProviderError {
    let provider = who.provider.clone();
    let message = if errors.is_empty() {
        format!("HTTP {status}")
    } else {
        let list: Vec<String> = errors.iter().map(ApiMessage::to_string).collect();
        format!("HTTP {}: {}", status.as_u16(), list.join("; "))
    };
    let has = |code: u32| errors.iter().any(|e| e.code == code);
    if status == StatusCode::TOO_MANY_REQUESTS {
        ProviderError::Throttled {
            provider,
            retry_after,
            message,
        }
    } else if matches!(status.as_u16(), 401 | 403) || AUTH_CODES.iter().any(|&c| has(c)) {
        ProviderError::Auth {
            provider,
            credential_source: who.token_source.clone(),
            message,
        }
    } else if has(RECORD_GONE) {
        ProviderError::Conflict { provider, message }
    } else if status.is_server_error() {
        ProviderError::Server { provider, message }
    } else if status == StatusCode::NOT_FOUND {
        ProviderError::NotFound { provider, message }
    } else {
        ProviderError::BadRequest { provider, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Who {
        Who {
            provider: "cf".into(),
            token_source: "env CF_TOKEN".into(),
        }
    }

    fn msg(code: u32, message: &str) -> Vec<ApiMessage> {
        vec![ApiMessage {
            code,
            message: message.into(),
            error_chain: vec![],
        }]
    }

    #[test]
    fn maps_statuses_and_codes() {
        let e = classify(
            &who(),
            StatusCode::FORBIDDEN,
            &msg(9109, "Invalid access token"),
            None,
        );
        assert!(
            matches!(&e, ProviderError::Auth { credential_source, .. } if credential_source == "env CF_TOKEN")
        );
        assert!(
            e.to_string().contains("code 9109: Invalid access token"),
            "{e}"
        );
        let e = classify(
            &who(),
            StatusCode::BAD_REQUEST,
            &msg(10000, "Authentication error"),
            None,
        );
        assert_eq!(e.kind(), "auth");
        let e = classify(
            &who(),
            StatusCode::TOO_MANY_REQUESTS,
            &msg(971, "Please wait"),
            Some(Duration::from_secs(3)),
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        let e = classify(
            &who(),
            StatusCode::BAD_REQUEST,
            &msg(81044, "Record does not exist."),
            None,
        );
        assert_eq!(e.kind(), "conflict");
        assert!(!e.is_retryable());
        let e = classify(&who(), StatusCode::BAD_GATEWAY, &[], None);
        assert!(e.is_retryable() && e.kind() == "server");
        let e = classify(
            &who(),
            StatusCode::BAD_REQUEST,
            &msg(1004, "DNS Validation Error"),
            None,
        );
        assert_eq!(e.kind(), "bad-request");
    }

    #[test]
    fn the_token_is_never_printed() {
        let t = Token::new("s3cr3t-token".into());
        assert_eq!(format!("{t:?}"), "REDACTED");
    }
}
