//! The doctor's checks that need no network: secrets and files readable, each provider's capabilities, the writer rule, region loss, the RTO budget.

use std::path::{Path, PathBuf};

use super::doctor_line::{Line, human};
use crate::config::{Budget, Config, ProbeKind, ProviderKind, SecretSource, Service, Topology};

/// Every secret the config names: read now, and its file's mode.
pub fn secrets(cfg: &Config) -> Vec<Line> {
    let mut lines: Vec<Line> = secret_sources(cfg)
        .iter()
        .map(|(field, src)| secret(field, src))
        .collect();
    lines.extend(files(cfg).iter().map(|(field, path)| file(field, path)));
    lines
}

/// Each configured provider's row of the capabilities table: how strong
/// its fence is, weights, alias, TTL floor and typical sync time.
pub fn capabilities(cfg: &Config) -> Vec<Line> {
    cfg.providers
        .values()
        .filter_map(|p| {
            let kind = p.kind.type_name();
            let row = rtoguard_provider_api::table::row(kind)?.with_floor(p.kind.ttl_floor());
            let what = format!("{} ({kind}) capabilities", p.name);
            Some(Line::ok("provider", what, row.describe()))
        })
        .collect()
}

/// (config field, source) of every secret.
fn secret_sources(cfg: &Config) -> Vec<(String, SecretSource)> {
    let mut out = Vec::new();
    for (name, p) in &cfg.providers {
        match &p.kind {
            ProviderKind::Rfc2136(c) => {
                out.push((
                    format!("providers.{name}.tsig_secret"),
                    c.tsig_secret.clone(),
                ));
            }
            ProviderKind::Cloudflare(c) => {
                out.push((format!("providers.{name}.api_token"), c.api_token.clone()));
            }
            ProviderKind::PowerDns(c) => {
                out.push((format!("providers.{name}.api_key"), c.api_key.clone()));
            }
            ProviderKind::Webhook(c) => {
                if let Some(t) = &c.token {
                    out.push((format!("providers.{name}.token"), t.clone()));
                }
            }
            ProviderKind::Azure(c) => {
                if let crate::config::AzureCredentials::ClientSecret { secret, .. } = &c.credentials
                {
                    out.push((format!("providers.{name}.client_secret"), secret.clone()));
                }
            }
            ProviderKind::Gcloud(c) => {
                if let crate::config::GcloudCredentials::KeyFile(src) = &c.credentials {
                    out.push((format!("providers.{name}.credentials_file"), src.clone()));
                }
            }
            ProviderKind::Route53(_) | ProviderKind::Embedded(_) => {}
        }
    }
    if let Some(t) = &cfg.controller.peer_token {
        out.push(("controller.peer_token".into(), t.clone()));
    }
    for p in &cfg.peers {
        out.push((format!("peers[{}].token", p.id), p.token.clone()));
    }
    out
}

/// (config field, path) of every certificate, key and CA file.
fn files(cfg: &Config) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Some(tls) = &cfg.controller.peer_tls {
        out.push((
            "controller.peer_tls.cert_file".into(),
            tls.cert_file.clone(),
        ));
        out.push(("controller.peer_tls.key_file".into(), tls.key_file.clone()));
    }
    for p in &cfg.peers {
        if let Some(ca) = &p.ca_file {
            out.push((format!("peers[{}].ca_file", p.id), ca.clone()));
        }
    }
    for s in &cfg.services {
        if let ProbeKind::Http {
            ca_file: Some(ca), ..
        } = &s.probe.kind
        {
            out.push((format!("services[{}].probe.ca_file", s.name), ca.clone()));
        }
    }
    out
}

fn secret(field: &str, src: &SecretSource) -> Line {
    if let Err(e) = src.read() {
        return Line::fail("secret", field, e);
    }
    match src {
        SecretSource::Env(var) => Line::ok("secret", field, format!("env {var} is set")),
        SecretSource::File(path) => match world_readable(path) {
            Some(mode) => Line::warn(
                "secret",
                field,
                format!(
                    "file {} is readable by every user on this host (mode {mode:04o}): chmod 0640 and give it to the service's group",
                    path.display()
                ),
            ),
            None => Line::ok(
                "secret",
                field,
                format!("file {} is readable", path.display()),
            ),
        },
    }
}

/// The file's permission bits when others may read it.
fn world_readable(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
    (mode & 0o004 != 0).then_some(mode)
}

fn file(field: &str, path: &Path) -> Line {
    match std::fs::File::open(path) {
        Ok(_) => Line::ok("file", field, format!("{} is readable", path.display())),
        Err(e) => Line::fail(
            "file",
            field,
            format!("cannot read {}: {e}", path.display()),
        ),
    }
}

/// Per service: which controller writes first for each pool.
pub fn writers(cfg: &Config) -> Vec<Line> {
    cfg.services.iter().map(|s| writer(cfg, s)).collect()
}

fn writer(cfg: &Config, s: &Service) -> Line {
    let what = format!("service {}", s.name);
    if cfg.peers.is_empty() {
        return Line::ok(
            "writer",
            what,
            "no peers: this controller writes every flip at once",
        );
    }
    let ids: Vec<&str> = std::iter::once(cfg.controller.id.as_str())
        .chain(cfg.peers.iter().map(|p| p.id.as_str()))
        .collect();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for p in &s.pools {
        match ids.iter().find(|id| **id == p.region) {
            Some(id) if *id == cfg.controller.id => {
                found.push(format!("{} by {id} (this controller)", p.name))
            }
            Some(id) => found.push(format!("{} by {id}", p.name)),
            None => missing.push(format!("{} (region {})", p.name, p.region)),
        }
    }
    let firsts = format!("first writer for {}", found.join(", "));
    match (found.is_empty(), missing.is_empty()) {
        (_, true) => Line::ok("writer", what, firsts),
        (true, false) => Line::fail(
            "writer",
            what,
            format!(
                "no controller id ({}) is a pool's region ({}): every flip waits a grace period for its writer; name each controller after its region",
                ids.join(", "),
                missing.join(", ")
            ),
        ),
        (false, false) => Line::warn(
            "writer",
            what,
            format!(
                "{firsts}; no controller is named after the region of {}: a flip there waits a grace period",
                missing.join(", ")
            ),
        ),
    }
}

/// Per service: whether the quorum survives losing each region.
pub fn quorum(cfg: &Config) -> Vec<Line> {
    cfg.services
        .iter()
        .map(|s| {
            let t = Topology::of(&cfg.controller, &cfg.peers, s);
            let what = format!("service {}", s.name);
            let losses: Vec<String> = t
                .losses
                .iter()
                .filter(|l| !l.pools.is_empty())
                .map(|l| format!("{} leaves {}", l.region, l.left))
                .collect();
            let head = format!("quorum {} of {} vantage(s)", t.quorum, t.vantages);
            let breaking: Vec<String> = t.breaking().map(ToString::to_string).collect();
            if breaking.is_empty() {
                Line::ok("quorum", what, format!("{head} survives losing any pool's region ({})", losses.join(", ")))
            } else if s.health.accept_single_region_risk {
                Line::warn("quorum", what, format!("{head}: {} cannot fail over (risk accepted in the config); a witness in a third region removes it", breaking.join("; ")))
            } else {
                Line::fail("quorum", what, format!("{head}: {} cannot fail over; add a witness agent in a third region", breaking.join("; ")))
            }
        })
        .collect()
}

/// Per service: detection + write + normal TTL against `rto`.
pub fn budgets(cfg: &Config) -> Vec<Line> {
    cfg.services.iter().filter_map(|s| budget(cfg, s)).collect()
}

fn budget(cfg: &Config, s: &Service) -> Option<Line> {
    let b = Budget::of(cfg, s)?;
    let what = format!("service {}", s.name);
    let total = b.total();
    let sum = format!(
        "detection {} + write about {} + caches up to ttl.normal {} = {}",
        human(b.detection),
        human(b.write),
        human(b.ttl),
        human(total)
    );
    Some(if total > s.rto {
        Line::fail(
            "rto",
            what,
            format!(
                "{sum}, {} over rto {}: lower ttl.normal, detect faster, or raise rto",
                human(total - s.rto),
                human(s.rto)
            ),
        )
    } else if (s.rto - total) * 10 < s.rto {
        Line::warn(
            "rto",
            what,
            format!(
                "{sum}, within rto {} by only {}",
                human(s.rto),
                human(s.rto - total)
            ),
        )
    } else {
        Line::ok(
            "rto",
            what,
            format!(
                "{sum}, within rto {}: margin {}",
                human(s.rto),
                human(s.rto - total)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::doctor_line::Verdict;

    const EXAMPLE: &str = include_str!("../../config.toml.example");

    fn example(edit: impl Fn(String) -> String) -> Config {
        let text = edit(EXAMPLE.to_string());
        crate::config::parse(std::path::Path::new("config.toml"), &text)
            .unwrap_or_else(|e| panic!("the edited example parses: {e}"))
    }

    fn verdicts(lines: &[Line]) -> Vec<Verdict> {
        lines.iter().map(|l| l.verdict).collect()
    }

    #[test]
    #[cfg_attr(
        not(all(feature = "route53", feature = "cloudflare")),
        ignore = "the example config names every provider"
    )]
    fn the_example_has_a_first_writer_a_quorum_and_an_rto_margin() {
        let cfg = example(|t| t);
        assert!(verdicts(&writers(&cfg)).iter().all(|v| *v == Verdict::Ok));
        assert!(verdicts(&quorum(&cfg)).iter().all(|v| *v == Verdict::Ok));
        let b = budgets(&cfg);
        assert!(b.iter().all(|l| l.verdict != Verdict::Fail), "{b:?}");
        assert!(b[0].why.contains("margin"), "{}", b[0].why);
    }

    #[test]
    #[cfg_attr(
        not(all(feature = "route53", feature = "cloudflare")),
        ignore = "the example config names every provider"
    )]
    fn a_controller_named_after_no_region_leaves_pools_without_a_first_writer() {
        let cfg = example(|t| t.replacen("id = \"us-east-1\"", "id = \"virginia\"", 1));
        let lines = writers(&cfg);
        // eu-west-1's pools still have their peer; us-east-1's have nobody.
        assert_eq!(lines[0].verdict, Verdict::Warn, "{}", lines[0].why);
        assert!(
            lines[0].why.contains("primary (region us-east-1)"),
            "{}",
            lines[0].why
        );
    }

    #[test]
    #[cfg_attr(
        not(all(feature = "route53", feature = "cloudflare")),
        ignore = "the example config names every provider"
    )]
    fn an_rto_the_ttl_cannot_meet_fails_with_the_sum() {
        let cfg = example(|t| t.replacen("rto = \"10m\"", "rto = \"10s\"", 1));
        let line = &budgets(&cfg)[0];
        assert_eq!(line.verdict, Verdict::Fail);
        assert!(line.why.contains("ttl.normal 5m"), "{}", line.why);
        assert!(line.why.contains("over rto 10s"), "{}", line.why);
    }
}
