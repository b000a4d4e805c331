//! A strict in-memory Route 53 behind the API seam: DELETE must match, batches
//! are atomic, changes stay PENDING for a number of polls, throttling on demand.

// The fake stamps changes with wall-clock times, as the real service does.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;
use rtoguard_route53::api::{
    Action, ApiError, BatchChange, ChangeInfo, ChangeStatus, HostedZone, ListStart, RecordSetPage,
    ResourceRecordSet, Route53Api,
};

pub const ZONE_ID: &str = "ZFAKE0001";

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    ListZones(String),
    ListSets(String, ListStart),
    Change(String, Vec<BatchChange>),
    GetChange(String),
}

/// Route 53 sorts by name with the labels reversed, then type, then set id.
type Key = (Vec<String>, String, String);

#[derive(Debug, Default)]
struct Inner {
    zone: String,
    sets: BTreeMap<Key, ResourceRecordSet>,
    changes: BTreeMap<String, u32>,
    requests: Vec<(Instant, Request)>,
    applied: u32,
    throttle_changes: u32,
    lose_answers: u32,
    pending_polls: u32,
    page_size: usize,
}

#[derive(Debug)]
pub struct FakeRoute53 {
    inner: Mutex<Inner>,
}

fn key(s: &ResourceRecordSet) -> Key {
    let name = s.name.trim_end_matches('.').to_ascii_lowercase();
    let labels = name.split('.').rev().map(str::to_string).collect();
    (
        labels,
        s.rtype.clone(),
        s.set_identifier.clone().unwrap_or_default(),
    )
}

fn invalid(message: String) -> ApiError {
    ApiError::Service {
        status: 400,
        code: "InvalidChangeBatch".into(),
        message,
    }
}

fn same(a: &ResourceRecordSet, b: &ResourceRecordSet) -> bool {
    let mut va = a.values.clone();
    let mut vb = b.values.clone();
    va.sort();
    vb.sort();
    key(a) == key(b)
        && a.ttl == b.ttl
        && a.weight == b.weight
        && va == vb
        && a.alias == b.alias
        && a.routing == b.routing
}

impl FakeRoute53 {
    /// A zone `zone` (absolute) holding its SOA and NS and `sets`.
    pub fn new(zone: &str, sets: &[ResourceRecordSet]) -> Self {
        let mut inner = Inner {
            zone: zone.to_string(),
            page_size: 100,
            ..Inner::default()
        };
        for (t, v) in [
            ("SOA", "ns.fake. admin.fake. 1 7200 900 1209600 86400"),
            ("NS", "ns.fake."),
        ] {
            let s = ResourceRecordSet {
                name: zone.to_string(),
                rtype: t.into(),
                ttl: Some(900),
                values: vec![v.into()],
                set_identifier: None,
                weight: None,
                alias: None,
                routing: Default::default(),
            };
            inner.sets.insert(key(&s), s);
        }
        for s in sets {
            inner.sets.insert(key(s), s.clone());
        }
        Self {
            inner: Mutex::new(inner),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("fake lock")
    }

    /// Answer the next `n` change requests with `Throttling`, changing nothing.
    pub fn throttle_changes(&self, n: u32) {
        self.lock().throttle_changes = n;
    }
    /// Apply the next `n` change requests but answer 500 (the answer is lost).
    pub fn lose_answers(&self, n: u32) {
        self.lock().lose_answers = n;
    }
    /// New changes answer PENDING to this many `GetChange` calls first.
    pub fn pending_polls(&self, n: u32) {
        self.lock().pending_polls = n;
    }
    /// At most `n` record sets per listing page.
    pub fn page_size(&self, n: usize) {
        self.lock().page_size = n;
    }
    /// Another writer changes a set behind the provider's back.
    pub fn put(&self, s: ResourceRecordSet) {
        self.lock().sets.insert(key(&s), s);
    }
    /// Every set the fake holds, in listing order.
    pub fn sets(&self) -> Vec<ResourceRecordSet> {
        self.lock().sets.values().cloned().collect()
    }
    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.lock()
            .requests
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }
    /// When each request arrived.
    pub fn request_times(&self) -> Vec<Instant> {
        self.lock().requests.iter().map(|(t, _)| *t).collect()
    }
    /// The change batches received.
    pub fn batches(&self) -> Vec<Vec<BatchChange>> {
        self.requests()
            .into_iter()
            .filter_map(|r| match r {
                Request::Change(_, b) => Some(b),
                _ => None,
            })
            .collect()
    }
    /// How many batches were applied.
    pub fn applied(&self) -> u32 {
        self.lock().applied
    }

    fn log(&self, r: Request) {
        self.lock().requests.push((Instant::now(), r));
    }
}

/// Route 53's own checks of one set in a batch.
fn check_shape(zone: &str, s: &ResourceRecordSet) -> Result<(), ApiError> {
    let bad = |why: &str| Err(invalid(format!("{} {}: {why}", s.name, s.rtype)));
    if !s.name.ends_with(zone) {
        return bad("name is not in the zone");
    }
    if s.ttl.is_none() || s.values.is_empty() {
        return bad("a non-alias set needs a TTL and values");
    }
    if s.set_identifier.is_some() != s.weight.is_some() {
        return bad("SetIdentifier and Weight go together");
    }
    if s.weight.is_some_and(|w| !(0..=255).contains(&w)) {
        return bad("weight out of range");
    }
    Ok(())
}

fn apply_batch(inner: &mut Inner, batch: &[BatchChange]) -> Result<(), ApiError> {
    if batch.is_empty() {
        return Err(ApiError::Service {
            status: 400,
            code: "InvalidInput".into(),
            message: "empty batch".into(),
        });
    }
    let mut sets = inner.sets.clone();
    for c in batch {
        check_shape(&inner.zone, &c.set)?;
        let k = key(&c.set);
        match c.action {
            Action::Delete => match sets.get(&k) {
                Some(cur) if same(cur, &c.set) => {
                    sets.remove(&k);
                }
                Some(_) => return Err(invalid(format!("{k:?}: values do not match"))),
                None => return Err(invalid(format!("{k:?}: not found"))),
            },
            Action::Create => {
                let mixed = sets.values().any(|o| {
                    key(o).0 == k.0
                        && o.rtype == c.set.rtype
                        && o.weight.is_some() != c.set.weight.is_some()
                });
                if sets.contains_key(&k) || mixed {
                    return Err(invalid(format!("{k:?}: already exists")));
                }
                sets.insert(k, c.set.clone());
            }
        }
    }
    inner.sets = sets;
    inner.applied += 1;
    Ok(())
}

#[async_trait]
impl Route53Api for FakeRoute53 {
    async fn list_hosted_zones_by_name(&self, dns_name: &str) -> Result<Vec<HostedZone>, ApiError> {
        self.log(Request::ListZones(dns_name.into()));
        Ok(vec![HostedZone {
            id: ZONE_ID.into(),
            name: self.lock().zone.clone(),
            private: false,
        }])
    }

    async fn list_resource_record_sets(
        &self,
        zone_id: &str,
        start: &ListStart,
    ) -> Result<RecordSetPage, ApiError> {
        self.log(Request::ListSets(zone_id.into(), start.clone()));
        let inner = self.lock();
        let probe = ResourceRecordSet {
            name: start.name.clone(),
            rtype: start.rtype.clone(),
            ttl: None,
            values: vec![],
            set_identifier: start.identifier.clone(),
            weight: None,
            alias: None,
            routing: Default::default(),
        };
        let mut rest = inner.sets.range(key(&probe)..).map(|(_, s)| s.clone());
        let sets: Vec<_> = rest.by_ref().take(inner.page_size).collect();
        let next = rest
            .next()
            .map(|s| (s.name.clone(), s.rtype.clone(), s.set_identifier.clone()));
        Ok(RecordSetPage { sets, next })
    }

    async fn change_resource_record_sets(
        &self,
        zone_id: &str,
        batch: &[BatchChange],
    ) -> Result<ChangeInfo, ApiError> {
        self.log(Request::Change(zone_id.into(), batch.to_vec()));
        let mut inner = self.lock();
        if inner.throttle_changes > 0 {
            inner.throttle_changes -= 1;
            return Err(ApiError::Service {
                status: 400,
                code: "Throttling".into(),
                message: "Rate exceeded".into(),
            });
        }
        apply_batch(&mut inner, batch)?;
        let id = format!("CFAKE{:04}", inner.applied);
        let polls = inner.pending_polls;
        inner.changes.insert(id.clone(), polls);
        if inner.lose_answers > 0 {
            inner.lose_answers -= 1;
            return Err(ApiError::Service {
                status: 500,
                code: "InternalFailure".into(),
                message: "the answer was lost".into(),
            });
        }
        let status = if polls == 0 {
            ChangeStatus::InSync
        } else {
            ChangeStatus::Pending
        };
        Ok(ChangeInfo { id, status })
    }

    async fn get_change(&self, change_id: &str) -> Result<ChangeInfo, ApiError> {
        self.log(Request::GetChange(change_id.into()));
        let mut inner = self.lock();
        let Some(left) = inner.changes.get_mut(change_id) else {
            return Err(ApiError::Service {
                status: 404,
                code: "NoSuchChange".into(),
                message: change_id.into(),
            });
        };
        let status = if *left == 0 {
            ChangeStatus::InSync
        } else {
            *left -= 1;
            ChangeStatus::Pending
        };
        Ok(ChangeInfo {
            id: change_id.into(),
            status,
        })
    }
}
