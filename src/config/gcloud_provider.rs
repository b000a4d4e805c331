//! Validation of a `type = "gcloud"` provider table (Google Cloud DNS).

use super::locate::Issues;
use super::raw::RawGcloud;
use super::secret::SecretSource;
use super::tables::url_check;
use super::types::{GcloudConfig, GcloudCredentials};

const GCLOUD_API: &str = "https://dns.googleapis.com";
const GCLOUD_METADATA: &str = "http://metadata.google.internal";

pub(super) fn gcloud(issues: &mut Issues<'_>, raw: RawGcloud, field: &str) -> Option<GcloudConfig> {
    let mut ok = true;
    let project = raw.project.get_ref().trim().to_string();
    // Project ids: 6 to 30 lower-case letters, digits and hyphens.
    if project.is_empty()
        || !project
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        let msg = format!(
            "{project:?} is not a project id: write the id (lower-case letters, digits and hyphens), e.g. \"my-project-123\""
        );
        issues.add(Some(raw.project.span()), format!("{field}.project"), msg);
        ok = false;
    }
    let zone = raw.managed_zone.get_ref().trim().to_string();
    // Managed zone names: a letter, then lower-case letters, digits and hyphens.
    if !zone.starts_with(|c: char| c.is_ascii_lowercase())
        || !zone
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || zone.len() > 63
    {
        let msg = format!(
            "{zone:?} is not a managed zone name: write the zone's name in Cloud DNS (not its DNS name), e.g. \"example-com\""
        );
        issues.add(
            Some(raw.managed_zone.span()),
            format!("{field}.managed_zone"),
            msg,
        );
        ok = false;
    }
    let credentials = match (&raw.credentials_file, &raw.metadata_url) {
        (Some(_), Some(url)) => {
            issues.add(
                Some(url.span()),
                format!("{field}.metadata_url"),
                "set credentials_file or metadata_url, not both: a key file is used without the metadata server",
            );
            ok = false;
            None
        }
        (Some(path), None) => Some(GcloudCredentials::KeyFile(SecretSource::File(
            path.get_ref().clone(),
        ))),
        (None, url) => {
            if let Some(url) = url {
                url_check(issues, url, &format!("{field}.metadata_url"));
            }
            let url = url
                .as_ref()
                .map_or(GCLOUD_METADATA, |u| u.get_ref().as_str());
            Some(GcloudCredentials::MetadataServer(
                url.trim_end_matches('/').to_string(),
            ))
        }
    };
    if let Some(url) = &raw.api_url {
        url_check(issues, url, &format!("{field}.api_url"));
    }
    let rps = issues.count(
        &raw.requests_per_second,
        &format!("{field}.requests_per_second"),
        5,
    );
    if !ok {
        return None;
    }
    Some(GcloudConfig {
        project,
        managed_zone: zone,
        credentials: credentials?,
        api_url: raw.api_url.map_or_else(
            || GCLOUD_API.to_string(),
            |u| u.into_inner().trim_end_matches('/').to_string(),
        ),
        requests_per_second: rps,
    })
}
