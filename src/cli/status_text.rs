//! `rtoguard status` printed: JSON lines, or as text a head line per service, then what needs a
//! person's eye (provider, journal, readiness, vantage, quorum, peers), then
//! each pool with its votes and endpoints.

use std::fmt::Write;

use super::status::{Source, StatusView};
use crate::control::ServicePool;
use crate::controller::{Status, format_wall};
use crate::peers::PeerStatus;

/// Print the views as JSON lines or text.
pub(super) fn print(views: &[StatusView], as_json: bool) {
    for v in views {
        if as_json {
            outln!("{}", serde_json::to_string(v).unwrap_or_default());
        } else {
            out!("{}", service_text(v));
        }
    }
}

/// One service of `status` as text. Writing to a String cannot fail, so
/// the results of `writeln!` are ignored.
pub(super) fn service_text(v: &StatusView) -> String {
    let s = &v.service;
    let c = &s.controller;
    let mut out = format!(
        "{}  {}  active pool: {}  ttl {}{}{}{}\n",
        s.service,
        s.record,
        c.active.as_deref().unwrap_or("none"),
        ttl_text(v),
        pin_text(c),
        drill_text(c),
        risk_text(c),
    );
    let _ = writeln!(out, "    {}", provider_text(v));
    if let Some(g) = &c.gradual {
        let _ = writeln!(out, "    {}", gradual_text(g));
    }
    if let Some(e) = &c.evacuation {
        let _ = writeln!(out, "    {}", super::evacuate::evacuation_text(e));
    }
    if let Some(error) = &s.journal_error {
        let _ = writeln!(
            out,
            "    JOURNAL CANNOT BE WRITTEN: {error}; no provider change until it can"
        );
    }
    if v.source == Source::Daemon && !s.ready && !s.not_ready.is_empty() {
        let _ = writeln!(out, "    not ready: {}", s.not_ready.join("; "));
    }
    if let Some(reason) = &s.vantage.impaired {
        let _ = writeln!(out, "    vantage {}  impaired: {reason}", s.vantage.id);
    }
    if s.short_of_quorum {
        let _ = writeln!(
            out,
            "    short of quorum: too few vantages heard from recently; automation holds"
        );
    }
    if let Some(peers) = &s.peers {
        let _ = writeln!(out, "    peers: {}", peers_text(peers));
    }
    for p in &s.pools {
        pool_text(&mut out, p, v.source);
    }
    out
}

/// `60s (configured 300s)`: the served TTL against the configured one.
fn ttl_text(v: &StatusView) -> String {
    let want = v.configured_ttl;
    match v.service.controller.ttl {
        None => format!("unknown (configured {}s)", want.normal),
        Some(t) if t == want.normal => format!("{t}s (as configured)"),
        Some(t) if t == want.lowered => format!("{t}s (lowered; configured {}s)", want.normal),
        Some(t) => format!("{t}s (configured {}s)", want.normal),
    }
}

/// Whether the provider answered, and from whose reading.
fn provider_text(v: &StatusView) -> String {
    let s = &v.service;
    let reading = match (&s.provider_error, v.source) {
        (Some(e), _) => format!("PROVIDER DOWN: {e}"),
        (None, Source::Daemon) => "reachable (read by the daemon)".into(),
        (None, Source::Provider) => match &v.served_values {
            Some(values) if !values.is_empty() => {
                format!("reachable; serves {}", values.join(", "))
            }
            _ => "reachable; serves nothing".into(),
        },
    };
    let busy = s
        .busy
        .as_ref()
        .map(|b| format!("; in flight: {b}"))
        .unwrap_or_default();
    format!("provider {}: {reading}{busy}", s.provider)
}

/// `eu-west-1 1.2s ago, us-west-2 never heard from (connection refused)`.
fn peers_text(peers: &[PeerStatus]) -> String {
    if peers.is_empty() {
        return "none".into();
    }
    let one = |p: &PeerStatus| {
        let age = p.age_ms.map_or_else(
            || "never heard from".to_string(),
            |ms| format!("heard {:.1}s ago", ms as f64 / 1e3),
        );
        let error = p
            .last_error
            .as_ref()
            .map(|e| format!(" (last error: {e})"))
            .unwrap_or_default();
        format!("{} {age}{error}", p.id)
    };
    peers.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// A pool: its health, the votes per vantage when there are peers, and
/// its endpoints as this vantage sees them.
fn pool_text(out: &mut String, p: &ServicePool, source: Source) {
    let health = match source {
        Source::Daemon => p.health.to_string(),
        Source::Provider => "not probed (no daemon)".into(),
    };
    let _ = writeln!(out, "    pool {:<12} {health}", p.name);
    if let Some(q) = &p.quorum {
        let list = |v: &[String]| {
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(" ")
            }
        };
        let _ = writeln!(
            out,
            "        votes: up {}; down {}; suspect {}; stale {}  ({} of {} vantages heard from, quorum {})",
            list(&q.up),
            list(&q.down),
            list(&q.suspect),
            list(&q.stale),
            q.fresh,
            q.vantages,
            q.quorum,
        );
    }
    for e in &p.endpoints {
        let _ = match source {
            Source::Daemon => writeln!(
                out,
                "        {:<20} {:<8} {}",
                e.endpoint,
                e.state.to_string(),
                e.local.as_deref().unwrap_or(&e.last)
            ),
            Source::Provider => writeln!(out, "        {}", e.endpoint),
        };
    }
}

/// `  PINNED by WHO until WHEN: WHY` for the status head line, or nothing.
fn pin_text(c: &Status) -> String {
    match (&c.pin, c.pinned) {
        (Some(pin), true) => format!(
            "  PINNED by {} until {}: {}",
            pin.by,
            pin.until.map_or_else(|| "unpinned".into(), format_wall),
            pin.reason
        ),
        (None, true) => "  PINNED".into(),
        _ => String::new(),
    }
}

/// `  RISK WINDOW until WHEN (by WHO): WHY` for the status head line
/// (`  RISK: shared with S's incident` for a window another service's
/// incident opened), or nothing.
fn risk_text(c: &Status) -> String {
    match &c.risk {
        Some(w) if w.shared_with.is_some() => format!("  RISK: {}", w.reason),
        Some(w) => format!(
            "  RISK WINDOW until {} (by {}): {}",
            format_wall(w.until),
            w.by,
            w.reason
        ),
        None => String::new(),
    }
}

/// `  DRILL ID back to POOL at WHEN` for the status head line, or nothing.
fn drill_text(c: &Status) -> String {
    match &c.drill {
        Some(d) => format!(
            "  DRILL {} back to {} at {}",
            d.id,
            d.home,
            format_wall(d.dwell_until)
        ),
        None => String::new(),
    }
}

/// The controller's phase (`controller.phase` in the JSON) in words.
pub(super) fn phase_words(phase: &str) -> &str {
    match phase {
        "idle" => "idle",
        "setting_ttl" => "changing the TTL",
        "draining" => "waiting for caches to drop the old TTL",
        "flipping" => "flipping",
        "rereading" => "re-reading the provider",
        "backoff" => "waiting to retry the provider",
        "writer_wait" => "waiting for the first writer (decides again when the wait ends)",
        "adopting" => "adopting another controller's flip into the records served here",
        "gradual" => "failing back gradually",
        other => other,
    }
}

/// `failing back gradually: step 2 of 3 (50 %), next step in 1m40s`.
pub(super) fn gradual_text(g: &crate::controller::GradualStatus) -> String {
    let head = gradual_head(g);
    match g.next_step_in_secs {
        Some(s) => {
            let ms = i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
            format!(
                "{head}, next step in {}",
                crate::report::format_duration(ms)
            )
        }
        None => format!("{head}, being written"),
    }
}

/// `failing back gradually: step 2 of 3 (50 %)`.
pub(super) fn gradual_head(g: &crate::controller::GradualStatus) -> String {
    format!(
        "failing back gradually: step {} of {} ({} %)",
        g.step, g.of, g.weight
    )
}
