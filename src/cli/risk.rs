//! `rtoguard risk`: open or end a risk window through the daemon (the TTL
//! is lowered now and kept low until the window ends).

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::shared::{fail_msg, load};
use super::{ConfigArg, complete};
use crate::control::{Client, ReplyBody, Request, RiskReply, RiskRequest};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["service", "group", "region"])))]
pub struct RiskArgs {
    /// The service at risk.
    #[arg(add = complete::services())]
    pub service: Option<String>,
    /// Every service of this `[[groups]]` entry.
    #[arg(long, conflicts_with_all = ["service", "region"])]
    pub group: Option<String>,
    /// Every service with a pool in this region.
    #[arg(long, conflicts_with = "service")]
    pub region: Option<String>,
    /// How long the window lasts (30m, 2h; at most 7 days).
    #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration, required_unless_present = "end")]
    pub for_: Option<Duration>,
    /// Why (journaled and shown by status), e.g. "deploy 4711".
    #[arg(long, required_unless_present = "end")]
    pub reason: Option<String>,
    /// End the open window now (the normal TTL returns once quiet).
    #[arg(long, conflicts_with_all = ["for_", "reason"])]
    pub end: bool,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    pub json: bool,
}

impl RiskArgs {
    fn request(&self) -> RiskRequest {
        RiskRequest {
            services: self.service.iter().cloned().collect(),
            group: self.group.clone(),
            region: self.region.clone(),
            for_secs: self.for_.map(|d| d.as_secs().max(1)),
            reason: self.reason.clone(),
            end: self.end,
        }
    }
}

pub async fn run(a: &RiskArgs) -> ExitCode {
    let cfg = match load(&a.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let req = a.request();
    let client = Client::new(&cfg.controller.control_socket);
    match client.ask(&Request::Risk(req.clone())).await {
        Ok(ReplyBody::Risk(reply)) => {
            if a.json {
                outln!("{}", json!(reply));
            } else {
                outln!("{}", text(&req, &reply));
            }
            match reply.accepted {
                true => ExitCode::SUCCESS,
                false => ExitCode::from(1),
            }
        }
        Ok(_) => fail_msg("the daemon answered a risk request with something else", 1),
        Err(crate::control::ClientError::Refused { status, message }) => {
            fail_msg(&message, if status < 500 { 64 } else { 1 })
        }
        Err(e) => fail_msg(&format!("{e}; risk needs the running daemon"), 1),
    }
}

/// The outcome for people: the window, then one line per service.
pub fn text(req: &RiskRequest, reply: &RiskReply) -> String {
    let head = match (req.end, req.for_secs) {
        (true, _) => format!("risk window ended for {}", req.target()),
        (false, secs) => format!(
            "risk window open for {} ({}): {}",
            req.target(),
            humantime::format_duration(Duration::from_secs(secs.unwrap_or_default())),
            req.reason.as_deref().unwrap_or_default()
        ),
    };
    let mut lines = vec![head];
    for s in &reply.services {
        let what = match (s.accepted, s.actions.is_empty()) {
            (true, true) if req.end => "ended; the normal TTL returns once quiet".to_owned(),
            (true, true) => "accepted (the TTL is already lowered)".to_owned(),
            (true, false) => s.actions.join("; "),
            (false, _) => format!("refused: {}", s.actions.join("; ")),
        };
        lines.push(format!("  {}: {what}", s.service));
    }
    lines.join("\n")
}
