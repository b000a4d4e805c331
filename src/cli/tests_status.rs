//! `rtoguard status` as text, from the daemon's JSON.

use serde_json::json;

use super::status::service_text;
use crate::control::DaemonService;

#[test]
fn an_impaired_vantage_is_named_with_its_reason() {
    let s = json!({
        "service": "checkout", "record": "checkout.example.test.",
        "provider": "corp-bind", "busy": null, "short_of_quorum": false,
        "controller": {
            "started": true, "active": "primary", "ttl": 60, "phase": "idle", "pools": [],
            "pinned": false, "failback_mode": "manual", "automatic_flips_in_window": 0
        },
        "vantage": { "id": "us-east-1", "impaired": "out of file descriptors (Too many open files (os error 24))" },
        "pools": [{ "name": "primary", "health": "unknown", "local": "unknown", "endpoints": [
            { "endpoint": "127.0.0.2", "state": "unknown", "failing": false, "last": "status 200",
              "local": "out of file descriptors (Too many open files (os error 24))" }
        ]}]
    });
    let s: DaemonService = serde_json::from_value(s).unwrap();
    let text = service_text(&s);
    assert_eq!(
        text,
        "checkout  checkout.example.test.  active pool: primary  ttl 60s\n\
         \x20   vantage us-east-1  impaired: out of file descriptors (Too many open files (os error 24))\n\
         \x20   pool primary      unknown\n\
         \x20       127.0.0.2            unknown  out of file descriptors (Too many open files (os error 24))\n"
    );
    let mut well = s.clone();
    well.vantage.impaired = None;
    assert!(!service_text(&well).contains("impaired"));
}

#[test]
fn a_pin_and_a_drill_are_shown_with_who_why_and_until_when() {
    let s = json!({
        "service": "checkout", "record": "checkout.example.test.",
        "provider": "corp-bind", "busy": null, "short_of_quorum": false,
        "controller": {
            "started": true, "active": "standby", "ttl": 60, "phase": "idle", "pools": [],
            "pinned": true, "failback_mode": "manual", "automatic_flips_in_window": 0,
            "pin": { "by": "user:alice", "reason": "db maintenance", "since": "2026-12-02T03:00:00.000Z", "until": "2026-12-02T05:00:00.000Z" },
            "drill": { "id": "drill-checkout-1", "home": "primary", "simulated_down": null, "dwell_until": "2026-12-02T04:00:00.000Z" }
        },
        "vantage": { "id": "us-east-1", "impaired": null },
        "pools": []
    });
    let s: DaemonService = serde_json::from_value(s).unwrap();
    assert_eq!(
        service_text(&s),
        "checkout  checkout.example.test.  active pool: standby  ttl 60s  \
         PINNED by user:alice until 2026-12-02T05:00:00Z: db maintenance  \
         DRILL drill-checkout-1 back to primary at 2026-12-02T04:00:00Z\n"
    );
    let mut open = s.clone();
    if let Some(pin) = open.controller.pin.as_mut() {
        pin.until = None;
    }
    assert!(service_text(&open).contains("PINNED by user:alice until unpinned: db maintenance"));
}

#[test]
fn a_service_not_ready_and_a_journal_that_fails_are_said() {
    let mut s = DaemonService {
        service: "checkout".into(),
        record: "checkout.example.test.".into(),
        ..DaemonService::default()
    };
    s.not_ready = vec!["provider bind: authentication refused".into()];
    s.journal_error = Some("disk I/O error".into());
    let text = service_text(&s);
    assert!(
        text.contains(
            "    JOURNAL CANNOT BE WRITTEN: disk I/O error; no provider change until it can\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("    not ready: provider bind: authentication refused\n"),
        "{text}"
    );
    s.ready = true;
    s.not_ready.clear();
    s.journal_error = None;
    let text = service_text(&s);
    assert!(
        !text.contains("not ready") && !text.contains("JOURNAL"),
        "{text}"
    );
}
