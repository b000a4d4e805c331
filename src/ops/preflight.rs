//! One probe of the target pool before a manual flip. (Placeholder until the probe module lands.)

use crate::config::{Pool, Service};

/// Probe every endpoint of `pool` once; Ok when at least `min_healthy` pass.
pub async fn preflight(svc: &Service, pool: &Pool) -> Result<(), String> {
    let _ = (svc, pool);
    Err("probe module not integrated yet".into())
}
