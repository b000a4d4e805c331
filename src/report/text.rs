//! The report as plain text, at most 100 columns: for a terminal and an incident ticket.

use std::fmt::Write;

use super::clock::{dur, offset};
use super::types::{MeasuredTo, Report, RtoResult, Verdict};

const WIDTH: usize = 100;
const BAR: usize = 36;

/// Cut `s` to `w` characters, marking the cut with `...`.
pub(super) fn cut(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

/// Wrap words to `WIDTH` columns, the first line after `first`, the rest after `rest`.
fn wrap(out: &mut String, first: &str, rest: &str, text: &str) {
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let word = cut(word, WIDTH - rest.len());
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(&word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}

/// One line saying met / missed / unknown, and by how much.
pub fn verdict_line(r: &RtoResult) -> String {
    let obj = dur(r.objective_ms);
    let to = match r.measured_to {
        MeasuredTo::NotReached => String::new(),
        m => format!(" (to {})", m.label()),
    };
    match (r.verdict, r.achieved_ms, r.margin_ms) {
        (Verdict::Met, Some(a), Some(m)) => {
            format!(
                "RTO MET: recovered in {}{to}; objective {obj}, {} to spare",
                dur(a),
                dur(m)
            )
        }
        (Verdict::Missed, Some(a), Some(m)) => {
            format!(
                "RTO MISSED by {}: recovered in {}{to}; objective {obj}",
                dur(-m),
                dur(a)
            )
        }
        (Verdict::Missed, None, Some(m)) => format!(
            "RTO MISSED by at least {}: not recovered while watched; objective {obj}",
            dur(-m)
        ),
        _ => format!("RTO UNKNOWN: recovery not observed before the watch ended; objective {obj}"),
    }
}

/// The costliest phase in words, if any.
pub fn costliest_line(r: &Report) -> Option<String> {
    let name = r.rto.costliest?;
    let p = r.phase(name)?;
    let total = r.phases.last().map_or(0, |l| l.end_ms);
    let share = (total > 0).then(|| format!(", {}% of the recovery", p.duration_ms * 100 / total));
    Some(format!(
        "Costliest phase: {} ({}{})",
        name.label(),
        dur(p.duration_ms),
        share.unwrap_or_default()
    ))
}

/// Render the report as text.
pub fn render_text(r: &Report) -> String {
    let mut o = String::new();
    let head = format!(
        "RTO report: {} {}, {}",
        r.service,
        r.kind.label(),
        r.incident
    );
    o.push_str(&cut(&head, WIDTH));
    o.push('\n');
    let moved = match (&r.from_pool, &r.to_pool) {
        (Some(f), Some(t)) => format!("; traffic moved {f} -> {t}"),
        (Some(f), None) => format!("; pool {f}, no flip"),
        _ => String::new(),
    };
    wrap(
        &mut o,
        "",
        "  ",
        &format!("Started {}{moved}", r.started_at),
    );
    wrap(&mut o, "", "  ", &verdict_line(&r.rto));
    if let Some(w) = super::window::line(r) {
        wrap(&mut o, "", "  ", &w);
    }
    if let Some(k) = super::risk::line(r) {
        wrap(&mut o, "", "  ", &k);
    }
    if let Some(c) = costliest_line(r) {
        wrap(&mut o, "", "  ", &c);
    }
    timeline(&mut o, r);
    phases(&mut o, r);
    resolvers(&mut o, r);
    paths(&mut o, r);
    if !r.notes.is_empty() {
        o.push_str("\nNOTES\n");
        for n in &r.notes {
            wrap(&mut o, "- ", "  ", n);
        }
    }
    o
}

/// The width of a name column: `min`, or wider to fit the longest name and
/// a space, up to `max` (what the row's other columns leave of the page).
fn name_width<'a>(names: impl Iterator<Item = &'a String>, min: usize, max: usize) -> usize {
    let longest = names.map(|n| n.chars().count() + 1).max();
    longest.unwrap_or(min).clamp(min, max)
}

/// One row of a table: `name` in a column of `w`, then `rest`. A name too
/// long for its column (a record group's `ns1 www.example.com. CNAME`) goes
/// whole on a line of its own, and the row follows with the column blank.
fn row(o: &mut String, name: &str, w: usize, rest: &str) {
    if name.chars().count() >= w {
        wrap(o, "", "  ", name);
        let _ = writeln!(o, "{}", format!("{:w$}{rest}", "").trim_end());
    } else {
        let _ = writeln!(o, "{}", format!("{name:<w$}{rest}").trim_end());
    }
}

/// Words of `text` in lines of at most `w` characters.
fn lines(text: &str, w: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word = cut(word, w);
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > w {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    out.push(line);
    out
}

fn timeline(o: &mut String, r: &Report) {
    const LEAD: usize = 65;
    let _ = writeln!(
        o,
        "\n{:<28}{:>9}  {:<26}DETAIL",
        "TIMELINE", "OFFSET", "WALL CLOCK (UTC)"
    );
    for m in &r.timeline {
        let detail = lines(m.detail.as_deref().unwrap_or(""), WIDTH - LEAD);
        let first = format!(
            "{:<28}{:>9}  {:<26}{}",
            cut(&m.label, 27),
            offset(m.offset_ms),
            m.at,
            detail[0]
        );
        let _ = writeln!(o, "{}", first.trim_end());
        for more in &detail[1..] {
            let _ = writeln!(o, "{:LEAD$}{more}", "");
        }
    }
}

fn phases(o: &mut String, r: &Report) {
    if r.phases.is_empty() {
        return;
    }
    let total = r.phases.last().map_or(0, |p| p.end_ms).max(1);
    let _ = writeln!(
        o,
        "\n{:<28}{:>9}{:>7}  SHARE OF THE RECOVERY",
        "PHASES", "TOOK", "%"
    );
    for p in &r.phases {
        let lead = usize::try_from(p.start_ms * BAR as i64 / total).unwrap_or(0);
        let len = usize::try_from(p.duration_ms * BAR as i64 / total).unwrap_or(0);
        let bar = format!("{}{}", ".".repeat(lead), "#".repeat(len.max(1)));
        let pct = p.duration_ms * 100 / total;
        let line = format!(
            "{:<28}{:>9}{:>6}%  |{bar}",
            p.name.label(),
            dur(p.duration_ms),
            pct
        );
        let _ = writeln!(o, "{line}");
    }
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "-".into(), offset)
}

fn resolvers(o: &mut String, r: &Report) {
    if r.resolvers.is_empty() {
        return;
    }
    // The other columns take 84 of the 100: the name column stays 16.
    let _ = writeln!(
        o,
        "\n{:<16}{:<20}{:>10}{:>11}  {:<15}{:>9}  FLAG",
        "RESOLVERS", "ADDRESS", "SWITCHED", "PREDICTED", "BASIS", "OVERSTAY"
    );
    for x in &r.resolvers {
        let switched = x.switched_ms.map_or_else(|| x.state.clone(), offset);
        let over = x.overstay_ms.map_or_else(|| "-".into(), dur);
        let flag = if x.kept_past_prediction {
            "KEPT OLD ANSWER"
        } else {
            ""
        };
        let basis = x.prediction_basis.as_deref().unwrap_or("-");
        let rest = format!(
            "{:<20}{:>10}{:>11}  {:<15}{:>9}  {flag}",
            cut(&x.addr, 19),
            switched,
            opt(x.predicted_ms),
            cut(basis, 14),
            over
        );
        row(o, &x.name, 16, &rest);
    }
    if let Some(s) = &r.resolver_spread {
        let _ = writeln!(
            o,
            "  {} of {} converged: p50 {}, p95 {}, max {}",
            s.converged,
            s.watched,
            offset(s.p50_ms),
            offset(s.p95_ms),
            offset(s.max_ms)
        );
    }
}

fn paths(o: &mut String, r: &Report) {
    if !r.authoritatives.is_empty() {
        // The other columns take 56 of the 100 (a serial has 10 digits).
        let w = name_width(r.authoritatives.iter().map(|a| &a.name), 18, 44);
        let _ = writeln!(
            o,
            "\n{:<w$}{:<22}{:>10}  {:<12}SERIAL",
            "AUTHORITATIVES", "ADDRESS", "CONVERGED", "STATE"
        );
        for a in &r.authoritatives {
            let serial = a.serial.map_or_else(|| "-".into(), |s| s.to_string());
            let rest = format!(
                "{:<22}{:>10}  {:<12}{serial}",
                cut(&a.addr, 21),
                opt(a.converged_ms),
                cut(&a.state, 11)
            );
            row(o, &a.name, w, &rest);
        }
    }
    if !r.clients.is_empty() {
        let _ = writeln!(
            o,
            "\n{:<40}{:>10}{:>10}{:>8}{:>10}",
            "CLIENTS (THROUGH RESOLVER)", "REACHED", "REQUESTS", "FAILED", "OLD POOL"
        );
        for c in &r.clients {
            let _ = writeln!(
                o,
                "{:<40}{:>10}{:>10}{:>8}{:>10}",
                cut(&c.resolver, 39),
                opt(c.reached_ms),
                c.requests,
                c.failed,
                c.old_pool
            );
        }
        if let Some(l) = super::window::clients_line(r) {
            wrap(o, "  ", "  ", &l);
        }
    }
}
