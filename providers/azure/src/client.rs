//! The ARM side: bearer auth, the request budget, retries, conditional PUTs, and ARM's answers mapped to `ProviderError`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rtoguard_provider_api::limits::{Budget, RetryPolicy, retry};
use rtoguard_provider_api::{ProviderError, RecordType};

use crate::api::{API_VERSION, ArmError, ArmRecordSet, Put};
use crate::auth::{Bearer, Tokens};
use crate::plan::Precondition;

/// One record set's address: the zone's ARM name, the type, the relative name.
#[derive(Debug, Clone)]
pub struct Address {
    pub zone: String,
    pub rtype: RecordType,
    pub relative: String,
}

/// A rate-limited, retrying client of one resource group's DNS zones.
#[derive(Debug)]
pub struct Arm {
    http: reqwest::Client,
    /// `{api_url}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/dnsZones`.
    base: String,
    pub(crate) tokens: Tokens,
    pub(crate) budget: Budget,
    pub(crate) policy: RetryPolicy,
}

impl Arm {
    pub fn new(http: reqwest::Client, base: String, tokens: Tokens, rps: u32) -> Self {
        Self {
            http,
            base,
            tokens,
            // A flip's write and its read-back need not queue behind each other.
            budget: Budget::with_burst(rps, 2),
            policy: RetryPolicy::default(),
        }
    }

    /// The record set at `at`, or `None` when it does not exist; retried.
    pub async fn get(&self, at: &Address) -> Result<Option<ArmRecordSet>, ProviderError> {
        let what = format!("GET {} {} in {}", at.relative, at.rtype, at.zone);
        retry(&self.budget, self.policy, &what, || self.get_once(at)).await
    }

    /// The record set at `at`, one attempt, outside the budget.
    pub async fn get_once(&self, at: &Address) -> Result<Option<ArmRecordSet>, ProviderError> {
        match self.send(Method::GET, at, None, None).await {
            Ok(rs) => Ok(Some(rs)),
            Err((Some(code), _)) if code == "NotFound" => Ok(None),
            Err((_, e)) => Err(e),
        }
    }

    /// `PUT` the record set at `at`, fenced by `fence`; one attempt. A
    /// failed fence is a conflict.
    pub async fn put_once(
        &self,
        at: &Address,
        put: &Put,
        fence: &Precondition,
    ) -> Result<ArmRecordSet, ProviderError> {
        self.send(Method::PUT, at, Some(put), Some(fence))
            .await
            .map_err(|(_, e)| e)
    }

    /// One request; a failure carries ARM's error code when it gave one. A
    /// token ARM refuses (401) after it was cached (revoked, or the clock
    /// off) is dropped and the request sent once more with a new one.
    async fn send(
        &self,
        method: Method,
        at: &Address,
        put: Option<&Put>,
        fence: Option<&Precondition>,
    ) -> Result<ArmRecordSet, (Option<String>, ProviderError)> {
        let (token, fresh) = self.tokens.bearer().await.map_err(|e| (None, e))?;
        match self.send_with(&token, method.clone(), at, put, fence).await {
            Err((Some(401), _, _)) if !fresh => {
                self.tokens.forget().await;
                let (token, _) = self.tokens.bearer().await.map_err(|e| (None, e))?;
                self.send_with(&token, method, at, put, fence)
                    .await
                    .map_err(|(_, code, e)| (code, e))
            }
            other => other.map_err(|(_, code, e)| (code, e)),
        }
    }

    /// One request with `token`; a failure carries the status and ARM's code.
    async fn send_with(
        &self,
        token: &Bearer,
        method: Method,
        at: &Address,
        put: Option<&Put>,
        fence: Option<&Precondition>,
    ) -> Result<ArmRecordSet, (Option<u16>, Option<String>, ProviderError)> {
        let path = format!("/{}/{}/{}", at.zone, at.rtype, at.relative);
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .query(&[("api-version", API_VERSION)])
            .bearer_auth(token.expose());
        if let Some(body) = put {
            req = req.json(body);
        }
        req = match fence {
            Some(Precondition::IfMatch(etag)) => req.header(reqwest::header::IF_MATCH, etag),
            Some(Precondition::IfNoneMatch) => req.header(reqwest::header::IF_NONE_MATCH, "*"),
            None => req,
        };
        let resp = req
            .send()
            .await
            .map_err(|e| (None, None, transport(&self.tokens.provider, "", e)))?;
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| (None, None, transport(&self.tokens.provider, "", e)))?;
        if !status.is_success() {
            let err: ArmError = serde_json::from_slice(&bytes).unwrap_or_default();
            if status == StatusCode::UNAUTHORIZED {
                self.tokens.forget().await;
            }
            let code = (!err.error.code.is_empty()).then(|| err.error.code.clone());
            return Err((
                Some(status.as_u16()),
                code,
                self.classify(status, &err, &bytes, &path, retry_after),
            ));
        }
        let mut rs: ArmRecordSet = serde_json::from_slice(&bytes).map_err(|e| {
            let message = format!("unreadable record set {path} from ARM: {e}");
            let provider = self.tokens.provider.clone();
            (None, None, ProviderError::Server { provider, message })
        })?;
        if rs.etag.is_empty() {
            rs.etag = etag.unwrap_or_default();
        }
        Ok(rs)
    }

    /// Map a failed answer to the error that says what can be done about it.
    fn classify(
        &self,
        status: StatusCode,
        err: &ArmError,
        body: &[u8],
        path: &str,
        retry_after: Option<Duration>,
    ) -> ProviderError {
        let provider = self.tokens.provider.clone();
        let said = if err.error.code.is_empty() {
            excerpt(body)
        } else {
            format!("{}: {}", err.error.code, err.error.message)
        };
        let message = format!("HTTP {status} on {path}: {said}");
        match status.as_u16() {
            412 => ProviderError::Conflict {
                provider,
                message: format!("{message} (the ETag no longer matches: nothing written)"),
            },
            429 => ProviderError::Throttled {
                provider,
                retry_after,
                message,
            },
            401 | 403 => ProviderError::Auth {
                provider,
                credential_source: self.tokens.source(),
                message: format!(
                    "{message} (the identity needs the DNS Zone Contributor role on the zone)"
                ),
            },
            404 => ProviderError::NotFound {
                provider,
                message: format!(
                    "{message} (are subscription_id, resource_group and the zone's name right?)"
                ),
            },
            s if s >= 500 => ProviderError::Server { provider, message },
            _ => ProviderError::BadRequest { provider, message },
        }
    }
}

/// A request that got no answer; reqwest's message names the URL, never
/// the Authorization header or the form. `what` prefixes the message.
pub fn transport(provider: &str, what: &str, e: reqwest::Error) -> ProviderError {
    let provider = provider.to_string();
    let timeout = e.is_timeout();
    let message = format!("{what}{}", e.without_url());
    if timeout {
        ProviderError::Timeout { provider, message }
    } else {
        ProviderError::Transport { provider, message }
    }
}

/// `Retry-After` in seconds, as ARM and the identity platform send it.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    Duration::try_from_secs_f64(v.trim().parse::<f64>().ok()?).ok()
}

/// At most 200 characters of a body that is not the JSON we expected.
pub fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .trim()
        .chars()
        .take(200)
        .collect()
}
