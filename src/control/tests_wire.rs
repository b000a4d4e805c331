//! Every request and every answer survives the wire both ways, and the JSON keeps the shape clients already read.

use serde_json::{Value, json};

use super::client::decode;
use super::*;
use crate::controller::{Controller, Policy, PoolHealth};
use crate::peers::PeerStatus;
use crate::probe::EndpointState;

/// A name that needs percent-encoding in a path.
const ODD: &str = "check out%ü";

fn requests() -> Vec<Request> {
    let mv = |to: Option<&str>, flag: bool| MoveRequest {
        to: to.map(str::to_string),
        planned: flag,
        force: !flag,
        dry_run: flag,
    };
    let service = || ODD.to_string();
    vec![
        Request::Status,
        Request::Failover {
            service: service(),
            mv: mv(Some("standby"), true),
        },
        Request::Failover {
            service: "checkout".into(),
            mv: mv(Some("dr"), false),
        },
        Request::Failback {
            service: service(),
            mv: mv(None, true),
        },
        Request::Failback {
            service: "checkout".into(),
            mv: mv(Some("primary"), false),
        },
        Request::Drill {
            service: service(),
            drill: DrillRequest {
                to: Some("standby".into()),
                simulate_fault: true,
                dwell_secs: 5,
            },
        },
        Request::Drill {
            service: "checkout".into(),
            drill: DrillRequest {
                to: None,
                simulate_fault: false,
                dwell_secs: 60,
            },
        },
        Request::Pin {
            service: service(),
            pin: PinRequest {
                reason: "db maintenance".into(),
                for_secs: Some(7200),
            },
        },
        Request::Pin {
            service: "checkout".into(),
            pin: PinRequest {
                reason: "deploy".into(),
                for_secs: None,
            },
        },
        Request::Unpin { service: service() },
        Request::Evacuate {
            evac: EvacuateRequest {
                region: "eu-west-1".into(),
                group: Some("eu-frontends".into()),
                for_secs: Some(7200),
                reason: Some("bad deploy".into()),
                planned: true,
                dry_run: false,
                end: false,
            },
        },
        Request::Risk(crate::control::RiskRequest {
            group: Some("eu-frontends".into()),
            for_secs: Some(1800),
            reason: Some("deploy".into()),
            ..Default::default()
        }),
        Request::Risk(crate::control::RiskRequest {
            services: vec![service(), "checkout".into()],
            end: true,
            ..Default::default()
        }),
    ]
}

#[test]
fn a_risk_request_names_one_target_a_length_and_a_reason() {
    for (body, why) in [
        (r#"{"for_secs": 60, "reason": "r"}"#, "exactly one of"),
        (
            r#"{"group": "g", "region": "r", "end": true}"#,
            "exactly one of",
        ),
        (r#"{"group": "g", "reason": "r"}"#, "needs a length"),
        (
            r#"{"group": "g", "for_secs": 60, "reason": " "}"#,
            "needs a reason",
        ),
        (
            r#"{"group": "g", "for_secs": 604801, "reason": "r"}"#,
            "at most seven days",
        ),
        (
            r#"{"group": "g", "for_secs": 60, "reason": "r", "x": 1}"#,
            "unknown field",
        ),
    ] {
        let reply = parse_request("POST", "/v1/risk", body.as_bytes()).expect_err(body);
        assert_eq!(reply.status, 400, "{body}");
        let text = serde_json::to_string(&reply.body).unwrap_or_default();
        assert!(text.contains(why), "{body}: {text}");
    }
}

#[test]
fn every_request_parses_back_from_its_wire_form() {
    for request in requests() {
        let wire = request.to_wire();
        let body = wire.body.as_ref().map(Value::to_string).unwrap_or_default();
        let parsed = parse_request(wire.method, &wire.path, body.as_bytes());
        assert_eq!(parsed.as_ref(), Ok(&request), "{wire:?}");
    }
}

#[test]
fn request_bodies_keep_their_field_names() {
    let wire = requests()[1].to_wire();
    assert_eq!(wire.path, "/v1/services/check%20out%25%C3%BC/failover");
    assert_eq!(
        wire.body,
        Some(json!({ "to": "standby", "planned": true, "force": false, "dry_run": true }))
    );
    let wire = requests()[5].to_wire();
    assert_eq!(
        wire.body,
        Some(json!({ "to": "standby", "simulate_fault": true, "dwell_secs": 5 }))
    );
}

fn service_status() -> DaemonService {
    let policy = Policy::with_defaults(vec!["primary".into(), "standby".into()]);
    DaemonService {
        service: "checkout".into(),
        record: "checkout.example.test.".into(),
        provider: "corp-bind".into(),
        provider_error: Some("connection refused".into()),
        controller: Controller::new(policy).status(),
        pools: vec![ServicePool {
            name: "primary".into(),
            health: PoolHealth::Suspect,
            local: PoolHealth::Down,
            quorum: None,
            endpoints: vec![ServiceEndpoint {
                endpoint: "127.0.0.2".into(),
                state: EndpointState::Unknown,
                failing: true,
                last: "status 503".into(),
                local: Some("out of file descriptors".into()),
            }],
        }],
        busy: Some("flip to standby".into()),
        incident: None,
        peers: Some(vec![PeerStatus {
            id: "eu-west-1".into(),
            age_ms: Some(1200),
            last_error: None,
            vantage: Some("eu-west-1".into()),
            config_digest: Some("abc".into()),
            generated_at_ms: Some(1_700_000_000_000),
            clock_skew_ms: Some(-40),
        }]),
        short_of_quorum: false,
        journal_error: None,
        ready: true,
        not_ready: Vec::new(),
        vantage: VantageState {
            id: "us-east-1".into(),
            impaired: None,
        },
    }
}

/// Every kind of answer, with a request it answers.
fn replies() -> Vec<(Request, Reply)> {
    let reqs = requests();
    vec![
        (
            Request::Status,
            Reply::status(StatusReply {
                controller: "us-east-1".into(),
                daemon: true,
                services: vec![service_status()],
            }),
        ),
        (
            reqs[1].clone(),
            Reply::dry_run(DryRun {
                dry_run: true,
                text: "1. flip\n".into(),
                plan: json!({ "service": "checkout", "steps": [] }),
            }),
        ),
        (
            reqs[2].clone(),
            Reply::accepted(Accepted {
                accepted: true,
                service: "checkout".into(),
                actions: vec!["Flip to dr".into()],
            }),
        ),
        (
            reqs[5].clone(),
            Reply::drill(DrillStarted {
                accepted: true,
                drill: "drill-checkout-1".into(),
                from: "primary".into(),
                to: "standby".into(),
                dwell_secs: 5,
            }),
        ),
        (
            reqs[7].clone(),
            Reply::accepted(Accepted {
                accepted: true,
                service: ODD.into(),
                actions: Vec::new(),
            }),
        ),
        (reqs[8].clone(), Reply::error(409, "already unpinned")),
        (Request::Status, Reply::error(503, "shutting down")),
    ]
}

#[test]
fn every_reply_decodes_back_to_itself() {
    for (request, reply) in replies() {
        let bytes = serde_json::to_vec(&reply.body).unwrap();
        let back = decode(&request, reply.status, &bytes);
        assert_eq!(back.as_ref(), Ok(&reply.body), "{request:?}");
    }
}

#[test]
fn status_json_keeps_the_keys_clients_read() {
    let v = serde_json::to_value(service_status()).unwrap();
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&v),
        [
            "busy",
            "controller",
            "incident",
            "journal_error",
            "not_ready",
            "peers",
            "pools",
            "provider",
            "provider_error",
            "ready",
            "record",
            "service",
            "short_of_quorum",
            "vantage",
        ]
        .map(String::from)
    );
    let pool = &v["pools"][0];
    assert_eq!(
        keys(pool),
        ["endpoints", "health", "local", "name", "quorum"].map(String::from)
    );
    assert_eq!(
        (pool["health"].as_str(), pool["local"].as_str()),
        (Some("suspect"), Some("down"))
    );
    let ep = &pool["endpoints"][0];
    assert_eq!(
        keys(ep),
        ["endpoint", "failing", "last", "local", "state"].map(String::from)
    );
    assert_eq!(ep["state"], "unknown");
    assert_eq!(
        keys(&v["peers"][0]),
        [
            "age_ms",
            "clock_skew_ms",
            "config_digest",
            "generated_at_ms",
            "id",
            "last_error",
            "vantage"
        ]
        .map(String::from)
    );
    assert_eq!(keys(&v["vantage"]), ["id", "impaired"].map(String::from));
}

#[test]
fn an_error_that_is_not_json_keeps_its_text() {
    let back = decode(&Request::Status, 502, b"Bad Gateway");
    assert_eq!(
        back,
        Ok(ReplyBody::Error(ErrorBody {
            error: "Bad Gateway".into()
        }))
    );
    let back = decode(&Request::Status, 200, b"{\"controller\": 1}");
    assert!(back.is_err_and(|e| e.contains("unexpected answer")));
}

#[test]
fn command_answers_keep_their_old_json() {
    let bodies: Vec<Value> = replies()
        .into_iter()
        .skip(1)
        .map(|(_, r)| serde_json::to_value(&r.body).unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            json!({ "dry_run": true, "text": "1. flip\n", "plan": { "service": "checkout", "steps": [] } }),
            json!({ "accepted": true, "service": "checkout", "actions": ["Flip to dr"] }),
            json!({ "accepted": true, "drill": "drill-checkout-1", "from": "primary", "to": "standby", "dwell_secs": 5 }),
            json!({ "accepted": true, "service": ODD, "actions": [] }),
            json!({ "error": "already unpinned" }),
            json!({ "error": "shutting down" }),
        ]
    );
}
