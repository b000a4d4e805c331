//! `run`, `agent`, `drill`, `pin`, `unpin`, and the daemon path of
//! `failover` and `failback` (through the control socket).

use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use super::shared::{fail_msg, load};
use super::{ConfigArg, DrillArgs, RunArgs};
use crate::config::Config;
use crate::control::{Client, ClientError, DrillRequest, MoveRequest, ReplyBody, Request, client};
use crate::ops::Output;

pub async fn run(a: &RunArgs) -> ExitCode {
    match crate::config::load_checked(&a.config.config) {
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(64);
        }
        // What `check` warns about: the daemon runs, and says so once.
        Ok(cfg) => {
            for w in &cfg.warnings {
                let (field, reason) = (&w.field, &w.message);
                tracing::warn!(field, line = w.line, reason, "Config warning.");
            }
        }
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
    // A config error for an agent, which exists to serve its observations.
    if cfg.controller.peer_listen.is_none() {
        return fail_msg(
            "an agent serves its observations: set controller.peer_listen (and peer_token_file)",
            64,
        );
    }
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
        return fail_msg(&format!("no service \"{}\" in the config", a.service), 64);
    }
    if !a.yes && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return fail_msg(
            "refusing to start a drill without confirmation: standard input is not a terminal; pass --yes",
            64,
        );
    }
    let request = Request::Drill {
        service: a.service.clone(),
        drill: DrillRequest {
            to: a.to.clone(),
            simulate_fault: a.simulate_fault,
            dwell_secs: a.dwell.as_secs(),
        },
    };
    let out = Output::new(a.json);
    listen_for_ctrl_c();
    let started = match Client::new(&cfg.controller.control_socket)
        .ask(&request)
        .await
    {
        Ok(ReplyBody::Drill(d)) => d,
        Ok(_) => return fail_msg("the daemon answered a drill with something else", 1),
        Err(e @ ClientError::Refused { status, .. }) => {
            return fail_msg(&e.to_string(), if status < 500 { 64 } else { 1 });
        }
        Err(e) => return fail_msg(&format!("{e}; a drill needs the running daemon"), 1),
    };
    let id = started.drill.clone();
    out.step(
        "drill",
        &format!(
            "drill {id} started: {} -> {}, failing back {}s after the move (after draining the TTL)",
            started.from,
            started.to,
            a.dwell.as_secs()
        ),
        json!({ "reply": started }),
    );
    let svc = cfg.service(&a.service).cloned();
    let wait = a
        .dwell
        .saturating_add(svc.as_ref().map_or(Duration::from_secs(600), |s| {
            Duration::from_secs(u64::from(s.ttl.normal) * 2)
                .saturating_add(s.ttl.restore_after)
                .saturating_add(Duration::from_secs(60))
        }));
    let code = follow(&cfg, &a.service, &started.to, &out, wait).await;
    if code != ExitCode::SUCCESS {
        return code;
    }
    let code = follow(&cfg, &a.service, &started.from, &out, wait).await;
    out.step(
        "drill",
        &format!("drill over; its report: rtoguard report {id}"),
        json!({ "drill": id }),
    );
    code
}

/// `pin` (with its body: reason and duration) or `unpin` (no body) through the daemon.
pub async fn pin(service: &str, config: &ConfigArg, body: Option<Value>, json: bool) -> ExitCode {
    let cfg = match load(&config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let verb = if body.is_some() { "pin" } else { "unpin" };
    let path = format!("/v1/services/{service}/{verb}");
    match client::call(&cfg.controller.control_socket, "POST", &path, body.as_ref()).await {
        Ok((code, reply)) if code < 300 => {
            if json {
                let pinned = verb == "pin";
                outln!(
                    "{}",
                    json!({ "service": service, "pinned": pinned, "reply": reply })
                );
            } else {
                outln!("{service}: {verb}ned");
            }
            ExitCode::SUCCESS
        }
        Ok((code, body)) => fail_msg(&error_text(&body), if code < 500 { 64 } else { 1 }),
        Err(e) => fail_msg(&format!("{e}; {verb} needs the running daemon"), 1),
    }
}

fn error_text(body: &Value) -> String {
    body.get("error")
        .and_then(Value::as_str)
        .map_or_else(|| body.to_string(), str::to_string)
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
    listen_for_ctrl_c();
    let verb = if failback { "failback" } else { "failover" };
    let service_name = service.to_string();
    let target = mv
        .to
        .clone()
        .or_else(|| cfg.service(service).map(|s| s.pools[0].name.clone()))
        .unwrap_or_default();
    let request = if failback {
        Request::Failback {
            service: service_name,
            mv,
        }
    } else {
        Request::Failover {
            service: service_name,
            mv,
        }
    };
    match Client::new(&cfg.controller.control_socket)
        .ask(&request)
        .await
    {
        Ok(ReplyBody::DryRun(plan)) => {
            out!("{}", plan.text);
            Some(ExitCode::SUCCESS)
        }
        Ok(reply) => {
            let actions = match &reply {
                ReplyBody::Accepted(a) if !a.actions.is_empty() => {
                    format!(": {}", a.actions.join("; "))
                }
                _ => String::new(),
            };
            out.step(
                "accepted",
                &format!("the daemon accepted the {verb} of {service}{actions}"),
                json!({ "reply": reply }),
            );
            Some(follow(cfg, service, &target, out, wait).await)
        }
        Err(e) if e.is_no_daemon() => None,
        Err(e @ ClientError::Refused { status, .. }) => {
            let code = if status == 409 || status >= 500 {
                1
            } else {
                64
            };
            Some(fail_msg(&e.to_string(), code))
        }
        Err(e) => Some(fail_msg(&e.to_string(), 1)),
    }
}

/// Follow the daemon's status until the service serves `target` with
/// nothing in flight, printing each change of its progress.
async fn follow(
    cfg: &Config,
    service: &str,
    target: &str,
    out: &Output,
    wait: Duration,
) -> ExitCode {
    let mut last = String::new();
    let mut gradual = false;
    let client = Client::new(&cfg.controller.control_socket);
    let reached = client.wait_until(wait, POLL, |reply| {
        let s = reply.service(service)?;
        let c = &s.controller;
        let phase = match &c.gradual {
            Some(g) => super::status_text::gradual_head(g),
            None => super::status_text::phase_words(&c.phase).to_string(),
        };
        let line = format!(
            "active pool {}, ttl {}, {phase}",
            c.active.as_deref().unwrap_or("none"),
            c.ttl.map_or_else(|| "unknown".into(), |t| format!("{t}s")),
        );
        if line != last {
            out.step("progress", &line, json!({ "controller": c }));
            last = line;
        }
        // A gradual failback that ended elsewhere rolled back (or stopped).
        gradual |= c.gradual.is_some();
        let ended = gradual && c.gradual.is_none() && c.phase == "idle";
        match s.settled_on(target) {
            true => Some(Ok(())),
            false if ended => Some(Err(())),
            false => None,
        }
    });
    // Ctrl-C stops following, not the daemon, which goes on with the move.
    let reached = tokio::select! {
        r = reached => r,
        _ = interrupted() => {
            let msg = format!("Ctrl-C: stopped following; the daemon goes on (rtoguard status {service})");
            out.step("interrupt", &msg, json!({}));
            return ExitCode::from(130);
        }
    };
    match reached {
        Ok(Err(())) => fail_msg(
            &format!(
                "the gradual failback of {service} to pool {target} did not complete (rolled back or stopped); see `rtoguard history {service}`"
            ),
            1,
        ),
        Ok(Ok(())) => {
            out.step(
                "done",
                &format!("{service} now serves pool {target}"),
                json!({}),
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail_msg(
            &format!(
                "{service} did not reach pool {target} within {}s; see `rtoguard status` and `rtoguard history {service}`",
                e.limit.as_secs()
            ),
            1,
        ),
    }
}

/// Resolves at SIGINT once [`listen_for_ctrl_c`] has been called.
async fn interrupted() {
    let rx = CTRL_C.get().cloned();
    match rx {
        Some(mut rx) => {
            let _ = rx.wait_for(|pressed| *pressed).await;
        }
        None => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Ctrl-C, caught from when a command starts to talk to the daemon (so a
/// press right after the daemon answered is not the default kill).
static CTRL_C: std::sync::OnceLock<tokio::sync::watch::Receiver<bool>> = std::sync::OnceLock::new();

/// Start catching SIGINT for [`interrupted`].
pub fn listen_for_ctrl_c() {
    let (tx, rx) = tokio::sync::watch::channel(false);
    if CTRL_C.set(rx).is_err() {
        return;
    }
    // Registered here, at once; a task waits for it.
    let Ok(mut sigint) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
    else {
        return;
    };
    tokio::spawn(async move {
        if sigint.recv().await.is_some() {
            let _ = tx.send(true);
        }
    });
}

/// How often a command that follows the daemon reads its status.
const POLL: Duration = Duration::from_millis(250);
