//! A group change applied as a sequence (the provider contract's default),
//! stopped half-way and resumed: only the records left are changed.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, Provider, ProviderError, Receipt, RecordSet, RecordType,
    SyncState,
};

use super::*;
use crate::plan::{Active, classify};

/// Every record in memory, with compare-and-set; the `fail_at`-th apply
/// (counted from 1) fails as a controller stopped there would leave it.
#[derive(Debug, Default)]
struct Sequence {
    sets: Mutex<Vec<RecordSet>>,
    applied: Mutex<u32>,
    fail_at: Option<u32>,
}

#[async_trait]
impl Provider for Sequence {
    fn name(&self) -> &str {
        "sequence"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            weighted: false,
            ttl_floor: 1,
            cas: CasMode::ReadCompareWrite,
            served_here: false,
        }
    }
    async fn read(
        &self,
        _: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        let sets = self.sets.lock().expect("lock");
        Ok(sets
            .iter()
            .filter(|s| s.name == name && s.rtype == rtype)
            .cloned()
            .collect())
    }
    async fn apply(&self, _: &str, change: &Change) -> Result<Receipt, ProviderError> {
        let mut n = self.applied.lock().expect("lock");
        *n += 1;
        if self.fail_at == Some(*n) {
            return Err(ProviderError::BadRequest {
                provider: "sequence".into(),
                message: "stopped here".into(),
            });
        }
        let mut sets = self.sets.lock().expect("lock");
        let mine = |s: &RecordSet| s.name == change.name() && s.rtype == change.rtype();
        let now: Vec<RecordSet> = sets.iter().filter(|s| mine(s)).cloned().collect();
        if now != change.expected() {
            return Err(ProviderError::Conflict {
                provider: "sequence".into(),
                message: "changed".into(),
            });
        }
        sets.retain(|s| !mine(s));
        sets.extend(change.desired().iter().cloned());
        Ok(Receipt {
            id: n.to_string(),
            status: "OK".into(),
        })
    }
    async fn wait_in_sync(
        &self,
        _: &str,
        _: &Change,
        _: &Receipt,
        _: std::time::Duration,
    ) -> Result<SyncState, ProviderError> {
        Ok(SyncState::InSync)
    }
}

fn on_primary(svc: &Service) -> Vec<RecordSet> {
    let caps = Sequence::default().capabilities();
    let primary = svc.pool("primary").expect("primary");
    crate::plan::desired_for(svc, &caps, &[], primary, 30)
}

#[tokio::test]
async fn a_sequence_stopped_half_way_resumes_with_the_records_left() {
    let svc = crate::test_support::dual_stack();
    let fake = Sequence {
        sets: Mutex::new(on_primary(&svc)),
        fail_at: Some(2),
        ..Sequence::default()
    };
    let p: Arc<dyn Provider> = Arc::new(fake);
    let Ok(Prepared::Change(all)) = flip_change(&svc, &p, Some("primary"), "standby", 30).await
    else {
        panic!("a flip of every record");
    };
    assert_eq!(all.changes().len(), 3);
    let stopped = apply(&svc, &p, &all, std::time::Duration::ZERO, &Quiet).await;
    assert!(stopped.is_err(), "the second record's change failed");
    let half = read(&svc, &p).await.expect("read");
    assert!(matches!(classify(&svc, &half), Active::Mixed(_)));
    // Resumed: the A record is on standby already; the rest follow.
    let Ok(Prepared::Change(left)) = flip_change(&svc, &p, Some("primary"), "standby", 30).await
    else {
        panic!("a flip of the records left");
    };
    let types: Vec<RecordType> = left.changes().iter().map(|c| c.rtype()).collect();
    assert_eq!(types, [RecordType::AAAA, RecordType::CNAME]);
    apply(&svc, &p, &left, std::time::Duration::ZERO, &Quiet)
        .await
        .expect("the rest applies");
    let now = read(&svc, &p).await.expect("read");
    assert_eq!(classify(&svc, &now), Active::Pool("standby".into()));
    assert!(matches!(
        flip_change(&svc, &p, Some("primary"), "standby", 30).await,
        Ok(Prepared::Served)
    ));
}
