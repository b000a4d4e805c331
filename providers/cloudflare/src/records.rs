//! Zone lookup (by id or by name, cached) and record listing that follows pagination.

use std::collections::HashMap;

use rtoguard_provider_api::{ProviderError, RecordType};

use crate::api::{Record, Zone};
use crate::client::Client;
use crate::plan::bare;

/// Records per page unless told otherwise.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// A listing longer than this many pages is refused rather than followed forever.
const MAX_PAGES: u32 = 1000;

/// Zone ids: the configured one, or found by name and remembered. The lock is
/// held across a lookup so concurrent callers send one request, not many.
#[derive(Debug)]
pub struct Zones {
    fixed: Option<String>,
    found: tokio::sync::Mutex<HashMap<String, String>>,
}

impl Zones {
    pub fn new(fixed: Option<String>) -> Self {
        Self {
            fixed,
            found: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The id of `zone` (`example.com.`).
    pub async fn id(&self, client: &Client, zone: &str) -> Result<String, ProviderError> {
        if let Some(id) = &self.fixed {
            return Ok(id.clone());
        }
        let name = bare(zone);
        let mut found = self.found.lock().await;
        if let Some(id) = found.get(&name) {
            return Ok(id.clone());
        }
        let answer = client
            .get::<Vec<Zone>>("/zones", &[("name", name.clone())])
            .await?;
        let id = pick(client, answer.result, &name)?;
        found.insert(name, id.clone());
        Ok(id)
    }

    /// The id of `zone`, asked once (no retries, no cache): the doctor's.
    pub async fn id_once(&self, client: &Client, zone: &str) -> Result<String, ProviderError> {
        if let Some(id) = &self.fixed {
            return Ok(id.clone());
        }
        let name = bare(zone);
        let answer = client
            .get_once::<Vec<Zone>>("/zones", &[("name", name.clone())])
            .await?;
        pick(client, answer.result, &name)
    }
}

/// The id of the zone called `name` among `zones`.
fn pick(client: &Client, zones: Vec<Zone>, name: &str) -> Result<String, ProviderError> {
    zones
        .into_iter()
        .find(|z| bare(&z.name) == name)
        .map(|z| z.id)
        .ok_or_else(|| ProviderError::NotFound {
            provider: client.provider().to_string(),
            message: format!("no zone named {name} is visible to this token"),
        })
}

/// `GET /zones/{id}/dns_records`, every page, optionally filtered by name and type.
pub async fn list(
    client: &Client,
    zone_id: &str,
    name: Option<&str>,
    rtype: Option<RecordType>,
    per_page: u32,
) -> Result<Vec<Record>, ProviderError> {
    let path = format!("/zones/{zone_id}/dns_records");
    let mut out = Vec::new();
    let mut page = 1u32;
    loop {
        let mut query = vec![
            ("page", page.to_string()),
            ("per_page", per_page.to_string()),
        ];
        if let Some(n) = name {
            query.push(("name", bare(n)));
        }
        if let Some(t) = rtype {
            query.push(("type", t.as_str().to_string()));
        }
        let answer = client.get::<Vec<Record>>(&path, &query).await?;
        let got = answer.result.len();
        out.extend(answer.result);
        let total_pages = answer.info.map_or(page, |i| i.total_pages);
        if page >= total_pages || got == 0 {
            return Ok(out);
        }
        if page >= MAX_PAGES {
            return Err(ProviderError::Server {
                provider: client.provider().to_string(),
                message: format!("{path}: more than {MAX_PAGES} pages of records"),
            });
        }
        page += 1;
    }
}
