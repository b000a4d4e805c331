//! Tests of `[notify]`: defaults, the example, and every issue with its line.

use std::path::Path;
use std::time::Duration;

use super::tests_validation::{BASE, expect, issues, line_of};
use super::*;

const SECRET_URL: &str = "https://hooks.slack.com/services/T000/B000/sEcReTpAtH";

fn with_notify(section: &str) -> String {
    format!("{BASE}\n{section}")
}

fn parse_ok(text: &str) -> Config {
    parse(Path::new("config.toml"), text).unwrap_or_else(|e| panic!("expected valid:\n{e}"))
}

#[test]
fn no_section_means_no_webhooks() {
    assert!(parse_ok(BASE).notify.webhooks.is_empty());
}

#[test]
fn defaults_are_json_every_event_5s_and_3_retries() {
    let cfg = parse_ok(&with_notify(
        "[[notify.webhooks]]\nurl = \"http://127.0.0.1:9/hook\"\n",
    ));
    let w = &cfg.notify.webhooks[0];
    assert_eq!(w.format, WebhookFormat::Json);
    let all: Vec<_> = NotifyEvent::ALL.iter().map(|(e, _)| *e).collect();
    assert_eq!(w.events, all);
    assert_eq!(
        (w.timeout, w.retries, w.backoff),
        (Duration::from_secs(5), 3, Duration::from_secs(1))
    );
    assert_eq!(
        w.url.resolve().map(|s| s.expose().to_string()),
        Ok("http://127.0.0.1:9/hook".to_string())
    );
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn the_example_has_a_slack_and_a_json_webhook() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml.example");
    let cfg = load(&path).unwrap_or_else(|e| panic!("{e}"));
    let hooks = &cfg.notify.webhooks;
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].format, WebhookFormat::Slack);
    assert!(matches!(
        &hooks[0].url,
        WebhookUrl::Source(SecretSource::File(_))
    ));
    assert_eq!(
        hooks[0].events,
        vec![NotifyEvent::Flip, NotifyEvent::RtoMissed]
    );
    assert_eq!(hooks[1].format, WebhookFormat::Json);
    assert_eq!(
        (hooks[1].timeout, hooks[1].retries),
        (Duration::from_secs(10), 5)
    );
}

#[test]
fn an_inline_url_never_prints() {
    let cfg = parse_ok(&with_notify(&format!(
        "[[notify.webhooks]]\nurl = \"{SECRET_URL}\"\nformat = \"slack\"\n"
    )));
    let debug = format!("{cfg:?}");
    assert!(!debug.contains("sEcReTpAtH"), "{debug}");
    assert!(!summary(&cfg).contains("sEcReTpAtH"));
    assert_eq!(cfg.notify.webhooks[0].url.describe(), "the config");
}

#[test]
fn exactly_one_url_source() {
    let text = with_notify(&format!(
        "[[notify.webhooks]]\nurl = \"{SECRET_URL}\"\nurl_env = \"HOOK\"\n"
    ));
    expect(
        &text,
        "[[notify.webhooks]]",
        0,
        "notify.webhooks[0].url",
        &["more than one of", "exactly one"],
    );
    let shown: Vec<String> = issues(&text).iter().map(ToString::to_string).collect();
    assert!(!shown.concat().contains("sEcReTpAtH"), "{shown:?}");
    let text = with_notify("[[notify.webhooks]]\nformat = \"json\"\n");
    expect(
        &text,
        "[[notify.webhooks]]",
        0,
        "notify.webhooks[0].url",
        &["none of", "url_file"],
    );
}

#[test]
fn a_bad_url_is_reported_without_its_value() {
    let text = with_notify("[[notify.webhooks]]\nurl = \"ftp://hooks.example.net/sEcReTpAtH\"\n");
    expect(
        &text,
        "ftp://",
        0,
        "notify.webhooks[0].url",
        &["not an http(s) URL"],
    );
    let shown: Vec<String> = issues(&text).iter().map(ToString::to_string).collect();
    assert!(!shown.concat().contains("sEcReTpAtH"), "{shown:?}");
}

#[test]
fn values_are_checked_with_their_lines() {
    let hook = "[[notify.webhooks]]\nurl_file = \"/etc/rtoguard/hook\"\n";
    let text = with_notify(&format!("{hook}format = \"teams\"\n"));
    expect(
        &text,
        "teams",
        0,
        "notify.webhooks[0].format",
        &["unknown format \"teams\"", "json, slack"],
    );
    let text = with_notify(&format!("{hook}events = [\"flip\", \"paged\"]\n"));
    expect(
        &text,
        "paged",
        0,
        "notify.webhooks[0].events",
        &["unknown event \"paged\"", "rto_missed"],
    );
    let text = with_notify(&format!("{hook}events = []\n"));
    expect(
        &text,
        "events",
        0,
        "notify.webhooks[0].events",
        &["is empty"],
    );
    let text = with_notify(&format!("{hook}retries = 11\n"));
    expect(
        &text,
        "retries",
        0,
        "notify.webhooks[0].retries",
        &["at most 10"],
    );
    let text = with_notify(&format!("{hook}timeout = \"5 s\"\n"));
    expect(
        &text,
        "timeout",
        0,
        "notify.webhooks[0].timeout",
        &["not a duration"],
    );
    let text = with_notify(&format!("{hook}timeout = \"0s\"\n"));
    expect(
        &text,
        "timeout",
        0,
        "notify.webhooks[0].timeout",
        &["above zero"],
    );
}

#[test]
fn unknown_keys_are_refused() {
    let text = with_notify("[[notify.webhooks]]\nurl_file = \"/x\"\nchannel = \"#ops\"\n");
    expect(
        &text,
        "channel",
        0,
        "notify.webhooks[0].channel",
        &["unknown field `channel`"],
    );
    let text = with_notify("[notify]\nemail = \"ops@example.net\"\n");
    expect(
        &text,
        "email",
        0,
        "notify.email",
        &["unknown field `email`"],
    );
    let text = format!("notify = 3\n{BASE}");
    let all = issues(&text);
    assert!(
        all.iter()
            .any(|i| i.field == "notify" && i.line == Some(line_of(&text, "notify = 3", 0))),
        "{all:?}"
    );
}

#[test]
fn two_bad_webhooks_give_two_issues() {
    let text = with_notify(
        "[[notify.webhooks]]\nformat = \"x\"\nurl_env = \"A\"\n\n[[notify.webhooks]]\nurl_env = \"\"\n",
    );
    let all = issues(&text);
    assert!(
        all.iter().any(|i| i.field == "notify.webhooks[0].format"),
        "{all:?}"
    );
    assert!(
        all.iter().any(|i| i.field == "notify.webhooks[1].url_env"),
        "{all:?}"
    );
}
