//! `check`, `status`, `failover` and `failback` run directly against providers.

use std::process::ExitCode;
use std::time::Duration;

use super::shared::{fail, load};
use crate::config::{self, Config};
use crate::journal::Journal;
use crate::ops::{self, Interrupts, MoveContext, MoveOptions, OpError, Output};
use crate::providers::Providers;
use tracing::warn;

use super::{CheckArgs, FailbackArgs, FailoverArgs, MoveArgs, StatusArgs};

pub fn check(a: &CheckArgs) -> ExitCode {
    let path = &a.config.config;
    let (result, mut warnings) = match config::load_checked(path) {
        // Files this user cannot read: a warning unless --strict (the
        // config itself is valid, so load it without the file checks).
        Err(e) if !a.strict && e.only_unreadable_files() => (config::load(path), e.issues),
        other => (other, Vec::new()),
    };
    // What validates but cannot work as written: warnings, or with
    // --strict errors.
    let only_warnings = matches!(&result, Ok(cfg) if a.strict && !cfg.warnings.is_empty());
    let result = match result {
        Ok(cfg) if a.strict && !cfg.warnings.is_empty() => Err(config::ConfigError {
            issues: cfg.warnings,
        }),
        Ok(cfg) => {
            warnings.extend(cfg.warnings.iter().cloned());
            Ok(cfg)
        }
        Err(e) => Err(e),
    };
    if a.json {
        return check_json(a, &result, &warnings);
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    match result {
        Ok(cfg) => {
            out!("{}", config::summary(&cfg));
            config::topology_warnings(&cfg)
                .iter()
                .for_each(|w| eprintln!("warning: {w}"));
            outln!("{}", verdict(path, &warnings));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            let refused = if only_warnings {
                " (warnings, refused by --strict: the config is otherwise valid)"
            } else {
                ""
            };
            eprintln!("{}: {} error(s){refused}", path.display(), e.issues.len());
            ExitCode::from(64)
        }
    }
}

/// The last line of a passing `check`.
fn verdict(path: &std::path::Path, warnings: &[config::ConfigIssue]) -> String {
    let hint = if warnings.iter().any(|w| w.unreadable_file) {
        "`rtoguard run` refuses files it cannot read; check as the service's user, or with --strict"
    } else {
        "`check --strict` (the units' ExecStartPre) refuses them"
    };
    match warnings.len() {
        0 => format!("{}: OK", path.display()),
        n => format!("{}: OK, with {n} warning(s): {hint}", path.display()),
    }
}

fn check_json(
    a: &CheckArgs,
    result: &Result<Config, config::ConfigError>,
    warnings: &[config::ConfigIssue],
) -> ExitCode {
    let list = |issues: &[config::ConfigIssue]| -> Vec<serde_json::Value> {
        issues.iter().map(|i| serde_json::json!({ "file": i.file, "line": i.line, "field": i.field, "message": i.message })).collect()
    };
    let (issues, topology) = match result {
        Ok(cfg) => (Vec::new(), config::topology_warnings(cfg)),
        Err(e) => (list(&e.issues), Vec::new()),
    };
    let warnings = [warnings, &topology[..]].concat();
    outln!(
        "{}",
        serde_json::json!({ "ok": result.is_ok(), "config": a.config.config, "issues": issues, "warnings": list(&warnings) })
    );
    if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(64)
    }
}

pub async fn status(a: &StatusArgs) -> ExitCode {
    let cfg = match load(&a.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(name) = &a.service
        && cfg.service(name).is_none()
    {
        return fail(&unknown_service(&cfg, name), 64);
    }
    let views = match super::status::from_daemon(&cfg, a.service.as_deref()).await {
        Some(Ok(views)) => views,
        Some(Err(code)) => return code,
        None => {
            let mut providers = Providers::default();
            let rows = ops::status(&cfg, a.service.as_deref(), &mut providers).await;
            if !a.json {
                outln!("(no daemon: read directly from the providers)");
            }
            let durable = super::status::journaled(&cfg).unwrap_or_else(|e| {
                warn!("pins and halts not shown: cannot read the journal: {e}");
                None
            });
            rows.into_iter()
                .filter_map(|r| {
                    let d = durable.as_ref().and_then(|d| d.get(&r.service));
                    super::status::from_provider(&cfg, r, d)
                })
                .collect()
        }
    };
    super::status_text::print(&views, a.json);
    if views.iter().any(|v| v.service.provider_error.is_some()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn unknown_service(cfg: &Config, name: &str) -> OpError {
    OpError::UnknownService {
        name: name.to_string(),
        valid: cfg
            .services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

pub async fn failover(a: &FailoverArgs) -> ExitCode {
    move_service(&a.service, Some(&a.to), a.planned, &a.common).await
}

pub async fn failback(a: &FailbackArgs) -> ExitCode {
    move_service(&a.service, None, !a.now, &a.common).await
}

async fn move_service(service: &str, to: Option<&str>, planned: bool, m: &MoveArgs) -> ExitCode {
    let cfg = match load(&m.config.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(svc) = cfg.service(service) else {
        return fail(&unknown_service(&cfg, service), 64);
    };
    let out = Output::new(m.json);
    let mv = crate::control::MoveRequest {
        to: to.map(str::to_string),
        planned,
        force: m.force,
        dry_run: m.dry_run,
    };
    // A gradual failback holds each of its steps (a failover has none).
    let steps = if to.is_none() {
        svc.failback.steps.len()
    } else {
        0
    };
    let holds = svc
        .failback
        .step_hold
        .saturating_mul(u32::try_from(steps).unwrap_or(u32::MAX));
    let wait = Duration::from_secs(u64::from(svc.ttl.normal))
        .saturating_add(svc.ttl.restore_after)
        .saturating_add(m.sync_timeout.saturating_mul(3))
        .saturating_add(holds);
    if let Some(code) =
        super::daemon::move_via_daemon(&cfg, service, to.is_none(), mv, &out, wait).await
    {
        return code;
    }
    if !m.json {
        outln!("(no daemon running: acting on the provider directly)");
    }
    let failback = to.is_none();
    // A validated service has at least two pools.
    let to = to.unwrap_or(&svc.pools[0].name);
    let provider = match crate::providers::build(&cfg, &svc.provider).await {
        Ok(p) => p,
        Err(e) => return fail(&e, 1),
    };
    let interrupts = Interrupts::listen();
    let journal = (!m.dry_run).then(|| open_journal(&cfg)).flatten();
    // Who ran the command, for the journal: the real uid's name (and sudo's).
    let actor = crate::control::users::local_actor();
    let opts = MoveOptions {
        planned,
        dry_run: m.dry_run,
        yes: m.yes,
        force: m.force,
        sync_timeout: m.sync_timeout,
    };
    let cx = MoveContext {
        service: svc,
        provider,
        to,
        failback,
        opts,
        out: &out,
        interrupts: &interrupts,
        journal: journal.as_ref(),
        actor: &actor,
        primary: crate::engine::watch::provider_primary(&cfg, svc),
    };
    match ops::run_move(cx, async |pool| crate::ops::preflight(svc, pool).await).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            fail(&e, code)
        }
    }
}

/// The journal in the state directory, when it can be opened; manual
/// operations go on without it (and say so).
fn open_journal(cfg: &Config) -> Option<Journal> {
    match Journal::open(&cfg.controller.state_dir) {
        Ok(j) => Some(j),
        Err(e) => {
            eprintln!("warning: not journaling this operation: {e}");
            None
        }
    }
}
