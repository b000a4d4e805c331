//! Validation of `[notify]` and its `[[notify.webhooks]]`.

use std::time::Duration;

use serde_spanned::Spanned;
use toml::de::DeValue;

use super::locate::Issues;
use super::raw::{RawNotify, RawWebhook, S};
use super::secret::{Secret, SecretSource};
use super::tables::{elements, parse_section};
use super::types_notify::*;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_RETRIES: u32 = 3;
const MAX_RETRIES: u32 = 10;
const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);

/// The `[notify]` section; left out, no webhooks.
pub(super) fn notify(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    value: Option<&Spanned<DeValue<'_>>>,
) -> Notify {
    let Some(value) = value else {
        return Notify::default();
    };
    let DeValue::Table(table) = value.get_ref() else {
        issues.add(
            Some(value.span()),
            "notify",
            "must be a table, written [notify]",
        );
        return Notify::default();
    };
    if parse_section::<RawNotify>(issues, root, value, "notify").is_none() {
        return Notify::default();
    }
    let items = elements(issues, table.get("webhooks"), "notify.webhooks");
    let webhooks = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let field = format!("notify.webhooks[{i}]");
            let raw = parse_section::<RawWebhook>(issues, root, item, &field)?;
            webhook(issues, raw, &field, item.span())
        })
        .collect();
    Notify { webhooks }
}

fn webhook(
    issues: &mut Issues<'_>,
    raw: RawWebhook,
    field: &str,
    span: std::ops::Range<usize>,
) -> Option<Webhook> {
    let url = url(issues, &raw, field, span);
    let format = format(issues, &raw.format, field);
    let events = events(issues, &raw.events, field);
    let timeout = issues.duration(
        &raw.timeout,
        &format!("{field}.timeout"),
        DEFAULT_TIMEOUT,
        true,
    );
    let backoff = issues.duration(
        &raw.backoff,
        &format!("{field}.backoff"),
        DEFAULT_BACKOFF,
        true,
    );
    let retries = match &raw.retries {
        Some(r) if *r.get_ref() > MAX_RETRIES => {
            let msg = format!(
                "at most {MAX_RETRIES}: a notification that fails that often is better dropped"
            );
            issues.add(Some(r.span()), format!("{field}.retries"), msg);
            DEFAULT_RETRIES
        }
        Some(r) => *r.get_ref(),
        None => DEFAULT_RETRIES,
    };
    Some(Webhook {
        url: url?,
        format,
        events,
        timeout,
        retries,
        backoff,
    })
}

/// Exactly one of `url`, `url_file`, `url_env`. Messages never repeat the URL.
fn url(
    issues: &mut Issues<'_>,
    raw: &RawWebhook,
    field: &str,
    span: std::ops::Range<usize>,
) -> Option<WebhookUrl> {
    let set = [
        raw.url.is_some(),
        raw.url_file.is_some(),
        raw.url_env.is_some(),
    ];
    if set.iter().filter(|s| **s).count() != 1 {
        let what = if set.contains(&true) {
            "more than one of"
        } else {
            "none of"
        };
        let msg = format!(
            "{what} url, url_file, url_env is set; set exactly one (url_file or url_env for a secret URL such as Slack's)"
        );
        issues.add(Some(span), format!("{field}.url"), msg);
        return None;
    }
    if let Some(u) = &raw.url {
        if !is_http_url(u.get_ref()) {
            let msg = "is not an http(s) URL: write e.g. \"https://hooks.example.net/rtoguard\"";
            issues.add(Some(u.span()), format!("{field}.url"), msg);
            return None;
        }
        return Some(WebhookUrl::Inline(Secret::new(u.get_ref().clone())));
    }
    if let Some(f) = &raw.url_file {
        if !issues.readable(f, &format!("{field}.url_file")) {
            return None;
        }
        return Some(WebhookUrl::Source(SecretSource::File(f.get_ref().clone())));
    }
    let env = raw.url_env.as_ref()?;
    if env.get_ref().is_empty() {
        issues.add(
            Some(env.span()),
            format!("{field}.url_env"),
            "names no variable",
        );
        return None;
    }
    Some(WebhookUrl::Source(SecretSource::Env(env.get_ref().clone())))
}

/// `http://host...` or `https://host...` with a host.
fn is_http_url(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

fn format(issues: &mut Issues<'_>, value: &Option<S<String>>, field: &str) -> WebhookFormat {
    let Some(v) = value else {
        return WebhookFormat::Json;
    };
    match WebhookFormat::ALL.iter().find(|(_, w)| w == v.get_ref()) {
        Some((f, _)) => *f,
        None => {
            let msg = format!("unknown format {:?}: allowed are json, slack", v.get_ref());
            issues.add(Some(v.span()), format!("{field}.format"), msg);
            WebhookFormat::Json
        }
    }
}

fn events(
    issues: &mut Issues<'_>,
    value: &Option<S<Vec<S<String>>>>,
    field: &str,
) -> Vec<NotifyEvent> {
    let all = || NotifyEvent::ALL.iter().map(|(e, _)| *e).collect();
    let Some(list) = value else { return all() };
    let field = format!("{field}.events");
    if list.get_ref().is_empty() {
        let msg = "is empty, so nothing would be sent: leave it out for every event, or name some of incident, flip, recovery, rto_missed";
        issues.add(Some(list.span()), field, msg);
        return all();
    }
    let mut out = Vec::new();
    for word in list.get_ref() {
        match NotifyEvent::ALL.iter().find(|(_, w)| w == word.get_ref()) {
            Some((e, _)) if !out.contains(e) => out.push(*e),
            Some(_) => {}
            None => {
                let msg = format!(
                    "unknown event {:?}: allowed are incident, flip, recovery, rto_missed",
                    word.get_ref()
                );
                issues.add(Some(word.span()), field.clone(), msg);
            }
        }
    }
    out
}
