//! The wire types of external-dns's webhook protocol (api/webhook.yaml, version 1).
//!
//! Our own serde types, written from the OpenAPI document. What we read is
//! kept whole (`labels`, `providerSpecific` as the provider sent them), so an
//! `updateOld` names the record exactly as the provider served it.

use serde::{Deserialize, Serialize};

/// The media type of every request and answer body, and of the `Accept` header.
pub const MEDIA_TYPE: &str = "application/external.dns.webhook+json;version=1";

/// One DNS record as the protocol names it (`endpoint` in the OpenAPI document).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    #[serde(default)]
    pub dns_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    #[serde(default)]
    pub record_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_identifier: Option<String>,
    /// 0 or absent: the provider's default TTL.
    #[serde(rename = "recordTTL", default, skip_serializing_if = "Option::is_none")]
    pub record_ttl: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<serde_json::Map<String, serde_json::Value>>,
    /// An array of `{name, value}` in the document; some providers send an
    /// object. Kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_specific: Option<serde_json::Value>,
}

/// `POST /records`: the four lists; `updateOld` and `updateNew` are paired.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Changes {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create: Vec<Endpoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update_old: Vec<Endpoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update_new: Vec<Endpoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<Endpoint>,
}

/// The answer to the negotiation (`GET /`): which domains the provider
/// serves. The document names `filters`; external-dns itself sends its
/// domain filter (`include`, `exclude`, `regexInclude`, `regexExclude`).
/// Both are read; regular expressions are kept for messages only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex_include: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex_exclude: Option<String>,
}

impl DomainFilter {
    /// Whether the provider says it serves `name` (absolute, lower-case).
    /// Regular expressions are not evaluated: a filter made of them admits
    /// every name, and the provider's own answer decides.
    pub fn admits(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let under = |d: &String| {
            let d = d.trim().trim_start_matches('.').trim_end_matches('.');
            let d = d.to_ascii_lowercase();
            d.is_empty() || name == d || name.ends_with(&format!(".{d}"))
        };
        let include: Vec<&String> = self
            .filters
            .iter()
            .chain(self.include.iter())
            .flatten()
            .collect();
        let included = include.is_empty() || include.into_iter().any(under);
        let excluded = self.exclude.iter().flatten().any(under);
        included && !excluded
    }

    /// The filter in words, for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let include: Vec<&str> = self
            .filters
            .iter()
            .chain(self.include.iter())
            .flatten()
            .map(String::as_str)
            .collect();
        if !include.is_empty() {
            parts.push(format!("include {}", include.join(", ")));
        }
        if let Some(ex) = self.exclude.as_ref().filter(|e| !e.is_empty()) {
            parts.push(format!("exclude {}", ex.join(", ")));
        }
        if let Some(r) = &self.regex_include {
            parts.push(format!("include matching {r}"));
        }
        if let Some(r) = &self.regex_exclude {
            parts.push(format!("exclude matching {r}"));
        }
        if parts.is_empty() {
            "every domain".into()
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_json_is_the_documents() {
        let e = Endpoint {
            dns_name: "www.example.com".into(),
            targets: vec!["192.0.2.1".into()],
            record_type: "A".into(),
            record_ttl: Some(60),
            ..Endpoint::default()
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"dnsName":"www.example.com","targets":["192.0.2.1"],"recordType":"A","recordTTL":60}"#
        );
        let c = Changes {
            update_old: vec![e.clone()],
            update_new: vec![e],
            ..Changes::default()
        };
        let v = serde_json::to_value(&c).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["updateNew", "updateOld"]);
    }

    #[test]
    fn reads_both_filter_shapes() {
        let f: DomainFilter = serde_json::from_str(r#"{"filters":["example.com"]}"#).unwrap();
        assert!(f.admits("www.example.com."));
        assert!(!f.admits("www.example.org."));
        let f: DomainFilter =
            serde_json::from_str(r#"{"include":[".example.com"],"exclude":["int.example.com"]}"#)
                .unwrap();
        assert!(f.admits("example.com."));
        assert!(!f.admits("db.int.example.com."));
        assert!(!f.admits("badexample.com."));
        assert_eq!(
            f.describe(),
            "include .example.com; exclude int.example.com"
        );
        let f: DomainFilter = serde_json::from_str("{}").unwrap();
        assert!(f.admits("anything.test."));
        assert_eq!(f.describe(), "every domain");
    }
}
