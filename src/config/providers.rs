//! Validation of the `[providers.NAME]` tables.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use serde_spanned::Spanned;
use toml::de::DeValue;

use super::locate::Issues;
use super::raw::{RawCloudflare, RawPowerDns, RawRfc2136, RawRoute53, RawWebhookProvider};
use super::tables::{as_table, parse_section, tag, url_check};
use super::types::*;
use super::values::{is_hostname, normalize_name};

const PROVIDER_TYPES: &str =
    "rfc2136, route53, cloudflare, powerdns, embedded, webhook, azure, gcloud";
const CLOUDFLARE_API: &str = "https://api.cloudflare.com/client/v4";

/// Every provider that validates, by name.
pub(super) fn providers(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    value: Option<&Spanned<DeValue<'_>>>,
) -> BTreeMap<String, ProviderConfig> {
    let mut out = BTreeMap::new();
    let table = match value.map(|v| (v, v.get_ref())) {
        None => return out,
        Some((_, DeValue::Table(t))) => t,
        Some((v, _)) => {
            issues.add(
                Some(v.span()),
                "providers",
                "must be a table of named providers, e.g. [providers.corp-bind]",
            );
            return out;
        }
    };
    for (name, item) in table.iter() {
        let name = name.get_ref().to_string();
        if let Some(kind) = provider(issues, root, &name, item) {
            out.insert(name.clone(), ProviderConfig { name, kind });
        }
    }
    out
}

fn provider(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    name: &str,
    item: &Spanned<DeValue<'_>>,
) -> Option<ProviderKind> {
    let field = format!("providers.{name}");
    let kind = tag(issues, item, &field, PROVIDER_TYPES)?;
    if !super::compiled::provider_compiled(kind) {
        let span = as_table(item).and_then(|t| t.get("type")).map(|t| t.span());
        issues.add(
            span,
            format!("{field}.type"),
            super::compiled::compiled_out(kind),
        );
        return None;
    }
    match kind {
        "rfc2136" => {
            let raw = parse_section::<RawRfc2136>(issues, root, item, &field)?;
            rfc2136(issues, raw, &field, item.span()).map(ProviderKind::Rfc2136)
        }
        "route53" => {
            let raw = parse_section::<RawRoute53>(issues, root, item, &field)?;
            if let Some(url) = &raw.endpoint_url {
                url_check(issues, url, &format!("{field}.endpoint_url"));
            }
            Some(ProviderKind::Route53(Route53Config {
                region: raw.region,
                endpoint_url: raw.endpoint_url.map(Spanned::into_inner),
                hosted_zone_id: raw.hosted_zone_id,
                requests_per_second: issues.count(
                    &raw.requests_per_second,
                    &format!("{field}.requests_per_second"),
                    5,
                ),
            }))
        }
        "powerdns" => {
            let raw = parse_section::<RawPowerDns>(issues, root, item, &field)?;
            powerdns(issues, raw, &field, item.span()).map(ProviderKind::PowerDns)
        }
        "embedded" => {
            let raw = parse_section::<super::embedded::RawEmbedded>(issues, root, item, &field)?;
            super::embedded::embedded(issues, raw, &field, item.span()).map(ProviderKind::Embedded)
        }
        "webhook" => {
            let raw = parse_section::<RawWebhookProvider>(issues, root, item, &field)?;
            super::webhook_provider::webhook(issues, raw, &field, item.span())
                .map(ProviderKind::Webhook)
        }
        "azure" => {
            let raw = parse_section::<super::azure::RawAzure>(issues, root, item, &field)?;
            super::azure::azure(issues, raw, &field, item.span()).map(ProviderKind::Azure)
        }
        "gcloud" => {
            let raw = parse_section::<super::raw::RawGcloud>(issues, root, item, &field)?;
            super::gcloud_provider::gcloud(issues, raw, &field).map(ProviderKind::Gcloud)
        }
        _ => {
            let raw = parse_section::<RawCloudflare>(issues, root, item, &field)?;
            cloudflare(issues, raw, &field, item.span()).map(ProviderKind::Cloudflare)
        }
    }
}

fn rfc2136(
    issues: &mut Issues<'_>,
    raw: RawRfc2136,
    field: &str,
    span: Range<usize>,
) -> Option<Rfc2136Config> {
    let server = issues.dns_server(&raw.server, &format!("{field}.server"));
    if !is_hostname(raw.tsig_key_name.get_ref()) {
        let msg = format!(
            "{:?} is not a key name: write a DNS name, e.g. \"rtoguard.\"",
            raw.tsig_key_name.get_ref()
        );
        issues.add(
            Some(raw.tsig_key_name.span()),
            format!("{field}.tsig_key_name"),
            msg,
        );
    }
    let algorithm =
        super::tsig::tsig_algorithm(issues, &raw.tsig_algorithm, field, "tsig_algorithm");
    let secret = issues.secret(
        field,
        "tsig_secret",
        &raw.tsig_secret,
        &raw.tsig_secret_file,
        &raw.tsig_secret_env,
        Some(span),
    );
    let timeout = issues.duration(
        &raw.timeout,
        &format!("{field}.timeout"),
        Duration::from_secs(5),
        true,
    );
    let rps = issues.count(
        &raw.requests_per_second,
        &format!("{field}.requests_per_second"),
        20,
    );
    Some(Rfc2136Config {
        server: server?,
        tsig_key_name: normalize_name(raw.tsig_key_name.get_ref()),
        tsig_algorithm: algorithm?,
        tsig_secret: secret?,
        timeout,
        requests_per_second: rps,
    })
}

fn cloudflare(
    issues: &mut Issues<'_>,
    raw: RawCloudflare,
    field: &str,
    span: Range<usize>,
) -> Option<CloudflareConfig> {
    let token = issues.secret(
        field,
        "api_token",
        &raw.api_token,
        &raw.api_token_file,
        &raw.api_token_env,
        Some(span),
    );
    if let Some(url) = &raw.api_url {
        url_check(issues, url, &format!("{field}.api_url"));
    }
    let rps = issues.count(
        &raw.requests_per_second,
        &format!("{field}.requests_per_second"),
        4,
    );
    let ttl_floor = issues.ttl(
        &raw.min_ttl,
        &format!("{field}.min_ttl"),
        super::compiled::CLOUDFLARE_TTL_FLOOR,
    );
    Some(CloudflareConfig {
        api_token: token?,
        api_url: raw
            .api_url
            .map_or_else(|| CLOUDFLARE_API.to_string(), Spanned::into_inner),
        zone_id: raw.zone_id,
        requests_per_second: rps,
        ttl_floor,
    })
}

fn powerdns(
    issues: &mut Issues<'_>,
    raw: RawPowerDns,
    field: &str,
    span: Range<usize>,
) -> Option<PowerDnsConfig> {
    let key = issues.secret(
        field,
        "api_key",
        &raw.api_key,
        &raw.api_key_file,
        &raw.api_key_env,
        Some(span),
    );
    url_check(issues, &raw.api_url, &format!("{field}.api_url"));
    if !raw
        .api_url
        .get_ref()
        .trim_end_matches('/')
        .ends_with("/api/v1")
    {
        let msg = format!(
            "{:?} does not end in /api/v1, where PowerDNS serves its API: write e.g. \"http://127.0.0.1:8081/api/v1\"",
            raw.api_url.get_ref()
        );
        issues.add(Some(raw.api_url.span()), format!("{field}.api_url"), msg);
    }
    let server_id = match raw.server_id {
        None => "localhost".to_string(),
        Some(id) => {
            let text = id.get_ref().trim();
            if text.is_empty() || text.contains('/') {
                let msg = format!("{text:?} is not a server id: PowerDNS's is \"localhost\"");
                issues.add(Some(id.span()), format!("{field}.server_id"), msg);
            }
            text.to_string()
        }
    };
    let dns_server = match &raw.dns_server {
        None => Some(None),
        Some(s) => issues
            .dns_server(s, &format!("{field}.dns_server"))
            .map(Some),
    };
    let rps = issues.count(
        &raw.requests_per_second,
        &format!("{field}.requests_per_second"),
        10,
    );
    Some(PowerDnsConfig {
        api_key: key?,
        api_url: raw.api_url.into_inner(),
        server_id,
        dns_server: dns_server?,
        requests_per_second: rps,
    })
}
