//! The Cloudflare v4 wire types we use: the envelope, zones, DNS records, batches.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Every v4 response: `{success, errors, messages, result, result_info}`.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub errors: Vec<ApiMessage>,
    pub result: Option<T>,
    pub result_info: Option<ResultInfo>,
}

/// One entry of `errors` (or `messages`): Cloudflare's code and text.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ApiMessage {
    #[serde(default)]
    pub code: u32,
    #[serde(default)]
    pub message: String,
    /// Validation errors nest the detail here (code 1004 and friends).
    #[serde(default)]
    pub error_chain: Vec<ApiMessage>,
}

impl std::fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "code {}: {}", self.code, self.message)?;
        for inner in &self.error_chain {
            write!(f, " ({inner})")?;
        }
        Ok(())
    }
}

/// Pagination of list endpoints.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct ResultInfo {
    #[serde(default)]
    pub total_pages: u32,
}

/// A zone, as much of it as we need.
#[derive(Debug, Clone, Deserialize)]
pub struct Zone {
    pub id: String,
    pub name: String,
}

/// One DNS record of a zone. Types rtoguard manages are parsed; every other
/// type (CAA, HTTPS, SRV, types added later) is kept as raw JSON so it can
/// never break a listing.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Managed(DnsRecord),
    Other(Value),
}

impl Record {
    pub fn managed(&self) -> Option<&DnsRecord> {
        match self {
            Self::Managed(r) => Some(r),
            Self::Other(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let managed = matches!(
            raw.get("type").and_then(Value::as_str),
            Some("A" | "AAAA" | "CNAME")
        );
        if managed {
            // A managed type that does not parse is kept raw too: the caller
            // then finds it missing and refuses to guess.
            if let Ok(r) = serde_json::from_value::<DnsRecord>(raw.clone()) {
                return Ok(Self::Managed(r));
            }
        }
        Ok(Self::Other(raw))
    }
}

/// An A, AAAA or CNAME record as Cloudflare returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DnsRecord {
    pub id: String,
    /// Without the trailing dot.
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub content: String,
    /// `1` means automatic.
    pub ttl: u32,
    #[serde(default)]
    pub proxied: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// A record to create (`posts` of a batch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub content: String,
    pub ttl: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxied: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A record to delete, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordId {
    pub id: String,
}

/// A partial update (`patches` of a batch): only the TTL here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TtlPatch {
    pub id: String,
    pub ttl: u32,
}

/// `POST /zones/{id}/dns_records/batch`: run in the order deletes, patches,
/// puts, posts, all or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Batch {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deletes: Vec<RecordId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<TtlPatch>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub posts: Vec<NewRecord>,
}

/// The result of a batch: the records patched and created (deletes ignored).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BatchResult {
    #[serde(default)]
    pub patches: Vec<Record>,
    #[serde(default)]
    pub posts: Vec<Record>,
}

impl BatchResult {
    /// The ids of the records created and patched.
    pub fn ids(&self) -> Vec<&str> {
        self.posts
            .iter()
            .chain(&self.patches)
            .filter_map(|r| r.managed().map(|r| r.id.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_odd_types_stay_raw() {
        let list: Vec<Record> = serde_json::from_value(serde_json::json!([
            {"id": "1", "name": "a.example.com", "type": "A", "content": "192.0.2.1", "ttl": 1, "proxied": true, "tags": null},
            {"id": "2", "name": "example.com", "type": "CAA", "content": "0 issue \"ca.example\"", "ttl": 300,
             "data": {"flags": 0, "tag": "issue", "value": "ca.example"}},
            {"id": "3", "name": "example.com", "type": "HTTPS", "data": {"priority": 1, "target": ".", "value": "alpn=\"h2\""}, "ttl": 300},
            {"id": "4", "name": "b.example.com", "type": "A", "ttl": 300}
        ]))
        .unwrap();
        assert_eq!(list[0].managed().unwrap().content, "192.0.2.1");
        assert!(list[0].managed().unwrap().tags.is_empty());
        assert!(matches!(&list[1], Record::Other(v) if v["data"]["tag"] == "issue"));
        assert!(matches!(list[2], Record::Other(_)));
        // An A record without content cannot be managed; it is kept raw.
        assert!(matches!(list[3], Record::Other(_)));
    }

    #[test]
    fn errors_print_their_chain() {
        let e: ApiMessage = serde_json::from_value(serde_json::json!(
            {"code": 1004, "message": "DNS Validation Error", "error_chain": [{"code": 9005, "message": "Content for A record must be a valid IPv4 address."}]}
        ))
        .unwrap();
        assert_eq!(
            e.to_string(),
            "code 1004: DNS Validation Error (code 9005: Content for A record must be a valid IPv4 address.)"
        );
    }
}
