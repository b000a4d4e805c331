//! `run`, `pin`, `unpin`, `history`, and the daemon path of `status`,
//! `failover` and `failback` (through the control socket).

use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use super::manual::{fail_msg, load};
use super::{ConfigArg, DrillArgs, HistoryArgs, RunArgs};
use crate::config::Config;
use crate::control::{MoveRequest, client};
use crate::journal::Journal;
use crate::ops::Output;

pub async fn run(a: &RunArgs) -> ExitCode {
    if let Err(e) = crate::config::load_checked(&a.config.config) {
        eprintln!("{e}");
        return ExitCode::from(64);
    }
    crate::bounded::descriptors::raise_and_log();
    match crate::runtime::run(&a.config.config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail_msg(&format!("{e:#}"), 1),
    }
}

pub async fn agent(a: &RunArgs) -> ExitCode {
    let cfg = match load(&a.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    crate::bounded::descriptors::raise_and_log();
    let cancel = tokio_util::sync::CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        if let Ok(mut s) = crate::runtime::signals::Signals::install() {
            let _ = s.next().await;
        }
        c.cancel();
    });
    match crate::peers::run_agent(&cfg, cancel).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail_msg(&format!("{e:#}"), 1),
    }
}

pub async fn drill(a: &DrillArgs) -> ExitCode {
    let cfg = match load(&a.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if cfg.service(&a.service).is_none() {
        return fail_msg(&format!("no service {:?} in the config", a.service), 64);
    }
    if !a.yes && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return fail_msg(
            "refusing to start a drill without confirmation: standard input is not a terminal; pass --yes",
            64,
        );
    }
    let body =
        json!({ "to": a.to, "simulate_fault": a.simulate_fault, "dwell_secs": a.dwell.as_secs() });
    let path = format!("/v1/services/{}/drill", a.service);
    let out = Output::new(false);
    let (code, reply) =
        match client::call(&cfg.controller.control_socket, "POST", &path, Some(&body)).await {
            Ok(r) => r,
            Err(e) => return fail_msg(&format!("{e}; a drill needs the running daemon"), 1),
        };
    if code != 202 {
        return fail_msg(&error_text(&reply), if code < 500 { 64 } else { 1 });
    }
    let id = reply["drill"].as_str().unwrap_or_default().to_string();
    out.step(
        "drill",
        &format!(
            "drill {id} started: {} -> {}, failing back after {}s",
            reply["from"],
            reply["to"],
            a.dwell.as_secs()
        ),
        json!({ "reply": reply }),
    );
    let svc = cfg.service(&a.service).cloned();
    let wait = a
        .dwell
        .saturating_add(svc.as_ref().map_or(Duration::from_secs(600), |s| {
            Duration::from_secs(u64::from(s.ttl.normal) * 2)
                .saturating_add(s.ttl.restore_after)
                .saturating_add(Duration::from_secs(60))
        }));
    let target = reply["to"].as_str().unwrap_or_default().to_string();
    let home = reply["from"].as_str().unwrap_or_default().to_string();
    let code = follow(&cfg, &a.service, &target, &out, wait).await;
    if code != ExitCode::SUCCESS {
        return code;
    }
    let code = follow(&cfg, &a.service, &home, &out, wait).await;
    out.step(
        "drill",
        &format!("drill over; its report: rtoguard report {id}"),
        json!({ "drill": id }),
    );
    code
}

/// `pin` (with its body: reason and duration) or `unpin` (no body) through the daemon.
pub async fn pin(service: &str, config: &ConfigArg, body: Option<Value>) -> ExitCode {
    let cfg = match load(&config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let verb = if body.is_some() { "pin" } else { "unpin" };
    let path = format!("/v1/services/{service}/{verb}");
    match client::call(&cfg.controller.control_socket, "POST", &path, body.as_ref()).await {
        Ok((code, _)) if code < 300 => {
            println!("{service}: {verb}ned");
            ExitCode::SUCCESS
        }
        Ok((code, body)) => fail_msg(&error_text(&body), if code < 500 { 64 } else { 1 }),
        Err(e) => fail_msg(&format!("{e}; {verb} needs the running daemon"), 1),
    }
}

pub fn history(a: &HistoryArgs) -> ExitCode {
    let cfg = match load(&a.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let j = match Journal::open(&cfg.controller.state_dir) {
        Ok(j) => j,
        Err(e) => return fail_msg(&e.to_string(), 1),
    };
    match j.entries(a.service.as_deref(), 0) {
        Ok(entries) => {
            for e in entries {
                if a.json {
                    println!("{}", serde_json::to_string(&e).unwrap_or_default());
                } else {
                    println!(
                        "{:>6} {} {:<12} {:<18} {:<14} {}",
                        e.seq,
                        crate::report::format_wall(e.at_ms),
                        e.service,
                        e.kind,
                        e.actor,
                        e.message
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail_msg(&e.to_string(), 1),
    }
}

fn error_text(body: &Value) -> String {
    body.get("error")
        .and_then(Value::as_str)
        .map_or_else(|| body.to_string(), str::to_string)
}

/// `status` through the daemon; `None` when no daemon runs.
pub async fn status(cfg: &Config, only: Option<&str>, as_json: bool) -> Option<ExitCode> {
    let (code, body) =
        match client::call(&cfg.controller.control_socket, "GET", "/v1/status", None).await {
            Ok(r) => r,
            Err(e) if client::is_no_daemon(&e) => return None,
            Err(e) => return Some(fail_msg(&e.to_string(), 1)),
        };
    if code != 200 {
        return Some(fail_msg(&error_text(&body), 1));
    }
    let services: Vec<&Value> = body["services"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|s| only.is_none_or(|n| s["service"] == n))
                .collect()
        })
        .unwrap_or_default();
    for s in &services {
        if as_json {
            println!("{s}");
        } else {
            print_service(s);
        }
    }
    Some(ExitCode::SUCCESS)
}

fn print_service(s: &Value) {
    print!("{}", service_text(s));
}

/// One service of `status` as text: a head line, the vantage when impaired,
/// then each pool and its endpoints.
pub(super) fn service_text(s: &Value) -> String {
    use std::fmt::Write;
    let c = &s["controller"];
    let mut out = format!(
        "{}  {}  active pool: {}  ttl {}s{}{}\n",
        s["service"].as_str().unwrap_or("?"),
        s["record"].as_str().unwrap_or(""),
        c["active"].as_str().unwrap_or("none"),
        c["ttl"],
        pin_text(&c["pin"], c["pinned"] == true) + &drill_text(&c["drill"]),
        s["provider_error"]
            .as_str()
            .map(|e| format!("  PROVIDER DOWN: {e}"))
            .unwrap_or_default()
    );
    // Writing to a String cannot fail.
    if let Some(reason) = s["vantage"]["impaired"].as_str() {
        let id = s["vantage"]["id"].as_str().unwrap_or("this vantage");
        let _ = writeln!(out, "    vantage {id}  impaired: {reason}");
    }
    for p in s["pools"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "    pool {:<12} {}",
            p["name"].as_str().unwrap_or("?"),
            p["health"].as_str().unwrap_or("?")
        );
        for e in p["endpoints"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "        {:<20} {:<8} {}",
                e["endpoint"].as_str().unwrap_or("?"),
                e["state"].as_str().unwrap_or("?"),
                e["local"].as_str().or(e["last"].as_str()).unwrap_or("")
            );
        }
    }
    out
}

/// `  PINNED by WHO until WHEN: WHY` for the status head line, or nothing.
fn pin_text(pin: &Value, pinned: bool) -> String {
    if !pinned {
        return String::new();
    }
    let until = pin["until"].as_str().unwrap_or("unpinned");
    format!(
        "  PINNED by {} until {}: {}",
        pin["by"].as_str().unwrap_or("?"),
        until,
        pin["reason"].as_str().unwrap_or("")
    )
}

/// `  DRILL ID back to POOL at WHEN` for the status head line, or nothing.
fn drill_text(drill: &Value) -> String {
    match drill["id"].as_str() {
        Some(id) => format!(
            "  DRILL {id} back to {} at {}",
            drill["home"].as_str().unwrap_or("?"),
            drill["dwell_until"].as_str().unwrap_or("?")
        ),
        None => String::new(),
    }
}

/// A move through the daemon; `None` when no daemon runs.
pub async fn move_via_daemon(
    cfg: &Config,
    service: &str,
    failback: bool,
    mv: MoveRequest,
    out: &Output,
    wait: Duration,
) -> Option<ExitCode> {
    let verb = if failback { "failback" } else { "failover" };
    let path = format!("/v1/services/{service}/{verb}");
    let body = serde_json::to_value(&mv).unwrap_or(Value::Null);
    let (code, reply) =
        match client::call(&cfg.controller.control_socket, "POST", &path, Some(&body)).await {
            Ok(r) => r,
            Err(e) if client::is_no_daemon(&e) => return None,
            Err(e) => return Some(fail_msg(&e.to_string(), 1)),
        };
    match code {
        200 => {
            print!("{}", reply["text"].as_str().unwrap_or_default());
            Some(ExitCode::SUCCESS)
        }
        202 => {
            out.step(
                "accepted",
                &format!("the daemon accepted the {verb} of {service}"),
                json!({ "reply": reply }),
            );
            let target = mv
                .to
                .clone()
                .or_else(|| cfg.service(service).map(|s| s.pools[0].name.clone()))
                .unwrap_or_default();
            Some(follow(cfg, service, &target, out, wait).await)
        }
        c if c < 500 => Some(fail_msg(&error_text(&reply), if c == 409 { 1 } else { 64 })),
        _ => Some(fail_msg(&error_text(&reply), 1)),
    }
}

/// Poll the daemon until the service serves `target` with nothing in flight.
async fn follow(
    cfg: &Config,
    service: &str,
    target: &str,
    out: &Output,
    wait: Duration,
) -> ExitCode {
    let deadline = tokio::time::Instant::now() + wait;
    let mut last = String::new();
    while tokio::time::Instant::now() < deadline {
        if let Ok((200, body)) =
            client::call(&cfg.controller.control_socket, "GET", "/v1/status", None).await
        {
            let s = body["services"]
                .as_array()
                .and_then(|a| a.iter().find(|s| s["service"] == service))
                .cloned()
                .unwrap_or(Value::Null);
            let c = &s["controller"];
            let line = format!(
                "active pool {}, ttl {}s, {}",
                c["active"].as_str().unwrap_or("none"),
                c["ttl"],
                c["phase"]
                    .as_str()
                    .map_or_else(|| c["phase"].to_string(), str::to_string)
            );
            if line != last {
                out.step("progress", &line, json!({ "controller": c }));
                last = line;
            }
            let idle = s["busy"].is_null() && c["phase"].as_str().is_none_or(|p| p == "idle");
            if c["active"] == target && idle {
                out.step(
                    "done",
                    &format!("{service} now serves pool {target}"),
                    json!({}),
                );
                return ExitCode::SUCCESS;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    fail_msg(
        &format!(
            "{service} did not reach pool {target} within {}s; see `rtoguard status` and `rtoguard history {service}`",
            wait.as_secs()
        ),
        1,
    )
}
