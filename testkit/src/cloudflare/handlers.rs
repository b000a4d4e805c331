//! The fake's routes: auth and throttling gates, zone and record listing, and batches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State as Axum};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::zone::{Zone, update, validate};
use super::{Seen, State};

type Shared = Arc<Mutex<State>>;

/// Every path goes through one handler, so every request is gated and logged alike.
pub fn router(shared: Shared) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

pub struct Reply {
    status: StatusCode,
    retry_after: Option<u64>,
    body: Value,
}

fn ok(result: Value, info: Option<Value>) -> Reply {
    let mut body = json!({"success": true, "errors": [], "messages": [], "result": result});
    if let Some(info) = info {
        body["result_info"] = info;
    }
    Reply {
        status: StatusCode::OK,
        retry_after: None,
        body,
    }
}

pub fn fail(status: u16, code: u32, message: &str) -> Reply {
    Reply {
        status: StatusCode::from_u16(status).expect("valid status"),
        retry_after: None,
        body: json!({"success": false, "errors": [{"code": code, "message": message}],
            "messages": [], "result": null}),
    }
}

/// An edge proxy's error page: not the API's JSON.
fn edge(status: u16) -> Reply {
    Reply {
        status: StatusCode::from_u16(status).expect("valid status"),
        retry_after: None,
        body: json!("<html>bad gateway</html>"),
    }
}

async fn handle(
    Axum(shared): Axum<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let body: Option<Value> = serde_json::from_slice(&body).ok();
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
    let at = Instant::now();
    let reply = answer(
        &mut st,
        &method,
        uri.path(),
        &query,
        authorization.as_deref(),
        &body,
    );
    st.requests.push(Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        query,
        body,
        authorization,
        status: reply.status.as_u16(),
        at,
    });
    let mut resp = match reply.body {
        // A fault injected as an edge proxy's page, not the API's JSON.
        Value::String(page) => {
            (reply.status, [("content-type", "text/html")], page).into_response()
        }
        body => (reply.status, axum::Json(body)).into_response(),
    };
    if let Some(secs) = reply.retry_after {
        resp.headers_mut()
            .insert("retry-after", secs.to_string().parse().expect("digits"));
    }
    resp
}

fn answer(
    st: &mut State,
    method: &Method,
    path: &str,
    query: &HashMap<String, String>,
    authorization: Option<&str>,
    body: &Option<Value>,
) -> Reply {
    if authorization != Some(format!("Bearer {}", st.token).as_str()) {
        return fail(403, 9109, "Invalid access token");
    }
    if let Some(f) = &mut st.injected
        && f.method == method.as_str()
        && f.left > 0
    {
        f.left -= 1;
        return match f.retry_after {
            Some(secs) => {
                let mut r = fail(
                    429,
                    971,
                    "Please wait and consider throttling your request speed",
                );
                r.retry_after = Some(secs);
                r
            }
            None => edge(f.status),
        };
    }
    let parts: Vec<&str> = path
        .strip_prefix("/client/v4")
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["user", "tokens", "verify"]) => ok(
            json!({"id": "ed17574386854bf78a67040be0a770b0", "status": "active"}),
            None,
        ),
        ("GET", ["zones"]) => zones(st, query),
        ("GET", ["zones", id, "dns_records"]) if *id == st.zone.id => list(&st.zone, query),
        ("POST", ["zones", id, "dns_records", "batch"]) if *id == st.zone.id => batch(st, body),
        ("GET" | "POST", ["zones", _, ..]) => fail(
            404,
            7003,
            &format!("Could not route to {path}, perhaps your object identifier is invalid?"),
        ),
        _ => fail(404, 7000, "No route for that URI"),
    }
}

fn page_of(items: Vec<Value>, query: &HashMap<String, String>) -> Result<Reply, Reply> {
    let num = |k: &str, d: usize| query.get(k).map_or(Ok(d), |v| v.parse::<usize>());
    let (Ok(page), Ok(per_page)) = (num("page", 1), num("per_page", 100)) else {
        return Err(fail(400, 1004, "page and per_page must be numbers"));
    };
    if page == 0 || !(5..=5_000_000).contains(&per_page) {
        return Err(fail(
            400,
            1004,
            "page must be >= 1 and per_page between 5 and 5000000",
        ));
    }
    let total = items.len();
    let chunk: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let info = json!({"page": page, "per_page": per_page, "count": chunk.len(),
        "total_count": total, "total_pages": total.div_ceil(per_page).max(1)});
    Ok(ok(Value::Array(chunk), Some(info)))
}

fn zones(st: &State, query: &HashMap<String, String>) -> Reply {
    let zone = json!({"id": st.zone.id, "name": st.zone.name, "status": "active"});
    let matches = query.get("name").is_none_or(|n| *n == st.zone.name);
    let items = if matches { vec![zone] } else { vec![] };
    page_of(items, query).unwrap_or_else(|e| e)
}

fn list(zone: &Zone, query: &HashMap<String, String>) -> Reply {
    let name = query.get("name").map(|n| n.to_ascii_lowercase());
    let rtype = query.get("type");
    let items = zone
        .records
        .iter()
        .filter(|r| name.as_ref().is_none_or(|n| r["name"] == n.as_str()))
        .filter(|r| rtype.is_none_or(|t| r["type"] == t.as_str()))
        .cloned()
        .collect();
    page_of(items, query).unwrap_or_else(|e| e)
}

fn entries<'a>(body: &'a Value, key: &str) -> &'a [Value] {
    body.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// All or nothing, in the documented order: deletes, patches, puts, posts.
fn batch(st: &mut State, body: &Option<Value>) -> Reply {
    if let Some(hook) = st.before_batch.take() {
        hook(&mut st.zone);
    }
    let Some(body) = body.as_ref().filter(|b| b.is_object()) else {
        return fail(400, 1004, "the batch body must be a JSON object");
    };
    let gone = || fail(400, 81044, "Record does not exist.");
    let mut work = st.zone.clone();
    let mut out = json!({"deletes": [], "patches": [], "puts": [], "posts": []});
    for d in entries(body, "deletes") {
        let Some(r) = work.remove(d["id"].as_str().unwrap_or_default()) else {
            return gone();
        };
        push(&mut out, "deletes", r);
    }
    for (key, replace) in [("patches", false), ("puts", true)] {
        for p in entries(body, key) {
            let zone_name = work.name.clone();
            let Some(r) = work.get_mut(p["id"].as_str().unwrap_or_default()) else {
                return gone();
            };
            let updated = update(r, p, replace);
            if let Err(e) = validate(&zone_name, &updated) {
                return e;
            }
            *r = updated.clone();
            push(&mut out, key, updated);
        }
    }
    if let Err(e) = create(&mut work, entries(body, "posts"), &mut out) {
        return e;
    }
    st.zone = work;
    st.batches_applied += 1;
    if let Some(hook) = st.after_batch.take() {
        hook(&mut st.zone);
    }
    if std::mem::take(&mut st.lose_batch_answer) {
        return edge(502);
    }
    ok(out, None)
}

/// The `posts` of a batch: new records, refused when identical to one held.
fn create(work: &mut Zone, posts: &[Value], out: &mut Value) -> Result<(), Reply> {
    for p in posts {
        validate(&work.name, p)?;
        let name = p["name"].as_str().map(str::to_ascii_lowercase);
        let identical = work.records.iter().any(|r| {
            r["type"] == p["type"]
                && r["content"] == p["content"]
                && r["name"].as_str() == name.as_deref()
        });
        if identical {
            return Err(fail(400, 81058, "An identical record already exists."));
        }
        let id = work.add(p.clone());
        let created = work.get_mut(&id).expect("just added").clone();
        push(out, "posts", created);
    }
    Ok(())
}

fn push(out: &mut Value, key: &str, r: Value) {
    out[key].as_array_mut().expect("built above").push(r);
}
