//! `rtoguard demo`: the whole failover loop on this machine — regions, authority, the real daemon, a fault, the report, a failback.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::DemoProvider;
use super::follow::Out;
use super::setup::{self, Peers, Scratch};
use super::story;
use crate::runtime::{self, Stop};

/// How long the daemon may take to be ready.
const START_LIMIT: Duration = Duration::from_secs(20);
/// How long the daemon may take to stop.
const STOP_LIMIT: Duration = Duration::from_secs(15);
/// The exit code after Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;

/// What `rtoguard demo` was asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoOptions {
    /// Leave everything running after the story, until Ctrl-C.
    pub keep: bool,
    /// Which provider the controller flips through.
    pub provider: DemoProvider,
}

/// Ctrl-C ended the demo before its story did.
#[derive(Debug, thiserror::Error)]
#[error("interrupted by Ctrl-C")]
pub struct Interrupted;

/// The daemon running in-process; `None` once its end has been seen.
type Daemon = Option<JoinHandle<anyhow::Result<()>>>;

/// The `demo` subcommand: runs the demo, prints why it failed if it did.
pub async fn command(opts: DemoOptions) -> ExitCode {
    let out = Out::new(std::io::stdout().is_terminal());
    let result = run(opts, &out).await;
    out.finish();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Interrupted>() => {
            eprintln!("The demo was interrupted; everything is stopped and removed.");
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Err(e) => {
            eprintln!("error: the demo failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sets the stage, runs the daemon in-process, tells the story, cleans up.
pub async fn run(opts: DemoOptions, out: &Out) -> anyhow::Result<()> {
    let scratch = Scratch::create()?;
    let mut peers = Peers::start(&scratch, opts.provider).await?;
    let config = scratch.config_path();
    std::fs::write(&config, setup::config(&scratch, &peers))
        .with_context(|| format!("cannot write {}", config.display()))?;
    let served_by = match opts.provider {
        DemoProvider::Embedded => "served by the controller itself (embedded provider) on",
        DemoProvider::Rfc2136 => "on the authority updated over RFC 2136 at",
    };
    out.line(&format!(
        "rtoguard demo: {} {served_by} {} ({}), asked by clients through the caching resolver {}, primary region {}, standby region {}",
        setup::RECORD,
        peers.dns,
        setup::ZONE,
        peers.resolver.addr,
        peers.primary.url(),
        peers.standby.url()
    ));
    let stop = CancellationToken::new();
    let (ready_tx, ready_rx) = oneshot::channel();
    let token = stop.clone();
    let mut daemon: Daemon = Some(tokio::spawn(async move {
        runtime::run_until(&config, Stop::Token(token), Some(ready_tx)).await
    }));
    let mut result = supervise(&scratch, &mut peers, &mut daemon, ready_rx, out).await;
    if result.is_ok() && opts.keep {
        result = tokio::select! {
            r = keep_running(&scratch, &peers, out) => r,
            r = ended(&mut daemon) => Err(died(r)),
        };
    }
    out.waiting("stopping the controller, the regions and the authority");
    let stopped = stop_daemon(stop, daemon).await;
    peers.stop().await;
    drop(scratch);
    result.and(stopped)?;
    out.line("Done: everything stopped and the scratch directory removed.");
    Ok(())
}

/// Waits for the daemon to be ready, then tells the story; Ctrl-C or the
/// daemon ending cut either short.
async fn supervise(
    scratch: &Scratch,
    peers: &mut Peers,
    daemon: &mut Daemon,
    ready: oneshot::Receiver<()>,
    out: &Out,
) -> anyhow::Result<()> {
    out.waiting("starting the controller");
    tokio::select! {
        r = tokio::time::timeout(START_LIMIT, ready) => match r {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(anyhow!("the controller stopped before it was ready")),
            Err(_) => return Err(anyhow!("the controller was not ready within {START_LIMIT:?}")),
        },
        r = ended(daemon) => return Err(died(r)),
        _ = tokio::signal::ctrl_c() => return Err(Interrupted.into()),
    }
    tokio::select! {
        r = story::tell(scratch, peers, out) => r,
        r = ended(daemon) => Err(died(r)),
        _ = tokio::signal::ctrl_c() => Err(Interrupted.into()),
    }
}

/// The daemon's end (pending forever once seen, so it is awaited only once).
async fn ended(daemon: &mut Daemon) -> Result<anyhow::Result<()>, tokio::task::JoinError> {
    let Some(handle) = daemon.as_mut() else {
        return std::future::pending().await;
    };
    let r = handle.await;
    *daemon = None;
    r
}

/// Why the daemon ending early is an error.
fn died(r: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Error {
    match r {
        Ok(Ok(())) => anyhow!("the controller stopped on its own"),
        Ok(Err(e)) => e.context("the controller failed"),
        Err(e) => anyhow!("the controller task failed: {e}"),
    }
}

/// Cancels the daemon and waits for it (bounded).
async fn stop_daemon(stop: CancellationToken, mut daemon: Daemon) -> anyhow::Result<()> {
    stop.cancel();
    if daemon.is_none() {
        return Ok(());
    }
    match tokio::time::timeout(STOP_LIMIT, ended(&mut daemon)).await {
        Ok(Ok(r)) => r.context("the controller failed"),
        Ok(Err(e)) => Err(anyhow!("the controller task failed: {e}")),
        Err(_) => Err(anyhow!("the controller did not stop within {STOP_LIMIT:?}")),
    }
}

/// `--keep`: leave everything running and say how to poke it, until Ctrl-C.
async fn keep_running(scratch: &Scratch, peers: &Peers, out: &Out) -> anyhow::Result<()> {
    let auth = peers.dns;
    out.waiting("running until Ctrl-C");
    out.line(&format!(
        "\nEverything keeps running until Ctrl-C. Try:\n  \
         dig @{} -p {} {}   (the authority)\n  \
         dig @{} -p {} {}   (the caching resolver)\n  \
         curl -si {}\n  curl -si {}\n  \
         rtoguard status --config {}\n  \
         rtoguard history --config {}\n  \
         rtoguard report --config {}",
        auth.ip(),
        auth.port(),
        setup::RECORD,
        peers.resolver.addr.ip(),
        peers.resolver.addr.port(),
        setup::RECORD,
        peers.primary.url(),
        peers.standby.url(),
        scratch.config_path().display(),
        scratch.config_path().display(),
        scratch.config_path().display(),
    ));
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    Ok(())
}
