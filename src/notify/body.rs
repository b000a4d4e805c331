//! The request bodies: rtoguard's JSON document and Slack's `{"text": ...}`.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::event::{Event, EventKind};
use crate::config::WebhookFormat;

/// The body for `format`, as bytes to POST with `content-type: application/json`.
pub fn render(format: WebhookFormat, event: &Event, controller: &str) -> Vec<u8> {
    let v = match format {
        WebhookFormat::Json => json_body(event, controller),
        WebhookFormat::Slack => slack_body(event, controller),
    };
    // Serialising a Value built from strings and numbers cannot fail.
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The generic JSON document (`format = "json"`), version 1:
///
/// ```json
/// {
///   "version": 1,
///   "event": "flip",
///   "service": "checkout",
///   "incident": "checkout-1764086400000",
///   "summary": "checkout: flipped from primary to standby (primary down, confirmed by us-east-1, eu-west-1)",
///   "at": "2026-11-25T16:00:00.123Z",
///   "controller": "us-east-1",
///   "from": "primary",
///   "to": "standby",
///   "pool": null,
///   "reason": "primary down",
///   "confirmed_by": ["us-east-1", "eu-west-1"],
///   "elapsed_seconds": null,
///   "rto_seconds": null
/// }
/// ```
///
/// `event` is one of `incident`, `flip`, `recovery`, `rto_missed`,
/// `vantage_impaired`, `vantage_recovered` (those two carry no incident),
/// `journal_failed`; `at` is
/// RFC 3339 in UTC; `controller` is the vantage that sent it. Every key is
/// always present; those that do not apply to the event are `null` (or `[]`).
/// New keys may be added within version 1; none is removed or retyped.
pub fn json_body(e: &Event, controller: &str) -> Value {
    json!({
        "version": 1,
        "event": e.kind.as_str(),
        "service": e.service,
        "incident": e.incident,
        "summary": e.summary,
        "at": rfc3339(e),
        "controller": controller,
        "from": e.from,
        "to": e.to,
        "pool": e.pool,
        "reason": e.reason,
        "confirmed_by": e.confirmed_by,
        "elapsed_seconds": e.elapsed.map(|d| d.as_secs_f64()),
        "rto_seconds": e.rto.map(|d| d.as_secs_f64()),
    })
}

/// Slack's incoming-webhook body (`format = "slack"`): `{"text": "..."}`,
/// the summary with an emoji, then the incident id and the sending controller.
pub fn slack_body(e: &Event, controller: &str) -> Value {
    let icon = match e.kind {
        EventKind::Incident => ":warning:",
        EventKind::Flip => ":twisted_rightwards_arrows:",
        EventKind::Recovery => ":white_check_mark:",
        EventKind::RtoMissed => ":rotating_light:",
        EventKind::VantageImpaired => ":eyes:",
        EventKind::VantageRecovered => ":ok:",
        EventKind::JournalFailed => ":floppy_disk:",
    };
    json!({ "text": format!("{icon} {}\nincident {} · from {controller}", e.summary, e.incident) })
}

fn rfc3339(e: &Event) -> String {
    OffsetDateTime::from(e.at)
        .format(&Rfc3339)
        .unwrap_or_default()
}
