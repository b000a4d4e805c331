//! Inline SVG charts: the phases on a time axis with the RTO as a line, and
//! each resolver's switch against its predicted deadline.

use std::fmt::Write;

use super::clock::dur;
use super::html::esc;
use super::types::{PhaseName, Report};

const W: i64 = 880;
const LEFT: i64 = 200;
const RIGHT: i64 = 60;
const ROW: i64 = 28;
const TOP: i64 = 24;
const AXIS: i64 = 30;

/// Milliseconds to x pixels, shared by both charts so they line up.
struct Scale {
    max_ms: i64,
}

impl Scale {
    fn of(r: &Report) -> Self {
        let mut m = r.rto.objective_ms.max(r.phases.last().map_or(0, |p| p.end_ms));
        for x in &r.resolvers {
            m = m.max(x.switched_ms.unwrap_or(0)).max(x.predicted_ms.unwrap_or(0));
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
            100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000,
            300_000, 600_000, 900_000, 1_800_000, 3_600_000,
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

/// The time axis and the RTO line, for a chart `height` high.
fn frame(o: &mut String, s: &Scale, r: &Report, height: i64) {
    let base = height - AXIS;
    let _ = write!(o, r##"<line x1="{LEFT}" y1="{base}" x2="{}" y2="{base}" stroke="#888"/>"##, W - RIGHT);
    let step = s.step();
    let mut t = 0;
    while t <= s.max_ms {
        let x = s.x(t);
        let _ = write!(
            o,
            r##"<line x1="{x}" y1="{TOP}" x2="{x}" y2="{base}" stroke="#eee"/><text x="{x}" y="{}" class="tick">{}</text>"##,
            base + 16,
            esc(&dur(t))
        );
        t += step;
    }
    let x = s.x(r.rto.objective_ms);
    let _ = write!(
        o,
        r##"<line x1="{x}" y1="{}" x2="{x}" y2="{base}" stroke="#d32f2f" stroke-width="2" stroke-dasharray="6 4"><title>RTO {}</title></line><text x="{x}" y="{}" class="rto">RTO {}</text>"##,
        TOP - 8,
        esc(&dur(r.rto.objective_ms)),
        TOP - 10,
        esc(&dur(r.rto.objective_ms))
    );
}

/// A horizontal bar per phase on the time axis, and the RTO line.
pub fn phases_chart(r: &Report) -> String {
    let s = Scale::of(r);
    let height = TOP + ROW * r.phases.len().max(1) as i64 + AXIS;
    let mut o = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img" aria-label="Phases of the recovery against the RTO">"#
    );
    for (i, p) in r.phases.iter().enumerate() {
        let y = TOP + ROW * i as i64;
        let (x0, x1) = (s.x(p.start_ms), s.x(p.end_ms));
        let tip = format!("{}: {} (+{} to +{})", p.name.label(), dur(p.duration_ms), dur(p.start_ms), dur(p.end_ms));
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
    frame(&mut o, &s, r, height);
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
    for (i, x) in r.resolvers.iter().enumerate() {
        let y = TOP + ROW * i as i64 + 10;
        let _ = write!(o, r#"<text x="{}" y="{}" class="label">{}</text>"#, LEFT - 8, y + 4, esc(&x.name));
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
                let _ = write!(o, r##"<line x1="{px}" y1="{y}" x2="{}" y2="{y}" stroke="#d32f2f" stroke-width="2"/>"##, s.x(sw));
            }
        }
        let (fill, tip) = match x.switched_ms {
            Some(sw) if x.kept_past_prediction => ("#d32f2f", format!("{} switched at +{}: kept the old answer past the prediction", x.name, dur(sw))),
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
    frame(&mut o, &s, r, height);
    o.push_str("</svg>");
    Some(o)
}
