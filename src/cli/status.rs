//! `rtoguard status` through the daemon: every service as text or JSON.

use std::process::ExitCode;

use super::shared::fail_msg;
use crate::config::Config;
use crate::control::{Client, DaemonService};

/// `status` through the daemon; `None` when no daemon runs.
pub async fn status(cfg: &Config, only: Option<&str>, as_json: bool) -> Option<ExitCode> {
    let reply = match Client::new(&cfg.controller.control_socket).status().await {
        Ok(r) => r,
        Err(e) if e.is_no_daemon() => return None,
        Err(e) => return Some(fail_msg(&e.to_string(), 1)),
    };
    for s in reply
        .services
        .iter()
        .filter(|s| only.is_none_or(|n| s.service == n))
    {
        if as_json {
            println!("{}", serde_json::to_string(s).unwrap_or_default());
        } else {
            print!("{}", service_text(s));
        }
    }
    Some(ExitCode::SUCCESS)
}

/// One service of `status` as text: a head line, the vantage when impaired,
/// then each pool and its endpoints.
pub(super) fn service_text(s: &DaemonService) -> String {
    use std::fmt::Write;
    let c = &s.controller;
    let mut out = format!(
        "{}  {}  active pool: {}  ttl {}{}{}\n",
        s.service,
        s.record,
        c.active.as_deref().unwrap_or("none"),
        c.ttl.map_or_else(|| "unknown".into(), |t| format!("{t}s")),
        pin_text(c) + &drill_text(c),
        s.provider_error
            .as_ref()
            .map(|e| format!("  PROVIDER DOWN: {e}"))
            .unwrap_or_default()
    );
    // Writing to a String cannot fail.
    if let Some(error) = &s.journal_error {
        let _ = writeln!(
            out,
            "    JOURNAL CANNOT BE WRITTEN: {error}; no provider change until it can"
        );
    }
    if !s.ready && !s.not_ready.is_empty() {
        let _ = writeln!(out, "    not ready: {}", s.not_ready.join("; "));
    }
    if let Some(reason) = &s.vantage.impaired {
        let _ = writeln!(out, "    vantage {}  impaired: {reason}", s.vantage.id);
    }
    for p in &s.pools {
        let _ = writeln!(out, "    pool {:<12} {}", p.name, p.health);
        for e in &p.endpoints {
            let _ = writeln!(
                out,
                "        {:<20} {:<8} {}",
                e.endpoint,
                e.state.to_string(),
                e.local.as_deref().unwrap_or(&e.last)
            );
        }
    }
    out
}

/// `  PINNED by WHO until WHEN: WHY` for the status head line, or nothing.
fn pin_text(c: &crate::controller::Status) -> String {
    match (&c.pin, c.pinned) {
        (Some(pin), true) => format!(
            "  PINNED by {} until {}: {}",
            pin.by,
            pin.until
                .map_or_else(|| "unpinned".into(), crate::controller::format_wall),
            pin.reason
        ),
        (None, true) => "  PINNED".into(),
        _ => String::new(),
    }
}

/// `  DRILL ID back to POOL at WHEN` for the status head line, or nothing.
fn drill_text(c: &crate::controller::Status) -> String {
    match &c.drill {
        Some(d) => format!(
            "  DRILL {} back to {} at {}",
            d.id,
            d.home,
            crate::controller::format_wall(d.dwell_until)
        ),
        None => String::new(),
    }
}
