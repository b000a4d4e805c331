//! `rtoguard evacuate`: move every service off a region, keep them away from
//! it, and (`--end`) let them come home; through the running daemon.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::ConfigArg;
use super::shared::{fail_msg, load};
use crate::control::{Client, ClientError, EvacuateRequest, ReplyBody};

#[derive(Debug, Args)]
#[command(after_help = "\
Every service whose active pool is in REGION moves to the first healthy pool \
outside it, at most `max_parallel` (of its [[groups]] entry; default 1) at a \
time; services already elsewhere stay where they are. A service whose pools \
outside REGION are not healthy is refused by name and not touched: a service's \
last healthy region is never evacuated. Until --end (or the --for time is up) \
no pool in REGION is a target: not for automatic failover or failback, nor for \
a failover command unless forced. After --end the failback rules bring services \
home: `failback.mode = \"auto\"` ones once their first pool has been up for \
stable_for, `manual` ones on `rtoguard failback`. The evacuation is journaled \
per service, survives restarts, and leaves one report (rtoguard report --list).

Exit status: 0 when every service of REGION moves or stays, 1 when some are \
refused (the others still move) or the daemon cannot be asked, 64 on a usage \
error.")]
pub struct EvacuateArgs {
    /// The region to empty (a pool's `region`).
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// Only the services of this [[groups]] entry (default: every service).
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Keep the region empty this long (2h, 30m), then let services return; default: until --end.
    #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration, conflicts_with = "end")]
    pub for_: Option<Duration>,
    /// Why (journaled, shown by status and in the report).
    #[arg(long, conflicts_with = "end")]
    pub reason: Option<String>,
    /// Lower the TTL and drain before each move instead of flipping at once.
    #[arg(long, conflicts_with = "end")]
    pub planned: bool,
    /// Print the plan (who moves where, who is refused and why); change nothing.
    #[arg(long, conflicts_with = "end")]
    pub dry_run: bool,
    /// End the evacuation of REGION: its pools are targets again.
    #[arg(long)]
    pub end: bool,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print the daemon's answer as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(a: &EvacuateArgs) -> ExitCode {
    let cfg = match load(&a.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let request = crate::control::Request::Evacuate {
        evac: EvacuateRequest {
            region: a.region.clone(),
            group: a.group.clone(),
            for_secs: a.for_.map(|d| d.as_secs().max(1)),
            reason: a.reason.clone(),
            planned: a.planned,
            dry_run: a.dry_run,
            end: a.end,
        },
    };
    match Client::new(&cfg.controller.control_socket)
        .ask(&request)
        .await
    {
        Ok(ReplyBody::Evacuation(r)) => {
            if a.json {
                outln!("{}", serde_json::to_string(&r).unwrap_or_default());
            } else {
                outln!("{}", r.text);
            }
            if r.plan.refused().is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Ok(_) => fail_msg("the daemon answered something else than an evacuation", 1),
        Err(ClientError::Refused { status, message }) => {
            fail_msg(&message, if status < 500 { 64 } else { 1 })
        }
        Err(e) => fail_msg(&format!("{e}; evacuate needs the running daemon"), 1),
    }
}

/// `EVACUATING region R (ID) by WHO until WHEN: WHY` for `status`.
pub(super) fn evacuation_text(e: &crate::controller::Evacuation) -> String {
    let until = e
        .until
        .map_or_else(|| "evacuate --end".into(), crate::controller::format_wall);
    format!(
        "EVACUATING region {} ({}) by {} until {}: {}",
        e.region, e.id, e.by, until, e.reason
    )
}
