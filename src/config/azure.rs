//! Validation of a `type = "azure"` provider table (Azure DNS through Azure Resource Manager).

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::locate::Issues;
use super::raw::S;
use super::secret::SecretSource;
use super::tables::url_check;
use super::values::{is_hostname, normalize_name};

pub const AZURE_API_URL: &str = "https://management.azure.com";
pub const AZURE_LOGIN_URL: &str = "https://login.microsoftonline.com";
pub const AZURE_IMDS_URL: &str = "http://169.254.169.254";
/// Azure applies a record set PUT before it answers: about a second.
pub const WRITE_AZURE: Duration = rtoguard_provider_api::table::AZURE.sync_time;

/// One Azure DNS provider.
#[derive(Debug, Clone)]
pub struct AzureConfig {
    pub subscription_id: String,
    pub resource_group: String,
    /// The Azure zone (absolute, lower-case); `None`: each service's zone.
    pub zone_name: Option<String>,
    pub credentials: AzureCredentials,
    pub api_url: String,
    pub login_url: String,
    pub imds_url: String,
    pub requests_per_second: u32,
}

/// How rtoguard signs in to Azure.
#[derive(Debug, Clone)]
pub enum AzureCredentials {
    /// An app registration's client secret.
    ClientSecret {
        tenant_id: String,
        client_id: String,
        secret: SecretSource,
    },
    /// The machine's managed identity (a user-assigned one by `client_id`).
    ManagedIdentity { client_id: Option<String> },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAzure {
    #[serde(rename = "type")]
    pub _type: IgnoredAny,
    pub subscription_id: S<String>,
    pub resource_group: S<String>,
    pub zone_name: Option<S<String>>,
    pub credentials: Option<S<String>>,
    pub tenant_id: Option<S<String>>,
    pub client_id: Option<S<String>>,
    pub client_secret: Option<S<IgnoredAny>>,
    pub client_secret_file: Option<S<PathBuf>>,
    pub client_secret_env: Option<S<String>>,
    pub api_url: Option<S<String>>,
    pub login_url: Option<S<String>>,
    pub imds_url: Option<S<String>>,
    pub requests_per_second: Option<S<u32>>,
}

/// `8-4-4-4-12` hexadecimal digits: how Azure writes subscription, tenant and client ids.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Azure's rule for resource group names: 1 to 90 letters, digits,
/// `_ - . ( )`, not ending in a period.
fn is_resource_group(text: &str) -> bool {
    (1..=90).contains(&text.len())
        && !text.ends_with('.')
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.()".contains(c))
}

pub(super) fn azure(
    issues: &mut Issues<'_>,
    raw: RawAzure,
    field: &str,
    span: Range<usize>,
) -> Option<AzureConfig> {
    let mut ok = true;
    let mut check = |issues: &mut Issues<'_>, v: &S<String>, key: &str, good: bool, want: &str| {
        if !good {
            let msg = format!("{:?} is not {want}", v.get_ref());
            issues.add(Some(v.span()), format!("{field}.{key}"), msg);
            ok = false;
        }
    };
    let sub = &raw.subscription_id;
    check(
        issues,
        sub,
        "subscription_id",
        is_guid(sub.get_ref()),
        "a subscription id (a GUID, e.g. \"d2b1c0a9-8f7e-4d6c-b5a4-938271605f4e\")",
    );
    let rg = &raw.resource_group;
    check(
        issues,
        rg,
        "resource_group",
        is_resource_group(rg.get_ref()),
        "a resource group name (1 to 90 letters, digits, _ - . ( ), not ending in a period)",
    );
    if let Some(z) = &raw.zone_name {
        check(
            issues,
            z,
            "zone_name",
            is_hostname(z.get_ref()),
            "a DNS zone name, e.g. \"example.com\"",
        );
    }
    if let Some(c) = &raw.client_id {
        check(
            issues,
            c,
            "client_id",
            is_guid(c.get_ref()),
            "a client id (the app's or identity's GUID)",
        );
    }
    for (key, url) in [
        ("api_url", &raw.api_url),
        ("login_url", &raw.login_url),
        ("imds_url", &raw.imds_url),
    ] {
        if let Some(u) = url {
            url_check(issues, u, &format!("{field}.{key}"));
        }
    }
    let credentials = credentials(issues, &raw, field, span);
    let rps = issues.count(
        &raw.requests_per_second,
        &format!("{field}.requests_per_second"),
        5,
    );
    let url =
        |u: Option<S<String>>, default: &str| u.map_or_else(|| default.to_string(), S::into_inner);
    let config = AzureConfig {
        subscription_id: raw.subscription_id.into_inner(),
        resource_group: raw.resource_group.into_inner(),
        zone_name: raw.zone_name.map(|z| normalize_name(z.get_ref())),
        credentials: credentials?,
        api_url: url(raw.api_url, AZURE_API_URL),
        login_url: url(raw.login_url, AZURE_LOGIN_URL),
        imds_url: url(raw.imds_url, AZURE_IMDS_URL),
        requests_per_second: rps,
    };
    ok.then_some(config)
}

/// What `check` prints for this provider: where it writes and how it signs in.
pub(super) fn summary(c: &AzureConfig) -> String {
    let who = match &c.credentials {
        AzureCredentials::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } => format!(
            "client {client_id} of tenant {tenant_id} (secret from {})",
            secret.describe()
        ),
        AzureCredentials::ManagedIdentity { client_id: None } => "the managed identity".to_string(),
        AzureCredentials::ManagedIdentity {
            client_id: Some(id),
        } => format!("managed identity {id}"),
    };
    let zone = c.zone_name.as_ref().map_or_else(
        || "each service's zone".to_string(),
        |z| format!("zone {z}"),
    );
    format!(
        "azure subscription {} resource group {}, {zone}, as {who}, {} req/s",
        c.subscription_id, c.resource_group, c.requests_per_second
    )
}

/// `credentials = "client-secret"` (the default) or `"managed-identity"`,
/// with exactly the fields each needs.
fn credentials(
    issues: &mut Issues<'_>,
    raw: &RawAzure,
    field: &str,
    span: Range<usize>,
) -> Option<AzureCredentials> {
    let kind = raw
        .credentials
        .as_ref()
        .map_or("client-secret", |c| c.get_ref().as_str());
    match kind {
        "client-secret" => {
            let tenant = match &raw.tenant_id {
                Some(t) if !t.get_ref().is_empty() && !t.get_ref().contains('/') => {
                    Some(t.get_ref().clone())
                }
                Some(t) => {
                    let msg = format!(
                        "{:?} is not a tenant id: write its GUID or its domain, e.g. \"contoso.onmicrosoft.com\"",
                        t.get_ref()
                    );
                    issues.add(Some(t.span()), format!("{field}.tenant_id"), msg);
                    None
                }
                None => {
                    issues.add(
                        Some(span.clone()),
                        format!("{field}.tenant_id"),
                        "a client secret needs tenant_id (the directory's id)",
                    );
                    None
                }
            };
            if raw.client_id.is_none() {
                issues.add(
                    Some(span.clone()),
                    format!("{field}.client_id"),
                    "a client secret needs client_id (the app registration's id)",
                );
            }
            let secret = issues.secret(
                field,
                "client_secret",
                &raw.client_secret,
                &raw.client_secret_file,
                &raw.client_secret_env,
                Some(span),
            );
            Some(AzureCredentials::ClientSecret {
                tenant_id: tenant?,
                client_id: raw.client_id.as_ref()?.get_ref().clone(),
                secret: secret?,
            })
        }
        "managed-identity" => {
            let unused = [
                ("tenant_id", raw.tenant_id.as_ref().map(S::span)),
                ("client_secret", raw.client_secret.as_ref().map(S::span)),
                (
                    "client_secret_file",
                    raw.client_secret_file.as_ref().map(S::span),
                ),
                (
                    "client_secret_env",
                    raw.client_secret_env.as_ref().map(S::span),
                ),
            ];
            let mut ok = true;
            for (key, at) in unused.into_iter().filter_map(|(k, s)| Some((k, s?))) {
                issues.add(Some(at), format!("{field}.{key}"), "a managed identity takes no tenant or secret: leave it out, or set credentials = \"client-secret\"");
                ok = false;
            }
            let client_id = raw.client_id.as_ref().map(|c| c.get_ref().clone());
            ok.then_some(AzureCredentials::ManagedIdentity { client_id })
        }
        other => {
            let span = raw.credentials.as_ref().map(S::span);
            let msg = format!(
                "{other:?} is not a kind of credentials: allowed are client-secret, managed-identity"
            );
            issues.add(span, format!("{field}.credentials"), msg);
            None
        }
    }
}
