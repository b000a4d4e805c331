//! RTO reports: what happened when in one failover, where the time went, whether the RTO was met.
//!
//! [`build`] reads an incident's journal entries (and the propagation watch's
//! [`WatchOutcome`](crate::propagation::WatchOutcome)) into a [`Report`]:
//! the timeline as offsets from the incident start with wall-clock times,
//! the recovery split into phases, the verdict against the RTO, and the
//! predicted-vs-observed switch of every resolver. [`render_text`],
//! [`render_json`] and [`render_html`] show it; [`summary`] folds many
//! reports into a service's posture over time; [`save`] stores an
//! incident's report in the journal. The JSON schema is documented in
//! `docs/report.md`.

mod build;
mod clock;
mod escape;
mod evacuation;
mod facts;
mod html;
mod paths;
mod phases;
pub mod risk;
mod save;
mod summary;
mod svg;
mod text;
mod types;
mod watch;
mod window;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_cases;
#[cfg(test)]
mod tests_render;
#[cfg(test)]
mod tests_summary;
#[cfg(test)]
mod tests_window;

pub use build::{build, kind_of};
pub use clock::{dur as format_duration, wall as format_wall};
pub use evacuation::{EvacuationReport, EvacuationRow, render_evacuation_text};
pub use html::render_html;
pub use save::{save, save_if_missing};
pub use summary::{
    ServiceSummary, Stat, Summary, render_summary_json, render_summary_text, summary,
};
pub use text::render_text;
pub use types::{
    AuthRow, Automation, ClientRow, Kind, MeasuredTo, Milestone, Phase, PhaseName, Report,
    ResolverRow, RtoResult, SCHEMA_VERSION, Spread, Verdict, Window,
};

/// The report as pretty-printed JSON (the schema in `docs/report.md`).
pub fn render_json(report: &Report) -> String {
    // Plain data with string keys: serialising cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default()
}
