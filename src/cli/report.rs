//! `rtoguard report`: print, list and summarise RTO reports from the journal.

use std::process::ExitCode;

use super::shared::{fail_msg, load};
use super::{ReportArgs, ReportFormat};
use crate::journal::Journal;
use crate::report::{self, Report};

pub fn run(a: &ReportArgs) -> ExitCode {
    let cfg = match load(&a.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let j = match Journal::open(&cfg.controller.state_dir) {
        Ok(j) => j,
        Err(e) => return fail_msg(&e.to_string(), 1),
    };
    let list = match j.reports() {
        Ok(l) => l,
        Err(e) => return fail_msg(&e.to_string(), 1),
    };
    let format = if a.json { ReportFormat::Json } else { a.format };
    if a.list {
        print_list(&j, &list, format == ReportFormat::Json);
        return ExitCode::SUCCESS;
    }
    if a.summary {
        let reports: Vec<Report> = list
            .iter()
            .filter_map(|(id, ..)| load_report(&j, id))
            .collect();
        let s = report::summary(&reports, a.since, crate::journal::now_ms());
        let text = match format {
            ReportFormat::Json => report::render_summary_json(&s),
            _ => report::render_summary_text(&s),
        };
        return emit(a, &text);
    }
    let Some(id) = a
        .incident
        .clone()
        .or_else(|| list.first().map(|r| r.0.clone()))
    else {
        return fail_msg(
            "no reports yet: every failover leaves one (see rtoguard history)",
            1,
        );
    };
    if let Some(text) = evacuation(&j, &id, &list, format) {
        return emit(a, &text);
    }
    let Some(r) = load_report(&j, &id) else {
        return fail_msg(&format!("no report {id:?}; see rtoguard report --list"), 1);
    };
    let text = match format {
        ReportFormat::Text => report::render_text(&r),
        ReportFormat::Json => report::render_json(&r),
        ReportFormat::Html => report::render_html(&r),
    };
    emit(a, &text)
}

/// `--list`: a table, or one JSON object a report (newest first).
fn print_list(j: &Journal, list: &[(String, String, String, i64)], json: bool) {
    if !json {
        outln!(
            "{:<40} {:<14} {:<9} {:<24} verdict",
            "incident",
            "service",
            "kind",
            "at"
        );
    }
    for (id, service, kind, at) in list {
        let r = load_report(j, id);
        let verdict = r
            .as_ref()
            .and_then(|r| serde_json::to_value(r.rto.verdict).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let at = report::format_wall(*at);
        if json {
            let achieved = r.as_ref().and_then(|r| r.rto.achieved_ms);
            outln!(
                "{}",
                serde_json::json!({ "incident": id, "service": service, "kind": kind, "at": at, "verdict": verdict, "achieved_ms": achieved })
            );
        } else {
            outln!("{id:<40} {service:<14} {kind:<9} {at:<24} {verdict}");
        }
    }
}

/// An evacuation's report (kind `evacuation`), as text or JSON.
fn evacuation(
    j: &Journal,
    id: &str,
    list: &[(String, String, String, i64)],
    format: ReportFormat,
) -> Option<String> {
    list.iter().find(|r| r.0 == id && r.2 == "evacuation")?;
    let v = j.report(id).ok().flatten()?;
    let r: report::EvacuationReport = serde_json::from_value(v.clone()).ok()?;
    Some(match format {
        ReportFormat::Json => serde_json::to_string_pretty(&v).unwrap_or_default(),
        _ => report::render_evacuation_text(&r),
    })
}

fn load_report(j: &Journal, id: &str) -> Option<Report> {
    j.report(id)
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_value(v).ok())
}

fn emit(a: &ReportArgs, text: &str) -> ExitCode {
    match &a.output {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => {
                eprintln!("wrote {}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail_msg(&format!("cannot write {}: {e}", path.display()), 1),
        },
        None => {
            out!("{text}");
            if !text.ends_with('\n') {
                outln!();
            }
            ExitCode::SUCCESS
        }
    }
}
