//! Shared pieces of the Route 53 tests: record builders, the strict fake, a recorder.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

pub mod fake;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rtoguard_provider_api::{Change, RecordSet, RecordType};
use rtoguard_route53::api::{
    ApiError, BatchChange, ChangeInfo, HostedZone, ListStart, RecordSetPage, Route53Api,
};
use rtoguard_route53::plan;

pub const PRIMARY: &str = "192.0.2.10";
pub const STANDBY: &str = "198.51.100.10";

/// A weighted pool set at `name`.
pub fn pool(name: &str, id: &str, ip: &str, ttl: u32, weight: u32) -> RecordSet {
    RecordSet::new(name, RecordType::A, ttl, [ip]).with_weight(id, weight)
}

/// Primary and standby pools with the given weights.
pub fn pools(name: &str, ttl: u32, primary: u32, standby: u32) -> Vec<RecordSet> {
    vec![
        pool(name, "primary", PRIMARY, ttl, primary),
        pool(name, "standby", STANDBY, ttl, standby),
    ]
}

/// A change from `expected` to `desired` at `name` (type A).
pub fn change(name: &str, expected: Vec<RecordSet>, desired: Vec<RecordSet>) -> Change {
    Change::new(name, RecordType::A, expected, desired).expect("a valid change")
}

/// Sets as Route 53 takes them (for seeding the fake).
pub fn rrsets(sets: &[RecordSet]) -> Vec<rtoguard_route53::api::ResourceRecordSet> {
    sets.iter().map(plan::to_rrset).collect()
}

/// Sorted by set id, for comparing reads.
pub fn sorted(mut sets: Vec<RecordSet>) -> Vec<RecordSet> {
    sets.sort_by(|a, b| a.set_id.cmp(&b.set_id).then(a.values.cmp(&b.values)));
    sets
}

/// Passes every call through to `inner` and keeps each change batch sent.
#[derive(Debug)]
pub struct Recording {
    pub inner: Arc<dyn Route53Api>,
    pub batches: Mutex<Vec<Vec<BatchChange>>>,
}

impl Recording {
    pub fn new(inner: Arc<dyn Route53Api>) -> Self {
        Self {
            inner,
            batches: Mutex::new(Vec::new()),
        }
    }
    pub fn batches(&self) -> Vec<Vec<BatchChange>> {
        self.batches.lock().expect("lock").clone()
    }
}

#[async_trait]
impl Route53Api for Recording {
    async fn list_hosted_zones_by_name(&self, dns_name: &str) -> Result<Vec<HostedZone>, ApiError> {
        self.inner.list_hosted_zones_by_name(dns_name).await
    }
    async fn list_resource_record_sets(
        &self,
        zone_id: &str,
        start: &ListStart,
    ) -> Result<RecordSetPage, ApiError> {
        self.inner.list_resource_record_sets(zone_id, start).await
    }
    async fn change_resource_record_sets(
        &self,
        zone_id: &str,
        changes: &[BatchChange],
    ) -> Result<ChangeInfo, ApiError> {
        self.batches.lock().expect("lock").push(changes.to_vec());
        self.inner
            .change_resource_record_sets(zone_id, changes)
            .await
    }
    async fn get_change(&self, change_id: &str) -> Result<ChangeInfo, ApiError> {
        self.inner.get_change(change_id).await
    }
}
