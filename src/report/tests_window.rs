//! The fault window: recovery measured from the last successful probe, the
//! first failed probe beside it, and the window each client count covers.

use std::time::Duration;

use super::fixture::{T0, entries, outcome};
use super::*;
use crate::journal::{Event, FaultWindow};

const MIN5: Duration = Duration::from_secs(300);

/// The fixture's journal with the fault window its probes saw: last success
/// 800 ms before the incident opened, first failure 20 ms before.
fn with_window(window: Option<FaultWindow>) -> Report {
    let mut e = entries();
    if let Some(Event::IncidentStart {
        pool,
        cause,
        change,
        ..
    }) = e[0].event()
    {
        let start = Event::IncidentStart {
            pool,
            cause,
            window,
            change,
        };
        e[0] = super::fixture::entry(1, 0, "rtoguard", start);
    }
    build("i", "checkout", Kind::Incident, MIN5, &e, Some(&outcome()))
}

fn window() -> Option<FaultWindow> {
    Some(FaultWindow {
        last_ok_ms: Some(T0 - 800),
        first_failed_ms: Some(T0 - 20),
    })
}

#[test]
fn recovery_is_measured_from_the_last_successful_probe() {
    let plain = with_window(None);
    let r = with_window(window());
    assert_eq!(r.started_at_ms, T0 - 800);
    let achieved = plain.rto.achieved_ms.expect("recovered");
    assert_eq!(r.rto.achieved_ms, Some(achieved + 800), "never understated");
    assert_eq!(r.rto.from_first_failure_ms, Some(achieved + 20));
    let w = r.fault_window.as_ref().expect("a fault window");
    assert_eq!(w.last_ok_probe_ms, Some(0));
    assert_eq!(w.first_failed_probe_ms, Some(780));
    assert_eq!(w.measured_from, "last_successful_probe");
    let ok = r.milestone("last_ok_probe").expect("the last success");
    assert_eq!(ok.offset_ms, 0);
    assert_eq!(
        r.milestone("first_failed_probe").map(|m| m.offset_ms),
        Some(780)
    );
    let text = render_text(&r);
    assert!(text.contains("Fault window:"), "{text}");
    assert!(text.contains("last successful probe"), "{text}");
    let json = render_json(&r);
    assert!(json.contains("\"fault_window\""), "{json}");
    assert!(render_html(&r).contains("Fault window"));
}

#[test]
fn without_a_recorded_success_the_report_says_it_may_understate() {
    let r = with_window(None);
    let w = r
        .fault_window
        .as_ref()
        .expect("every incident states its window");
    assert_eq!(w.last_ok_probe_ms, None);
    assert_eq!(w.measured_from, "first_failed_probe");
    assert!(render_text(&r).contains("not recorded"));
}

#[test]
fn client_counts_say_which_window_they_cover() {
    let r = with_window(window());
    let c = &r.clients[0];
    // From the provider's acceptance (as the watch measured it) to the
    // client's first answer from the new pool.
    assert_eq!(
        c.counted_from_ms,
        r.milestone("provider_accepted").map(|m| m.offset_ms)
    );
    assert_eq!(c.counted_to_ms, c.reached_ms);
    let text = render_text(&r);
    assert!(text.contains("counted from"), "{text}");
}
