//! The command line: argument parsing (clap) and dispatch to the library.

mod complete;
mod daemon;
mod doctor;
mod doctor_line;
mod doctor_live;
mod doctor_peers;
mod doctor_static;
mod evacuate;
mod history;
mod manual;
mod pages;
mod reference;
mod report;
mod risk;
mod shared;
mod status;
mod status_text;
#[cfg(test)]
mod tests_status;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use complete::answer_if_asked as complete_if_asked;

/// rtoguard: DNS failover that measures itself.
///
/// Probes a service from several vantage points, lowers the record's TTL ahead
/// of a switch, flips the record to the standby region through the DNS
/// provider, and reports how long resolvers and clients took to follow.
#[derive(Debug, Parser)]
#[command(name = "rtoguard", version, about, long_about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Log format: lines, except `run` and `agent` off a terminal, which log JSON (auto); or forced.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,
    /// More logging (-v debug, -vv trace); commands log only warnings and errors without it, `run` and `agent` info. RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success; 1 failure (provider error, check failed, timeout); \
64 usage or config error; 130 aborted by Ctrl-C.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Auto,
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: probe, decide, flip, journal (under systemd: Type=notify).
    Run(RunArgs),
    /// Run a probe-only vantage: probes and serves observations to the controllers; never writes DNS.
    Agent(RunArgs),
    /// Validate a config file and print what it means (each provider's capabilities included).
    Check(CheckArgs),
    /// Show each service: the records its provider serves and which pool they match.
    Status(StatusArgs),
    /// Preflight, live: secrets, providers accepting our credentials and their capabilities, pools, DNS servers, peers, clocks, quorum, RTO budget.
    ///
    /// One line per check (ok, warn or FAIL, what, why); exit 1 when any
    /// check fails. Providers and servers that do not answer cost one short
    /// timeout each, never retries. Run it in each region before enabling
    /// the service, and after changing the config. Exit status: 0 when no
    /// check failed (warnings allowed), 1 when one did, 64 on a usage or
    /// config error.
    Doctor(DoctorArgs),
    /// Move a service to another pool now (or, with --planned, after lowering the TTL).
    Failover(FailoverArgs),
    /// Move a service back to its first (preferred) pool; planned by default.
    Failback(FailbackArgs),
    /// A game day: a real planned failover (or --simulate-fault), a dwell, then a planned failback; reported as a drill (needs the daemon).
    Drill(DrillArgs),
    /// Stop automation for a service: it is observed but never moved automatically (needs the daemon).
    ///
    /// The pin is journaled with who set it and why, and survives reloads,
    /// restarts and crashes; with --for it lifts itself when that time is up.
    Pin(PinArgs),
    /// Resume automation for a pinned service (needs the daemon).
    Unpin(UnpinArgs),
    /// Move every service off a region and keep them away from it, until --end or --for is up (needs the daemon).
    Evacuate(evacuate::EvacuateArgs),
    /// Announce risk ahead (a deploy, maintenance): lower the TTL now and keep it low for a while (needs the daemon).
    ///
    /// For one service, a `[[groups]]` entry (--group) or every service
    /// with a pool in a region (--region). The window is journaled and
    /// survives restarts; at its end (or with --end) the normal TTL returns
    /// once quiet. A planned failover inside it drains only what is left of
    /// one normal TTL since the lowering. A pinned service keeps its TTL.
    Risk(risk::RiskArgs),
    /// Time a DNS change as authoritative servers, resolvers and clients see it.
    Watch(WatchArgs),
    /// Print an RTO report (the latest, or INCIDENT), list them, or summarise posture over time.
    Report(ReportArgs),
    /// Print the journal: every decision and provider change, oldest first.
    History(HistoryArgs),
    /// Print a shell's completion script (bash, zsh, fish, elvish, powershell); as you type it asks rtoguard, which offers the config's service and pool names.
    Completions(CompletionsArgs),
    /// Print a man page (roff): rtoguard's, or one command's; or write them all to a directory.
    Man(ManArgs),
    /// Run the whole failover loop on this machine: two regions, the controller serving the zone, a fault, the RTO report.
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
}

#[cfg(feature = "demo")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Leave the regions, the authority and the controller running afterwards, until Ctrl-C.
    #[arg(long)]
    pub keep: bool,
    /// What the controller flips through: its own embedded authoritative
    /// server (a flip is served at once, no provider write to wait for) or a separate
    /// authority updated over RFC 2136 (to compare the reports).
    #[arg(long, value_enum, default_value_t = crate::demo::DemoProvider::Embedded)]
    pub provider: crate::demo::DemoProvider,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The record name (`checkout.example.com.`).
    pub name: String,
    /// Record type.
    #[arg(long = "type", default_value = "A")]
    pub rtype: String,
    /// The value(s) the change publishes, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub expect: Vec<String>,
    /// A recursive resolver to watch, ADDR or ADDR:PORT (repeat for more). Default: the config's.
    #[arg(long = "resolver")]
    pub resolvers: Vec<String>,
    /// An authoritative server to watch, ADDR or ADDR:PORT (repeat). Default: the config's, else found from NS.
    #[arg(long = "authoritative")]
    pub authoritatives: Vec<String>,
    /// The zone (for finding its NS). Default: the service's zone, else the name's parent.
    #[arg(long)]
    pub zone: Option<String>,
    /// Give up after this long.
    #[arg(long, default_value = "2m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// Config file to take resolvers, authoritatives and the client check from
    /// (default: /etc/rtoguard/config.toml when it exists).
    #[arg(long, short = 'c', env = "RTOGUARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The incident id (see --list). Default: the latest.
    pub incident: Option<String>,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// List the stored reports.
    #[arg(long, conflicts_with = "summary")]
    pub list: bool,
    /// Per-service posture: incidents, drills, MTTR (median, p90), share within the RTO.
    #[arg(long)]
    pub summary: bool,
    /// With --summary: how far back.
    #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
    pub since: Duration,
    /// JSON: the same as --format json (with --list, one object a report).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Html,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (default: rtoguard's own).
    pub command: Option<String>,
    /// Write every page (rtoguard.1, rtoguard-COMMAND.1) into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Debug, Args)]
pub struct DrillArgs {
    /// The service to drill.
    #[arg(add = complete::services())]
    pub service: String,
    /// The pool to move to (default: the next pool after the active one).
    #[arg(long, add = complete::pools())]
    pub to: Option<String>,
    /// Treat the active pool as down (probes keep running): exercises detection and the automatic flip without breaking anything.
    #[arg(long)]
    pub simulate_fault: bool,
    /// How long to stay on the other pool before failing back.
    #[arg(long, default_value = "1m", value_parser = humantime::parse_duration)]
    pub dwell: Duration,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print each step as a JSON object, one a line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// The service.
    #[arg(add = complete::services())]
    pub service: String,
    /// Why (journaled and shown by status), e.g. "database maintenance, ticket OPS-12".
    #[arg(long, required = true)]
    pub reason: String,
    /// Lift the pin by itself after this long (2h, 30m); default: until `unpin`.
    #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub for_: Option<Duration>,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UnpinArgs {
    /// The service.
    #[arg(add = complete::services())]
    pub service: String,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this service.
    #[arg(add = complete::services())]
    pub service: Option<String>,
    /// Only this service (the same as SERVICE).
    #[arg(long = "service", value_name = "SERVICE", conflicts_with = "service", add = complete::services())]
    pub service_flag: Option<String>,
    /// Only entries from this time on: a duration back from now (2h, 30m,
    /// 7d) or a time (RFC 3339, 2026-12-02T06:00:00Z).
    #[arg(long, value_name = "WHEN", value_parser = history::parse_since)]
    pub since: Option<history::Since>,
    /// Only the last N entries (of those the other filters keep).
    #[arg(short = 'n', long = "lines", value_name = "N")]
    pub lines: Option<usize>,
    /// After the entries so far, print new ones as they are journaled, until Ctrl-C (exit 0).
    #[arg(short, long)]
    pub follow: bool,
    #[command(flatten)]
    pub config: ConfigArg,
    /// One JSON object per entry.
    #[arg(long)]
    pub json: bool,
}

/// Where the config is.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// Config file.
    #[arg(
        long,
        short = 'c',
        env = "RTOGUARD_CONFIG",
        default_value = "/etc/rtoguard/config.toml"
    )]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print the verdict as JSON: {"ok": bool, "issues": [{file, line, field,
    /// message}], "warnings": [...]}.
    #[arg(long)]
    pub json: bool,
    /// Refuse (exit 64) what is otherwise a warning: secret and TLS files
    /// this user cannot read (as `rtoguard run` and reloads always do), an
    /// RTO the TTL and detection cannot meet, a controller that is no pool's
    /// region, a marker nothing reads. The units' ExecStartPre uses it.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print {"ok": bool, "config": path, "checks": [{verdict, check, what, why}]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this service.
    #[arg(add = complete::services())]
    pub service: Option<String>,
    #[command(flatten)]
    pub config: ConfigArg,
    /// One JSON object per service.
    #[arg(long)]
    pub json: bool,
}

/// Options shared by failover and failback.
#[derive(Debug, Clone, Args)]
pub struct MoveArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print the exact record changes, in order, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Flip even if the target pool fails its probe.
    #[arg(long)]
    pub force: bool,
    /// Print each step as a JSON object, one a line.
    #[arg(long)]
    pub json: bool,
    /// How long to wait for the provider to report each change in sync.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub sync_timeout: Duration,
}

#[derive(Debug, Args)]
pub struct FailoverArgs {
    /// The service to move.
    #[arg(add = complete::services())]
    pub service: String,
    /// The pool to move it to.
    #[arg(long, add = complete::pools())]
    pub to: String,
    /// Lower the TTL, wait for caches to drain the old one, flip, then restore the TTL.
    #[arg(long)]
    pub planned: bool,
    #[command(flatten)]
    pub common: MoveArgs,
}

#[derive(Debug, Args)]
pub struct FailbackArgs {
    /// The service to move back to its first pool.
    #[arg(add = complete::services())]
    pub service: String,
    /// Flip at once instead of lowering and draining the TTL first.
    #[arg(long)]
    pub now: bool,
    #[command(flatten)]
    pub common: MoveArgs,
}

/// Run a parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run(a) => daemon::run(&a).await,
        Command::Agent(a) => daemon::agent(&a).await,
        Command::Pin(a) => {
            let body = serde_json::json!({ "reason": a.reason, "for_secs": a.for_.map(|d| d.as_secs().max(1)) });
            daemon::pin(&a.service, &a.config, Some(body), a.json).await
        }
        Command::Drill(a) => daemon::drill(&a).await,
        Command::Unpin(a) => daemon::pin(&a.service, &a.config, None, a.json).await,
        Command::Evacuate(a) => evacuate::run(&a).await,
        Command::Risk(a) => risk::run(&a).await,
        Command::History(a) => history::run(&a).await,
        Command::Watch(a) => watch::run(&a).await,
        Command::Report(a) => report::run(&a),
        #[cfg(feature = "demo")]
        Command::Demo(a) => {
            crate::demo::run::command(crate::demo::run::DemoOptions {
                keep: a.keep,
                provider: a.provider,
            })
            .await
        }
        Command::Completions(a) => {
            let mut script = Vec::new();
            let written = complete::registration(&a.shell.to_string(), &mut script)
                .and_then(|()| crate::out::bytes(&script));
            match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => shared::fail_msg(&e.to_string(), 1),
            }
        }
        Command::Man(a) => reference::run(&a),
        Command::Check(a) => manual::check(&a),
        Command::Status(a) => manual::status(&a).await,
        Command::Doctor(a) => doctor::run(&a).await,
        Command::Failover(a) => manual::failover(&a).await,
        Command::Failback(a) => manual::failback(&a).await,
    }
}
