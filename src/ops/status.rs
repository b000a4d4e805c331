//! `rtoguard status` without a daemon: what each service's provider serves now.

use std::time::Duration;

use rtoguard_provider_api::RecordSet;
use serde::Serialize;

use crate::config::Config;
use crate::plan::{Active, classify};
use crate::providers::Providers;

/// One service as its provider serves it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceStatus {
    pub service: String,
    pub provider: String,
    pub record: String,
    pub rtype: String,
    pub active: Option<Active>,
    pub ttl: Option<u32>,
    pub records: Vec<RecordSet>,
    /// Why the provider could not be read.
    pub error: Option<String>,
}

/// Read every service (or one) from its provider; a provider that fails is
/// reported on its services and does not stop the others.
pub async fn status(
    cfg: &Config,
    only: Option<&str>,
    providers: &mut Providers,
) -> Vec<ServiceStatus> {
    let mut out = Vec::new();
    let mut failed: std::collections::HashMap<String, String> = Default::default();
    for svc in cfg
        .services
        .iter()
        .filter(|s| only.is_none_or(|n| n == s.name))
    {
        let mut st = ServiceStatus {
            service: svc.name.clone(),
            provider: svc.provider.clone(),
            record: svc.records_label(),
            rtype: svc.rtype.to_string(),
            active: None,
            ttl: None,
            records: Vec::new(),
            error: None,
        };
        let read = match failed.get(&svc.provider) {
            // One short timeout per provider, not one per service.
            Some(e) => Err(e.clone()),
            None => read_once(cfg, svc, providers).await,
        };
        if let Err(e) = &read {
            failed.insert(svc.provider.clone(), e.clone());
        }
        match read {
            Ok(sets) => {
                st.active = Some(classify(svc, &sets));
                st.ttl = sets.iter().map(|s| s.ttl).max();
                st.records = sets;
            }
            Err(e) => st.error = Some(e),
        }
        out.push(st);
    }
    out
}

/// How long `status` waits for a provider: one short wait, then the
/// provider is said to be unreachable (its own retries would take longer).
pub const READ_TIMEOUT: Duration = Duration::from_secs(3);

/// The service's records, or why they could not be read within [`READ_TIMEOUT`].
async fn read_once(
    cfg: &Config,
    svc: &crate::config::Service,
    providers: &mut Providers,
) -> Result<Vec<RecordSet>, String> {
    let read = async {
        let p = providers
            .get(cfg, &svc.provider)
            .await
            .map_err(|e| e.to_string())?;
        crate::engine::read(svc, &p)
            .await
            .map_err(|e| e.to_string())
    };
    match tokio::time::timeout(READ_TIMEOUT, read).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "provider {} did not answer within {}s",
            svc.provider,
            READ_TIMEOUT.as_secs()
        )),
    }
}
