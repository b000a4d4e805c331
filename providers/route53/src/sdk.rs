//! [`Route53Api`] over the AWS SDK, with a rustls (ring) HTTPS client.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_route53::Client;
use aws_sdk_route53::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_route53::types::{self as t, RrType};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::Route53Settings;
use crate::api::{
    Action, ApiError, BatchChange, ChangeInfo, ChangeStatus, GeoLocation, HostedZone, ListStart,
    RecordSetPage, ResourceRecordSet, Route53Api, Routing,
};
use rtoguard_provider_api::AliasTarget;

/// The real Route 53 API.
#[derive(Debug, Clone)]
pub struct SdkRoute53 {
    client: Client,
}

impl SdkRoute53 {
    /// Build a client from the settings. The SDK's own retries are off:
    /// rtoguard retries itself so that every request passes its budget.
    pub async fn new(s: &Route53Settings) -> Self {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(30))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts);
        if let Some(region) = &s.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &s.endpoint_url {
            loader = loader.endpoint_url(url.clone());
        }
        if let Some((key_id, secret)) = &s.credentials {
            let creds = Credentials::new(key_id, secret, None, None, "rtoguard-static");
            loader = loader.credentials_provider(creds);
        }
        Self {
            client: Client::new(&loader.load().await),
        }
    }

    /// The SDK client itself, for calls outside the seam (tests create zones).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl Route53Api for SdkRoute53 {
    async fn list_hosted_zones_by_name(&self, dns_name: &str) -> Result<Vec<HostedZone>, ApiError> {
        let out = self
            .client
            .list_hosted_zones_by_name()
            .dns_name(dns_name)
            .max_items(100)
            .send()
            .await
            .map_err(api_error)?;
        Ok(out
            .hosted_zones()
            .iter()
            .map(|z| HostedZone {
                id: bare_id(z.id()),
                name: z.name().to_string(),
                private: z.config().is_some_and(|c| c.private_zone()),
            })
            .collect())
    }

    async fn list_resource_record_sets(
        &self,
        zone_id: &str,
        start: &ListStart,
    ) -> Result<RecordSetPage, ApiError> {
        let mut req = self
            .client
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(&start.name)
            .start_record_type(RrType::from(start.rtype.as_str()))
            .max_items(100);
        if let Some(id) = &start.identifier {
            req = req.start_record_identifier(id);
        }
        let out = req.send().await.map_err(api_error)?;
        let next = match (out.is_truncated(), out.next_record_name()) {
            (true, Some(name)) => Some((
                name.to_string(),
                out.next_record_type()
                    .map_or("", |t| t.as_str())
                    .to_string(),
                out.next_record_identifier().map(str::to_string),
            )),
            _ => None,
        };
        Ok(RecordSetPage {
            sets: out.resource_record_sets().iter().map(from_sdk).collect(),
            next,
        })
    }

    async fn change_resource_record_sets(
        &self,
        zone_id: &str,
        changes: &[BatchChange],
    ) -> Result<ChangeInfo, ApiError> {
        let mut batch = t::ChangeBatch::builder().comment("rtoguard");
        for c in changes {
            batch = batch.changes(to_sdk(c)?);
        }
        let batch = batch.build().map_err(|e| ApiError::Other(e.to_string()))?;
        let out = self
            .client
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch)
            .send()
            .await
            .map_err(api_error)?;
        change_info(out.change_info())
    }

    async fn get_change(&self, change_id: &str) -> Result<ChangeInfo, ApiError> {
        let out = self
            .client
            .get_change()
            .id(change_id)
            .send()
            .await
            .map_err(api_error)?;
        change_info(out.change_info())
    }
}

fn change_info(info: Option<&t::ChangeInfo>) -> Result<ChangeInfo, ApiError> {
    let info = info.ok_or_else(|| ApiError::Other("the answer holds no ChangeInfo".into()))?;
    let status = match info.status() {
        t::ChangeStatus::Insync => ChangeStatus::InSync,
        _ => ChangeStatus::Pending,
    };
    Ok(ChangeInfo {
        id: bare_id(info.id()),
        status,
    })
}

/// `/hostedzone/Z1` → `Z1`, `/change/C1` → `C1`.
fn bare_id(id: &str) -> String {
    id.rsplit('/').next().unwrap_or(id).to_string()
}

fn from_sdk(s: &t::ResourceRecordSet) -> ResourceRecordSet {
    ResourceRecordSet {
        name: s.name().to_string(),
        rtype: s.r#type().as_str().to_string(),
        ttl: s.ttl(),
        values: s
            .resource_records()
            .iter()
            .map(|r| r.value().to_string())
            .collect(),
        set_identifier: s.set_identifier().map(str::to_string),
        weight: s.weight(),
        alias: s.alias_target().map(|a| {
            AliasTarget::new(a.dns_name(), a.hosted_zone_id(), a.evaluate_target_health())
        }),
        routing: Routing {
            health_check_id: s.health_check_id().map(str::to_string),
            region: s.region().map(|r| r.as_str().to_string()),
            failover: s.failover().map(|f| f.as_str().to_string()),
            geo_location: s.geo_location().map(|g| GeoLocation {
                continent_code: g.continent_code().map(str::to_string),
                country_code: g.country_code().map(str::to_string),
                subdivision_code: g.subdivision_code().map(str::to_string),
            }),
            multi_value_answer: s.multi_value_answer(),
        },
    }
}

fn to_sdk(c: &BatchChange) -> Result<t::Change, ApiError> {
    let built = |e: aws_sdk_route53::error::BuildError| ApiError::Other(e.to_string());
    let s = &c.set;
    let mut rrs = t::ResourceRecordSet::builder()
        .name(&s.name)
        .r#type(RrType::from(s.rtype.as_str()))
        .set_ttl(s.ttl)
        .set_set_identifier(s.set_identifier.clone())
        .set_weight(s.weight)
        .set_health_check_id(s.routing.health_check_id.clone())
        .set_region(
            s.routing
                .region
                .as_deref()
                .map(t::ResourceRecordSetRegion::from),
        )
        .set_failover(
            s.routing
                .failover
                .as_deref()
                .map(t::ResourceRecordSetFailover::from),
        )
        .set_geo_location(s.routing.geo_location.as_ref().map(|g| {
            t::GeoLocation::builder()
                .set_continent_code(g.continent_code.clone())
                .set_country_code(g.country_code.clone())
                .set_subdivision_code(g.subdivision_code.clone())
                .build()
        }))
        .set_multi_value_answer(s.routing.multi_value_answer);
    if let Some(a) = &s.alias {
        let target = t::AliasTarget::builder()
            .dns_name(&a.dns_name)
            .hosted_zone_id(&a.hosted_zone_id)
            .evaluate_target_health(a.evaluate_target_health)
            .build()
            .map_err(built)?;
        rrs = rrs.alias_target(target);
    }
    for v in &s.values {
        rrs = rrs.resource_records(
            t::ResourceRecord::builder()
                .value(v)
                .build()
                .map_err(built)?,
        );
    }
    let action = match c.action {
        Action::Delete => t::ChangeAction::Delete,
        Action::Create => t::ChangeAction::Create,
    };
    t::Change::builder()
        .action(action)
        .resource_record_set(rrs.build().map_err(built)?)
        .build()
        .map_err(built)
}

/// Turn an SDK error into an [`ApiError`]. The SDK's messages name no secret.
fn api_error<E>(err: SdkError<E, Response>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let text = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::ServiceError(se) => ApiError::Service {
            status: se.raw().status().as_u16(),
            code: se.err().code().unwrap_or("Unknown").to_string(),
            message: se.err().message().unwrap_or_default().to_string(),
        },
        SdkError::TimeoutError(_) => ApiError::Timeout(text),
        SdkError::DispatchFailure(df) if df.is_timeout() => ApiError::Timeout(text),
        SdkError::DispatchFailure(df) if df.is_io() => ApiError::Transport(text),
        _ if text.contains("credentials") || text.contains("identity") => {
            ApiError::Credentials(text)
        }
        SdkError::DispatchFailure(_) => ApiError::Transport(text),
        SdkError::ResponseError(r) if r.raw().status().is_server_error() => ApiError::Service {
            status: r.raw().status().as_u16(),
            code: "Unknown".into(),
            message: text,
        },
        _ => ApiError::Other(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_lose_their_prefix() {
        assert_eq!(bare_id("/hostedzone/Z123"), "Z123");
        assert_eq!(bare_id("/change/C9"), "C9");
        assert_eq!(bare_id("Z123"), "Z123");
    }
}
