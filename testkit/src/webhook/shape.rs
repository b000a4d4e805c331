//! The JSON shapes of the webhook OpenAPI document, checked strictly:
//! unknown fields are refused, every field has its type.

use serde_json::Value;

const ENDPOINT_FIELDS: [&str; 7] = [
    "dnsName",
    "targets",
    "recordType",
    "setIdentifier",
    "recordTTL",
    "labels",
    "providerSpecific",
];
const CHANGES_FIELDS: [&str; 4] = ["create", "updateOld", "updateNew", "delete"];

/// An `endpoint`: the document's fields only, each of its type.
pub fn endpoint(v: &Value) -> Result<(), String> {
    let o = v.as_object().ok_or("an endpoint is not an object")?;
    for (k, f) in o {
        let ok = match k.as_str() {
            "dnsName" | "recordType" | "setIdentifier" => f.is_string(),
            "recordTTL" => f.is_i64(),
            "targets" => f.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            "labels" => f
                .as_object()
                .is_some_and(|m| m.values().all(Value::is_string)),
            "providerSpecific" => f.as_array().is_some_and(|a| {
                a.iter().all(|p| {
                    p.as_object().is_some_and(|m| {
                        m.keys().all(|k| k == "name" || k == "value")
                            && m.values().all(Value::is_string)
                    })
                })
            }),
            _ => {
                return Err(format!(
                    "unknown endpoint field {k:?} (the document's are {})",
                    ENDPOINT_FIELDS.join(", ")
                ));
            }
        };
        if !ok {
            return Err(format!("endpoint field {k:?} has the wrong type: {f}"));
        }
    }
    if !o.get("dnsName").is_some_and(Value::is_string) {
        return Err("an endpoint without dnsName".into());
    }
    Ok(())
}

/// A list of endpoints.
pub fn endpoints(v: &Value) -> Result<Vec<Value>, String> {
    let a = v.as_array().ok_or("not a list of endpoints")?;
    for e in a {
        endpoint(e)?;
    }
    Ok(a.clone())
}

/// `changes`: the four lists, `updateOld` and `updateNew` of one length.
pub fn changes(v: &Value) -> Result<[Vec<Value>; 4], String> {
    let o = v.as_object().ok_or("changes are not an object")?;
    if let Some(k) = o.keys().find(|k| !CHANGES_FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown changes field {k:?} (the document's are {})",
            CHANGES_FIELDS.join(", ")
        ));
    }
    let list = |k: &str| match o.get(k) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => endpoints(v),
    };
    let out = [
        list("create")?,
        list("updateOld")?,
        list("updateNew")?,
        list("delete")?,
    ];
    if out[1].len() != out[2].len() {
        return Err("updateOld and updateNew differ in length".into());
    }
    Ok(out)
}

/// The key a provider finds a record by: name, type, set identifier.
pub fn key(v: &Value) -> (String, String, String) {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_ascii_lowercase()
    };
    (s("dnsName"), s("recordType"), s("setIdentifier"))
}

/// Whether `old` names `served` exactly (key, targets, TTL).
pub fn same_record(old: &Value, served: &Value) -> bool {
    let targets = |v: &Value| {
        let mut t: Vec<String> = v
            .get("targets")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        t.sort();
        t
    };
    key(old) == key(served)
        && targets(old) == targets(served)
        && old.get("recordTTL") == served.get("recordTTL")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refuses_unknown_fields_and_wrong_types() {
        assert!(
            endpoint(&json!({"dnsName": "a.test", "targets": ["1.2.3.4"], "recordTTL": 60}))
                .is_ok()
        );
        assert!(endpoint(&json!({"dnsName": "a.test", "ttl": 60})).is_err());
        assert!(endpoint(&json!({"dnsName": "a.test", "recordTTL": "60"})).is_err());
        assert!(endpoint(&json!({"dnsName": "a.test", "providerSpecific": {"a": "b"}})).is_err());
        assert!(changes(&json!({"UpdateOld": []})).is_err());
        assert!(changes(&json!({"updateOld": [{"dnsName": "a.test"}]})).is_err());
        assert!(changes(&json!({"create": null, "delete": []})).is_ok());
    }
}
