//! Tests of the `type = "azure"` provider table: defaults, both kinds of credentials, and each mistake named by line and field.

use std::path::Path;

use super::tests_validation::{BASE, issues, line_of};
use super::{AzureCredentials, ProviderKind, parse};

const SUB: &str =
    "subscription_id = \"d2b1c0a9-8f7e-4d6c-b5a4-938271605f4e\"\nresource_group = \"rg-dns\"\n";

/// BASE plus an azure provider `az` with these extra lines.
fn with_az(lines: &str) -> String {
    format!("{BASE}\n[providers.az]\ntype = \"azure\"\n{lines}")
}

/// The issues naming `providers.az`, as "line: field: message".
fn az_issues(text: &str) -> Vec<String> {
    issues(text)
        .into_iter()
        .filter(|i| i.field.starts_with("providers.az"))
        .map(|i| format!("{}: {}: {}", i.line.unwrap_or(0), i.field, i.message))
        .collect()
}

fn azure(text: &str) -> super::AzureConfig {
    let cfg = parse(Path::new("config.toml"), text).expect("valid");
    match cfg.providers.get("az").map(|p| p.kind.clone()) {
        Some(ProviderKind::Azure(c)) => c,
        _ => panic!("no azure provider"),
    }
}

#[test]
#[cfg_attr(not(feature = "azure"), ignore = "needs the azure feature")]
fn a_client_secret_table_takes_the_defaults() {
    let c = azure(&with_az(&format!(
        "{SUB}tenant_id = \"72f988bf-86f1-41af-91ab-2d7cd011db47\"\nclient_id = \"0c1f8a3e-5b7d-4e2a-9f61-3d8b2c4a7e90\"\nclient_secret_env = \"AZURE_CLIENT_SECRET\"\n"
    )));
    assert_eq!(c.api_url, "https://management.azure.com");
    assert_eq!(c.login_url, "https://login.microsoftonline.com");
    assert_eq!((c.zone_name.as_deref(), c.requests_per_second), (None, 5));
    let AzureCredentials::ClientSecret { secret, .. } = &c.credentials else {
        panic!("not a client secret");
    };
    assert_eq!(secret.describe(), "env AZURE_CLIENT_SECRET");
    let line = super::azure::summary(&c);
    assert_eq!(
        line,
        "azure subscription d2b1c0a9-8f7e-4d6c-b5a4-938271605f4e resource group rg-dns, each service's zone, \
         as client 0c1f8a3e-5b7d-4e2a-9f61-3d8b2c4a7e90 of tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 \
         (secret from env AZURE_CLIENT_SECRET), 5 req/s"
    );
}

#[test]
#[cfg_attr(not(feature = "azure"), ignore = "needs the azure feature")]
fn a_managed_identity_needs_no_secret_and_refuses_one() {
    let c = azure(&with_az(&format!(
        "{SUB}credentials = \"managed-identity\"\nzone_name = \"Example.COM\"\nimds_url = \"http://127.0.0.1:8080\"\n"
    )));
    assert!(matches!(
        c.credentials,
        AzureCredentials::ManagedIdentity { client_id: None }
    ));
    assert_eq!(c.zone_name.as_deref(), Some("example.com."));
    assert_eq!(c.imds_url, "http://127.0.0.1:8080");
    let text = with_az(&format!(
        "{SUB}credentials = \"managed-identity\"\nclient_secret_env = \"AZURE_CLIENT_SECRET\"\n"
    ));
    let line = line_of(&text, "client_secret_env", 0);
    let got = az_issues(&text);
    assert!(
        got.iter().any(|i| i.starts_with(&format!(
            "{line}: providers.az.client_secret_env: a managed identity takes no"
        ))),
        "{got:?}"
    );
}

#[test]
#[cfg_attr(not(feature = "azure"), ignore = "needs the azure feature")]
fn each_mistake_names_its_line_and_field() {
    let text = with_az(
        "subscription_id = \"my-sub\"\nresource_group = \"rg/dns\"\ntenant_id = \"t\"\nclient_id = \"app\"\nclient_secret = \"s3cr3t\"\ncredentials = \"certificate\"\n",
    );
    let got = az_issues(&text);
    let at = |needle: &str| line_of(&text, needle, 0);
    for (line, field) in [
        (at("subscription_id = "), "providers.az.subscription_id"),
        (at("resource_group = "), "providers.az.resource_group"),
        (at("client_id = "), "providers.az.client_id"),
        (at("credentials = "), "providers.az.credentials"),
    ] {
        assert!(
            got.iter()
                .any(|i| i.starts_with(&format!("{line}: {field}: "))),
            "{field} on line {line} missing from {got:?}"
        );
    }
    let text = with_az(&format!(
        "{SUB}tenant_id = \"t\"\nclient_id = \"0c1f8a3e-5b7d-4e2a-9f61-3d8b2c4a7e90\"\nclient_secret = \"s3cr3t\"\n"
    ));
    let got = az_issues(&text);
    let line = line_of(&text, "client_secret = ", 0);
    assert!(
        got.iter().any(|i| i.starts_with(&format!(
            "{line}: providers.az.client_secret: secrets are not written"
        ))),
        "{got:?}"
    );
    assert!(got.iter().all(|i| !i.contains("s3cr3t")), "{got:?}");
    let got = az_issues(&with_az(SUB));
    for want in [
        "providers.az.tenant_id",
        "providers.az.client_id",
        "providers.az.client_secret",
    ] {
        assert!(
            got.iter().any(|i| i.contains(want)),
            "{want} missing from {got:?}"
        );
    }
}

/// The commented `[providers.az]` example in config.toml.example, uncommented.
fn example_table() -> String {
    let example = include_str!("../../config.toml.example");
    let start = example.find("# [providers.az]").expect("the azure example");
    example[start..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| {
            l.starts_with('[')
                || l.split_once(" = ")
                    .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
#[cfg_attr(not(feature = "azure"), ignore = "needs the azure feature")]
fn the_example_table_validates_once_uncommented() {
    let table = example_table();
    assert!(table.contains("client_secret_file = "), "{table}");
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("azure-client-secret");
    std::fs::write(&secret, "s3cr3t\n").expect("write");
    let table = table.replace(
        "/etc/rtoguard/azure-client-secret",
        &secret.display().to_string(),
    );
    let text = format!("{BASE}\n{table}");
    let c = azure(&text);
    assert_eq!(c.zone_name.as_deref(), Some("example.com."));
}
