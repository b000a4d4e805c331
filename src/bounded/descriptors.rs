//! The descriptor limit (RLIMIT_NOFILE): raised to the hard limit at start-up, and split so the peer API cannot take what probes and providers need.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

use tracing::{info, warn};

use super::{CONTROL_MAX_CONNECTIONS, PEER_MAX_CONNECTIONS};

/// Descriptors kept for everything but probes and servers: provider calls,
/// peer pulls, webhooks, the journal, logs, metrics, the runtime itself.
pub const FIXED_RESERVE: u64 = 128;
/// The peer API always gets at least this many connections.
pub const PEER_MIN_CONNECTIONS: usize = 8;

/// The soft and hard limits; `u64::MAX` stands for unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nofile {
    pub soft: u64,
    pub hard: u64,
}

/// The process's descriptor limits now.
pub fn nofile() -> Nofile {
    let r = getrlimit(Resource::Nofile);
    Nofile {
        soft: r.current.unwrap_or(u64::MAX),
        hard: r.maximum.unwrap_or(u64::MAX),
    }
}

/// Raise the soft limit to the hard one (no privilege needed); returns the
/// limits before and after. Nothing is called when they are equal already.
pub fn raise_nofile() -> std::io::Result<(Nofile, Nofile)> {
    let before = nofile();
    if before.soft >= before.hard {
        return Ok((before, before));
    }
    let hard = (before.hard != u64::MAX).then_some(before.hard);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: hard,
            maximum: hard,
        },
    )?;
    Ok((before, nofile()))
}

/// At start-up: raise the soft limit to the hard one and log the figure
/// (a warning when it cannot be raised or stays low).
pub fn raise_and_log() {
    match raise_nofile() {
        Ok((before, after)) => {
            let (soft, hard, was) = (after.soft, after.hard, before.soft);
            if after.soft < 4096 {
                warn!(
                    soft,
                    hard, was, "Descriptor limit is low: raise LimitNOFILE (ulimit -n)."
                );
            } else {
                info!(soft, hard, was, "Descriptor limit set.");
            }
        }
        Err(e) => {
            let now = nofile();
            let (soft, hard) = (now.soft, now.hard);
            warn!(soft, hard, error = %e, "Cannot raise the descriptor limit; keeping it.");
        }
    }
}

/// Descriptors kept from the peer API for probes (`probe_in_flight`, the
/// scheduler's in-flight cap), the control socket and [`FIXED_RESERVE`].
pub fn reserve_for(probe_in_flight: usize) -> u64 {
    probe_in_flight as u64 + CONTROL_MAX_CONNECTIONS as u64 + FIXED_RESERVE
}

/// The peer API's connection cap under a soft limit of `soft` with `reserve`
/// kept: half of what is left (accepting over the cap takes a descriptor for
/// a moment, as does each TLS handshake), at most [`PEER_MAX_CONNECTIONS`],
/// at least [`PEER_MIN_CONNECTIONS`].
pub fn peer_cap(soft: u64, reserve: u64) -> usize {
    let spare = soft.saturating_sub(reserve) / 2;
    usize::try_from(spare)
        .unwrap_or(usize::MAX)
        .clamp(PEER_MIN_CONNECTIONS, PEER_MAX_CONNECTIONS)
}

/// Connections the probe watch (`health.watch`) may hold under a soft
/// limit of `soft` with `reserve` kept: a quarter of what is left, so the
/// peer API's half and a margin stay free.
pub fn watch_cap(soft: u64, reserve: u64) -> usize {
    let spare = soft.saturating_sub(reserve) / 4;
    usize::try_from(spare).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_cap_leaves_the_reserve_alone() {
        assert_eq!(peer_cap(65_536, reserve_for(64)), PEER_MAX_CONNECTIONS);
        assert_eq!(peer_cap(1024, reserve_for(64)), PEER_MAX_CONNECTIONS);
        // 1,024 with a large probe cap: (1024 - 756) / 2.
        assert_eq!(peer_cap(1024, reserve_for(564)), 134);
        assert_eq!(peer_cap(256, reserve_for(8192)), PEER_MIN_CONNECTIONS);
        assert_eq!(peer_cap(u64::MAX, 0), PEER_MAX_CONNECTIONS);
    }

    #[test]
    fn the_watch_takes_a_quarter_of_what_is_left() {
        // 1,024 - (64 + 64 + 128) = 768, a quarter of it.
        assert_eq!(watch_cap(1024, reserve_for(64)), 192);
        assert_eq!(watch_cap(256, reserve_for(8192)), 0);
        let peers = peer_cap(1024, reserve_for(64)) as u64;
        assert!(watch_cap(1024, reserve_for(64)) as u64 + peers <= 1024 - reserve_for(64));
    }

    #[test]
    fn raising_never_lowers_the_limit() {
        let (before, after) = raise_nofile().expect("raising to the hard limit is allowed");
        assert_eq!((after.soft, after.hard), (before.hard, before.hard));
    }
}
