//! The fake's zone: its records as the API returns them, and the rules a record must follow.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};

use super::handlers::{Reply, fail};

/// One zone and its records (full JSON objects, as the API returns them).
#[derive(Debug, Clone)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub records: Vec<Value>,
    next: u64,
}

impl Zone {
    pub fn new(id: &str, name: &str) -> Self {
        Self {
            id: id.into(),
            name: name.trim_end_matches('.').into(),
            records: Vec::new(),
            next: 1,
        }
    }

    /// Store a record with the fields the API adds; returns its new id.
    pub fn add(&mut self, mut r: Value) -> String {
        let id = format!("{:032x}", 0x5eed_0000_0000u64 + self.next);
        self.next += 1;
        let name = r["name"].as_str().unwrap_or_default().to_ascii_lowercase();
        let defaults = [
            ("ttl", json!(1)),
            ("proxied", json!(false)),
            ("proxiable", json!(true)),
            ("comment", Value::Null),
            ("tags", json!([])),
            ("settings", json!({})),
            ("meta", json!({})),
            ("created_on", json!("2026-11-25T12:00:00.000000Z")),
        ];
        let obj = r.as_object_mut().expect("records are JSON objects");
        for (k, v) in defaults {
            obj.entry(k).or_insert(v);
        }
        if obj["proxied"] == true {
            // Proxied records always have the automatic TTL.
            obj.insert("ttl".into(), json!(1));
        }
        obj.insert("id".into(), json!(id));
        obj.insert("name".into(), json!(name));
        obj.insert("zone_id".into(), json!(self.id));
        obj.insert("zone_name".into(), json!(self.name));
        obj.insert("modified_on".into(), json!("2026-11-25T12:00:00.000000Z"));
        self.records.push(r);
        id
    }

    /// Remove the record `id`, returning it.
    pub fn remove(&mut self, id: &str) -> Option<Value> {
        let i = self.records.iter().position(|r| r["id"] == id)?;
        Some(self.records.remove(i))
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.records.iter_mut().find(|r| r["id"] == id)
    }
}

/// A patch merges the fields given; a put replaces every field but the ids.
pub fn update(r: &Value, p: &Value, replace: bool) -> Value {
    let mut new = if replace {
        json!({"id": r["id"], "zone_id": r["zone_id"], "zone_name": r["zone_name"],
            "created_on": r["created_on"], "ttl": 1, "proxied": false, "tags": [], "comment": null})
    } else {
        r.clone()
    };
    for (k, v) in p.as_object().into_iter().flatten() {
        if k != "id" {
            new[k] = v.clone();
        }
    }
    if new["proxied"] == true {
        new["ttl"] = json!(1);
    }
    new["modified_on"] = json!("2026-11-25T12:00:01.000000Z");
    new
}

pub fn validate(zone: &str, r: &Value) -> Result<(), Reply> {
    let name = r["name"].as_str().unwrap_or_default().to_ascii_lowercase();
    if name != zone && !name.ends_with(&format!(".{zone}")) {
        return Err(fail(
            400,
            1004,
            &format!("DNS Validation Error: {name:?} is not in zone {zone}"),
        ));
    }
    let content = r["content"].as_str().unwrap_or_default();
    match r["type"].as_str() {
        Some("A") if content.parse::<Ipv4Addr>().is_err() => {
            return Err(fail(
                400,
                9005,
                "Content for A record must be a valid IPv4 address.",
            ));
        }
        Some("AAAA") if content.parse::<Ipv6Addr>().is_err() => {
            return Err(fail(
                400,
                9006,
                "Content for AAAA record must be a valid IPv6 address.",
            ));
        }
        Some("CNAME") if content.is_empty() => {
            return Err(fail(
                400,
                1004,
                "DNS Validation Error: CNAME content is empty",
            ));
        }
        None => return Err(fail(400, 1004, "DNS Validation Error: type is required")),
        _ => {}
    }
    match r.get("ttl").map(Value::as_u64) {
        None | Some(Some(1 | 60..=86400)) => Ok(()),
        Some(Some(_)) => Err(fail(
            400,
            9021,
            "Invalid TTL. Must be between 60 and 86,400 seconds, or 1 for automatic.",
        )),
        Some(None) => Err(fail(400, 9022, "TTL must be a number, not a string.")),
    }
}
