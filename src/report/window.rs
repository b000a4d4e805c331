//! The fault window of a report: the clock starts at the last successful
//! probe before the incident (a bound that never understates), with the
//! first failed probe beside it.

use super::clock::wall;
use super::facts::Facts;
use super::types::{Kind, RtoResult, Window};

/// The report's start (epoch ms) and its fault window. A manual move has
/// no fault: it starts at the journal's start and has no window. A last
/// success later than the incident's opening (another vantage saw the
/// fault first) is not used: it would understate.
pub fn read(f: &Facts, kind: Kind, journal_start: i64) -> (i64, Option<Window>) {
    if kind == Kind::Manual {
        return (journal_start, None);
    }
    let last_ok = f
        .window
        .and_then(|w| w.last_ok_ms)
        .filter(|&l| l <= journal_start);
    let first_failed = f.window.and_then(|w| w.first_failed_ms).or(f.start_ms);
    let start = last_ok.unwrap_or(journal_start);
    let measured_from = if last_ok.is_some() {
        "last_successful_probe"
    } else {
        "first_failed_probe"
    };
    let w = Window {
        last_ok_probe_ms: last_ok.map(|l| l - start),
        last_ok_probe_at: last_ok.map(wall),
        first_failed_probe_ms: first_failed.map(|f| f - start),
        first_failed_probe_at: first_failed.map(wall),
        measured_from: measured_from.into(),
    };
    (start, Some(w))
}

/// The recovery counted from the first failed probe, beside the one
/// counted from the last success.
pub fn from_first_failure(rto: &mut RtoResult, w: Option<&Window>) {
    let first = w.and_then(|w| w.first_failed_probe_ms);
    rto.from_first_failure_ms = rto.achieved_ms.zip(first).map(|(a, f)| a - f);
}

/// The fault window in words, for the text and HTML reports.
pub fn line(r: &super::types::Report) -> Option<String> {
    use super::clock::{dur, offset};
    let w = r.fault_window.as_ref()?;
    let failed = match (w.first_failed_probe_ms, &w.first_failed_probe_at) {
        (Some(ms), Some(at)) => format!("first failed probe {} ({at})", offset(ms)),
        _ => "first failed probe not recorded".into(),
    };
    let beside = r
        .rto
        .from_first_failure_ms
        .map(|ms| format!(" (from the first failed probe: {})", dur(ms)))
        .unwrap_or_default();
    Some(match (w.last_ok_probe_ms, &w.last_ok_probe_at) {
        (Some(ms), Some(at)) => format!(
            "Fault window: last successful probe {} ({at}), {failed}; recovery measured from the last successful probe{beside}",
            offset(ms)
        ),
        _ => format!(
            "Fault window: last successful probe not recorded, {failed}; recovery measured from the first failed probe, which may understate it by up to one probe interval"
        ),
    })
}

/// Which window the client counts cover, in words.
pub fn clients_line(r: &super::types::Report) -> Option<String> {
    use super::clock::offset;
    let from = r.clients.iter().find_map(|c| c.counted_from_ms)?;
    Some(format!(
        "Requests counted from {} (the flip accepted, the watch's start) to each client's first answer from the new pool, or the watch's end",
        offset(from)
    ))
}
