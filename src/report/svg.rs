//! Inline SVG charts: the phases on a time axis with the RTO as a line, and
//! each resolver's switch against its predicted deadline.

use std::fmt::Write;

use super::clock::dur;
use super::escape::esc;
use super::types::{PhaseName, Report};

const W: i64 = 880;
const LEFT: i64 = 200;
const RIGHT: i64 = 60;
const ROW: i64 = 28;
const TOP: i64 = 40;
const AXIS: i64 = 30;

/// Milliseconds to x pixels, shared by both charts so they line up.
struct Scale {
    max_ms: i64,
}

impl Scale {
    fn of(r: &Report) -> Self {
        let mut m = r
            .rto
            .objective_ms
            .max(r.phases.last().map_or(0, |p| p.end_ms));
        for x in &r.resolvers {
            m = m
                .max(x.switched_ms.unwrap_or(0))
                .max(x.predicted_ms.unwrap_or(0));
        }
        Self {
            max_ms: (m + m / 12).max(1000),
        }
    }

    fn x(&self, ms: i64) -> i64 {
        LEFT + ms.clamp(0, self.max_ms) * (W - LEFT - RIGHT) / self.max_ms
    }

    /// A tick step that gives at most 8 ticks.
    fn step(&self) -> i64 {
        const STEPS: [i64; 16] = [
            100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
            600_000, 900_000, 1_800_000, 3_600_000,
        ];
        STEPS
            .into_iter()
            .find(|s| self.max_ms / s <= 8)
            .unwrap_or(self.max_ms / 8 + 1)
    }
}

fn color(p: PhaseName) -> &'static str {
    match p {
        PhaseName::Detection => "#e8a33d",
        PhaseName::TtlDrain => "#c9b037",
        PhaseName::ProviderApply => "#5b8def",
        PhaseName::Authoritative => "#7a5bd6",
        PhaseName::ResolverCaches => "#2fa3a3",
        PhaseName::Clients => "#4caf50",
    }
}

/// The time axis and its grid, drawn under the data.
fn grid(o: &mut String, s: &Scale, height: i64) {
    let base = height - AXIS;
    let step = s.step();
    let mut t = 0;
    while t <= s.max_ms {
        let x = s.x(t);
        let label = if t == 0 { "0".into() } else { dur(t) };
        let _ = write!(
            o,
            r##"<line x1="{x}" y1="{TOP}" x2="{x}" y2="{base}" stroke="#eee"/><text x="{x}" y="{}" class="tick">{}</text>"##,
            base + 16,
            esc(&label)
        );
        t += step;
    }
    let _ = write!(
        o,
        r##"<line x1="{LEFT}" y1="{base}" x2="{}" y2="{base}" stroke="#888"/>"##,
        W - RIGHT
    );
}

/// A labelled vertical line at `ms`, drawn over the data.
fn marker(o: &mut String, s: &Scale, height: i64, ms: i64, label: &str, style: &str) {
    let x = s.x(ms);
    let _ = write!(
        o,
        r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" {style}><title>{}</title></line>"#,
        TOP - 8,
        height - AXIS,
        esc(label)
    );
}

/// A label over a marker line at `x`, `up` pixels above the plot: centred,
/// or pushed to one side where it would leave the chart.
fn top_label(o: &mut String, x: i64, up: i64, class: &str, label: &str) {
    let half = 4 * label.chars().count() as i64;
    let (x, anchor) = if x + half > W {
        (x - 4, "end")
    } else if x - half < 0 {
        (x + 4, "start")
    } else {
        (x, "middle")
    };
    let _ = write!(
        o,
        r#"<text x="{x}" y="{}" class="{class}" text-anchor="{anchor}">{}</text>"#,
        TOP - up,
        esc(label)
    );
}

/// The RTO as a dashed red line with its label on top.
fn rto_line(o: &mut String, s: &Scale, r: &Report, height: i64) {
    let label = format!("RTO {}", dur(r.rto.objective_ms));
    let style = r##"stroke="#d32f2f" stroke-width="2" stroke-dasharray="6 4""##;
    marker(o, s, height, r.rto.objective_ms, &label, style);
    top_label(o, s.x(r.rto.objective_ms), 12, "rto", &label);
}

/// The achieved recovery as a solid line, labelled above the RTO's label.
fn recovered_line(o: &mut String, s: &Scale, r: &Report, height: i64) {
    let Some(a) = r.rto.achieved_ms else { return };
    let label = format!("recovered +{}", dur(a));
    marker(
        o,
        s,
        height,
        a,
        &label,
        r##"stroke="#222" stroke-width="1.5""##,
    );
    top_label(o, s.x(a), 28, "rec", &label);
}

/// A horizontal bar per phase on the time axis, and the RTO line.
pub fn phases_chart(r: &Report) -> String {
    let s = Scale::of(r);
    let height = TOP + ROW * r.phases.len().max(1) as i64 + AXIS;
    let mut o = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img" aria-label="Phases of the recovery against the RTO">"#
    );
    grid(&mut o, &s, height);
    for (i, p) in r.phases.iter().enumerate() {
        let y = TOP + ROW * i as i64;
        let (x0, x1) = (s.x(p.start_ms), s.x(p.end_ms));
        let tip = format!(
            "{}: {} (+{} to +{})",
            p.name.label(),
            dur(p.duration_ms),
            dur(p.start_ms),
            dur(p.end_ms)
        );
        let _ = write!(
            o,
            r#"<text x="{}" y="{}" class="label">{}</text><rect x="{x0}" y="{}" width="{}" height="18" rx="3" fill="{}"><title>{}</title></rect><text x="{}" y="{}" class="val">{}</text>"#,
            LEFT - 8,
            y + 14,
            esc(p.name.label()),
            y + 1,
            (x1 - x0).max(2),
            color(p.name),
            esc(&tip),
            x1.max(x0 + 2) + 4,
            y + 14,
            esc(&dur(p.duration_ms))
        );
    }
    recovered_line(&mut o, &s, r, height);
    rto_line(&mut o, &s, r, height);
    o.push_str("</svg>");
    o
}

/// A row per resolver: a dot at its switch, a mark at its predicted deadline.
pub fn resolvers_chart(r: &Report) -> Option<String> {
    if r.resolvers.is_empty() {
        return None;
    }
    let s = Scale::of(r);
    let height = TOP + ROW * r.resolvers.len() as i64 + AXIS;
    let mut o = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img" aria-label="Resolvers: switch time against predicted deadline">"#
    );
    grid(&mut o, &s, height);
    for (i, x) in r.resolvers.iter().enumerate() {
        let y = TOP + ROW * i as i64 + 10;
        let _ = write!(
            o,
            r#"<text x="{}" y="{}" class="label">{}</text>"#,
            LEFT - 8,
            y + 4,
            esc(&x.name)
        );
        if let Some(p) = x.predicted_ms {
            let px = s.x(p);
            let tip = format!("{} predicted by +{}", x.name, dur(p));
            let _ = write!(
                o,
                r##"<path d="M{px} {} l6 8 l-6 8 l-6 -8 z" fill="none" stroke="#555" stroke-width="1.5"><title>{}</title></path>"##,
                y - 8,
                esc(&tip)
            );
            if let (Some(sw), true) = (x.switched_ms, x.kept_past_prediction) {
                let _ = write!(
                    o,
                    r##"<line x1="{px}" y1="{y}" x2="{}" y2="{y}" stroke="#d32f2f" stroke-width="2"/>"##,
                    s.x(sw)
                );
            }
        }
        let (fill, tip) = match x.switched_ms {
            Some(sw) if x.kept_past_prediction => (
                "#d32f2f",
                format!(
                    "{} switched at +{}: kept the old answer past the prediction",
                    x.name,
                    dur(sw)
                ),
            ),
            Some(sw) => ("#2e7d32", format!("{} switched at +{}", x.name, dur(sw))),
            None => ("none", format!("{} never switched ({})", x.name, x.state)),
        };
        let cx = s.x(x.switched_ms.unwrap_or(s.max_ms));
        let _ = write!(
            o,
            r##"<circle cx="{cx}" cy="{y}" r="6" fill="{fill}" stroke="#333"><title>{}</title></circle>"##,
            esc(&tip)
        );
    }
    rto_line(&mut o, &s, r, height);
    o.push_str("</svg>");
    Some(o)
}
