//! The double's routes: the SigV4 and throttling gates, then the four operations.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::xml::{self, escape};
use super::zone::{Rrset, key};
use super::{Seen, State, Submitted};

type Shared = Arc<Mutex<State>>;

const NS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

/// Every path goes through one handler, so every request is gated and logged alike.
pub fn router(shared: Shared) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

struct Reply {
    status: StatusCode,
    body: String,
    error: Option<String>,
}

fn ok(body: String) -> Reply {
    Reply {
        status: StatusCode::OK,
        body: format!("<?xml version=\"1.0\"?>\n{body}"),
        error: None,
    }
}

/// Route 53's error document (the `ErrorResponse` form it answers today,
/// `InvalidChangeBatch` included).
fn error(status: u16, code: &str, message: &str) -> Reply {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    Reply {
        status: StatusCode::from_u16(status).expect("valid status"),
        body: format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{NS}\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            escape(message),
            request_id()
        ),
        error: Some(code.to_string()),
    }
}

fn request_id() -> String {
    let n: u128 = rand::random();
    let h = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

async fn handle(
    axum::extract::State(shared): axum::extract::State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_end_matches('/').to_string();
    let query = parse_query(uri.query().unwrap_or(""));
    let operation = operation(&method, &path);
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let reply = match gate(&mut st, &headers, authorization.as_deref(), now) {
        Some(refused) => refused,
        None => route(&mut st, &operation, &path, &query, &body, now),
    };
    st.requests.push(Seen {
        operation,
        authorization,
        error: reply.error.clone(),
        at: now,
    });
    drop(st);
    (
        reply.status,
        [("content-type", "text/xml"), ("x-amzn-requestid", "double")],
        reply.body,
    )
        .into_response()
}

fn operation(method: &Method, path: &str) -> String {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let op = match (method.as_str(), parts.as_slice()) {
        ("GET", ["2013-04-01", "hostedzonesbyname"]) => "ListHostedZonesByName",
        ("GET", ["2013-04-01", "hostedzone", _, "rrset"]) => "ListResourceRecordSets",
        ("POST", ["2013-04-01", "hostedzone", _, "rrset"]) => "ChangeResourceRecordSets",
        ("GET", ["2013-04-01", "change", _]) => "GetChange",
        _ => return format!("{method} {path}"),
    };
    op.to_string()
}

/// SigV4 present and well formed (not verified: see the README), then
/// throttling, as Route 53 checks them before anything else.
fn gate(
    st: &mut State,
    headers: &HeaderMap,
    authorization: Option<&str>,
    now: Instant,
) -> Option<Reply> {
    let Some(auth) = authorization else {
        return Some(error(
            403,
            "MissingAuthenticationToken",
            "Missing Authentication Token",
        ));
    };
    let signed = auth.starts_with("AWS4-HMAC-SHA256 ")
        && auth.contains("Credential=")
        && auth.contains("/route53/aws4_request")
        && auth.contains("SignedHeaders=")
        && auth.contains("Signature=")
        && headers.contains_key("x-amz-date");
    if !signed {
        return Some(error(
            403,
            "IncompleteSignature",
            "Authorization header requires a SigV4 Credential for route53, SignedHeaders, Signature and an X-Amz-Date header",
        ));
    }
    if st.throttle_next > 0 {
        st.throttle_next -= 1;
        return Some(error(400, "Throttling", "Rate exceeded"));
    }
    if let Some(limit) = st.rate_limit {
        let recent = st
            .requests
            .iter()
            .filter(|s| s.error.is_none() && now.duration_since(s.at) < Duration::from_secs(1))
            .count();
        if recent >= limit {
            return Some(error(400, "Throttling", "Rate exceeded"));
        }
    }
    None
}

fn route(
    st: &mut State,
    operation: &str,
    path: &str,
    query: &[(String, String)],
    body: &[u8],
    now: Instant,
) -> Reply {
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let id = path.rsplit('/').nth(1).unwrap_or_default().to_string();
    match operation {
        "ListHostedZonesByName" => list_zones(st, q("dnsname")),
        "ListResourceRecordSets" if id != st.zone.id => no_zone(&id),
        "ListResourceRecordSets" => {
            list_sets(st, q("name"), q("type"), q("identifier"), q("maxitems"))
        }
        "ChangeResourceRecordSets" if id != st.zone.id => no_zone(&id),
        "ChangeResourceRecordSets" => change(st, body, now),
        "GetChange" => get_change(st, path.rsplit('/').next().unwrap_or_default(), now),
        _ => error(
            404,
            "UnknownOperationException",
            "This operation is not served by the double",
        ),
    }
}

fn no_zone(id: &str) -> Reply {
    error(
        404,
        "NoSuchHostedZone",
        &format!("No hosted zone found with ID: {id}"),
    )
}

fn list_zones(st: &State, dns_name: Option<String>) -> Reply {
    let z = &st.zone;
    let zone = format!(
        "<HostedZone><Id>/hostedzone/{}</Id><Name>{}</Name><CallerReference>rtoguard-double</CallerReference><Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>{}</ResourceRecordSetCount></HostedZone>",
        z.id,
        escape(&z.name),
        z.sets.len()
    );
    let dns = dns_name
        .map(|d| format!("<DNSName>{}</DNSName>", escape(&d)))
        .unwrap_or_default();
    ok(format!(
        "<ListHostedZonesByNameResponse xmlns=\"{NS}\"><HostedZones>{zone}</HostedZones>{dns}<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesByNameResponse>"
    ))
}

fn list_sets(
    st: &State,
    name: Option<String>,
    rtype: Option<String>,
    identifier: Option<String>,
    max: Option<String>,
) -> Reply {
    let max = max
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(300)
        .clamp(1, 300);
    let start = key(
        name.as_deref().unwrap_or(&st.zone.name),
        rtype.as_deref().unwrap_or(""),
        identifier.as_deref().unwrap_or(""),
    );
    let mut rest = st.zone.sets.range(start..).map(|(_, s)| s);
    let page: Vec<&Rrset> = rest.by_ref().take(max).collect();
    let next = rest.next();
    let mut out = format!("<ListResourceRecordSetsResponse xmlns=\"{NS}\"><ResourceRecordSets>");
    for s in page {
        out += &s.to_xml();
    }
    out += "</ResourceRecordSets>";
    match next {
        Some(n) => {
            out += &format!(
                "<IsTruncated>true</IsTruncated><NextRecordName>{}</NextRecordName><NextRecordType>{}</NextRecordType>",
                escape(&n.name),
                escape(&n.rtype)
            );
            if let Some(id) = &n.set_id {
                out += &format!(
                    "<NextRecordIdentifier>{}</NextRecordIdentifier>",
                    escape(id)
                );
            }
        }
        None => out += "<IsTruncated>false</IsTruncated>",
    }
    ok(out + &format!("<MaxItems>{max}</MaxItems></ListResourceRecordSetsResponse>"))
}

fn change(st: &mut State, body: &[u8], now: Instant) -> Reply {
    let changes = match parse_batch(body) {
        Ok(c) => c,
        Err(why) => return error(400, "InvalidInput", &format!("Invalid request: {why}")),
    };
    if let Err(r) = st.zone.apply(&changes) {
        return error(400, r.code, &r.message);
    }
    let id = format!("C{:013}", st.changes.len() + 1);
    st.changes.push(Submitted {
        id: id.clone(),
        at: now,
    });
    ok(format!(
        "<ChangeResourceRecordSetsResponse xmlns=\"{NS}\">{}</ChangeResourceRecordSetsResponse>",
        change_info(&id, "PENDING")
    ))
}

fn parse_batch(body: &[u8]) -> Result<Vec<(String, Rrset)>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8")?;
    let root = xml::parse(text)?;
    if root.name != "ChangeResourceRecordSetsRequest" {
        return Err(format!(
            "expected ChangeResourceRecordSetsRequest, got {}",
            root.name
        ));
    }
    let changes = root
        .child("ChangeBatch")
        .and_then(|b| b.child("Changes"))
        .ok_or("no ChangeBatch.Changes")?;
    changes
        .children
        .iter()
        .map(|c| {
            let action = c.text_of("Action").ok_or("a Change without Action")?;
            let set = c
                .child("ResourceRecordSet")
                .ok_or("a Change without ResourceRecordSet")?;
            Ok((action, Rrset::from_xml(set)?))
        })
        .collect()
}

fn get_change(st: &State, id: &str, now: Instant) -> Reply {
    match st.changes.iter().find(|c| c.id == id) {
        None => error(
            404,
            "NoSuchChange",
            &format!("Could not find resource with ID: {id}"),
        ),
        Some(c) => {
            let status = if now.duration_since(c.at) >= st.sync_delay {
                "INSYNC"
            } else {
                "PENDING"
            };
            ok(format!(
                "<GetChangeResponse xmlns=\"{NS}\">{}</GetChangeResponse>",
                change_info(id, status)
            ))
        }
    }
}

fn change_info(id: &str, status: &str) -> String {
    format!(
        "<ChangeInfo><Id>/change/{id}</Id><Status>{status}</Status><SubmittedAt>{}</SubmittedAt><Comment>rtoguard</Comment></ChangeInfo>",
        timestamp()
    )
}

/// Now as ISO 8601 in UTC (`2026-12-02T16:00:00.123456789Z`).
fn timestamp() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_queries() {
        let t = timestamp();
        assert!(
            t.len() >= 20 && &t[10..11] == "T" && t.ends_with('Z'),
            "{t}"
        );
        assert_eq!(
            parse_query("name=www.example.test.&type=A&identifier=a%20b"),
            vec![
                ("name".into(), "www.example.test.".into()),
                ("type".into(), "A".into()),
                ("identifier".into(), "a b".into())
            ]
        );
    }
}
