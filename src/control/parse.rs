//! A control request from its method, path and body: a pure function, so tests and fuzzers can call it with anything.

use serde::de::DeserializeOwned;

use super::{DrillRequest, MoveRequest, PinRequest, Reply, Request};

/// The request that `method path` with `body` asks for, or the 4xx to answer.
pub fn parse_request(method: &str, path: &str, body: &[u8]) -> Result<Request, Reply> {
    let path = path.split('?').next().unwrap_or_default();
    if path == "/v1/status" {
        return want(method, "GET").map(|()| Request::Status);
    }
    if path == "/v1/evacuations" {
        want(method, "POST")?;
        let evac: super::EvacuateRequest = json(body)?;
        if evac.region.trim().is_empty() {
            return Err(Reply::error(
                400,
                "an evacuation needs a region: {\"region\": \"...\"}",
            ));
        }
        if evac
            .for_secs
            .is_some_and(|s| s > crate::controller::durable::MAX_PIN.as_secs())
        {
            return Err(Reply::error(
                400,
                "an evacuation with an end lasts at most ten years",
            ));
        }
        return Ok(Request::Evacuate { evac });
    }
    if path == "/v1/risk" {
        want(method, "POST")?;
        let risk: super::RiskRequest = json(body)?;
        risk.check()?;
        return Ok(Request::Risk(risk));
    }
    let Some(rest) = path.strip_prefix("/v1/services/") else {
        return Err(not_found());
    };
    let Some((name, verb)) = rest.split_once('/') else {
        return Err(not_found());
    };
    let service = decode(name)?;
    let known = ["failover", "failback", "drill", "pin", "unpin"];
    if !known.contains(&verb) {
        return Err(not_found());
    }
    want(method, "POST")?;
    match verb {
        "failover" => {
            let mv: MoveRequest = json(body)?;
            if mv.to.is_none() {
                return Err(Reply::error(
                    400,
                    "failover needs a target pool: {\"to\": \"POOL\"}",
                ));
            }
            Ok(Request::Failover { service, mv })
        }
        "failback" => Ok(Request::Failback {
            service,
            mv: json(body)?,
        }),
        "drill" => Ok(Request::Drill {
            service,
            drill: json::<DrillRequest>(body)?,
        }),
        "pin" => {
            let pin: PinRequest = json(body)?;
            if pin
                .for_secs
                .is_some_and(|s| s > crate::controller::durable::MAX_PIN.as_secs())
            {
                return Err(Reply::error(
                    400,
                    "a pin with an end lasts at most ten years; pin without --for",
                ));
            }
            if pin.reason.trim().is_empty() {
                return Err(Reply::error(
                    400,
                    "a pin needs a reason: {\"reason\": \"...\"}",
                ));
            }
            Ok(Request::Pin { service, pin })
        }
        _ => Ok(Request::Unpin { service }),
    }
}

fn not_found() -> Reply {
    Reply::error(404, "no such endpoint; see the control API in the README")
}

fn want(method: &str, expected: &str) -> Result<(), Reply> {
    if method == expected {
        Ok(())
    } else {
        Err(Reply::error(
            405,
            format!("method {method} not allowed here; use {expected}"),
        ))
    }
}

fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| Reply::error(400, format!("bad request body: {e}")))
}

/// A service name from its path segment, percent-decoded; never empty.
fn decode(segment: &str) -> Result<String, Reply> {
    let bad = || Reply::error(400, "bad service name in the path");
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let name = String::from_utf8(out).map_err(|_| bad())?;
    if name.is_empty() || name.contains('/') {
        return Err(bad());
    }
    Ok(name)
}
