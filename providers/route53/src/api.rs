//! The narrow seam over the Route 53 API: exactly the four calls rtoguard uses.

use async_trait::async_trait;
use rtoguard_provider_api::{AliasTarget, ProviderError};

/// A hosted zone as `ListHostedZonesByName` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedZone {
    /// The bare id (`Z123…`, without `/hostedzone/`).
    pub id: String,
    /// The zone name as Route 53 spells it (`example.com.`).
    pub name: String,
    pub private: bool,
}

/// One resource record set in Route 53's own terms (no normalisation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecordSet {
    pub name: String,
    /// `A`, `AAAA`, `CNAME`, `SOA`, …
    pub rtype: String,
    pub ttl: Option<i64>,
    pub values: Vec<String>,
    pub set_identifier: Option<String>,
    pub weight: Option<i64>,
    /// An alias record (no values and no TTL of its own).
    pub alias: Option<AliasTarget>,
    /// The routing fields rtoguard does not manage but must send back
    /// exactly: a DELETE that drops one does not match on Route 53.
    pub routing: Routing,
}

/// A record set's routing fields besides `SetIdentifier` and `Weight`,
/// carried unchanged from the read into the DELETE and the CREATE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routing {
    pub health_check_id: Option<String>,
    /// Latency routing: the AWS region.
    pub region: Option<String>,
    /// Failover routing: `PRIMARY` or `SECONDARY`.
    pub failover: Option<String>,
    pub geo_location: Option<GeoLocation>,
    pub multi_value_answer: Option<bool>,
}

/// Geolocation routing: continent, country and subdivision codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeoLocation {
    pub continent_code: Option<String>,
    pub country_code: Option<String>,
    pub subdivision_code: Option<String>,
}

/// The two actions rtoguard sends. UPSERT is deliberately absent: it does not
/// check the old state, so it cannot fence concurrent writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Delete,
    Create,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "DELETE",
            Self::Create => "CREATE",
        }
    }
}

/// One entry of a change batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchChange {
    pub action: Action,
    pub set: ResourceRecordSet,
}

/// One page of `ListResourceRecordSets`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordSetPage {
    pub sets: Vec<ResourceRecordSet>,
    /// Where the next page starts, when the listing was truncated:
    /// (name, type, set identifier).
    pub next: Option<(String, String, Option<String>)>,
}

/// Where a listing starts: name, type, and set identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListStart {
    pub name: String,
    pub rtype: String,
    pub identifier: Option<String>,
}

/// Whether a change has reached all Route 53 authoritative servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeStatus {
    Pending,
    InSync,
}

/// What `ChangeResourceRecordSets` and `GetChange` return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInfo {
    /// The bare id (`C123…`, without `/change/`).
    pub id: String,
    pub status: ChangeStatus,
}

/// What went wrong in one call, before it is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The service answered with an error: HTTP status, error code, message.
    Service {
        status: u16,
        code: String,
        message: String,
    },
    /// The request or its answer took too long.
    Timeout(String),
    /// No answer: connection refused, reset, DNS, TLS.
    Transport(String),
    /// The credentials could not be loaded (nothing was sent).
    Credentials(String),
    /// Anything else (a request that could not be built, an unreadable answer).
    Other(String),
}

/// The subset of the Route 53 API rtoguard uses, so tests can swap it
/// (external-dns calls its equivalent `Route53API`).
#[async_trait]
pub trait Route53Api: Send + Sync + std::fmt::Debug {
    /// Zones in name order starting at `dns_name` (one page).
    async fn list_hosted_zones_by_name(&self, dns_name: &str) -> Result<Vec<HostedZone>, ApiError>;

    /// Record sets in Route 53's order starting at `start` (one page).
    async fn list_resource_record_sets(
        &self,
        zone_id: &str,
        start: &ListStart,
    ) -> Result<RecordSetPage, ApiError>;

    /// Apply one batch atomically: all of it or nothing.
    async fn change_resource_record_sets(
        &self,
        zone_id: &str,
        changes: &[BatchChange],
    ) -> Result<ChangeInfo, ApiError>;

    /// The status of a change.
    async fn get_change(&self, change_id: &str) -> Result<ChangeInfo, ApiError>;
}

/// Judge an API error: whether a retry can help, and what to tell people.
/// `credential_source` names where the credentials came from, never what they are.
pub fn classify(provider: &str, credential_source: &str, err: ApiError) -> ProviderError {
    let provider = provider.to_string();
    match err {
        ApiError::Service {
            status,
            code,
            message,
        } => classify_service(provider, credential_source, status, code, message),
        ApiError::Timeout(message) => ProviderError::Timeout { provider, message },
        ApiError::Transport(message) => ProviderError::Transport { provider, message },
        ApiError::Credentials(message) => ProviderError::Auth {
            provider,
            credential_source: credential_source.to_string(),
            message,
        },
        ApiError::Other(message) => ProviderError::BadRequest { provider, message },
    }
}

const AUTH_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "ExpiredToken",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
];

fn classify_service(
    provider: String,
    credential_source: &str,
    status: u16,
    code: String,
    message: String,
) -> ProviderError {
    let message = format!("{code}: {message}");
    match code.as_str() {
        "InvalidChangeBatch" => ProviderError::Conflict { provider, message },
        "Throttling" | "ThrottlingException" | "PriorRequestNotComplete" => {
            ProviderError::Throttled {
                provider,
                retry_after: None,
                message,
            }
        }
        "NoSuchHostedZone" | "NoSuchChange" => ProviderError::NotFound { provider, message },
        c if AUTH_CODES.contains(&c) || status == 401 || status == 403 => ProviderError::Auth {
            provider,
            credential_source: credential_source.to_string(),
            message,
        },
        _ if status == 429 => ProviderError::Throttled {
            provider,
            retry_after: None,
            message,
        },
        _ if status >= 500 => ProviderError::Server { provider, message },
        _ => ProviderError::BadRequest { provider, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16, code: &str) -> ProviderError {
        let e = ApiError::Service {
            status,
            code: code.into(),
            message: "m".into(),
        };
        classify("aws", "static keys", e)
    }

    #[test]
    fn errors_are_judged_by_code_then_status() {
        assert_eq!(service(400, "InvalidChangeBatch").kind(), "conflict");
        assert_eq!(service(400, "Throttling").kind(), "throttled");
        assert_eq!(service(400, "PriorRequestNotComplete").kind(), "throttled");
        assert_eq!(service(503, "ServiceUnavailable").kind(), "server");
        assert_eq!(service(404, "NoSuchHostedZone").kind(), "not-found");
        assert_eq!(service(400, "InvalidInput").kind(), "bad-request");
        let auth = service(403, "SignatureDoesNotMatch");
        assert_eq!(auth.kind(), "auth");
        assert!(!auth.is_retryable());
        assert!(auth.to_string().contains("static keys"), "{auth}");
        assert!(service(500, "InternalError").is_retryable());
        assert!(!service(400, "InvalidChangeBatch").is_retryable());
    }
}
