//! Tests of the `type = "gcloud"` provider table: defaults, and each mistake named by line and field.

use std::path::Path;

use super::tests_validation::{BASE, issues, line_of};
use super::{GcloudConfig, GcloudCredentials, ProviderKind, parse};

/// BASE plus a gcloud provider `gdns` with these extra lines.
fn with_gcloud(lines: &str) -> String {
    format!("{BASE}\n[providers.gdns]\ntype = \"gcloud\"\n{lines}")
}

fn gcloud(text: &str) -> GcloudConfig {
    let cfg = parse(Path::new("config.toml"), text).expect("valid");
    let Some(ProviderKind::Gcloud(c)) = cfg.providers.get("gdns").map(|p| p.kind.clone()) else {
        panic!("no gcloud provider");
    };
    c
}

/// The issues naming `providers.gdns`, as "line: field: message".
fn gcloud_issues(text: &str) -> Vec<String> {
    issues(text)
        .into_iter()
        .filter(|i| i.field.starts_with("providers.gdns"))
        .map(|i| format!("{}: {}: {}", i.line.unwrap_or(0), i.field, i.message))
        .collect()
}

#[test]
#[cfg_attr(not(feature = "gcloud"), ignore = "needs the gcloud feature")]
fn a_minimal_table_uses_the_metadata_server_and_google() {
    let c = gcloud(&with_gcloud(
        "project = \"my-project\"\nmanaged_zone = \"example-com\"\n",
    ));
    assert_eq!(
        (c.project.as_str(), c.managed_zone.as_str()),
        ("my-project", "example-com")
    );
    assert_eq!(c.api_url, "https://dns.googleapis.com");
    assert_eq!(c.requests_per_second, 5);
    assert_eq!(
        c.credentials.describe(),
        "the metadata server http://metadata.google.internal"
    );
    let c = gcloud(&with_gcloud(
        "project = \"my-project\"\nmanaged_zone = \"example-com\"\ncredentials_file = \"/etc/rtoguard/gcloud.json\"\napi_url = \"http://127.0.0.1:9/\"\nrequests_per_second = 2\n",
    ));
    assert!(matches!(c.credentials, GcloudCredentials::KeyFile(_)));
    assert_eq!(c.credentials.describe(), "file /etc/rtoguard/gcloud.json");
    assert_eq!(
        (c.api_url.as_str(), c.requests_per_second),
        ("http://127.0.0.1:9", 2)
    );
}

#[test]
#[cfg_attr(not(feature = "gcloud"), ignore = "needs the gcloud feature")]
fn each_mistake_names_its_line_and_field() {
    let text = with_gcloud(
        "project = \"My Project\"\nmanaged_zone = \"example.com.\"\ncredentials_file = \"/k.json\"\nmetadata_url = \"http://127.0.0.1:9\"\napi_url = \"dns.googleapis.com\"\n",
    );
    let got = gcloud_issues(&text);
    let at = |needle: &str| line_of(&text, needle, 0);
    for (line, field) in [
        (at("project = "), "providers.gdns.project"),
        (at("managed_zone = "), "providers.gdns.managed_zone"),
        (at("metadata_url = "), "providers.gdns.metadata_url"),
        (at("api_url = "), "providers.gdns.api_url"),
    ] {
        assert!(
            got.iter()
                .any(|i| i.starts_with(&format!("{line}: {field}: "))),
            "{field} on line {line} missing from {got:?}"
        );
    }
    let unknown = gcloud_issues(&with_gcloud(
        "project = \"p-1\"\nmanaged_zone = \"z\"\nzone_id = \"123\"\n",
    ));
    assert!(unknown.iter().any(|i| i.contains("zone_id")), "{unknown:?}");
}

#[test]
#[cfg_attr(not(feature = "gcloud"), ignore = "needs the gcloud feature")]
fn the_example_s_commented_table_is_valid_when_uncommented() {
    let example = include_str!("../../config.toml.example");
    let start = example
        .find("# [providers.gdns]")
        .expect("config.toml.example has the gcloud example");
    // Its lines of TOML, without metadata_url: the alternative to a key file.
    let table: String = example[start..]
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| l.starts_with('[') || l.contains(" = "))
        .filter(|l| !l.starts_with("metadata_url"))
        .map(|l| format!("{l}\n"))
        .collect();
    let c = gcloud(&format!("{BASE}\n{table}"));
    assert_eq!(
        (c.project.as_str(), c.managed_zone.as_str()),
        ("my-project", "example-com")
    );
    assert_eq!(c.credentials.describe(), "file /etc/rtoguard/gcloud.json");
    assert_eq!(c.api_url, "https://dns.googleapis.com");
}
