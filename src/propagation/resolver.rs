//! Recursive resolvers: asked (RD=1) at a paced rate until each hands out the new data, noting the TTL left on old answers.

use std::net::IpAddr;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{info, warn};

use super::auth::answered;
use super::query::{Reply, ask};
use super::track::{Failure, QUERY_TIMEOUT, Shared};
use super::{Progress, PropagationError};

/// Ask resolver `i` until it switches; every answer's addresses go to `addrs`
/// for the client check on this path.
pub async fn run(ctx: Shared, i: usize, addrs: watch::Sender<Vec<IpAddr>>) {
    let (name, addr) = {
        let b = ctx.board();
        (
            b.resolvers[i].server.name.clone(),
            b.resolvers[i].server.addr,
        )
    };
    let limiter = ctx.limiter();
    while ctx.pace(&limiter).await {
        let sent = Instant::now();
        let asked = tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            r = ask(addr, &ctx.name, ctx.rtype, true, QUERY_TIMEOUT) => r,
        };
        let now = Instant::now();
        match asked {
            Ok(reply) if reply.matches(&ctx.expected) => {
                addrs.send_replace(reply.addrs);
                switched(&ctx, i, &name, now);
                return;
            }
            Ok(reply) if answered(&reply) => {
                if !reply.addrs.is_empty() {
                    addrs.send_replace(reply.addrs.clone());
                }
                old_answer(&ctx, i, sent, reply);
            }
            Ok(reply) if reply.rcode == ResponseCode::ServFail => {
                note_failure(&ctx, i, &name, Failure::ServFail, "SERVFAIL".into())
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

fn switched(ctx: &Shared, i: usize, name: &str, at: Instant) {
    {
        let mut b = ctx.board();
        let r = &mut b.resolvers[i];
        r.health.answered();
        r.switched = Some(at);
        r.last_values = ctx.expected.clone();
    }
    let elapsed = ctx.elapsed(at);
    info!(
        resolver = name,
        elapsed_ms = elapsed.as_millis() as u64,
        "Resolver hands out the new data."
    );
    ctx.report(Progress::Resolver {
        resolver: name.to_string(),
        elapsed,
    });
}

/// Note an old answer: its remaining TTL bounds how long the cache may keep it.
fn old_answer(ctx: &Shared, i: usize, sent: Instant, reply: Reply) {
    let mut b = ctx.board();
    let r = &mut b.resolvers[i];
    r.health.answered();
    r.last_values = reply.values;
    let Some(ttl) = reply.ttl else { return };
    // The resolver counted the TTL down at some moment between send and
    // receive; the send time makes the earliest, tightest bound.
    let expiry = sent + Duration::from_secs(u64::from(ttl));
    r.first_old.get_or_insert((sent, ttl));
    r.last_old_ttl = Some(ttl);
    r.last_old_at = Some(sent);
    r.expiry = Some(r.expiry.map_or(expiry, |e| e.min(expiry)));
}

fn note_failure(ctx: &Shared, i: usize, name: &str, kind: Failure, why: String) {
    let now_failing = ctx.board().resolvers[i].health.failed(kind, why.clone());
    if now_failing {
        warn!(
            resolver = name,
            reason = why.as_str(),
            "Resolver keeps failing."
        );
        ctx.report(Progress::Failing {
            path: format!("resolver {name}"),
            elapsed: ctx.elapsed(Instant::now()),
            reason: why,
        });
    }
}
