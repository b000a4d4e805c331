//! The PowerDNS HTTP API wire types we use: the zone, its rrsets, the PATCH body, the error body.

use serde::{Deserialize, Serialize};

/// `GET /servers/{server}/zones/{zone}`: as much of the zone as we need.
#[derive(Debug, Clone, Deserialize)]
pub struct Zone {
    /// `Native`, `Master`/`Primary`, `Slave`/`Secondary`, ...
    #[serde(default)]
    pub kind: String,
    /// The SOA serial PowerDNS serves (after SOA-EDIT-API on API edits).
    #[serde(default)]
    pub serial: u32,
    /// Absent when asked with `rrsets=false`.
    #[serde(default)]
    pub rrsets: Vec<RRSet>,
}

impl Zone {
    /// A zone PowerDNS sends NOTIFY for: `Master` (4.x) or `Primary`.
    pub fn is_primary(&self) -> bool {
        matches!(self.kind.as_str(), "Master" | "Primary")
    }
}

/// One rrset as PowerDNS returns it. Names are absolute with the final dot.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RRSet {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    #[serde(default)]
    pub ttl: u32,
    #[serde(default)]
    pub records: Vec<Rec>,
}

/// One record of an rrset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rec {
    pub content: String,
    #[serde(default)]
    pub disabled: bool,
}

/// `PATCH /servers/{server}/zones/{zone}`: `{"rrsets": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patch {
    pub rrsets: Vec<Replace>,
}

/// One rrset to replace whole (`changetype: REPLACE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replace {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub ttl: u32,
    pub changetype: &'static str,
    pub records: Vec<Rec>,
}

/// The body of a failed request: `{"error": "...", "errors": [...]}`.
#[derive(Debug, Default, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub errors: Vec<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error)?;
        for e in &self.errors {
            write!(f, "; {e}")?;
        }
        Ok(())
    }
}

/// The zone id PowerDNS uses in URLs: the absolute name, with every byte
/// outside `[A-Za-z0-9.-_]` written `=XX` (PowerDNS's `apiZoneNameToId`).
pub fn zone_id(zone: &str) -> String {
    let mut name = zone.trim().to_string();
    if !name.ends_with('.') {
        name.push('.');
    }
    let mut id = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            id.push(char::from(b));
        } else {
            id.push_str(&format!("={b:02X}"));
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids_escape_like_powerdns() {
        assert_eq!(zone_id("example.test"), "example.test.");
        assert_eq!(
            zone_id("0/25.2.0.192.in-addr.arpa."),
            "0=2F25.2.0.192.in-addr.arpa."
        );
    }

    #[test]
    fn a_zone_without_rrsets_parses_and_errors_print() {
        let z: Zone = serde_json::from_str(
            r#"{"name": "example.test.", "kind": "Native", "serial": 2026120202, "notified_serial": 0, "soa_edit_api": "DEFAULT"}"#,
        )
        .unwrap();
        assert!(z.rrsets.is_empty() && z.serial == 2026120202);
        let e: ApiError = serde_json::from_str(r#"{"error": "bad", "errors": ["one"]}"#).unwrap();
        assert_eq!(e.to_string(), "bad; one");
    }
}
