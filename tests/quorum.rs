//! Several vantages end to end: three controllers and an agent deciding by quorum, one writer.
//!
//! Every test starts its own cluster (see `common::cluster`): controllers
//! c11, c12, c13 and agent c14 on 127.0.0.11–14, quorum 3 of 4 (the default
//! majority), BIND on 127.0.0.1, primary on 127.0.0.2 (region c12), standby
//! on 127.0.0.3 (region c13, so c13 writes a failover first).

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::cluster::{Cluster, Node, Options, WRONG_TOKEN};
use common::daemon::wait_for;
use serde_json::Value;

const PRIMARY: &str = "127.0.0.2";
const STANDBY: &str = "127.0.0.3";

/// The journal's `provider-result` entries for `op` ("flip" or "set the TTL").
fn results(n: &Node, op: &str) -> Vec<Value> {
    n.history()
        .into_iter()
        .filter(|e| e["kind"] == "provider-result")
        .filter(|e| e["message"].as_str().is_some_and(|m| m.starts_with(op)))
        .collect()
}

/// Results that changed the zone (a change was made and no error came back).
fn applied(n: &Node, op: &str) -> Vec<Value> {
    results(n, op)
        .into_iter()
        .filter(|e| !e["detail"]["diff"]["desired"].is_null())
        .filter(|e| e["detail"]["diff"]["error"].is_null())
        .collect()
}

/// Results that found the work already done by another writer.
fn found_done(n: &Node, op: &str) -> Vec<Value> {
    results(n, op)
        .into_iter()
        .filter(|e| e["detail"]["diff"]["desired"].is_null())
        .filter(|e| e["detail"]["diff"]["error"].is_null())
        .collect()
}

/// Flip decisions in the journal (automatic or not).
fn flip_decisions(n: &Node) -> usize {
    n.history()
        .iter()
        .filter(|e| e["kind"] == "decision")
        .filter(|e| e["message"].as_str().is_some_and(|m| m.starts_with("flip")))
        .count()
}

/// Every applied change across the controllers: (flips by controller,
/// distinct TTL changes). RFC 2136 prerequisites cannot compare TTLs, so two
/// writers lowering the TTL at once both succeed; the second changes
/// nothing and BIND does not move the serial for it, so identical TTL
/// changes count once.
fn changes(c: &Cluster) -> (Vec<&'static str>, usize) {
    let mut flips = Vec::new();
    let mut ttls = std::collections::BTreeSet::new();
    for n in c.controllers() {
        flips.extend(applied(n, "flip").iter().map(|_| n.id));
        ttls.extend(
            applied(n, "set the TTL")
                .iter()
                .map(|e| e["detail"]["diff"].to_string()),
        );
    }
    (flips, ttls.len())
}

/// Wait until every running controller believes `pool` is active and has
/// nothing in flight.
fn wait_settled(c: &Cluster, pool: &str) {
    for n in c.controllers() {
        wait_for(
            Duration::from_secs(40),
            || {
                let s = n.status();
                s["controller"]["active"] == pool && s["busy"].is_null()
            },
            || c.logs(),
        );
    }
}

/// The `detail` of the report milestone `key`, searched anywhere in the JSON.
fn milestone(v: &Value, key: &str) -> Option<String> {
    match v {
        Value::Object(m) if m.get("key").is_some_and(|k| k == key) => {
            m.get("detail").and_then(Value::as_str).map(str::to_string)
        }
        Value::Object(m) => m.values().find_map(|x| milestone(x, key)),
        Value::Array(a) => a.iter().find_map(|x| milestone(x, key)),
        _ => None,
    }
}

/// Serve the failover's flip once and count the zone's changes.
fn assert_one_flip(c: &Cluster, serial0: u32, writer: &str) {
    let (flips, ttls) = changes(c);
    assert_eq!(flips, [writer], "flips made:\n{}", c.logs());
    assert!(ttls <= 1, "the TTL was lowered {ttls} times:\n{}", c.logs());
    let moved = c.bind.serial() - serial0;
    assert_eq!(
        moved as usize,
        1 + ttls,
        "BIND's serial moved by {moved}, the journals account for 1 flip + {ttls} TTL change(s):\n{}",
        c.logs()
    );
}

#[test]
fn primary_down_one_writer_flips_and_every_controller_agrees() {
    let mut c = Cluster::start(Options::default());
    let serial0 = c.bind.serial();
    c.primary.stop();
    wait_for(
        Duration::from_secs(40),
        || c.served() == [STANDBY],
        || c.logs(),
    );
    wait_settled(&c, "standby");
    assert_one_flip(&c, serial0, "c13");
    // The later writers found the work done (or never wrote).
    for id in ["c11", "c12"] {
        let n = c.node(id);
        assert!(
            results(n, "flip").len() == found_done(n, "flip").len(),
            "{id} did more than find the flip served:\n{}",
            c.logs()
        );
    }
    let writer = c.node("c13");
    let done = applied(writer, "flip");
    assert!(done[0]["message"].as_str().unwrap().ends_with(": done"));
    let report = writer.report().expect("the writer's report");
    let who = milestone(&report, "confirmed_down").unwrap_or_default();
    let named = ["c11", "c12", "c13", "c14"]
        .iter()
        .filter(|v| who.contains(*v))
        .count();
    assert!(
        who.starts_with("vantages:") && named >= 3,
        "the report names {named} confirming vantages ({who:?}):\n{report:#}"
    );
}

#[test]
fn primary_unreachable_from_one_vantage_does_not_fail_over() {
    let c = Cluster::start(Options::default());
    let c11 = c.node("c11");
    c.primary.block_source(c11.ip);
    wait_for(
        Duration::from_secs(20),
        || {
            let p = c11.pool("primary");
            p["local"] == "down" && p["quorum"]["down"] == serde_json::json!(["c11"])
        },
        || c.logs(),
    );
    // Ten fall × interval periods (2 × 200 ms) with one vantage dissenting.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(c.served(), [PRIMARY], "{}", c.logs());
    for n in c.controllers() {
        assert_eq!(
            flip_decisions(n),
            0,
            "{} decided a flip:\n{}",
            n.id,
            c.logs()
        );
        assert_eq!(n.active().as_deref(), Some("primary"));
    }
    let p = c11.pool("primary");
    assert_eq!(p["local"], "down", "{p:#}");
    assert_eq!(p["health"], "suspect", "{p:#}");
    assert_eq!(p["quorum"]["agreed"], false, "{p:#}");
    let others = p["quorum"]["up"].as_array().map_or(0, Vec::len);
    assert_eq!(others, 3, "the other vantages see it up: {p:#}");
    c.primary.unblock_source(c11.ip);
    wait_for(
        Duration::from_secs(20),
        || c11.pool("primary")["health"] == "up",
        || c.logs(),
    );
}

#[test]
fn a_dead_first_writer_is_replaced_after_one_grace_period() {
    let mut c = Cluster::start(Options::default());
    let serial0 = c.bind.serial();
    c.node_mut("c13").kill();
    c.primary.stop();
    wait_for(
        Duration::from_secs(40),
        || c.served() == [STANDBY],
        || c.logs(),
    );
    wait_settled(&c, "standby");
    // c11 comes second in the writer order for region c13 (c13, c11, c12, c14).
    assert_one_flip(&c, serial0, "c11");
    // One wait of one grace period (5 s) in all, not one per write.
    let log = c.node("c11").log_text();
    let waits: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Another controller writes first"))
        .collect();
    assert!(
        waits.len() == 1 && waits[0].contains("delay_s=5.0"),
        "c11 did not wait exactly one grace period:\n{log}"
    );
    let c12 = c.node("c12");
    assert_eq!(
        results(c12, "flip").len(),
        found_done(c12, "flip").len(),
        "{}",
        c.logs()
    );
}

#[test]
fn simultaneous_writers_make_one_change() {
    let opts = Options {
        env: vec![("RTOGUARD_TEST_WRITER_DELAY".into(), "0".into())],
        ..Options::default()
    };
    let mut c = Cluster::start(opts);
    let serial0 = c.bind.serial();
    c.primary.stop();
    wait_for(
        Duration::from_secs(40),
        || c.served() == [STANDBY],
        || c.logs(),
    );
    wait_settled(&c, "standby");
    let (flips, ttls) = changes(&c);
    assert_eq!(flips.len(), 1, "flips made by {flips:?}:\n{}", c.logs());
    let moved = c.bind.serial() - serial0;
    assert_eq!(moved as usize, 1 + ttls, "{}", c.logs());
    for n in c.controllers().filter(|n| n.id != flips[0]) {
        let rs = results(n, "flip");
        assert!(!rs.is_empty(), "{} never tried:\n{}", n.id, c.logs());
        for r in rs {
            let msg = r["message"].as_str().unwrap_or_default();
            let conflict = r["detail"]["diff"]["error"]
                .as_str()
                .is_some_and(|e| e.contains("onflict") || e.contains("expected"));
            let done_already =
                r["detail"]["diff"]["desired"].is_null() && msg.ends_with("done by another writer");
            assert!(conflict || done_already, "{}: {r}\n{}", n.id, c.logs());
        }
    }
    // Each loser's journal names the winner, from its published write.
    for n in c.controllers().filter(|n| n.id != flips[0]) {
        wait_for(
            Duration::from_secs(20),
            || {
                n.history()
                    .iter()
                    .filter(|e| e["detail"]["decision"] == "view")
                    .filter_map(|e| e["message"].as_str())
                    .any(|m| m.contains(&format!("written by {}", flips[0])))
            },
            || format!("{} does not name {}:\n{}", n.id, flips[0], c.logs()),
        );
    }
}

/// `GET /v1/observations` with `token`: the status code.
fn get_status(n: &Node, token: &str) -> u16 {
    let mut s = std::net::TcpStream::connect((n.ip, n.port)).expect("connect to the peer API");
    let req = format!(
        "GET /v1/observations HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
        n.ip
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_peer_with_the_wrong_token_is_refused_and_the_token_is_not_logged() {
    let opts = Options {
        wrong_token: Some(("c11", "c12")),
        ..Options::default()
    };
    let c = Cluster::start(opts);
    let (c11, c12) = (c.node("c11"), c.node("c12"));
    assert_eq!(get_status(c12, WRONG_TOKEN), 401);
    wait_for(
        Duration::from_secs(10),
        || {
            c11.status()["peers"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["id"] == "c12").cloned())
                .is_some_and(|p| p["last_error"].to_string().contains("401"))
        },
        || c.logs(),
    );
    let log = c12.log_text();
    let refused: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Peer API request refused"))
        .collect();
    assert!(!refused.is_empty(), "{log}");
    assert!(
        refused
            .iter()
            .all(|l| l.contains("remote=127.0.0.") && l.contains("reason=\"wrong token\"")),
        "{log}"
    );
    for n in &c.nodes {
        assert!(
            !n.log_text().contains(WRONG_TOKEN),
            "{} logged the token",
            n.id
        );
    }
    // c11 still reaches a quorum with the others.
    assert_eq!(c11.pool("primary")["health"], "up");
}

#[test]
fn stale_peers_do_not_count_and_nothing_flips() {
    let mut c = Cluster::start(Options::default());
    c.node_mut("c12").kill();
    c.node_mut("c13").kill();
    wait_for(
        Duration::from_secs(20),
        || c.node("c11").status()["short_of_quorum"] == true,
        || c.logs(),
    );
    c.primary.stop();
    let c11 = c.node("c11");
    wait_for(
        Duration::from_secs(20),
        || c11.pool("primary")["local"] == "down",
        || c.logs(),
    );
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(c.served(), [PRIMARY], "{}", c.logs());
    assert_eq!(flip_decisions(c11), 0, "{}", c.logs());
    let p = c11.pool("primary");
    assert_eq!(p["health"], "unknown", "{p:#}");
    assert_eq!(
        p["quorum"]["stale"],
        serde_json::json!(["c12", "c13"]),
        "{p:#}"
    );
    assert!(p["quorum"]["fresh"].as_u64() < p["quorum"]["quorum"].as_u64());
    let alerts = c11
        .history()
        .iter()
        .filter(|e| e["kind"] == "alert")
        .filter(|e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("too few fresh"))
        })
        .count();
    assert!(alerts >= 1, "{}", c.logs());
    assert!(c11.log_text().contains("Too few fresh vantages"));
}

#[test]
fn ten_percent_random_probe_loss_everywhere_does_not_fail_over() {
    let opts = Options {
        health: "health = { interval = \"100ms\", rise = 2, fall = 3, max_age = \"1s\" }".into(),
        ..Options::default()
    };
    let c = Cluster::start(opts);
    let start = c.primary.requests();
    c.primary.set_failure_ratio(0.1);
    // 600 rounds of the four vantages' probes of the primary.
    wait_for(
        Duration::from_secs(150),
        || c.primary.requests() >= start + 4 * 600,
        || c.logs(),
    );
    c.primary.set_failure_ratio(0.0);
    assert_eq!(c.served(), [PRIMARY], "{}", c.logs());
    for n in c.controllers() {
        assert_eq!(
            flip_decisions(n),
            0,
            "{} decided a flip:\n{}",
            n.id,
            c.logs()
        );
    }
    // The loss was seen: the primary turned suspect now and then.
    let suspects: usize = c
        .controllers()
        .map(|n| {
            n.log_text()
                .lines()
                .filter(|l| l.contains("Pool health changed") && l.contains("health=suspect"))
                .count()
        })
        .sum();
    assert!(suspects > 0, "{}", c.logs());
}
