//! Finding the hosted zone and listing the record sets of one name and type.

use rtoguard_provider_api::limits::retry;
use rtoguard_provider_api::{ProviderError, RecordSet, RecordType};
use tracing::debug;

use crate::api::{self, ListStart};
use crate::{Route53Provider, plan};

impl Route53Provider {
    /// The hosted zone id for `zone`: the configured one, or found by name.
    pub async fn zone_id(&self, zone: &str) -> Result<String, ProviderError> {
        if let Some(id) = &self.hosted_zone_id {
            return Ok(id.clone());
        }
        let zone = plan::absolute(zone);
        let mut cache = self.zones.lock().await;
        if let Some(id) = cache.get(&zone) {
            return Ok(id.clone());
        }
        let zones = retry(&self.budget, self.policy, "list hosted zones", || async {
            self.api
                .list_hosted_zones_by_name(&zone)
                .await
                .map_err(|e| self.judge(e))
        })
        .await?;
        let id = self.pick_zone(&zones, &zone)?;
        debug!(provider = %self.name, zone, zone_id = id, "Found the hosted zone.");
        cache.insert(zone, id.clone());
        Ok(id)
    }

    /// The one hosted zone named `zone` (absolute) among `zones`.
    fn pick_zone(&self, zones: &[api::HostedZone], zone: &str) -> Result<String, ProviderError> {
        let found: Vec<_> = zones
            .iter()
            .filter(|z| plan::absolute(&z.name) == zone)
            .collect();
        match found.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(ProviderError::NotFound {
                provider: self.name.clone(),
                message: format!("no hosted zone named {zone} is visible to these credentials"),
            }),
            _ => Err(ProviderError::BadRequest {
                provider: self.name.clone(),
                message: format!(
                    "{} hosted zones are named {zone}: set hosted_zone_id",
                    found.len()
                ),
            }),
        }
    }

    /// The doctor's proof, one request each and no retries: find the
    /// hosted zone (unless its id is configured) and list the record sets
    /// at `name`, with the configured identity.
    pub(crate) async fn prove(
        &self,
        zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<String, ProviderError> {
        let zone = plan::absolute(zone);
        let (zone_id, how) = match &self.hosted_zone_id {
            Some(id) => (id.clone(), "configured"),
            None => {
                self.budget.acquire().await;
                let zones = self
                    .api
                    .list_hosted_zones_by_name(&zone)
                    .await
                    .map_err(|e| self.judge(e))?;
                (self.pick_zone(&zones, &zone)?, "found by name")
            }
        };
        self.budget.acquire().await;
        let start = ListStart {
            name: plan::absolute(name),
            rtype: rtype.as_str().to_string(),
            identifier: None,
        };
        let page = self
            .api
            .list_resource_record_sets(&zone_id, &start)
            .await
            .map_err(|e| self.judge(e))?;
        let here = page
            .sets
            .iter()
            .filter(|r| plan::absolute(&r.name) == start.name && r.rtype == start.rtype)
            .count();
        Ok(format!(
            "hosted zone {zone} ({zone_id}, {how}) read with {}; its record sets listed: {here} at {} {rtype}",
            self.credential_source, start.name
        ))
    }

    /// Every set of `name`/`rtype`, following pages. The caller holds a budget
    /// token for the first request; each further page takes its own.
    pub(crate) async fn list_sets(
        &self,
        zone_id: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        let raw = self.list_raw(zone_id, name, rtype).await?;
        Ok(raw.iter().map(|r| plan::from_rrset(r, rtype)).collect())
    }

    /// [`Self::list_sets`] in Route 53's own terms, routing fields and all.
    pub(crate) async fn list_raw(
        &self,
        zone_id: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<api::ResourceRecordSet>, ProviderError> {
        let name = plan::absolute(name);
        let mut start = ListStart {
            name: name.clone(),
            rtype: rtype.as_str().to_string(),
            identifier: None,
        };
        let mut sets = Vec::new();
        loop {
            let page = self
                .api
                .list_resource_record_sets(zone_id, &start)
                .await
                .map_err(|e| self.judge(e))?;
            let ours = |r: &api::ResourceRecordSet| {
                plan::absolute(&r.name) == name && r.rtype == rtype.as_str()
            };
            let past = page.sets.iter().any(|r| !ours(r));
            sets.extend(page.sets.iter().filter(|r| ours(r)).cloned());
            match page.next {
                Some((n, t, identifier)) if !past && plan::absolute(&n) == name => {
                    start = ListStart {
                        name: n,
                        rtype: t,
                        identifier,
                    };
                    self.budget.acquire().await;
                }
                _ => {
                    let key = (zone_id.to_string(), name, rtype);
                    let mut last = self.last_read.lock().unwrap_or_else(|e| e.into_inner());
                    last.insert(key, sets.clone());
                    return Ok(sets);
                }
            }
        }
    }

    /// The sets of `name`/`rtype` as Route 53 holds them, with retries.
    pub(crate) async fn read_raw(
        &self,
        zone_id: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<api::ResourceRecordSet>, ProviderError> {
        retry(&self.budget, self.policy, "list record sets", || {
            self.list_raw(zone_id, name, rtype)
        })
        .await
    }

    pub(crate) async fn read_in(
        &self,
        zone_id: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        retry(&self.budget, self.policy, "list record sets", || {
            self.list_sets(zone_id, name, rtype)
        })
        .await
    }
}
