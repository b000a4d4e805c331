//! `rtoguard watch`: propagation timing on its own.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::WatchArgs;
use super::shared::{fail_msg, load};
use crate::propagation::{self, EndReason, PathState, Server, WatchSpec};

/// `ADDR` or `ADDR:PORT` (port 53 by default).
fn server(s: &str) -> Result<Server, String> {
    let addr = s
        .parse::<SocketAddr>()
        .or_else(|_| {
            s.parse::<std::net::IpAddr>()
                .map(|ip| SocketAddr::new(ip, 53))
        })
        .map_err(|_| {
            format!("\"{s}\" is not an address: give ADDR or ADDR:PORT, e.g. 127.0.0.1:5353")
        })?;
    Ok(Server {
        name: s.to_string(),
        addr,
    })
}

pub async fn run(a: &WatchArgs) -> ExitCode {
    let rtype: hickory_proto::rr::RecordType = match a.rtype.to_ascii_uppercase().parse() {
        Ok(t) => t,
        Err(_) => return fail_msg(&format!("unknown record type \"{}\"", a.rtype), 64),
    };
    let name = rtoguard_provider_api::normalize_name(&a.name);
    let expected: Vec<&str> = a.expect.iter().map(String::as_str).collect();
    let mut spec = WatchSpec::new(
        &name,
        rtype,
        &expected,
        a.zone.as_deref().unwrap_or_else(|| parent(&name)),
    );
    spec.deadline = a.timeout;
    // Resolvers, authoritatives and the client check default to the config's:
    // the one named, else the installed one when it exists.
    let default = std::path::Path::new("/etc/rtoguard/config.toml");
    let config = a
        .config
        .clone()
        .or_else(|| default.exists().then(|| default.to_path_buf()));
    if let Some(path) = &config {
        let cfg = match load(path) {
            Ok(c) => c,
            Err(code) => return code,
        };
        if let Some(svc) = cfg.services.iter().find(|s| s.record == name) {
            let to = svc.pools.iter().find(|p| {
                p.endpoints.iter().all(|e| {
                    a.expect
                        .iter()
                        .any(|x| rtoguard_provider_api::normalize_value(svc.rtype, x) == *e)
                })
            });
            let mv = crate::engine::watch::Move::now(to.map_or("", |p| p.name.as_str()));
            let from_cfg = crate::engine::watch::spec_from_config(&cfg, svc, &mv);
            spec.zone = a.zone.clone().unwrap_or(from_cfg.zone);
            spec.resolvers = from_cfg.resolvers;
            spec.authoritatives = from_cfg.authoritatives;
            spec.client = from_cfg.client;
            spec.queries_per_second = from_cfg.queries_per_second;
        }
    }
    for (list, given) in [
        (&mut spec.resolvers, &a.resolvers),
        (&mut spec.authoritatives, &a.authoritatives),
    ] {
        if !given.is_empty() {
            match given
                .iter()
                .map(|s| server(s))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(v) => *list = v,
                Err(e) => return fail_msg(&e, 64),
            }
        }
    }
    if spec.resolvers.is_empty() && spec.authoritatives.is_empty() {
        return fail_msg(
            "nothing to watch: give --resolver or --authoritative (or a config whose service has them)",
            64,
        );
    }
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c.cancel();
        }
    });
    let (tx, rx) = mpsc::channel(64);
    let render =
        (!a.json).then(|| propagation::render_progress(rx, std::io::stdout().is_terminal()));
    let outcome = propagation::watch(spec, cancel, render.is_some().then_some(tx)).await;
    if let Some(r) = render {
        let _ = r.await;
    }
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&outcome).unwrap_or_default()
        );
    } else {
        outln!("{}: {}", outcome.name, outcome.end);
        for o in &outcome.authoritatives {
            outln!(
                "  authoritative {:<22} {:<14} {}",
                o.name,
                state_words(o.state),
                o.converged_ms.map_or("-".into(), |m| format!(
                    "+{:.1}s serial {}",
                    m as f64 / 1e3,
                    o.serial.unwrap_or(0)
                ))
            );
        }
        for o in &outcome.resolvers {
            outln!(
                "  resolver      {:<22} {:<14} {}",
                o.name,
                state_words(o.state),
                o.switched_ms
                    .map_or("-".into(), |m| format!("+{:.1}s", m as f64 / 1e3))
            );
        }
        if !outcome.outstanding.is_empty() {
            outln!("  outstanding: {}", outcome.outstanding.join(", "));
        }
    }
    match outcome.end {
        EndReason::Converged => ExitCode::SUCCESS,
        EndReason::Cancelled => ExitCode::from(130),
        _ => ExitCode::from(1),
    }
}

/// Where a path stood when the watch ended, in words.
fn state_words(s: PathState) -> &'static str {
    match s {
        PathState::Converged => "converged",
        PathState::Old => "still old",
        PathState::Failing => "failing",
        PathState::NoAnswer => "no answer yet",
        PathState::NotAsked => "not asked",
    }
}

fn parent(name: &str) -> &str {
    name.split_once('.')
        .map_or(name, |(_, rest)| if rest.is_empty() { name } else { rest })
}
