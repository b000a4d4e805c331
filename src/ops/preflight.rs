//! One probe of the target pool before a manual flip.

use crate::config::{Pool, Service};

/// Probe every endpoint of `pool` once; Ok when at least `min_healthy` pass.
pub async fn preflight(svc: &Service, pool: &Pool) -> Result<(), String> {
    let spec = crate::config::specs::probe_spec(svc);
    let via = crate::config::specs::resolve_via(svc, pool);
    let mut ok = 0u32;
    let mut failures = Vec::new();
    for ep in &pool.endpoints {
        let r = crate::probe::probe_once_via(&spec, ep, svc.probe.timeout, &via).await;
        if r.ok {
            ok += 1;
        } else {
            failures.push(format!("{ep}: {}", r.detail));
        }
    }
    if ok >= svc.health.min_healthy.max(1) {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}
