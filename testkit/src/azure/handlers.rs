//! The double's one handler: the two token issuers, then ARM (in `arm`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State as Shared};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{CLIENT_ID, CLIENT_SECRET, Seen, State, TENANT, arm};

type Lock = Arc<Mutex<State>>;

/// The scope and resource of Azure Resource Manager.
const SCOPE: &str = "https://management.azure.com/.default";
const RESOURCE: &str = "https://management.azure.com/";

pub(super) fn router(shared: Lock) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// What to answer: a status, a JSON body, and the headers ARM adds.
pub(super) struct Answer {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<u64>,
    pub etag: Option<String>,
}

impl Answer {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            retry_after: None,
            etag: None,
        }
    }
}

/// A request as the handlers read it.
pub(super) struct Request<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: HashMap<String, String>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl Request<'_> {
    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn breach(&self, st: &mut State, why: &str) {
        st.breaches
            .push(format!("{} {}: {why}", self.method, self.path));
    }
}

/// `a=b&c=d` (a query, or a form body) as a map; `None` when it does not decode.
fn pairs(text: &str) -> Option<HashMap<String, String>> {
    let uri: Uri = format!("/?{text}").parse().ok()?;
    Query::<HashMap<String, String>>::try_from_uri(&uri)
        .ok()
        .map(|q| q.0)
}

async fn handle(
    Shared(shared): Shared<Lock>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
    let req = Request {
        method: &method,
        path: uri.path(),
        query: pairs(uri.query().unwrap_or_default()).unwrap_or_default(),
        headers: &headers,
        body: &body,
    };
    let answer = if req.path == "/metadata/identity/oauth2/token" {
        imds(&mut st, &req)
    } else if req.path.ends_with("/oauth2/v2.0/token") {
        login(&mut st, &req)
    } else if req.path.starts_with("/subscriptions/") {
        arm::answer(&mut st, &req)
    } else {
        req.breach(&mut st, "no such endpoint");
        arm::error(404, "NotFound", "No such endpoint.")
    };
    // Never keep a form body (it holds the client secret).
    let kept = serde_json::from_slice::<Value>(&body).ok();
    st.requests.push(Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or_default().to_string(),
        if_match: req.header(header::IF_MATCH).map(str::to_string),
        if_none_match: req.header(header::IF_NONE_MATCH).map(str::to_string),
        body: kept,
        status: answer.status,
    });
    drop(st);
    respond(answer)
}

fn respond(a: Answer) -> Response {
    let mut r = Response::builder()
        .status(StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8");
    if let Some(s) = a.retry_after {
        r = r.header(header::RETRY_AFTER, s.to_string());
    }
    if let Some(e) = a.etag {
        r = r.header(header::ETAG, e);
    }
    // The parts above are all valid: building cannot fail.
    r.body(Body::from(a.body.to_string())).unwrap_or_default()
}

/// The identity platform's error body.
fn oauth_error(status: u16, error: &str, description: &str) -> Answer {
    Answer::json(
        status,
        json!({"error": error, "error_description": description, "error_codes": [],
               "timestamp": "2026-12-02 16:00:00Z", "trace_id": "00000000-0000-0000-0000-000000000000"}),
    )
}

fn issue(st: &mut State) -> (String, u64) {
    st.issued += 1;
    let token = format!("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.test-{}", st.issued);
    st.tokens.push(token.clone());
    (token, st.token_life)
}

/// `POST /{tenant}/oauth2/v2.0/token`: OAuth2 client credentials.
fn login(st: &mut State, req: &Request<'_>) -> Answer {
    let form_type = "application/x-www-form-urlencoded";
    if req.method != Method::POST {
        req.breach(st, "the token endpoint takes POST only");
        return oauth_error(
            405,
            "invalid_request",
            "AADSTS900561: The endpoint only accepts POST requests.",
        );
    }
    let ct = req.header(header::CONTENT_TYPE).unwrap_or_default();
    let form = std::str::from_utf8(req.body).ok().and_then(pairs);
    let Some(form) = form.filter(|_| ct.starts_with(form_type)) else {
        req.breach(
            st,
            &format!("body is not {form_type} (Content-Type {ct:?})"),
        );
        return oauth_error(
            400,
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
        );
    };
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let tenant = req
        .path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    if tenant != TENANT {
        return oauth_error(
            400,
            "invalid_request",
            &format!("AADSTS90002: Tenant '{tenant}' not found."),
        );
    }
    if field("grant_type") != "client_credentials" {
        req.breach(st, &format!("grant_type {:?}", field("grant_type")));
        return oauth_error(
            400,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type.",
        );
    }
    if field("scope") != SCOPE {
        req.breach(st, &format!("scope {:?}, not {SCOPE}", field("scope")));
        return oauth_error(
            400,
            "invalid_scope",
            "AADSTS70011: The provided request must include a 'scope' input parameter.",
        );
    }
    if field("client_id") != CLIENT_ID {
        let msg = format!(
            "AADSTS700016: Application with identifier '{}' was not found in the directory '{tenant}'.",
            field("client_id")
        );
        return oauth_error(400, "unauthorized_client", &msg);
    }
    if field("client_secret") != CLIENT_SECRET {
        let msg = format!(
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{CLIENT_ID}'."
        );
        return oauth_error(401, "invalid_client", &msg);
    }
    let (token, life) = issue(st);
    Answer::json(
        200,
        json!({"token_type": "Bearer", "expires_in": life, "ext_expires_in": life, "access_token": token}),
    )
}

/// `GET /metadata/identity/oauth2/token`: a managed identity's token.
fn imds(st: &mut State, req: &Request<'_>) -> Answer {
    if req.header(header::HeaderName::from_static("metadata")) != Some("true") {
        req.breach(st, "no `Metadata: true` header");
        return oauth_error(
            400,
            "invalid_request",
            "Required metadata header not specified",
        );
    }
    for q in ["api-version", "resource"] {
        if !req.query.contains_key(q) {
            req.breach(st, &format!("no {q} in the query"));
            return oauth_error(
                400,
                "invalid_request",
                &format!("Required query variable '{q}' is missing"),
            );
        }
    }
    let resource = req.query["resource"].as_str();
    if resource.trim_end_matches('/') != RESOURCE.trim_end_matches('/') {
        req.breach(st, &format!("resource {resource:?}"));
        return oauth_error(
            400,
            "invalid_resource",
            "AADSTS500011: The resource principal was not found.",
        );
    }
    // A user-assigned identity is asked for by its client id.
    let assigned = req.query.get("client_id").is_none_or(|id| id == CLIENT_ID);
    if !st.identity || !assigned {
        return oauth_error(400, "invalid_request", "Identity not found");
    }
    let (token, life) = issue(st);
    Answer::json(
        200,
        json!({"access_token": token, "client_id": CLIENT_ID, "expires_in": life.to_string(),
               "expires_on": "1796227200", "ext_expires_in": life.to_string(), "not_before": "1796140800",
               "resource": RESOURCE, "token_type": "Bearer"}),
    )
}
