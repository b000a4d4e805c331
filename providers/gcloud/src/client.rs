//! The HTTP side: the bearer token, the request budget, retries, and Cloud DNS's answers mapped to `ProviderError`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rtoguard_provider_api::ProviderError;
use rtoguard_provider_api::limits::{Budget, RetryPolicy, retry};
use serde::de::DeserializeOwned;

use crate::api::{ApiErrorBody, ChangeBody, ResourceRecordSet, RrsetsPage};
use crate::auth::Auth;

/// Who we are, for error messages.
#[derive(Debug, Clone)]
pub struct Who {
    pub provider: String,
    pub project: String,
    pub managed_zone: String,
}

/// A rate-limited, retrying client of one managed zone.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    /// `{api_url}/dns/v1/projects/{project}/managedZones/{managed_zone}`.
    base: String,
    pub(crate) auth: Auth,
    pub(crate) who: Who,
    pub(crate) budget: Budget,
    pub(crate) policy: RetryPolicy,
}

impl Client {
    pub fn new(api_url: &str, auth: Auth, who: Who, rps: u32) -> Result<Self, ProviderError> {
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
            base: format!(
                "{}/dns/v1/projects/{}/managedZones/{}",
                api_url.trim_end_matches('/'),
                who.project,
                who.managed_zone
            ),
            auth,
            who,
            budget: Budget::with_burst(rps, 2),
            policy: RetryPolicy::default(),
        })
    }

    /// `GET …/rrsets?name=&type=`, retried.
    pub async fn rrsets(
        &self,
        name: &str,
        rtype: &str,
    ) -> Result<Vec<ResourceRecordSet>, ProviderError> {
        let what = format!("GET rrsets {name} {rtype}");
        let query = [("name", name.to_string()), ("type", rtype.to_string())];
        retry(&self.budget, self.policy, &what, || async {
            let page: RrsetsPage = self.once(Method::GET, "/rrsets", &query, None).await?;
            Ok(page.rrsets)
        })
        .await
    }

    /// `POST …/changes`, one attempt, outside the budget.
    pub async fn create_change_once(&self, body: &ChangeBody) -> Result<ChangeBody, ProviderError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ProviderError::BadRequest {
            provider: self.who.provider.clone(),
            message: format!("cannot encode the change: {e}"),
        })?;
        self.once(Method::POST, "/changes", &[], Some(bytes)).await
    }

    /// `GET …/changes/{id}`, one attempt, outside the budget.
    pub async fn change_once(&self, id: &str) -> Result<ChangeBody, ProviderError> {
        self.once(Method::GET, &format!("/changes/{id}"), &[], None)
            .await
    }

    /// `GET …/managedZones/{zone}`: the zone's DNS name, one attempt.
    pub async fn zone_dns_name_once(&self) -> Result<String, ProviderError> {
        #[derive(serde::Deserialize)]
        struct Zone {
            #[serde(rename = "dnsName", default)]
            dns_name: String,
        }
        let z: Zone = self.once(Method::GET, "", &[], None).await?;
        Ok(z.dns_name)
    }

    async fn once<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<T, ProviderError> {
        let token = self.auth.token(&self.http).await?;
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(token)
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
            return serde_json::from_slice(&bytes).map_err(|e| ProviderError::Server {
                provider: self.who.provider.clone(),
                message: format!("unreadable answer to {method} {path}: {e}"),
            });
        }
        if status == StatusCode::UNAUTHORIZED {
            // The token was revoked or expired early: the next request gets a new one.
            self.auth.forget().await;
        }
        let what = format!("{method} {}", if path.is_empty() { "/" } else { path });
        Err(classify(
            &self.who,
            self.auth.source(),
            status,
            &bytes,
            &what,
            retry_after,
        ))
    }

    fn transport(&self, e: reqwest::Error) -> ProviderError {
        // reqwest's message without the URL; the token is in a header it never prints.
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

/// `Retry-After` in seconds.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<f64>().ok().map(Duration::from_secs_f64)
}

/// The rate-limit reasons: Google sends them with 429, and with 403 too.
const RATE_REASONS: [&str; 2] = ["rateLimitExceeded", "userRateLimitExceeded"];

/// Map a failed answer to the error that says what can be done about it.
pub fn classify(
    who: &Who,
    credential_source: &str,
    status: StatusCode,
    body: &[u8],
    what: &str,
    retry_after: Option<Duration>,
) -> ProviderError {
    let provider = who.provider.clone();
    let (said, reason) = match serde_json::from_slice::<ApiErrorBody>(body) {
        Ok(b) => (b.error.to_string(), b.error.reason().to_string()),
        Err(_) => (
            String::from_utf8_lossy(body)
                .trim()
                .chars()
                .take(200)
                .collect(),
            String::new(),
        ),
    };
    let message = if said.is_empty() {
        format!("HTTP {status} on {what}")
    } else {
        format!("HTTP {status} on {what}: {said}")
    };
    let deletion = said.contains("entity.change.deletions");
    match (status.as_u16(), reason.as_str()) {
        (429, _) => ProviderError::Throttled {
            provider,
            retry_after,
            message,
        },
        (403, r) if RATE_REASONS.contains(&r) => ProviderError::Throttled {
            provider,
            retry_after,
            message,
        },
        (401, _) => ProviderError::Auth {
            provider,
            credential_source: credential_source.to_string(),
            message: format!("{message} (the access token was refused)"),
        },
        (403, _) => ProviderError::Auth {
            provider,
            credential_source: credential_source.to_string(),
            message: format!(
                "{message} (does the service account have the DNS Administrator role on project {}?)",
                who.project
            ),
        },
        // The compare-and-set refusals: a deletion that does not match the
        // served set exactly, one of a set that is gone, an addition of one
        // that exists.
        (412, _) | (409, _) => ProviderError::Conflict { provider, message },
        (404, _) if deletion => ProviderError::Conflict { provider, message },
        (404, _) => ProviderError::NotFound {
            provider,
            message: format!(
                "{message} (are project {} and managed_zone {} right?)",
                who.project, who.managed_zone
            ),
        },
        (s, _) if s >= 500 => ProviderError::Server { provider, message },
        _ => ProviderError::BadRequest { provider, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Who {
        Who {
            provider: "gdns".into(),
            project: "proj".into(),
            managed_zone: "example-test".into(),
        }
    }

    fn google(code: u16, reason: &str, message: &str) -> Vec<u8> {
        serde_json::json!({"error": {"code": code, "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}]}})
        .to_string()
        .into_bytes()
    }

    fn class(status: u16, body: &[u8]) -> ProviderError {
        classify(
            &who(),
            "file /k.json",
            StatusCode::from_u16(status).unwrap(),
            body,
            "POST /changes",
            Some(Duration::from_secs(3)),
        )
    }

    #[test]
    fn maps_statuses_and_reasons() {
        let e = class(412, &google(412, "conditionNotMet", "Precondition not met"));
        assert_eq!(e.kind(), "conflict");
        assert!(e.to_string().contains("conditionNotMet"), "{e}");
        assert_eq!(
            class(409, &google(409, "alreadyExists", "exists")).kind(),
            "conflict"
        );
        let gone = google(
            404,
            "notFound",
            "The 'entity.change.deletions[0]' resource named 'www.example.test. (A)' does not exist.",
        );
        assert_eq!(class(404, &gone).kind(), "conflict");
        assert_eq!(
            class(404, &google(404, "notFound", "zone")).kind(),
            "not-found"
        );
        let slow = class(429, &google(429, "rateLimitExceeded", "slow down"));
        assert_eq!(slow.retry_after(), Some(Duration::from_secs(3)));
        let quota = class(403, &google(403, "rateLimitExceeded", "slow down"));
        assert_eq!(quota.kind(), "throttled");
        let denied = class(403, &google(403, "forbidden", "denied"));
        assert!(
            matches!(&denied, ProviderError::Auth { credential_source, .. } if credential_source == "file /k.json")
        );
        assert!(class(503, b"").is_retryable());
        assert_eq!(
            class(400, &google(400, "invalid", "bad")).kind(),
            "bad-request"
        );
    }

    #[test]
    fn rate_reasons_are_the_ones_retried() {
        for r in RATE_REASONS {
            assert_eq!(class(403, &google(403, r, "slow")).kind(), "throttled");
        }
    }
}
