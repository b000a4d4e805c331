//! The doctor's access proof: the token-verify endpoint, then a read of the zone, each sent once.

use rtoguard_provider_api::{ProviderError, RecordType};
use serde::Deserialize;

use crate::CloudflareProvider;
use crate::api::Record;
use crate::plan::bare;

/// What `GET /user/tokens/verify` says about the token.
#[derive(Debug, Deserialize)]
struct Verified {
    #[serde(default)]
    status: String,
}

impl CloudflareProvider {
    /// Verify the token, find the zone, list the records at `name`: one
    /// request each, no retries.
    pub(crate) async fn prove(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<String, ProviderError> {
        let verified = self
            .client
            .get_once::<Verified>("/user/tokens/verify", &[])
            .await?;
        if verified.result.status != "active" {
            return Err(ProviderError::Auth {
                provider: self.name.clone(),
                credential_source: self.client.token_source().to_string(),
                message: format!(
                    "the token is {}, not active",
                    if verified.result.status.is_empty() {
                        "of unknown status"
                    } else {
                        &verified.result.status
                    }
                ),
            });
        }
        let zone_id = self.zones.id_once(&self.client, zone).await?;
        let path = format!("/zones/{zone_id}/dns_records");
        let query = [
            ("page", "1".to_string()),
            ("per_page", "5".to_string()),
            ("name", bare(name)),
            ("type", rtype.as_str().to_string()),
        ];
        let records = self.client.get_once::<Vec<Record>>(&path, &query).await?;
        Ok(format!(
            "the token from {} is active; zone {} ({zone_id}) read: {} record(s) at {} {rtype}",
            self.client.token_source(),
            bare(zone),
            records.result.len(),
            bare(name)
        ))
    }
}
