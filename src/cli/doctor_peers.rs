//! The doctor's peer checks: each peer answers our token, its clock is within the skew bound, and our own peer API takes the token peers send.

use std::time::Duration;

use super::doctor_line::{Line, human};
use crate::config::{self, Config};
use crate::peers::{PeerError, PeerSpec, config_digest, pull_once};

/// How long a peer may take to answer one pull.
const PEER_TIMEOUT: Duration = Duration::from_secs(5);

/// Every peer: reachable with our token, probing what we probe, its clock.
pub async fn peers(cfg: &Config) -> Vec<Line> {
    let ours = config_digest(cfg);
    let mut lines = Vec::new();
    for p in &cfg.peers {
        lines.extend(peer(p, &ours).await);
    }
    lines.extend(own_api(cfg).await);
    lines
}

async fn peer(p: &config::Peer, ours: &str) -> Vec<Line> {
    let what = format!("{} {}", p.id, p.url);
    let spec = match PeerSpec::from_config(p) {
        Ok(s) => s,
        Err(e) => return vec![Line::fail("peer", what, e.to_string())],
    };
    let (obs, skew_ms) = match pull_once(&spec, PEER_TIMEOUT).await {
        Ok(got) => got,
        Err(e) => return vec![Line::fail("peer", what, pull_failed(&e, p))],
    };
    let mut lines = Vec::new();
    let head = format!("answers with our token (vantage {})", obs.vantage);
    lines.push(if obs.config_digest == ours {
        Line::ok("peer", what, format!("{head}, probing what we probe"))
    } else {
        Line::warn(
            "peer",
            what,
            format!("{head}, but its config differs from ours (services, pools or health rules): deploy the same config everywhere"),
        )
    });
    let skew = Duration::from_millis(skew_ms.unsigned_abs());
    let sign = if skew_ms < 0 { "-" } else { "+" };
    let said = format!(
        "{sign}{} from ours (bound {})",
        human(skew),
        human(p.max_clock_skew)
    );
    lines.push(if skew <= p.max_clock_skew {
        Line::ok("clock", &p.id, said)
    } else {
        Line::fail(
            "clock",
            &p.id,
            format!("{said}: its observations would count as stale; fix NTP on both hosts"),
        )
    });
    lines
}

fn pull_failed(e: &PeerError, p: &config::Peer) -> String {
    match e {
        PeerError::Unauthorized => format!(
            "refused our token from {}: it is not the one the peer accepts (its controller.peer_token)",
            p.token.describe()
        ),
        PeerError::Unreachable(why) => {
            format!("not reachable within {}: {why}", human(PEER_TIMEOUT))
        }
        other => other.to_string(),
    }
}

/// Our own peer API, when we serve one: it answers the token peers are
/// told to send (`controller.peer_token`). Only a running daemon serves it.
async fn own_api(cfg: &Config) -> Option<Line> {
    let listen = cfg.controller.peer_listen?;
    let token = cfg.controller.peer_token.clone()?;
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let scheme = if cfg.controller.peer_tls.is_some() {
        "https"
    } else {
        "http"
    };
    let what = format!("our peer API {listen}");
    let spec = PeerSpec {
        id: cfg.controller.id.clone(),
        url: format!("{scheme}://{addr}"),
        token: match token.read() {
            Ok(t) => t,
            Err(e) => return Some(Line::fail("peer-api", what, e)),
        },
        ca_file: None,
        max_clock_skew: Duration::MAX,
    };
    Some(match pull_once(&spec, PEER_TIMEOUT).await {
        Ok(_) => Line::ok(
            "peer-api",
            what,
            "accepts the token peers are given (controller.peer_token)",
        ),
        Err(PeerError::Unauthorized) => Line::fail(
            "peer-api",
            what,
            "the running daemon refuses controller.peer_token: it holds another token; reload it (systemctl reload rtoguard)",
        ),
        Err(e) => Line::warn(
            "peer-api",
            what,
            format!(
                "not answering from here ({e}): peers cannot pull from this vantage until the daemon runs"
            ),
        ),
    })
}
