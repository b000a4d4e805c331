//! Tests of the summaries and the two bodies.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};

use super::body::{json_body, render, slack_body};
use super::*;
use crate::config::WebhookFormat;

fn vantages() -> Vec<String> {
    vec!["us-east-1".into(), "eu-west-1".into()]
}

#[test]
fn flip_summaries_name_pools_reason_and_vantages() {
    let f = Event::flip(
        "checkout",
        "checkout-1",
        Some("primary"),
        "standby",
        "primary down",
        &vantages(),
    );
    assert_eq!(
        f.summary,
        "checkout: flipped from primary to standby (primary down, confirmed by us-east-1, eu-west-1)"
    );
    let f = Event::flip(
        "checkout",
        "checkout-1",
        None,
        "standby",
        "operator failover",
        &[],
    );
    assert_eq!(
        f.summary,
        "checkout: flipped to standby (operator failover)"
    );
}

#[test]
fn incident_recovery_and_rto_summaries_say_how_long() {
    let i = Event::incident(
        "checkout",
        "checkout-1",
        "primary",
        "down",
        &vantages()[..1],
    );
    assert_eq!(
        i.summary,
        "checkout: incident opened: pool primary is down (seen by us-east-1)"
    );
    let r = Event::recovery(
        "checkout",
        "checkout-1",
        "standby",
        Duration::from_millis(130_400),
        Duration::from_secs(300),
    );
    assert_eq!(
        r.summary,
        "checkout: recovered on standby after 2m 10s (RTO 5m met)"
    );
    let m = Event::rto_missed(
        "checkout",
        "checkout-1",
        Duration::from_secs(363),
        Duration::from_secs(300),
    );
    assert_eq!(
        m.summary,
        "checkout: RTO missed: 6m 3s since the incident opened, objective 5m"
    );
}

#[test]
fn the_json_body_is_the_documented_document() {
    let at = UNIX_EPOCH + Duration::from_millis(1_764_086_400_123);
    let f = Event::flip(
        "checkout",
        "checkout-1764086400000",
        Some("primary"),
        "standby",
        "primary down",
        &vantages(),
    )
    .at(at);
    let want = json!({
        "version": 1,
        "event": "flip",
        "service": "checkout",
        "incident": "checkout-1764086400000",
        "summary": "checkout: flipped from primary to standby (primary down, confirmed by us-east-1, eu-west-1)",
        "at": "2025-11-25T16:00:00.123Z",
        "controller": "us-east-1",
        "from": "primary",
        "to": "standby",
        "pool": null,
        "reason": "primary down",
        "confirmed_by": ["us-east-1", "eu-west-1"],
        "elapsed_seconds": null,
        "rto_seconds": null
    });
    assert_eq!(json_body(&f, "us-east-1"), want);
    let r = Event::recovery(
        "checkout",
        "c-1",
        "standby",
        Duration::from_secs(90),
        Duration::from_secs(300),
    );
    let body = json_body(&r, "eu-west-1");
    assert_eq!(
        (
            body["event"].as_str(),
            body["elapsed_seconds"].as_f64(),
            body["rto_seconds"].as_f64()
        ),
        (Some("recovery"), Some(90.0), Some(300.0))
    );
    let bytes = render(WebhookFormat::Json, &r, "eu-west-1");
    assert_eq!(serde_json::from_slice::<Value>(&bytes).ok(), Some(body));
}

#[test]
fn the_slack_body_is_text_only() {
    let f = Event::flip(
        "checkout",
        "checkout-1",
        Some("primary"),
        "standby",
        "primary down",
        &vantages(),
    );
    let v = slack_body(&f, "us-east-1");
    let obj = v.as_object().expect("an object");
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["text"]);
    let text = obj["text"].as_str().expect("text is a string");
    assert!(text.contains(&f.summary), "{text}");
    assert!(
        text.contains("checkout-1") && text.contains("us-east-1"),
        "{text}"
    );
}

#[test]
fn retryable_failures_are_the_transient_ones() {
    let status = |code| NotifyError::Status {
        host: "h".into(),
        code,
    };
    assert!(status(500).is_retryable() && status(503).is_retryable() && status(429).is_retryable());
    assert!(!status(404).is_retryable() && !status(400).is_retryable());
    assert!(NotifyError::Timeout { host: "h".into() }.is_retryable());
    assert!(
        !NotifyError::BadUrl {
            index: 0,
            from: "the config".into()
        }
        .is_retryable()
    );
}

#[test]
fn impairment_events_say_which_vantage_and_why() {
    let i = Event::vantage_impaired("checkout", "us-east-1", "out of file descriptors");
    assert_eq!(i.kind.as_str(), "vantage_impaired");
    assert_eq!(
        i.summary,
        "checkout: vantage us-east-1 impaired: out of file descriptors; its endpoints are unknown from there, never down"
    );
    let body = json_body(&i, "us-east-1");
    assert_eq!(body["event"], json!("vantage_impaired"));
    assert_eq!(body["reason"], json!("out of file descriptors"));
    assert_eq!(body["incident"], json!(""));
    let r = Event::vantage_recovered("checkout", "us-east-1");
    assert_eq!(r.kind.as_str(), "vantage_recovered");
    assert_eq!(
        r.summary,
        "checkout: vantage us-east-1 recovered: probes run again"
    );
}

#[test]
fn a_journal_failure_says_nothing_changes_until_it_can_be_written() {
    let e = Event::journal_failed("checkout", "checkout-1", "disk I/O error");
    assert_eq!(e.kind.as_str(), "journal_failed");
    assert_eq!(
        e.summary,
        "checkout: the journal cannot be written (disk I/O error); no provider change is made until it can"
    );
    let body = json_body(&e, "us-east-1");
    assert_eq!(body["event"], json!("journal_failed"));
    assert_eq!(body["reason"], json!("disk I/O error"));
    assert_eq!(body["incident"], json!("checkout-1"));
}
