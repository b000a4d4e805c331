//! The report as one self-contained HTML file: inline CSS and SVG, nothing fetched.

use std::fmt::Write;

use super::clock::{dur, offset};
use super::escape::esc;
use super::svg;
use super::text::{costliest_line, verdict_line};
use super::types::{Report, Verdict};

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:940px;color:#222}\
h1{font-size:1.4em;margin-bottom:.2em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ddd}\
.verdict{padding:.7em 1em;border-radius:6px;font-weight:600;margin:1em 0 .3em}\
.met{background:#e6f4ea;color:#1e5e2b}.missed{background:#fde7e7;color:#8a1c1c}.unknown{background:#eee}\
table{border-collapse:collapse;width:100%}td,th{padding:.25em .6em;text-align:left;border-bottom:1px solid #eee}\
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.late td{background:#fff1f1}\
.chart text{font-size:12px}.chart .label{text-anchor:end}.chart .tick{text-anchor:middle;fill:#666}\
.chart .rto{fill:#d32f2f;font-weight:600}.chart .rec{fill:#222;font-weight:600}\
.chart .val{fill:#333;paint-order:stroke;stroke:#fff;stroke-width:3px}\
.muted{color:#666}";

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "-".into(), offset)
}

/// Render the report as a self-contained HTML page.
pub fn render_html(r: &Report) -> String {
    let mut o = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let title = format!("RTO report: {} {}", r.service, r.incident);
    let _ = write!(
        o,
        "<title>{}</title><style>{CSS}</style></head><body>",
        esc(&title)
    );
    let _ = write!(o, "<h1>{}</h1>", esc(&title));
    let moved = match (&r.from_pool, &r.to_pool) {
        (Some(f), Some(t)) => format!(", traffic moved {f} → {t}"),
        _ => String::new(),
    };
    let _ = write!(
        o,
        "<p class=\"muted\">{} started {}{}</p>",
        esc(r.kind.label()),
        esc(&r.started_at),
        esc(&moved)
    );
    let class = match r.rto.verdict {
        Verdict::Met => "met",
        Verdict::Missed => "missed",
        Verdict::Unknown => "unknown",
    };
    let _ = write!(
        o,
        "<div class=\"verdict {class}\">{}</div>",
        esc(&verdict_line(&r.rto))
    );
    if let Some(c) = costliest_line(r) {
        let _ = write!(o, "<p><strong>{}</strong></p>", esc(&c));
    }
    if let Some(w) = super::window::line(r) {
        let _ = write!(o, "<p>{}</p>", esc(&w));
    }
    o.push_str("<h2>Where the time went</h2>");
    o.push_str(&svg::phases_chart(r));
    if let Some(chart) = svg::resolvers_chart(r) {
        o.push_str("<h2>Resolvers: switch (dot) against predicted deadline (diamond)</h2>");
        o.push_str(&chart);
    }
    timeline(&mut o, r);
    resolvers(&mut o, r);
    paths(&mut o, r);
    if !r.notes.is_empty() {
        o.push_str("<h2>Notes</h2><ul>");
        for n in &r.notes {
            let _ = write!(o, "<li>{}</li>", esc(n));
        }
        o.push_str("</ul>");
    }
    o.push_str("</body></html>\n");
    o
}

fn timeline(o: &mut String, r: &Report) {
    o.push_str("<h2>Timeline</h2><table><tr><th>What</th><th>Offset</th><th>Wall clock (UTC)</th><th>Detail</th></tr>");
    for m in &r.timeline {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&m.label),
            esc(&offset(m.offset_ms)),
            esc(&m.at),
            esc(m.detail.as_deref().unwrap_or(""))
        );
    }
    o.push_str("</table>");
}

fn resolvers(o: &mut String, r: &Report) {
    if r.resolvers.is_empty() {
        return;
    }
    o.push_str("<h2>Resolvers: predicted vs observed</h2><table><tr><th>Resolver</th><th>Address</th><th>Switched</th><th>Predicted</th><th>Basis</th><th>Overstay</th><th></th></tr>");
    for x in &r.resolvers {
        let late = x.kept_past_prediction;
        let _ = write!(
            o,
            "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            if late { " class=\"late\"" } else { "" },
            esc(&x.name),
            esc(&x.addr),
            esc(&x.switched_ms.map_or_else(|| x.state.clone(), offset)),
            esc(&opt(x.predicted_ms)),
            esc(x.prediction_basis.as_deref().unwrap_or("-")),
            esc(&x.overstay_ms.map_or_else(|| "-".into(), dur)),
            if late { "kept the old answer" } else { "" }
        );
    }
    o.push_str("</table>");
}

fn paths(o: &mut String, r: &Report) {
    if !r.authoritatives.is_empty() {
        o.push_str("<h2>Authoritatives</h2><table><tr><th>Server</th><th>Address</th><th>Converged</th><th>State</th><th>Serial</th></tr>");
        for a in &r.authoritatives {
            let serial = a.serial.map_or_else(|| "-".into(), |s| s.to_string());
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{serial}</td></tr>",
                esc(&a.name),
                esc(&a.addr),
                esc(&opt(a.converged_ms)),
                esc(&a.state)
            );
        }
        o.push_str("</table>");
    }
    if !r.clients.is_empty() {
        o.push_str("<h2>Clients</h2><table><tr><th>Through resolver</th><th>Reached new pool</th><th>Requests</th><th>Failed</th><th>Old pool</th></tr>");
        for c in &r.clients {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&c.resolver),
                esc(&opt(c.reached_ms)),
                c.requests,
                c.failed,
                c.old_pool
            );
        }
        o.push_str("</table>");
        if let Some(l) = super::window::clients_line(r) {
            let _ = write!(o, "<p class=\"muted\">{}</p>", esc(&l));
        }
    }
}
