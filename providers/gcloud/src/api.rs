//! The Cloud DNS v1 wire types we use: resource record sets, changes, the OAuth token answer, the error body.

use serde::{Deserialize, Serialize};

/// One resource record set (`dns#resourceRecordSet`). Names are absolute
/// with the final dot; `rrdatas` are in presentation format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRecordSet {
    #[serde(default = "rrset_kind")]
    pub kind: String,
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    #[serde(default)]
    pub ttl: u32,
    #[serde(default)]
    pub rrdatas: Vec<String>,
    /// A set with a routing policy (weighted round robin, geo, failover)
    /// has no `rrdatas` of its own: we read it, never write one.
    #[serde(
        default,
        rename = "routingPolicy",
        skip_serializing_if = "Option::is_none"
    )]
    pub routing_policy: Option<serde_json::Value>,
}

fn rrset_kind() -> String {
    "dns#resourceRecordSet".into()
}

/// `GET …/rrsets`: one page (a name and type filter leaves at most one set).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RrsetsPage {
    #[serde(default)]
    pub rrsets: Vec<ResourceRecordSet>,
}

/// `POST …/changes` body, and the `dns#change` resource it answers with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeBody {
    #[serde(default = "change_kind")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additions: Vec<ResourceRecordSet>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions: Vec<ResourceRecordSet>,
    /// Set by the server: its id for the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Set by the server: `pending`, then `done`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

fn change_kind() -> String {
    "dns#change".into()
}

/// The token endpoint's and the metadata server's answer.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: u64,
}

/// OAuth's error answer: `{"error": "invalid_grant", "error_description": "..."}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OAuthError {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_description: String,
}

/// Google's API error body: `{"error": {"code", "message", "errors": [{"reason", ...}]}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiErrorBody {
    pub error: ApiError,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub errors: Vec<ErrorItem>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorItem {
    #[serde(default)]
    pub reason: String,
}

impl ApiError {
    /// The first `reason` (`conditionNotMet`, `alreadyExists`, `rateLimitExceeded`, ...).
    pub fn reason(&self) -> &str {
        self.errors.first().map_or("", |e| e.reason.as_str())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if !self.reason().is_empty() {
            write!(f, " ({})", self.reason())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_and_an_error_parse_as_google_sends_them() {
        let c: ChangeBody = serde_json::from_str(
            r#"{"kind": "dns#change", "additions": [{"kind": "dns#resourceRecordSet",
               "name": "www.example.test.", "type": "A", "ttl": 60, "rrdatas": ["127.0.0.3"]}],
               "startTime": "2026-12-02T16:00:00.000Z", "id": "7", "status": "pending"}"#,
        )
        .unwrap();
        assert_eq!(c.id.as_deref(), Some("7"));
        assert_eq!(c.additions[0].rrdatas, ["127.0.0.3"]);
        let e: ApiErrorBody = serde_json::from_str(
            r#"{"error": {"code": 412, "message": "Precondition not met for 'entity.change.deletions[0]'",
               "errors": [{"message": "x", "domain": "global", "reason": "conditionNotMet"}]}}"#,
        )
        .unwrap();
        assert_eq!(e.error.reason(), "conditionNotMet");
        assert_eq!(
            e.error.to_string(),
            "Precondition not met for 'entity.change.deletions[0]' (conditionNotMet)"
        );
    }

    #[test]
    fn a_body_leaves_out_what_the_server_sets() {
        let body = ChangeBody {
            kind: change_kind(),
            deletions: vec![],
            additions: vec![],
            id: None,
            status: None,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"kind": "dns#change"})
        );
    }
}
