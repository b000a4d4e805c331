//! Tests of `health.fast_interval`: its default, its bounds, and the detection summary.

use std::path::Path;
use std::time::Duration;

use super::tests_validation::{BASE, expect, with};
use super::{parse, summary};

const HEALTH: &str = "health = { interval = \"5s\", rise = 5, fall = 3 }";
const PROBE: &str = "probe = { type = \"http\", path = \"/healthz\" }";
const FIELD: &str = "services[checkout].health.fast_interval";

/// BASE with this probe timeout and these health keys.
fn config(timeout: &str, health: &str) -> String {
    let probe =
        format!("probe = {{ type = \"http\", path = \"/healthz\", timeout = \"{timeout}\" }}");
    assert!(BASE.contains(PROBE) && BASE.contains(HEALTH));
    BASE.replacen(PROBE, &probe, 1)
        .replacen(HEALTH, &format!("health = {{ {health} }}"), 1)
}

fn fast(text: &str) -> Duration {
    let cfg = parse(Path::new("c.toml"), text).expect("valid");
    cfg.services[0].health.fast_interval
}

#[test]
fn the_default_is_200ms_raised_to_the_timeout_and_capped_at_the_interval() {
    let ms = Duration::from_millis;
    assert_eq!(fast(&config("100ms", "interval = \"1s\"")), ms(200));
    // the default timeout (2s) is longer: a probe must end before the next starts
    assert_eq!(fast(BASE), Duration::from_secs(2));
    assert_eq!(fast(&config("750ms", "interval = \"1s\"")), ms(750));
    assert_eq!(fast(&config("80ms", "interval = \"150ms\"")), ms(150));
    let written = "interval = \"1s\", fast_interval = \"100ms\"";
    assert_eq!(fast(&config("100ms", written)), ms(100));
    // equal to the interval: fast confirmation off
    let off = "interval = \"1s\", fast_interval = \"1s\"";
    assert_eq!(fast(&config("100ms", off)), Duration::from_secs(1));
}

#[test]
fn a_fast_interval_below_50ms_is_refused() {
    let text = config("10ms", "interval = \"1s\", fast_interval = \"20ms\"");
    expect(&text, "health = ", 0, FIELD, &["20ms", "50ms"]);
    let err = parse(Path::new("c.toml"), &text).expect_err("refused");
    assert!(err.to_string().contains("c.toml:"), "{err}");
}

#[test]
fn a_fast_interval_longer_than_the_interval_is_refused() {
    let text = config("100ms", "interval = \"1s\", fast_interval = \"2s\"");
    expect(&text, "health = ", 0, FIELD, &["2s", "health.interval 1s"]);
}

#[test]
fn a_written_fast_interval_below_the_probe_timeout_is_refused() {
    let text = with(
        HEALTH,
        "health = { interval = \"5s\", fast_interval = \"500ms\" }",
    );
    expect(
        &text,
        "health = ",
        0,
        FIELD,
        &["500ms", "probe timeout 2s", "lower probe.timeout"],
    );
}

#[test]
fn the_summary_shows_the_detection_time() {
    let text = config(
        "100ms",
        "interval = \"1s\", fast_interval = \"200ms\", fall = 3",
    );
    let cfg = parse(Path::new("c.toml"), &text).expect("valid");
    let s = summary(&cfg);
    assert!(
        s.contains("detection: down 400ms after the first failed probe (fast confirmation every 200ms), at most 1500ms after a fault"),
        "{s}"
    );
    let text = config(
        "100ms",
        "interval = \"1s\", fast_interval = \"1s\", fall = 1",
    );
    let s = summary(&parse(Path::new("c.toml"), &text).expect("valid"));
    assert!(
        s.contains("down 0s after the first failed probe (fast confirmation off), at most 1100ms"),
        "{s}"
    );
}

#[test]
fn the_detection_of_the_longest_durations_does_not_overflow() {
    let text = config(
        "365d",
        "interval = \"365d\", fast_interval = \"365d\", fall = 1000, max_age = \"365d\"",
    );
    let cfg = parse(Path::new("c.toml"), &text);
    // a timeout equal to the interval is refused, but not by a panic
    assert!(cfg.is_err());
    let text = config(
        "1s",
        "interval = \"365d\", fast_interval = \"365d\", fall = 1000",
    );
    let cfg = parse(Path::new("c.toml"), &text).expect("valid");
    let (confirm, worst) = super::detection(&cfg.services[0].health, Duration::from_secs(1));
    assert_eq!(confirm, Duration::from_secs(365 * 86_400 * 999));
    assert!(worst > confirm);
    assert!(summary(&cfg).contains("detection: down"));
}

#[test]
fn the_connection_watch_is_on_unless_written_off() {
    let watch = |health: &str| {
        let cfg = parse(Path::new("c.toml"), &config("100ms", health)).expect("valid");
        let targets = super::specs::targets(&cfg.services[0], None);
        assert!(
            targets
                .iter()
                .all(|t| t.watch == cfg.services[0].health.watch)
        );
        cfg.services[0].health.watch
    };
    assert!(watch("interval = \"1s\""));
    assert!(watch("interval = \"1s\", watch = true"));
    assert!(!watch("interval = \"1s\", watch = false"));
}
