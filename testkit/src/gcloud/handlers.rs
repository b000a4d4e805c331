//! The double's one handler: tokens, then faults and the bearer check, then the API's resources.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as Shared;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Accepted, Seen, State, jwt};

type Lock = Arc<Mutex<State>>;

const METADATA_TOKEN: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

pub(super) fn router(shared: Lock) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// What to answer: a status, a JSON body, a `Retry-After`.
struct Answer {
    status: u16,
    json: Value,
    retry_after: Option<u64>,
}

fn ok(json: Value) -> Answer {
    Answer {
        status: 200,
        json,
        retry_after: None,
    }
}

/// An error in Google's shape.
fn google(status: u16, reason: &str, message: &str) -> Answer {
    let word = match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ALREADY_EXISTS",
        412 => "FAILED_PRECONDITION",
        429 => "RESOURCE_EXHAUSTED",
        _ => "INTERNAL",
    };
    Answer {
        status,
        json: json!({"error": {"code": status, "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": word}}),
        retry_after: None,
    }
}

/// OAuth's error shape, as the token endpoint sends it.
fn oauth(error: &str, description: &str) -> Answer {
    Answer {
        status: 400,
        json: json!({"error": error, "error_description": description}),
        retry_after: None,
    }
}

async fn handle(
    Shared(shared): Shared<Lock>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
    let query = uri.query().unwrap_or_default().to_string();
    let answer = answer(&mut st, &method, uri.path(), &query, &headers, &body);
    st.requests.push(Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        query,
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: serde_json::from_slice(&body).ok(),
        status: answer.status,
    });
    drop(st);
    let mut r = Response::builder()
        .status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json; charset=UTF-8");
    if let Some(s) = answer.retry_after {
        r = r.header(header::RETRY_AFTER, s.to_string());
    }
    // The parts above are all valid: building cannot fail.
    r.body(Body::from(answer.json.to_string()))
        .unwrap_or_default()
}

fn answer(
    st: &mut State,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Answer {
    let hdr = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    match (method.as_str(), path) {
        ("POST", "/token") => {
            if hdr("content-type") != Some("application/x-www-form-urlencoded") {
                return breach(
                    st,
                    400,
                    "invalid_request",
                    format!(
                        "POST /token: Content-Type is {:?}, not a form",
                        hdr("content-type")
                    ),
                );
            }
            token(st, &String::from_utf8_lossy(body))
        }
        ("GET", METADATA_TOKEN) => {
            if hdr("metadata-flavor") != Some("Google") {
                return breach(
                    st,
                    403,
                    "forbidden",
                    "GET metadata token: no Metadata-Flavor: Google header".into(),
                );
            }
            issue(st)
        }
        _ if path.starts_with("/dns/v1/projects/") => {
            api(st, method, path, query, hdr("authorization"), body)
        }
        _ => breach(
            st,
            404,
            "notFound",
            format!("{method} {path}: not in the Cloud DNS API"),
        ),
    }
}

/// Record a breach and answer it in Google's shape.
fn breach(st: &mut State, status: u16, reason: &str, why: String) -> Answer {
    st.breaches.push(why.clone());
    google(status, reason, &why)
}

fn token(st: &mut State, form: &str) -> Answer {
    let field = |name: &str| {
        form.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| decode(v))
    };
    if field("grant_type").as_deref() != Some(JWT_BEARER) {
        return oauth("unsupported_grant_type", "Invalid grant_type");
    }
    let Some(assertion) = field("assertion") else {
        return oauth("invalid_request", "Missing required parameter: assertion");
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    match jwt::check(&assertion, &st.public_key, &st.account, &st.token_uri, now) {
        Ok(_) => issue(st),
        Err(why) => oauth("invalid_grant", &why),
    }
}

fn issue(st: &mut State) -> Answer {
    let token = format!("ya29.double-{}", st.tokens.len() + 1);
    st.tokens.push(token.clone());
    ok(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}))
}

fn api(
    st: &mut State,
    method: &Method,
    path: &str,
    query: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> Answer {
    if let Some(inj) = st.injected.as_mut().filter(|i| i.left > 0) {
        inj.left -= 1;
        let mut a = google(inj.status, &inj.reason, "injected by the test");
        a.retry_after = inj.retry_after;
        return a;
    }
    match authorization.and_then(|a| a.strip_prefix("Bearer ")) {
        None => return google(401, "required", "Login Required."),
        Some(t) if !st.tokens.iter().any(|k| k == t) => {
            return google(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            );
        }
        Some(_) => {}
    }
    let parts: Vec<&str> = path.split('/').collect();
    // "", "dns", "v1", "projects", P, "managedZones", Z, rest...
    if parts.len() < 7 || parts[5] != "managedZones" {
        return breach(
            st,
            404,
            "notFound",
            format!("{method} {path}: not in the Cloud DNS API"),
        );
    }
    if parts[4] != st.project {
        return google(
            403,
            "forbidden",
            &format!(
                "The caller does not have permission on project {}",
                parts[4]
            ),
        );
    }
    if parts[6] != st.managed_zone {
        return google(
            404,
            "notFound",
            &format!(
                "The 'parameters.managedZone' resource named '{}' does not exist.",
                parts[6]
            ),
        );
    }
    let zone_json = |st: &State| json!({"kind": "dns#managedZone", "name": st.managed_zone, "dnsName": st.dns_name, "visibility": "public"});
    match (method.as_str(), &parts[7..]) {
        ("GET", []) => ok(zone_json(st)),
        ("GET", ["rrsets"]) => list(st, query),
        ("POST", ["changes"]) => match serde_json::from_slice::<Value>(body) {
            Ok(v) => create(st, v),
            Err(e) => breach(
                st,
                400,
                "parseError",
                format!("POST changes: body is not JSON: {e}"),
            ),
        },
        ("GET", ["changes", id]) => get_change(st, id),
        _ => breach(
            st,
            404,
            "notFound",
            format!("{method} {path}: not in the Cloud DNS API"),
        ),
    }
}

fn list(st: &mut State, query: &str) -> Answer {
    let mut name = None;
    let mut rtype = None;
    for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
        match k {
            "name" => name = Some(decode(v)),
            "type" => rtype = Some(decode(v)),
            "maxResults" | "pageToken" => {}
            other => {
                return breach(
                    st,
                    400,
                    "invalidParameter",
                    format!("GET rrsets: no parameter {other:?}"),
                );
            }
        }
    }
    if rtype.is_some() && name.is_none() {
        return breach(
            st,
            400,
            "invalid",
            "GET rrsets: type given without name".into(),
        );
    }
    let rrsets: Vec<Value> = st
        .rrsets
        .iter()
        .filter(|r| name.as_ref().is_none_or(|n| same_name(&r["name"], n)))
        .filter(|r| rtype.as_ref().is_none_or(|t| r["type"] == t.as_str()))
        .cloned()
        .collect();
    ok(json!({"kind": "dns#resourceRecordSetsListResponse", "rrsets": rrsets}))
}

fn same_name(v: &Value, name: &str) -> bool {
    v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(name))
}

/// Check one record set of a change; the error as Google words it.
fn check_rrset(st: &State, v: &Value, at: &str, addition: bool) -> Result<(), String> {
    let Some(obj) = v.as_object() else {
        return Err(format!("Invalid value for '{at}': not an object"));
    };
    for k in obj.keys() {
        if ![
            "kind",
            "name",
            "type",
            "ttl",
            "rrdatas",
            "signatureRrdatas",
            "routingPolicy",
        ]
        .contains(&k.as_str())
        {
            return Err(format!(
                "Invalid JSON payload received. Unknown name \"{k}\" at '{at}'"
            ));
        }
    }
    if obj
        .get("kind")
        .is_some_and(|k| k != "dns#resourceRecordSet")
    {
        return Err(format!("Invalid value for '{at}.kind'"));
    }
    let name = obj.get("name").and_then(Value::as_str).unwrap_or_default();
    let zone = st.dns_name.to_ascii_lowercase();
    let lower = name.to_ascii_lowercase();
    if !name.ends_with('.') || !(lower == zone || lower.ends_with(&format!(".{zone}"))) {
        return Err(format!("Invalid value for '{at}.name': '{name}'"));
    }
    let rtype = obj.get("type").and_then(Value::as_str).unwrap_or_default();
    if addition && !obj.get("ttl").is_some_and(Value::is_u64) {
        return Err(format!("Invalid value for '{at}.ttl'"));
    }
    let datas = obj
        .get("rrdatas")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if datas.is_empty() {
        return Err(format!("The resource record set '{at}' has no rrdatas."));
    }
    for (i, d) in datas.iter().enumerate() {
        let s = d.as_str().unwrap_or_default();
        let good = match rtype {
            "A" => s.parse::<Ipv4Addr>().is_ok(),
            "AAAA" => s.parse::<Ipv6Addr>().is_ok(),
            "CNAME" => s.ends_with('.') && datas.len() == 1,
            "" => false,
            _ => true,
        };
        if !good {
            return Err(format!("Invalid value for '{at}.rrdata[{i}]': '{s}'"));
        }
    }
    Ok(())
}

/// The key Cloud DNS holds sets by: lower-case name and type.
fn key(v: &Value) -> (String, String) {
    (
        v["name"].as_str().unwrap_or_default().to_ascii_lowercase(),
        v["type"].as_str().unwrap_or_default().to_string(),
    )
}

/// Exactly the same set: name, type, TTL and every rrdata (in any order).
fn same_set(a: &Value, b: &Value) -> bool {
    let datas = |v: &Value| {
        let mut d: Vec<String> = v["rrdatas"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_ascii_lowercase))
                    .collect()
            })
            .unwrap_or_default();
        d.sort();
        d
    };
    key(a) == key(b) && a["ttl"].as_u64() == b["ttl"].as_u64() && datas(a) == datas(b)
}

fn create(st: &mut State, change: Value) -> Answer {
    let Some(obj) = change.as_object() else {
        return breach(
            st,
            400,
            "invalid",
            "POST changes: the body is not an object".into(),
        );
    };
    // The resource's output-only fields are ignored on input, as Google does.
    let fields = [
        "kind",
        "additions",
        "deletions",
        "id",
        "startTime",
        "status",
        "isServing",
    ];
    if let Some(k) = obj.keys().find(|k| !fields.contains(&k.as_str())) {
        let why =
            format!("Invalid JSON payload received. Unknown name \"{k}\": Cannot find field.");
        return breach(st, 400, "invalid", why);
    }
    let list = |name: &str| {
        obj.get(name)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (additions, deletions) = (list("additions"), list("deletions"));
    if additions.is_empty() && deletions.is_empty() {
        return breach(
            st,
            400,
            "required",
            "The 'entity.change' resource must specify at least one addition or deletion.".into(),
        );
    }
    for (i, d) in deletions.iter().enumerate() {
        if let Err(why) = check_rrset(st, d, &format!("entity.change.deletions[{i}]"), false) {
            return breach(st, 400, "invalid", why);
        }
    }
    for (i, a) in additions.iter().enumerate() {
        if let Err(why) = check_rrset(st, a, &format!("entity.change.additions[{i}]"), true) {
            return breach(st, 400, "invalid", why);
        }
    }
    if let Some(rival) = st.before_write.take() {
        rival(&mut st.rrsets);
    }
    let mut rrsets = st.rrsets.clone();
    for (i, d) in deletions.iter().enumerate() {
        let (name, rtype) = key(d);
        match rrsets.iter().position(|r| key(r) == key(d)) {
            None => {
                return google(
                    404,
                    "notFound",
                    &format!(
                        "The 'entity.change.deletions[{i}]' resource named '{name} ({rtype})' does not exist."
                    ),
                );
            }
            Some(at) if !same_set(&rrsets[at], d) => {
                return google(
                    412,
                    "conditionNotMet",
                    &format!("Precondition not met for 'entity.change.deletions[{i}]'"),
                );
            }
            Some(at) => {
                rrsets.remove(at);
            }
        }
    }
    for (i, a) in additions.iter().enumerate() {
        if rrsets.iter().any(|r| key(r) == key(a)) {
            let (name, rtype) = key(a);
            return google(
                409,
                "alreadyExists",
                &format!(
                    "The resource 'entity.change.additions[{i}]' named '{name} ({rtype})' already exists"
                ),
            );
        }
        let mut a = a.clone();
        a["kind"] = json!("dns#resourceRecordSet");
        rrsets.push(a);
    }
    st.rrsets = rrsets;
    let id = (st.changes.len() + 1).to_string();
    let status = if st.pending_polls == 0 {
        "done"
    } else {
        "pending"
    };
    let accepted = json!({"kind": "dns#change", "additions": additions, "deletions": deletions,
        "startTime": rfc3339_now(), "id": id, "status": status});
    st.changes.push(Accepted {
        change: accepted.clone(),
        polls_left: st.pending_polls,
    });
    if std::mem::take(&mut st.lose_answer) {
        return google(503, "backendError", "The service is currently unavailable.");
    }
    ok(accepted)
}

fn get_change(st: &mut State, id: &str) -> Answer {
    let Some(c) = id
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|n| st.changes.get_mut(n))
    else {
        return google(
            404,
            "notFound",
            &format!("The 'parameters.changeId' resource named '{id}' does not exist."),
        );
    };
    if c.polls_left > 0 {
        c.polls_left -= 1;
    } else {
        c.change["status"] = json!("done");
    }
    ok(c.change.clone())
}

/// Percent-decoding of a query or form value (`+` is a space).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(v) => {
                    out.push(v);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Now as RFC 3339, as Google stamps `startTime`.
fn rfc3339_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_queries() {
        assert_eq!(super::decode("www.example.test."), "www.example.test.");
        assert_eq!(super::decode("urn%3Aietf%3Aparams"), "urn:ietf:params");
        assert_eq!(super::decode("a+b%"), "a b%");
    }
}
