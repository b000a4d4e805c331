//! Authoritative servers: found from the zone's NS records, then asked directly (RD=0) until each serves the new data.

use std::net::SocketAddr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::query::{Reply, ask};
use super::track::{Failure, QUERY_TIMEOUT, Shared};
use super::{Progress, PropagationError, Server};

/// Find the zone's authoritative servers through `resolver`: its NS names,
/// then their A and AAAA addresses, port 53.
pub async fn discover(zone: &Name, resolver: SocketAddr) -> Result<Vec<Server>, PropagationError> {
    let fail = |reason: String| PropagationError::Discovery {
        zone: zone.to_ascii(),
        reason,
    };
    let ns = ask(resolver, zone, RecordType::NS, true, QUERY_TIMEOUT).await?;
    if ns.rcode != ResponseCode::NoError || ns.ns.is_empty() {
        return Err(fail(format!("NS query answered {} with no NS", ns.rcode)));
    }
    let mut servers = Vec::new();
    for host in &ns.ns {
        for rtype in [RecordType::A, RecordType::AAAA] {
            let a = ask(resolver, host, rtype, true, QUERY_TIMEOUT).await?;
            for ip in a.addrs {
                servers.push(Server {
                    name: host.to_ascii(),
                    addr: SocketAddr::new(ip, 53),
                });
            }
        }
    }
    if servers.is_empty() {
        return Err(fail("no name server has an address".into()));
    }
    Ok(servers)
}

/// Ask authoritative `i` until it serves exactly the expected data.
pub async fn run(ctx: Shared, i: usize) {
    let (name, addr) = {
        let b = ctx.board();
        (b.auths[i].server.name.clone(), b.auths[i].server.addr)
    };
    let limiter = ctx.limiter();
    while ctx.pace(&limiter).await {
        let asked = tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            r = ask(addr, &ctx.name, ctx.rtype, false, QUERY_TIMEOUT) => r,
        };
        let now = Instant::now();
        match asked {
            Ok(reply) if reply.matches(&ctx.expected) => {
                converged(&ctx, i, &name, addr, now).await;
                return;
            }
            Ok(reply) if answered(&reply) => {
                let mut b = ctx.board();
                b.auths[i].health.answered();
                b.auths[i].last_values = reply.values;
            }
            Ok(reply) => note_failure(&ctx, i, &name, Failure::Other, reply.rcode.to_string()),
            Err(PropagationError::Timeout(t)) => note_failure(
                &ctx,
                i,
                &name,
                Failure::Timeout,
                format!("no reply within {t:?}"),
            ),
            Err(e) => note_failure(&ctx, i, &name, Failure::Other, e.to_string()),
        }
    }
}

/// A real answer (old data or none), as opposed to a refusal or failure.
pub fn answered(reply: &Reply) -> bool {
    matches!(reply.rcode, ResponseCode::NoError | ResponseCode::NXDomain)
}

async fn converged(ctx: &Shared, i: usize, name: &str, addr: SocketAddr, at: Instant) {
    let serial = serial(ctx, addr).await;
    {
        let mut b = ctx.board();
        let t = &mut b.auths[i];
        t.health.answered();
        t.converged = Some(at);
        t.serial = serial;
        t.last_values = ctx.expected.clone();
    }
    let elapsed = ctx.elapsed(at);
    info!(
        server = name,
        elapsed_ms = elapsed.as_millis() as u64,
        serial,
        "Authoritative serves the new data."
    );
    ctx.report(Progress::Authoritative {
        server: name.to_string(),
        elapsed,
        serial,
    });
}

/// The SOA serial `addr` serves for the zone, asked right after it converged.
async fn serial(ctx: &Shared, addr: SocketAddr) -> Option<u32> {
    for _ in 0..3 {
        match ask(addr, &ctx.zone, RecordType::SOA, false, QUERY_TIMEOUT).await {
            Ok(r) if r.serial.is_some() => return r.serial,
            Ok(r) => debug!(%addr, rcode = %r.rcode, "No SOA in the reply."),
            Err(e) => debug!(%addr, error = %e, "SOA query failed."),
        }
    }
    None
}

fn note_failure(ctx: &Shared, i: usize, name: &str, kind: Failure, why: String) {
    let now_failing = ctx.board().auths[i].health.failed(kind, why.clone());
    if now_failing {
        warn!(
            server = name,
            reason = why.as_str(),
            "Authoritative keeps failing."
        );
        ctx.report(Progress::Failing {
            path: format!("authoritative {name}"),
            elapsed: ctx.elapsed(Instant::now()),
            reason: why,
        });
    }
}
