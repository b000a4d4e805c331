//! `rtoguard status` without a daemon: what each service's provider serves now.

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
    for svc in cfg
        .services
        .iter()
        .filter(|s| only.is_none_or(|n| n == s.name))
    {
        let mut st = ServiceStatus {
            service: svc.name.clone(),
            provider: svc.provider.clone(),
            record: svc.record.clone(),
            rtype: svc.rtype.to_string(),
            active: None,
            ttl: None,
            records: Vec::new(),
            error: None,
        };
        let read = match providers.get(cfg, &svc.provider).await {
            Ok(p) => p
                .read(&svc.zone, &svc.record, svc.rtype)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
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

/// The human table of `rtoguard status`.
pub fn render(rows: &[ServiceStatus]) -> String {
    let mut s = String::new();
    for r in rows {
        match (&r.active, &r.error) {
            (_, Some(e)) => s.push_str(&format!(
                "{}  {} {}  provider {}: UNREACHABLE: {e}\n",
                r.service, r.record, r.rtype, r.provider
            )),
            (Some(a), None) => {
                let ttl = r.ttl.map_or("-".into(), |t| format!("{t}s"));
                s.push_str(&format!(
                    "{}  {} {}  active pool: {a}  ttl {ttl}  (provider {})\n",
                    r.service, r.record, r.rtype, r.provider
                ));
                for set in &r.records {
                    s.push_str(&format!("    {set}\n"));
                }
            }
            (None, None) => {}
        }
    }
    s
}
