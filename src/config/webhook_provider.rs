//! Validation of a `type = "webhook"` provider table (an external-dns webhook provider).

use std::ops::Range;
use std::time::Duration;

use super::locate::Issues;
use super::raw::RawWebhookProvider;
use super::tables::url_check;
use super::types::WebhookProviderConfig;

pub(super) fn webhook(
    issues: &mut Issues<'_>,
    raw: RawWebhookProvider,
    field: &str,
    span: Range<usize>,
) -> Option<WebhookProviderConfig> {
    url_check(issues, &raw.url, &format!("{field}.url"));
    // The token is optional: a webhook sidecar on loopback usually has none.
    let token = if raw.token.is_none() && raw.token_file.is_none() && raw.token_env.is_none() {
        Some(None)
    } else {
        issues
            .secret(
                field,
                "token",
                &raw.token,
                &raw.token_file,
                &raw.token_env,
                Some(span),
            )
            .map(Some)
    };
    let timeout = issues.duration(
        &raw.timeout,
        &format!("{field}.timeout"),
        Duration::from_secs(10),
        true,
    );
    let rps = issues.count(
        &raw.requests_per_second,
        &format!("{field}.requests_per_second"),
        10,
    );
    Some(WebhookProviderConfig {
        url: raw.url.into_inner(),
        token: token?,
        timeout,
        requests_per_second: rps,
    })
}
