//! The ARM side of the double: DNS record sets (2018-05-01) with ETags and preconditions.

use axum::http::{Method, header};
use serde_json::{Value, json};

use super::handlers::{Answer, Request};
use super::shape::checked;
use super::{RESOURCE_GROUP, SUBSCRIPTION, State, Stored};

const API_VERSION: &str = "2018-05-01";

/// An error in ARM's shape.
pub(super) fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer::json(status, json!({"error": {"code": code, "message": message}}))
}

/// The store's key of a record set: the type upper-case, the name lower-case.
pub(super) fn key(rtype: &str, relative: &str) -> (String, String) {
    (rtype.to_ascii_uppercase(), relative.to_ascii_lowercase())
}

/// The property holding records of `rtype`, and each record's field.
pub(super) fn field(rtype: &str) -> Option<(&'static str, &'static str)> {
    match rtype {
        "A" => Some(("ARecords", "ipv4Address")),
        "AAAA" => Some(("AAAARecords", "ipv6Address")),
        "CNAME" => Some(("CNAMERecord", "cname")),
        _ => None,
    }
}

/// The TTL and values of stored properties.
pub(super) fn values(rtype: &str, p: &Value) -> (u32, Vec<String>) {
    let ttl = p["TTL"].as_u64().unwrap_or(0) as u32;
    let Some((prop, item)) = field(&rtype.to_ascii_uppercase()) else {
        return (ttl, Vec::new());
    };
    let recs = match &p[prop] {
        Value::Array(list) => list.clone(),
        Value::Object(_) => vec![p[prop].clone()],
        _ => Vec::new(),
    };
    let vals = recs
        .iter()
        .filter_map(|r| r[item].as_str().map(str::to_string))
        .collect();
    (ttl, vals)
}

/// Store `values` at `relative`/`rtype` with a new ETag.
pub(super) fn put_values(st: &mut State, rtype: &str, relative: &str, ttl: u32, values: &[String]) {
    let rtype = rtype.to_ascii_uppercase();
    let Some((prop, item)) = field(&rtype) else {
        return;
    };
    let recs: Vec<Value> = values.iter().map(|v| json!({ item: v })).collect();
    let recs = if rtype == "CNAME" {
        recs.into_iter().next().unwrap_or(Value::Null)
    } else {
        Value::Array(recs)
    };
    store(st, &rtype, relative, json!({"TTL": ttl, prop: recs}));
}

pub(super) fn store(st: &mut State, rtype: &str, relative: &str, properties: Value) {
    st.writes += 1;
    let etag = format!("7d1c3e5a-0b2f-4c6d-8e9a-{:012x}", st.writes);
    let rtype = rtype.to_ascii_uppercase();
    st.sets
        .insert(key(&rtype, relative), Stored { properties, etag });
}

/// A record set as ARM shows it.
fn show(st: &State, rtype: &str, relative: &str, s: &Stored) -> Value {
    let mut props = s.properties.clone();
    let fqdn = if relative == "@" {
        format!("{}.", st.zone)
    } else {
        format!("{relative}.{}.", st.zone)
    };
    props["fqdn"] = json!(fqdn);
    props["provisioningState"] = json!("Succeeded");
    props["targetResource"] = json!({});
    if props.get("metadata").is_none() {
        props["metadata"] = Value::Null;
    }
    json!({
        "id": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Network/dnszones/{}/{rtype}/{relative}", st.zone),
        "name": relative,
        "type": format!("Microsoft.Network/dnszones/{rtype}"),
        "etag": s.etag,
        "properties": props,
    })
}

/// Every ARM request: api-version, bearer token, faults, the path, then GET or PUT.
pub(super) fn answer(st: &mut State, req: &Request<'_>) -> Answer {
    match req.query.get("api-version").map(String::as_str) {
        None => {
            req.breach(st, "no api-version");
            let msg =
                "The api-version query parameter (?api-version=) is required for all requests.";
            return error(400, "MissingApiVersionParameter", msg);
        }
        Some(API_VERSION) => {}
        Some(v) => {
            req.breach(st, &format!("api-version {v}"));
            let msg = format!(
                "The resource type 'dnszones' could not be found for api version '{v}'. The supported api-versions are '{API_VERSION}'."
            );
            return error(400, "NoRegisteredProviderFound", &msg);
        }
    }
    let Some(auth) = req.header(header::AUTHORIZATION) else {
        req.breach(st, "no Authorization header");
        return error(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        );
    };
    let known = auth
        .strip_prefix("Bearer ")
        .is_some_and(|t| st.tokens.iter().any(|k| k == t));
    if !known {
        return error(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
    }
    if let Some(inj) = st.injected.as_mut().filter(|i| i.left > 0) {
        inj.left -= 1;
        let mut a = error(
            inj.status,
            &inj.code,
            "The request is being throttled, or failed: injected by the test.",
        );
        a.retry_after = inj.retry_after;
        return a;
    }
    let parts: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    let [_, sub, _, rg, _, ns, kind, zone, rtype, relative] = parts[..] else {
        req.breach(st, "not a record set path");
        return error(
            404,
            "InvalidResourceType",
            "The resource type could not be found.",
        );
    };
    let (rtype, relative) = (rtype.to_ascii_uppercase(), relative.to_ascii_lowercase());
    if !sub.eq_ignore_ascii_case(SUBSCRIPTION) {
        return error(
            404,
            "SubscriptionNotFound",
            &format!("The subscription '{sub}' could not be found."),
        );
    }
    if !rg.eq_ignore_ascii_case(RESOURCE_GROUP) {
        return error(
            404,
            "ResourceGroupNotFound",
            &format!("Resource group '{rg}' could not be found."),
        );
    }
    if !ns.eq_ignore_ascii_case("Microsoft.Network") || !kind.eq_ignore_ascii_case("dnsZones") {
        req.breach(st, "not a DNS zone path");
        return error(
            404,
            "InvalidResourceType",
            "The resource type could not be found.",
        );
    }
    if !zone.eq_ignore_ascii_case(&st.zone) {
        let msg = format!(
            "Can not perform requested operation on nested resource. Parent resource '{zone}' not found."
        );
        return error(404, "ParentResourceNotFound", &msg);
    }
    if field(&rtype).is_none() {
        req.breach(
            st,
            &format!("record type {rtype} (the double models A, AAAA, CNAME)"),
        );
        return error(
            400,
            "BadRequest",
            "The record type is not supported by this double.",
        );
    }
    match *req.method {
        Method::GET => get(st, &rtype, &relative),
        Method::PUT => put(st, req, &rtype, &relative),
        _ => {
            req.breach(st, "a method rtoguard never needs");
            error(
                405,
                "MethodNotAllowed",
                "The method is not allowed by this double.",
            )
        }
    }
}

fn get(st: &State, rtype: &str, relative: &str) -> Answer {
    let Some(s) = st.sets.get(&key(rtype, relative)) else {
        let msg = format!(
            "The resource record '{relative}' does not exist in resource group '{RESOURCE_GROUP}' of subscription '{SUBSCRIPTION}'."
        );
        return error(404, "NotFound", &msg);
    };
    let mut a = Answer::json(200, show(st, rtype, relative, s));
    a.etag = Some(s.etag.clone());
    a
}

fn put(st: &mut State, req: &Request<'_>, rtype: &str, relative: &str) -> Answer {
    let ct = req.header(header::CONTENT_TYPE).unwrap_or_default();
    if !ct.starts_with("application/json") {
        req.breach(st, &format!("Content-Type {ct:?}"));
        return error(
            415,
            "UnsupportedMediaType",
            "The content media type is not supported. Content must be of type 'application/json'.",
        );
    }
    let props = match serde_json::from_slice::<Value>(req.body)
        .map_err(|e| e.to_string())
        .and_then(|b| checked(rtype, &b))
    {
        Ok(p) => p,
        Err(why) => {
            req.breach(st, &why);
            return error(400, "BadRequest", &why);
        }
    };
    if let Some((t, r, ttl, vals)) = st.rival.take() {
        put_values(st, &t, &r, ttl, &vals);
    }
    let now = st.sets.get(&key(rtype, relative)).map(|s| s.etag.clone());
    let modified = format!("The Record set {relative} has been modified (etag mismatch).");
    match (
        req.header(header::IF_MATCH),
        req.header(header::IF_NONE_MATCH),
        &now,
    ) {
        (Some(_), Some(_), _) => {
            req.breach(st, "both If-Match and If-None-Match");
            return error(
                400,
                "BadRequest",
                "Only one of If-Match and If-None-Match may be given.",
            );
        }
        (Some(want), None, Some(etag)) if want == etag || want == "*" => {}
        (Some(_), None, _) => return error(412, "PreconditionFailed", &modified),
        (None, Some("*"), Some(_)) => {
            return error(
                412,
                "PreconditionFailed",
                &format!("The Record set {relative} already exists."),
            );
        }
        (None, Some("*"), None) | (None, None, _) => {}
        (None, Some(other), _) => {
            req.breach(
                st,
                &format!("If-None-Match {other:?} (only * is meaningful)"),
            );
            return error(400, "BadRequest", "If-None-Match takes only '*'.");
        }
    }
    store(st, rtype, relative, props);
    let mut a = get(st, rtype, relative);
    a.status = if now.is_some() { 200 } else { 201 };
    a
}
