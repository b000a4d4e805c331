//! `rtoguard doctor`: a live preflight, one line per check, exit 1 when any fails.
//!
//! Secrets and files, each provider answering and accepting our
//! credentials, each pool's endpoints probed now, the propagation servers,
//! the peers and their clocks, then the arithmetic: the writer rule, the
//! quorum after losing each region, and the RTO budget. A provider or a
//! server that does not answer costs one short timeout, never retries.

use std::process::ExitCode;

use super::DoctorArgs;
use super::doctor_line::{Line, Verdict, tally};
use super::doctor_live as live;
use super::doctor_peers as peers;
use super::doctor_static as fixed;
use super::shared::load;

pub async fn run(a: &DoctorArgs) -> ExitCode {
    let cfg = match load(&a.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut out = Out::new(a.json);
    if !a.json {
        outln!(
            "rtoguard doctor: {} (controller {})",
            cfg.path.display(),
            cfg.controller.id
        );
    }
    out.add(fixed::secrets(&cfg));
    out.add(live::providers(&cfg).await);
    out.add(fixed::capabilities(&cfg));
    out.add(live::pools(&cfg).await);
    out.add(live::dns(&cfg).await);
    out.add(peers::peers(&cfg).await);
    out.add(fixed::writers(&cfg));
    out.add(fixed::quorum(&cfg));
    out.add(fixed::budgets(&cfg));
    out.finish(&cfg.path)
}

/// The lines so far; in text each is printed as soon as it is known.
struct Out {
    json: bool,
    lines: Vec<Line>,
}

impl Out {
    fn new(json: bool) -> Self {
        Self {
            json,
            lines: Vec::new(),
        }
    }

    fn add(&mut self, lines: Vec<Line>) {
        if !self.json {
            lines.iter().for_each(|l| outln!("{l}"));
        }
        self.lines.extend(lines);
    }

    fn finish(self, path: &std::path::Path) -> ExitCode {
        let failed = self.lines.iter().any(|l| l.verdict == Verdict::Fail);
        if self.json {
            let doc = serde_json::json!({
                "ok": !failed,
                "config": path,
                "checks": self.lines,
            });
            outln!("{doc}");
        } else {
            outln!("{}", tally(&self.lines));
        }
        if failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}
