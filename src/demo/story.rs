//! The demo's story once the daemon is ready: both pools up, the primary dies, the failover and its report, the failback.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;

use super::DemoProvider;
use super::follow::{Follower, Out, offset};
use super::setup::{LOWERED_TTL, NORMAL_TTL, Peers, SERVICE, Scratch};
use super::timeline::Timeline;
use crate::control::{Client, MoveRequest, Request};
use crate::controller::PoolHealth;
use crate::journal::{Journal, now_ms};
use crate::propagation::{self, Progress};
use crate::report::{self, PhaseName, Report};

/// How long the daemon may take to see a pool up.
const UP_LIMIT: Duration = Duration::from_secs(20);
/// How long the failover may take, from the fault to the saved report.
const FAILOVER_LIMIT: Duration = Duration::from_secs(45);
/// How often the journal and the daemon's status are read.
const POLL: Duration = Duration::from_millis(150);

/// The story: both up, the primary dies, the failover, its report, the failback.
pub async fn tell(scratch: &Scratch, peers: &mut Peers, out: &Out) -> anyhow::Result<()> {
    let socket = scratch.socket_path();
    out.waiting("waiting for both pools to be up");
    wait_pool(&socket, "primary", PoolHealth::Up, UP_LIMIT).await?;
    wait_pool(&socket, "standby", PoolHealth::Up, UP_LIMIT).await?;
    out.line("Controller ready: both pools are up, www points at the primary.");
    let journal = Journal::open(&scratch.state_dir()).context("cannot open the journal")?;
    let seen_reports = report_ids(&journal)?;
    let last_seq = journal.entries(None, 0)?.last().map_or(0, |e| e.seq);
    let t0 = now_ms();
    peers.primary.kill().await;
    out.line(&format!(
        "{} fault: the primary region ({}) is killed",
        offset(t0, t0),
        peers.primary.addr
    ));
    let mut follower = Follower::new(t0, last_seq);
    let id = follow_until_report(&journal, &mut follower, &seen_reports, out).await?;
    let (html, report) = show_report(&journal, &id, out)?;
    out.line(&format!(
        "HTML report (kept after the demo): {}",
        html.display()
    ));
    out.line(&provider_phase(peers.provider, &report));
    out.line(&format!(
        "Why the resolver cache phase: the clients ask through a caching resolver, which keeps \
         an answer for its TTL. The answer it held was cached with the normal TTL ({NORMAL_TTL}s) \
         before the fault, so lowering the TTL on suspicion came too late for it. The planned \
         failback below lowers the TTL to {LOWERED_TTL}s and waits out the old one first, so the \
         cache follows within {LOWERED_TTL}s of the flip."
    ));
    failback(scratch, peers, &journal, &mut follower, out).await
}

/// The ids of the reports stored so far.
fn report_ids(journal: &Journal) -> anyhow::Result<Vec<String>> {
    Ok(journal.reports()?.into_iter().map(|r| r.0).collect())
}

/// Prints journal lines until a report not in `seen` is stored; its id.
async fn follow_until_report(
    journal: &Journal,
    follower: &mut Follower,
    seen: &[String],
    out: &Out,
) -> anyhow::Result<String> {
    let deadline = Instant::now() + FAILOVER_LIMIT;
    out.waiting("detecting the fault, failing over, timing propagation");
    // The watch journals what it saw when it ends: while it runs, lines are
    // held, then printed in the order of their offsets.
    let mut timeline = Timeline::new(follower.t0_ms());
    loop {
        for line in follower.poll(journal)? {
            timeline.push(line);
        }
        if follower.watching() {
            out.waiting("timing propagation");
        } else {
            timeline.flush_all(out);
        }
        if let Some(id) = report_ids(journal)?
            .into_iter()
            .find(|id| !seen.contains(id))
        {
            timeline.flush_all(out);
            return Ok(id);
        }
        if Instant::now() > deadline {
            bail!("no RTO report within {FAILOVER_LIMIT:?} of the fault; the journal is above");
        }
        sleep(POLL).await;
    }
}

/// What the report's provider phase shows, and how the other provider compares.
fn provider_phase(provider: DemoProvider, r: &Report) -> String {
    let took = r.phase(PhaseName::ProviderApply).map_or_else(
        || "no time".into(),
        |p| report::format_duration(p.duration_ms),
    );
    match provider {
        DemoProvider::Embedded => format!(
            "Why no provider phase to speak of: the controller serves the zone itself (the \
             embedded provider), so a flip is an in-memory swap of what it answers (microseconds), \
             served as soon as it is made; the {took} from the flip requested to the provider in \
             sync is the controller carrying the flip out. `rtoguard demo --provider rfc2136` \
             runs the same story through a separate authority updated over RFC 2136, to compare."
        ),
        DemoProvider::Rfc2136 => format!(
            "Why the provider phase: the flip is an RFC 2136 update that the authority applies \
             before it answers with it, {took} from the flip requested to the provider in sync \
             here on loopback (a cloud DNS API takes seconds to a minute). `rtoguard demo` runs \
             the same story on the embedded provider, where the controller serves the zone itself \
             and a flip is served as soon as it is made."
        ),
    }
}

/// Prints the text report and writes the HTML one to `$TMPDIR`; its path
/// and the report.
fn show_report(journal: &Journal, id: &str, out: &Out) -> anyhow::Result<(PathBuf, Report)> {
    let value = journal
        .report(id)?
        .with_context(|| format!("the report {id} vanished"))?;
    let r: Report = serde_json::from_value(value).context("cannot read the stored report")?;
    out.line("");
    out.block(&report::render_text(&r));
    out.line("");
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_else(|_| now_ms().to_string());
    let path = std::env::temp_dir().join(format!("rtoguard-demo-{stamp}.html"));
    std::fs::write(&path, report::render_html(&r))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok((path, r))
}

/// Revives the primary, asks the daemon for a planned failback, follows it
/// until the authority serves the primary again.
async fn failback(
    scratch: &Scratch,
    peers: &mut Peers,
    journal: &Journal,
    follower: &mut Follower,
    out: &Out,
) -> anyhow::Result<()> {
    let socket = scratch.socket_path();
    let t0 = follower.restart_clock();
    peers
        .primary
        .revive()
        .await
        .context("cannot revive the primary region")?;
    out.line(&format!(
        "{} the primary region is back; waiting for the controller to see it up",
        offset(t0, t0)
    ));
    out.waiting("waiting for the primary pool to be up");
    wait_pool(&socket, "primary", PoolHealth::Up, UP_LIMIT).await?;
    let request = Request::Failback {
        service: SERVICE.into(),
        mv: MoveRequest {
            to: None,
            planned: true,
            force: false,
            dry_run: false,
        },
    };
    if let Err(e) = Client::new(&socket).ask(&request).await {
        bail!("the controller refused the failback: {e}");
    }
    // From here journal lines, watch lines and this one arrive out of
    // order: they are printed sorted by their offsets.
    let mut timeline = Timeline::new(t0);
    timeline.push(format!(
        "{} failback: the controller accepted a planned failback to the primary (TTL lowered and drained first)",
        offset(t0, now_ms())
    ));
    let cfg = crate::config::load(&scratch.config_path()).map_err(|e| anyhow!("{e}"))?;
    let svc = cfg
        .service(SERVICE)
        .context("the demo service is missing from its config")?;
    // The watch's offsets count from the same moment as the journal lines.
    let since = Duration::from_millis(now_ms().saturating_sub(t0).max(0) as u64);
    let now = Instant::now();
    let mv = crate::engine::watch::Move {
        from: Some("standby"),
        start: now.checked_sub(since).unwrap_or(now),
        ..crate::engine::watch::Move::now("primary")
    };
    let spec = crate::engine::watch::spec_from_config(&cfg, svc, &mv);
    let served = follow_failback(spec, journal, follower, &mut timeline, out).await?;
    settle(&socket, journal, follower, &mut timeline, out).await?;
    timeline.flush_all(out);
    out.line(&format!(
        "Failback complete: the authority serves {served} again and the controller is idle on the primary."
    ));
    Ok(())
}

/// Journal lines until the daemon has finished the flip back and closed its
/// incident (it may still be waiting for the provider to report it in sync
/// when the authority already serves it, and timing the propagation after).
async fn settle(
    socket: &Path,
    journal: &Journal,
    follower: &mut Follower,
    timeline: &mut Timeline,
    out: &Out,
) -> anyhow::Result<()> {
    out.waiting("waiting for the controller to finish the flip back");
    // The journal is followed on every status read; its first error ends the wait.
    let done = Client::new(socket)
        .wait_until(UP_LIMIT, POLL, |status| {
            match follower.poll(journal) {
                Ok(lines) => lines.into_iter().for_each(|l| timeline.push(l)),
                Err(e) => return Some(Err(e)),
            }
            timeline.flush_ready(out);
            let s = status.services.first()?;
            // Its incident closed too: the failback's propagation is timed
            // and journaled, so the story always ends the same way.
            (s.controller.active.as_deref() == Some("primary")
                && s.busy.is_none()
                && s.incident.is_none())
            .then_some(Ok(()))
        })
        .await;
    match done {
        Ok(r) => r,
        Err(e) => bail!(
            "the controller did not settle on the primary within {}s",
            e.limit.as_secs()
        ),
    }
}

/// Journal lines and the watch's own lines until the authority serves the
/// primary; the values it serves.
async fn follow_failback(
    spec: propagation::WatchSpec,
    journal: &Journal,
    follower: &mut Follower,
    timeline: &mut Timeline,
    out: &Out,
) -> anyhow::Result<String> {
    let cancel = CancellationToken::new();
    let (tx, mut rx) = mpsc::channel(64);
    let watch = tokio::spawn(propagation::watch(spec, cancel.clone(), Some(tx)));
    let _stop_watch = cancel.clone().drop_guard();
    out.waiting("draining the lowered TTL, then flipping back");
    let mut tick = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            p = rx.recv() => match p {
                Some(p) => failback_progress(&p, timeline, out),
                None => break,
            },
            _ = tick.tick() => {
                follower.poll(journal)?.into_iter().for_each(|l| timeline.push(l));
                timeline.flush_ready(out);
            }
        }
    }
    let outcome = watch.await.context("the failback watch failed")?;
    follower
        .poll(journal)?
        .into_iter()
        .for_each(|l| timeline.push(l));
    let served = outcome
        .authoritatives
        .iter()
        .all(|a| a.converged_ms.is_some());
    if !served || outcome.authoritatives.is_empty() {
        bail!(
            "the authority did not serve the primary again: {}",
            outcome.end
        );
    }
    Ok(outcome.expected.join(", "))
}

/// One line of the failback watch, with the failback's own offsets.
fn failback_progress(p: &Progress, timeline: &mut Timeline, out: &Out) {
    match p {
        Progress::Tick { elapsed, waiting } => out.waiting(&format!(
            "+{}s failback: waiting for {}",
            elapsed.as_secs(),
            waiting.join(", ")
        )),
        p => {
            if let Some(line) = p.line() {
                timeline.push(format!("{line} (failback)"));
            }
        }
    }
}

/// Until the daemon's status shows `pool` with `health` (bounded).
async fn wait_pool(
    socket: &Path,
    pool: &str,
    health: PoolHealth,
    limit: Duration,
) -> anyhow::Result<()> {
    let found = Client::new(socket)
        .wait_until(limit, POLL, |status| {
            let p = status.services.first()?.pool(pool)?;
            (p.health == health).then_some(())
        })
        .await;
    found.map_err(|e| {
        let last = e
            .last
            .and_then(|s| s.services.into_iter().next())
            .map(|s| serde_json::to_string(&s.pools).unwrap_or_default())
            .unwrap_or_else(|| "none read".into());
        anyhow!(
            "pool {pool} was not {health} within {}s; last status: {last}",
            limit.as_secs()
        )
    })
}
