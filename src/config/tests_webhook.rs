//! Tests of the `type = "webhook"` provider table: defaults, and each mistake named by line and field.

use std::path::Path;
use std::time::Duration;

use super::tests_validation::{BASE, issues, line_of};
use super::{ProviderKind, parse};

/// BASE plus a webhook provider `hook` with these extra lines.
fn with_hook(lines: &str) -> String {
    format!("{BASE}\n[providers.hook]\ntype = \"webhook\"\n{lines}")
}

/// The issues naming `providers.hook`, as "line: field: message".
fn hook_issues(text: &str) -> Vec<String> {
    issues(text)
        .into_iter()
        .filter(|i| i.field.starts_with("providers.hook"))
        .map(|i| format!("{}: {}: {}", i.line.unwrap_or(0), i.field, i.message))
        .collect()
}

#[test]
#[cfg_attr(not(feature = "webhook"), ignore = "needs the webhook feature")]
fn a_minimal_table_takes_the_defaults() {
    let text = with_hook("url = \"http://127.0.0.1:8888\"\n");
    let cfg = parse(Path::new("config.toml"), &text).expect("valid");
    let Some(ProviderKind::Webhook(c)) = cfg.providers.get("hook").map(|p| &p.kind) else {
        panic!("no webhook provider");
    };
    assert_eq!(c.url, "http://127.0.0.1:8888");
    assert!(c.token.is_none());
    assert_eq!(
        (c.timeout, c.requests_per_second),
        (Duration::from_secs(10), 10)
    );
    let full = with_hook(
        "url = \"http://127.0.0.1:8888\"\ntoken_env = \"HOOK_TOKEN\"\ntimeout = \"3s\"\nrequests_per_second = 4\n",
    );
    let cfg = parse(Path::new("config.toml"), &full).expect("valid");
    let Some(ProviderKind::Webhook(c)) = cfg.providers.get("hook").map(|p| &p.kind) else {
        panic!("no webhook provider");
    };
    assert_eq!(
        c.token.as_ref().map(|t| t.describe()).as_deref(),
        Some("env HOOK_TOKEN")
    );
    assert_eq!(
        (c.timeout, c.requests_per_second),
        (Duration::from_secs(3), 4)
    );
}

#[test]
#[cfg_attr(not(feature = "webhook"), ignore = "needs the webhook feature")]
fn each_mistake_names_its_line_and_field() {
    let text = with_hook("url = \"127.0.0.1:8888\"\ntoken = \"s3cr3t\"\nport = 8888\n");
    let got = hook_issues(&text);
    assert!(
        got.iter().any(|i| i.contains("port")),
        "an unknown field is refused: {got:?}"
    );
    let text = with_hook("url = \"127.0.0.1:8888\"\ntoken = \"s3cr3t\"\n");
    let got = hook_issues(&text);
    let at = |needle: &str| line_of(&text, needle, 0);
    for (line, field) in [
        (at("url = \"127.0.0.1:8888\""), "providers.hook.url"),
        (at("token = \"s3cr3t\""), "providers.hook.token"),
    ] {
        assert!(
            got.iter()
                .any(|i| i.starts_with(&format!("{line}: {field}: "))),
            "{field} on line {line} missing from {got:?}"
        );
    }
    assert!(got.iter().all(|i| !i.contains("s3cr3t")), "{got:?}");
}
