//! The Azure wire types we use: a DNS record set (2018-05-01), the ARM error body, the token answers.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// The ARM API version of every DNS request.
pub const API_VERSION: &str = "2018-05-01";

/// A record set as ARM returns it (`GET`/`PUT …/dnsZones/{zone}/{type}/{name}`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ArmRecordSet {
    /// The record set's ETag: the version a write must name in `If-Match`.
    #[serde(default)]
    pub etag: String,
    #[serde(default)]
    pub properties: Properties,
}

/// A record set's properties: ours (TTL, records) and the ones a write carries over.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Properties {
    #[serde(rename = "TTL", default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// The record set's tags: carried over by a write (a PUT replaces them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(rename = "ARecords", default, skip_serializing_if = "Option::is_none")]
    pub a: Option<Vec<ARecord>>,
    #[serde(
        rename = "AAAARecords",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub aaaa: Option<Vec<AaaaRecord>>,
    #[serde(
        rename = "CNAMERecord",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cname: Option<CnameRecord>,
    /// An alias record set points at an Azure resource instead of values:
    /// rtoguard leaves those alone.
    #[serde(rename = "targetResource", default, skip_serializing)]
    pub target_resource: Option<Value>,
}

impl Properties {
    /// True when the record set is an alias of an Azure resource.
    pub fn is_alias(&self) -> bool {
        self.target_resource
            .as_ref()
            .and_then(|t| t.get("id"))
            .and_then(Value::as_str)
            .is_some_and(|id| !id.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ARecord {
    #[serde(rename = "ipv4Address")]
    pub ipv4_address: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AaaaRecord {
    #[serde(rename = "ipv6Address")]
    pub ipv6_address: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CnameRecord {
    pub cname: String,
}

/// The body of a `PUT`: the whole record set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Put {
    pub properties: Properties,
}

/// ARM's error body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Default, Deserialize)]
pub struct ArmError {
    #[serde(default)]
    pub error: ArmErrorDetail,
}

#[derive(Debug, Default, Deserialize)]
pub struct ArmErrorDetail {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// A token from the identity platform or IMDS. IMDS writes `expires_in` as
/// a string, the identity platform as a number.
#[derive(Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(deserialize_with = "number_or_string")]
    pub expires_in: u64,
}

/// The identity platform's (and IMDS's) error body.
#[derive(Debug, Default, Deserialize)]
pub struct TokenError {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_description: String,
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| serde::de::Error::custom("expires_in is not a whole number")),
        Value::String(s) => s.trim().parse().map_err(serde::de::Error::custom),
        _ => Err(serde::de::Error::custom(
            "expires_in is neither a number nor a string",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_set_from_the_reference_parses_and_a_put_keeps_its_metadata() {
        let rs: ArmRecordSet = serde_json::from_str(
            r#"{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/dnsZones/zone1/A/record1",
            "name": "record1", "type": "Microsoft.Network/dnsZones/A", "etag": "00000000-0000-0000-0000-000000000000",
            "properties": {"metadata": {"key1": "value1"}, "TTL": 3600, "fqdn": "record1.zone1",
            "provisioningState": "Succeeded", "targetResource": {}, "ARecords": [{"ipv4Address": "127.0.0.1"}]}}"#,
        )
        .unwrap();
        assert_eq!(rs.properties.ttl, Some(3600));
        assert!(!rs.properties.is_alias());
        let put = serde_json::to_value(Put {
            properties: rs.properties,
        })
        .unwrap();
        assert_eq!(
            put,
            serde_json::json!({"properties": {"TTL": 3600, "metadata": {"key1": "value1"},
                "ARecords": [{"ipv4Address": "127.0.0.1"}]}})
        );
    }

    #[test]
    fn tokens_parse_from_both_issuers() {
        let t: TokenAnswer = serde_json::from_str(
            r#"{"token_type": "Bearer", "expires_in": 3599, "access_token": "x"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, 3599);
        let t: TokenAnswer = serde_json::from_str(
            r#"{"access_token": "y", "expires_in": "86399", "expires_on": "1506484173", "token_type": "Bearer"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, 86399);
    }
}
