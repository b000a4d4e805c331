//! The watch itself: sets up the paths, runs one task per path, and ends on convergence, deadline or cancel.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::rr::Name;
use tokio::sync::{mpsc, watch as latest};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::outcome::{self, Frame};
use super::track::{Board, Clock, Ctx, Shared};
use super::{
    EndReason, Progress, PropagationError, Server, WatchOutcome, WatchSpec, auth, client, resolver,
};

/// How often the watch looks whether everything has settled.
const SETTLE_CHECK: Duration = Duration::from_millis(50);
/// The pace per path when the spec says 0.
// Cannot panic: 5 is not zero, and this is checked at compile time.
const DEFAULT_QPS: NonZeroU32 = NonZeroU32::new(5).unwrap();
/// How long the tasks get to stop once the watch has ended.
const DRAIN: Duration = Duration::from_secs(3);

/// Find the zone's authoritative servers (NS names and their addresses,
/// port 53) through `resolver`.
pub async fn discover(
    zone: &str,
    resolver: std::net::SocketAddr,
) -> Result<Vec<Server>, PropagationError> {
    auth::discover(&parse_name(zone)?, resolver).await
}

/// Time `spec`'s change until every path sees it, the deadline passes, or
/// `cancel` fires. Progress events go to `progress` when given (dropped, not
/// waited for, when the channel is full).
pub async fn watch(
    spec: WatchSpec,
    cancel: CancellationToken,
    progress: Option<mpsc::Sender<Progress>>,
) -> WatchOutcome {
    let began = Instant::now();
    let clock = Clock::new(spec.start);
    let expected = super::alias::expected(&spec).await;
    let ctx = match setup(&spec, &expected, clock, &cancel, progress).await {
        Ok(ctx) => ctx,
        Err(e) => {
            warn!(name = spec.name.as_str(), error = %e, "Propagation watch cannot start.");
            let board = Board {
                notes: vec![e.to_string()],
                ..Board::default()
            };
            return finish(&spec, expected, clock, EndReason::Invalid, &board);
        }
    };
    info!(name = spec.name.as_str(), expected = ?expected, "Watching propagation.");
    let mut tasks = spawn_paths(&ctx, &spec);
    let end = wait_for_end(&ctx, &cancel, began + spec.deadline).await;
    ctx.cancel.cancel();
    let _ = tokio::time::timeout(DRAIN, async { while tasks.join_next().await.is_some() {} }).await;
    tasks.abort_all();
    let outcome = finish(&spec, expected, clock, end, &ctx.board());
    ctx.report(Progress::Done {
        elapsed: ctx.elapsed(Instant::now()),
        end,
    });
    info!(name = spec.name.as_str(), %end, outstanding = ?outcome.outstanding, "Propagation watch ended.");
    outcome
}

fn parse_name(s: &str) -> Result<Name, PropagationError> {
    let abs = format!("{}.", s.trim_end_matches('.'));
    Name::from_str(&abs).map_err(|_| PropagationError::InvalidName(s.to_string()))
}

/// Check the spec, find the authoritatives when none are given, and lay out the board.
async fn setup(
    spec: &WatchSpec,
    expected: &[String],
    clock: Clock,
    cancel: &CancellationToken,
    progress: Option<mpsc::Sender<Progress>>,
) -> Result<Shared, PropagationError> {
    let name = parse_name(&spec.name)?;
    let zone = parse_name(&spec.zone)?;
    if expected.is_empty() {
        return Err(PropagationError::NothingExpected);
    }
    if let Some(c) = &spec.client {
        client::target(&c.url)?;
    }
    let auths = if spec.authoritatives.is_empty() {
        let first = spec.resolvers.first().ok_or(PropagationError::NoResolver)?;
        tokio::select! {
            _ = cancel.cancelled() => Vec::new(),
            found = auth::discover(&zone, first.addr) => found?,
        }
    } else {
        spec.authoritatives.clone()
    };
    let board = Board::new(auths, &spec.resolvers, spec.client.is_some());
    Ok(Arc::new(Ctx {
        name,
        zone,
        rtype: spec.rtype,
        expected: expected.to_vec(),
        qps: NonZeroU32::new(spec.queries_per_second).unwrap_or(DEFAULT_QPS),
        wants_addrs: spec.client.is_some(),
        clock,
        board: Mutex::new(board),
        progress,
        cancel: cancel.child_token(),
    }))
}

fn spawn_paths(ctx: &Shared, spec: &WatchSpec) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    for i in 0..ctx.board().auths.len() {
        tasks.spawn(auth::run(ctx.clone(), i));
    }
    for i in 0..spec.resolvers.len() {
        let (tx, rx) = latest::channel(Vec::new());
        tasks.spawn(resolver::run(ctx.clone(), i, tx));
        if let Some(check) = &spec.client {
            tasks.spawn(client::run(ctx.clone(), i, check.clone(), rx));
        }
    }
    tasks
}

/// Wait until every path has settled, the deadline passes or the caller cancels.
async fn wait_for_end(ctx: &Shared, cancel: &CancellationToken, deadline: Instant) -> EndReason {
    let mut check = tokio::time::interval(SETTLE_CHECK);
    let mut next_tick = Instant::now() + Duration::from_secs(1);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return EndReason::Cancelled,
            _ = tokio::time::sleep_until(deadline) => return EndReason::Deadline,
            _ = check.tick() => {}
        }
        let (waiting, outstanding) = {
            let b = ctx.board();
            (b.waiting(), b.outstanding())
        };
        if waiting.is_empty() {
            return if outstanding.is_empty() {
                EndReason::Converged
            } else {
                EndReason::ConvergedExceptFailing
            };
        }
        let now = Instant::now();
        if now >= next_tick {
            next_tick = now + Duration::from_secs(1);
            ctx.report(Progress::Tick {
                elapsed: ctx.elapsed(now),
                waiting,
            });
        }
    }
}

fn finish(
    spec: &WatchSpec,
    expected: Vec<String>,
    clock: Clock,
    end: EndReason,
    board: &Board,
) -> WatchOutcome {
    let frame = Frame {
        name: &spec.name,
        rtype: spec.rtype.to_string(),
        expected,
        clock,
        changed_at: spec.changed_at,
        old_ttl: spec.old_ttl,
        end,
        ended: Instant::now(),
    };
    outcome::build(&frame, board)
}
