//! The peer observation document from its bytes: a pure function, so tests and fuzzers can call it with anything.

use super::{Observations, PeerError};

/// The longest id, digest, name or detail a document may carry.
const MAX_TEXT: usize = 4096;

/// Observations from a peer's answer body; anything else is a
/// [`PeerError::Decode`] that says why.
pub fn parse_observations(body: &[u8]) -> Result<Observations, PeerError> {
    let obs: Observations =
        serde_json::from_slice(body).map_err(|e| PeerError::Decode(e.to_string()))?;
    check(&obs).map_err(|why| PeerError::Decode(why.to_string()))?;
    Ok(obs)
}

/// What serde cannot say: every name present and of a sane length.
fn check(obs: &Observations) -> Result<(), &'static str> {
    let named = |s: &str| !s.is_empty() && s.len() <= MAX_TEXT;
    if !named(&obs.vantage) {
        return Err("the vantage id is empty or too long");
    }
    if !named(&obs.config_digest) {
        return Err("the config digest is empty or too long");
    }
    for svc in &obs.services {
        if !named(&svc.service) {
            return Err("a service name is empty or too long");
        }
        if let Some(w) = &svc.last_write
            && (!named(&w.pool) || w.incident.as_deref().is_some_and(|i| !named(i)))
        {
            return Err("a last write's pool or incident is empty or too long");
        }
        if let Some(d) = &svc.served
            && (!named(&d.pool)
                || !named(&d.by)
                || d.incident.as_deref().is_some_and(|i| !named(i)))
        {
            return Err("a served decision's pool, writer or incident is empty or too long");
        }
        for pool in &svc.pools {
            if !named(&pool.pool) {
                return Err("a pool name is empty or too long");
            }
            for ep in &pool.endpoints {
                if !named(&ep.endpoint) || ep.last_detail.len() > MAX_TEXT {
                    return Err("an endpoint name or detail is empty or too long");
                }
            }
        }
    }
    Ok(())
}
