//! `rtoguard status` as text, from the daemon's JSON.

use serde_json::json;

use super::status::{ConfiguredTtl, SCHEMA, Source, StatusView};
use super::status_text;
use crate::control::DaemonService;

/// A service as the daemon shows it, configured with TTLs 300s/60s.
fn view(service: DaemonService) -> StatusView {
    StatusView {
        schema: SCHEMA,
        source: Source::Daemon,
        configured_ttl: ConfiguredTtl {
            normal: 300,
            lowered: 60,
        },
        served_values: None,
        service,
    }
}

fn service_text(s: &DaemonService) -> String {
    status_text::service_text(&view(s.clone()))
}

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
        "checkout  checkout.example.test.  active pool: primary  ttl 60s (lowered; configured 300s)\n\
         \x20   provider corp-bind: reachable (read by the daemon)\n\
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
        "checkout  checkout.example.test.  active pool: standby  ttl 60s (lowered; configured 300s)  \
         PINNED by user:alice until 2026-12-02T05:00:00Z: db maintenance  \
         DRILL drill-checkout-1 back to primary at 2026-12-02T04:00:00Z\n\
         \x20   provider corp-bind: reachable (read by the daemon)\n"
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

#[test]
fn votes_per_vantage_peers_and_a_short_quorum_are_shown() {
    let s = json!({
        "service": "checkout", "record": "checkout.example.test.",
        "provider": "corp-bind", "busy": null, "short_of_quorum": true,
        "controller": {
            "started": true, "active": "primary", "ttl": 300, "phase": "idle", "pools": [],
            "pinned": false, "failback_mode": "manual", "automatic_flips_in_window": 0
        },
        "vantage": { "id": "us-east-1", "impaired": null },
        "peers": [
            { "id": "eu-west-1", "age_ms": 1200, "last_error": null, "vantage": "eu-west-1",
              "config_digest": null, "generated_at_ms": null },
            { "id": "witness", "age_ms": null, "last_error": "connection refused", "vantage": null,
              "config_digest": null, "generated_at_ms": null }
        ],
        "pools": [{ "name": "primary", "health": "unknown", "local": "down",
            "quorum": { "health": "unknown", "fresh": 2, "quorum": 2, "vantages": 3,
                "down": ["us-east-1"], "up": ["eu-west-1"], "suspect": [], "stale": ["witness"],
                "mismatched": [], "duplicate": [], "agreed": false },
            "endpoints": [] }]
    });
    let s: DaemonService = serde_json::from_value(s).unwrap();
    let text = service_text(&s);
    for want in [
        "ttl 300s (as configured)",
        "    short of quorum: too few vantages heard from recently; automation holds\n",
        "    peers: eu-west-1 heard 1.2s ago, witness never heard from (last error: connection refused)\n",
        "    pool primary      unknown\n",
        "        votes: up eu-west-1; down us-east-1; suspect -; stale witness  (2 of 3 vantages heard from, quorum 2)\n",
    ] {
        assert!(text.contains(want), "lacks {want:?}:\n{text}");
    }
}

#[test]
fn a_provider_that_cannot_be_read_is_one_line() {
    let s = DaemonService {
        service: "checkout".into(),
        record: "checkout.example.test.".into(),
        provider: "bind".into(),
        provider_error: Some("provider bind did not answer within 3s".into()),
        ..DaemonService::default()
    };
    let mut v = view(s);
    v.source = Source::Provider;
    let text = status_text::service_text(&v);
    assert_eq!(
        text.matches("did not answer").count(),
        1,
        "one line for the provider:\n{text}"
    );
    assert!(
        text.contains("    provider bind: PROVIDER DOWN: provider bind did not answer within 3s\n"),
        "{text}"
    );
    assert!(text.contains("ttl unknown (configured 300s)"), "{text}");
}

#[test]
fn a_gradual_failback_says_its_step_weight_and_next_step() {
    let s = json!({
        "service": "checkout", "record": "checkout.example.test.",
        "provider": "aws", "busy": null, "short_of_quorum": false,
        "controller": {
            "started": true, "active": "standby", "ttl": 60, "phase": "gradual", "pools": [],
            "pinned": false, "failback_mode": "manual", "automatic_flips_in_window": 0,
            "gradual": { "from": "standby", "to": "primary", "step": 2, "of": 3, "weight": 50, "next_step_in_secs": 100 }
        },
        "vantage": { "id": "us-east-1", "impaired": null },
        "pools": []
    });
    let s: DaemonService = serde_json::from_value(s).unwrap();
    assert_eq!(
        service_text(&s),
        "checkout  checkout.example.test.  active pool: standby  ttl 60s (lowered; configured 300s)\n\
         \x20   provider aws: reachable (read by the daemon)\n\
         \x20   failing back gradually: step 2 of 3 (50 %), next step in 1m40s\n"
    );
    let mut writing = s.clone();
    if let Some(g) = writing.controller.gradual.as_mut() {
        g.next_step_in_secs = None;
    }
    assert!(
        service_text(&writing)
            .contains("failing back gradually: step 2 of 3 (50 %), being written\n")
    );
}
