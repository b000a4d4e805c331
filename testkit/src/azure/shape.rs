//! The shape of a record set PUT body, checked against the REST reference.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value, json};

use super::arm::field;

/// The properties of a PUT body, checked against the reference: only known
/// fields, a TTL, records of the record set's own type, well-formed values.
pub(super) fn checked(rtype: &str, body: &Value) -> Result<Value, String> {
    let top = body.as_object().ok_or("the body is not a JSON object")?;
    if let Some(k) = top
        .keys()
        .find(|k| !["properties", "etag", "id", "name", "type"].contains(&k.as_str()))
    {
        return Err(format!("unknown field {k} in the body"));
    }
    let p = top
        .get("properties")
        .and_then(Value::as_object)
        .ok_or("no properties object")?;
    let (prop, item) = field(rtype).ok_or("unknown record type")?;
    let mut out = Map::new();
    for (k, v) in p {
        match k.as_str() {
            "TTL" => {
                let ttl = v.as_u64().filter(|t| (1..=2_147_483_647).contains(t));
                out.insert(
                    k.clone(),
                    json!(ttl.ok_or(format!("TTL {v} is not 1 to 2147483647"))?),
                );
            }
            "metadata" if v.is_object() || v.is_null() => {
                out.insert(k.clone(), v.clone());
            }
            "fqdn" | "provisioningState" | "targetResource" => {}
            k if k == prop => {
                out.insert(k.to_string(), records(rtype, item, v)?);
            }
            k => {
                return Err(format!(
                    "field properties.{k} does not belong in a {rtype} record set"
                ));
            }
        }
    }
    if !out.contains_key("TTL") {
        return Err("no properties.TTL".into());
    }
    Ok(Value::Object(out))
}

fn records(rtype: &str, item: &str, v: &Value) -> Result<Value, String> {
    let list: Vec<&Value> = match (rtype, v) {
        ("CNAME", Value::Object(_)) => vec![v],
        (_, Value::Array(l)) if rtype != "CNAME" => l.iter().collect(),
        _ => return Err(format!("{rtype} records in the wrong shape: {v}")),
    };
    for r in &list {
        let obj = r
            .as_object()
            .ok_or(format!("record {r} is not an object"))?;
        if obj.len() != 1 {
            return Err(format!("record {r} has fields other than {item}"));
        }
        let text = obj
            .get(item)
            .and_then(Value::as_str)
            .ok_or(format!("record {r} has no {item}"))?;
        let ok = match rtype {
            "A" => text.parse::<Ipv4Addr>().is_ok(),
            "AAAA" => text.parse::<Ipv6Addr>().is_ok(),
            _ => !text.is_empty() && text.len() <= 253,
        };
        if !ok {
            return Err(format!("{text:?} is not a valid {item}"));
        }
    }
    Ok(v.clone())
}
