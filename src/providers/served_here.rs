//! A provider whose records live in this controller, for tests only
//! (`test-hooks`, `RTOGUARD_TEST_SERVED_HERE=1`): every controller keeps its
//! own copy in `served-here.json` in its state directory, so a write
//! changes only that controller's copy, and a test reads each copy. It
//! stands in for the embedded provider (rtoguard answering queries
//! itself) without DNS; compare-and-set is a compare under a lock.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use rtoguard_provider_api::{
    Capabilities, CasMode, Change, Provider, ProviderError, Receipt, RecordSet, RecordType,
    SyncState, normalize_name, sorted,
};

use crate::config::Config;

/// The file a controller's copy lives in, under its state directory.
pub const FILE: &str = "served-here.json";

/// One controller's own copy of the records it serves.
#[derive(Debug)]
pub struct ServedHere {
    name: String,
    path: PathBuf,
    /// What is served before the first write: each service's first pool
    /// at its normal TTL.
    seed: Vec<RecordSet>,
    lock: Mutex<()>,
}

impl ServedHere {
    /// Provider `name` of `cfg`, its copy in the state directory.
    pub fn new(cfg: &Config, name: &str) -> Self {
        let seed = cfg
            .services
            .iter()
            .filter(|s| s.provider == name)
            .filter_map(|s| {
                let first = s.pools.first()?;
                Some(RecordSet::new(
                    &s.record,
                    s.rtype,
                    s.ttl.normal,
                    first.endpoints.iter().map(String::as_str),
                ))
            })
            .collect();
        Self {
            name: name.to_owned(),
            path: cfg.controller.state_dir.join(FILE),
            seed,
            lock: Mutex::new(()),
        }
    }

    fn load(&self) -> Result<Vec<RecordSet>, ProviderError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| self.broken(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(self.seed.clone()),
            Err(e) => Err(self.broken(e.to_string())),
        }
    }

    fn save(&self, sets: &[RecordSet]) -> Result<(), ProviderError> {
        let bytes = serde_json::to_vec_pretty(sets).map_err(|e| self.broken(e.to_string()))?;
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(|e| self.broken(e.to_string()))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.broken(e.to_string()))
    }

    fn broken(&self, message: String) -> ProviderError {
        ProviderError::Server {
            provider: self.name.clone(),
            message,
        }
    }
}

fn at(sets: &[RecordSet], name: &str, rtype: RecordType) -> Vec<RecordSet> {
    let name = normalize_name(name);
    sets.iter()
        .filter(|s| s.name == name && s.rtype == rtype)
        .cloned()
        .collect()
}

#[async_trait]
impl Provider for ServedHere {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            weighted: false,
            ttl_floor: 1,
            cas: CasMode::Native,
            served_here: true,
        }
    }

    async fn read(
        &self,
        _zone: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RecordSet>, ProviderError> {
        let _held = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Ok(at(&self.load()?, name, rtype))
    }

    async fn apply(&self, _zone: &str, change: &Change) -> Result<Receipt, ProviderError> {
        let _held = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let all = self.load()?;
        if sorted(&at(&all, change.name(), change.rtype())) != sorted(change.expected()) {
            return Err(ProviderError::Conflict {
                provider: self.name.clone(),
                message: "this controller's copy changed since it was read".into(),
            });
        }
        let mut next: Vec<RecordSet> = all
            .into_iter()
            .filter(|s| !(s.name == change.name() && s.rtype == change.rtype()))
            .collect();
        next.extend(change.desired().iter().cloned());
        self.save(&next)?;
        Ok(Receipt {
            id: "local".into(),
            status: "swapped".into(),
        })
    }

    async fn wait_in_sync(
        &self,
        _zone: &str,
        _change: &Change,
        _receipt: &Receipt,
        _timeout: Duration,
    ) -> Result<SyncState, ProviderError> {
        Ok(SyncState::InSync)
    }
}
