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
