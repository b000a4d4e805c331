//! The double's one handler: checks, faults, then the four endpoints.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as Shared;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::Value;

use super::{MEDIA_TYPE, Seen, State, shape};

type Lock = Arc<Mutex<State>>;

pub(super) fn router(shared: Lock) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// What to answer: a status, a JSON body (sent with the media type), or
/// plain text (a fault), and a `Retry-After`.
struct Answer {
    status: u16,
    json: Option<Value>,
    text: Option<String>,
    retry_after: Option<u64>,
}

impl Answer {
    fn json(v: Value) -> Self {
        Self {
            status: 200,
            json: Some(v),
            text: None,
            retry_after: None,
        }
    }
    fn status(status: u16, text: &str) -> Self {
        Self {
            status,
            json: None,
            text: Some(text.to_string()),
            retry_after: None,
        }
    }
}

async fn handle(
    Shared(shared): Shared<Lock>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let slow = shared.lock().unwrap_or_else(|e| e.into_inner()).slow;
    if let Some(d) = slow {
        tokio::time::sleep(d).await;
    }
    let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
    let hdr = |h: header::HeaderName| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let answer = answer(&mut st, &method, uri.path(), &headers, &body);
    st.requests.push(Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        accept: hdr(header::ACCEPT),
        content_type: hdr(header::CONTENT_TYPE),
        authorization: hdr(header::AUTHORIZATION),
        body: parsed,
        status: answer.status,
    });
    let wrong = st.wrong_media_type;
    drop(st);
    respond(answer, wrong)
}

fn respond(a: Answer, wrong_media_type: bool) -> Response {
    let mut r = Response::builder()
        .status(StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    if let Some(s) = a.retry_after {
        r = r.header(header::RETRY_AFTER, s.to_string());
    }
    let built = match (a.json, a.text) {
        (Some(v), _) => {
            let ct = if wrong_media_type {
                "application/json"
            } else {
                MEDIA_TYPE
            };
            r.header(header::CONTENT_TYPE, ct)
                .body(Body::from(v.to_string()))
        }
        (None, Some(t)) => r
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(t)),
        (None, None) => r.body(Body::empty()),
    };
    // The parts above are all valid: building cannot fail.
    built.unwrap_or_default()
}

fn answer(st: &mut State, method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Answer {
    if let Some(inj) = st.injected.as_mut().filter(|i| i.left > 0) {
        inj.left -= 1;
        let mut a = Answer::status(inj.status, &inj.body);
        a.retry_after = inj.retry_after;
        return a;
    }
    if let Some(token) = &st.token {
        let want = format!("Bearer {token}");
        if headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some(want.as_str())
        {
            return Answer::status(401, "unauthorized");
        }
    }
    let mut breach = |status: u16, why: String| {
        st.breaches.push(format!("{method} {path}: {why}"));
        Answer::status(status, &why)
    };
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if accept != Some(MEDIA_TYPE) {
        return breach(406, format!("Accept is {accept:?}, not {MEDIA_TYPE}"));
    }
    let json = if body.is_empty() {
        None
    } else {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if ct != Some(MEDIA_TYPE) {
            return breach(415, format!("Content-Type is {ct:?}, not {MEDIA_TYPE}"));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => Some(v),
            Err(e) => return breach(400, format!("body is not JSON: {e}")),
        }
    };
    match (method.as_str(), path, json) {
        ("GET", "/", None) => Answer::json(st.filter.clone()),
        ("GET", "/records", None) => Answer::json(Value::Array(st.records.clone())),
        ("POST", "/adjustendpoints", Some(v)) => match shape::endpoints(&v) {
            Ok(list) => Answer::json(Value::Array(list)),
            Err(why) => breach(400, why),
        },
        ("POST", "/records", Some(v)) => match shape::changes(&v) {
            Ok(lists) => write(st, lists),
            Err(why) => breach(400, why),
        },
        (m, p, _) => breach(
            404,
            format!("no {m} {p} in the protocol (or a body missing)"),
        ),
    }
}

/// Apply a change all or nothing, between the rivals' hooks.
fn write(st: &mut State, [create, old, new, delete]: [Vec<Value>; 4]) -> Answer {
    if let Some(rival) = st.before_write.take() {
        rival(&mut st.records);
    }
    let mut records = st.records.clone();
    for d in &delete {
        match records.iter().position(|r| shape::same_record(d, r)) {
            Some(i) => {
                records.remove(i);
            }
            None => return Answer::status(500, &format!("delete names a record not served: {d}")),
        }
    }
    for (o, n) in old.iter().zip(new) {
        match records.iter().position(|r| shape::same_record(o, r)) {
            Some(i) => records[i] = n,
            None => {
                return Answer::status(500, &format!("updateOld names a record not served: {o}"));
            }
        }
    }
    for c in create {
        if records.iter().any(|r| shape::key(r) == shape::key(&c)) {
            return Answer::status(500, &format!("create of a record that exists: {c}"));
        }
        records.push(c);
    }
    st.records = records;
    if let Some(rival) = st.after_write.take() {
        rival(&mut st.records);
    }
    Answer {
        status: 204,
        json: None,
        text: None,
        retry_after: None,
    }
}
