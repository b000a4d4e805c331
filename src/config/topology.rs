//! Region loss: whether each service's quorum survives losing any one region, and whether a lone vantage reaches it.
//!
//! Every vantage (this controller, each `[[peers]]` entry) has a region;
//! losing a region loses its controller and agents together. A service that
//! cannot reach its quorum after losing the region of one of its pools
//! cannot fail over on the day that region dies: validation refuses it
//! unless the operator set `health.quorum` and accepted the risk.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use serde_spanned::Spanned;
use toml::de::DeValue;

use super::ConfigIssue;
use super::locate::Issues;
use super::tables::as_table;
use super::types::{Config, Controller, Peer, Service};

/// What losing one region leaves of one service's vantages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    pub region: String,
    /// The vantages outside that region.
    pub left: usize,
    /// The service's pools in that region (then losing it needs a failover).
    pub pools: Vec<String>,
}

/// One service's region-loss arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    pub vantages: usize,
    pub quorum: u32,
    /// One per region a vantage or a pool is in, by name.
    pub losses: Vec<Loss>,
}

impl Topology {
    /// The arithmetic for `vantage_regions` (one entry per vantage) and
    /// `pools` (name, region) at `quorum`.
    pub fn compute(vantage_regions: &[&str], pools: &[(&str, &str)], quorum: u32) -> Self {
        let regions: BTreeSet<&str> = vantage_regions
            .iter()
            .copied()
            .chain(pools.iter().map(|(_, r)| *r))
            .collect();
        let losses = regions
            .into_iter()
            .map(|region| Loss {
                region: region.to_string(),
                left: vantage_regions.iter().filter(|r| **r != region).count(),
                pools: pools
                    .iter()
                    .filter(|(_, r)| *r == region)
                    .map(|(p, _)| p.to_string())
                    .collect(),
            })
            .collect();
        Self {
            vantages: vantage_regions.len(),
            quorum,
            losses,
        }
    }

    /// `s` as configured with this controller and its peers.
    pub fn of(controller: &Controller, peers: &[Peer], s: &Service) -> Self {
        let regions: Vec<&str> = std::iter::once(controller.region.as_str())
            .chain(peers.iter().map(|p| p.region.as_str()))
            .collect();
        let pools: Vec<(&str, &str)> = s
            .pools
            .iter()
            .map(|p| (p.name.as_str(), p.region.as_str()))
            .collect();
        Self::compute(&regions, &pools, s.quorum(regions.len()))
    }

    /// The losses of a pool's region that leave fewer vantages than the quorum.
    pub fn breaking(&self) -> impl Iterator<Item = &Loss> {
        self.losses
            .iter()
            .filter(|l| !l.pools.is_empty() && l.left < self.quorum as usize)
    }

    /// True when one vantage cut off from the others reaches the quorum on
    /// its own view (a partition risk); a single vantage always does.
    pub fn lone_vantage_decides(&self) -> bool {
        self.vantages > 1 && self.quorum <= 1
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "losing region {}", self.region)?;
        if !self.pools.is_empty() {
            write!(f, " (pool {})", self.pools.join(", "))?;
        }
        write!(f, " leaves {}", self.left)
    }
}

/// The summary's lines: each loss with its outcome, then the partition risk.
impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = self.quorum as usize;
        write!(
            f,
            "    region loss, quorum {} of {} vantage(s):",
            q, self.vantages
        )?;
        for (i, l) in self.losses.iter().enumerate() {
            let outcome = match (l.pools.is_empty(), l.left >= q) {
                (false, true) => "fails over",
                (false, false) => "cannot fail over",
                (true, true) => "quorum kept",
                (true, false) => "quorum lost",
            };
            let sep = if i == 0 { " " } else { "; " };
            write!(f, "{sep}{l}: {outcome}")?;
        }
        writeln!(f)?;
        if self.lone_vantage_decides() {
            writeln!(f, "    partition risk: a lone vantage reaches quorum {q}")
        } else {
            writeln!(f, "    partition: a lone vantage cannot reach quorum {q}")
        }
    }
}

/// Refuse every service that cannot fail over after losing one of its
/// pools' regions, unless `health.quorum` is explicit and the risk accepted.
pub(super) fn check(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    controller: &Controller,
    peers: &[Peer],
    services: &[Service],
) {
    for s in services {
        let h = &s.health;
        let t = Topology::of(controller, peers, s);
        let losses: Vec<String> = t.breaking().map(ToString::to_string).collect();
        if losses.is_empty() || (h.quorum.is_some() && h.accept_single_region_risk) {
            continue;
        }
        let msg = format!(
            "quorum {} of {} vantages; {}: {} cannot fail over when that region dies. Add a witness agent in a third region (a [[peers]] entry with its own `region`), or set `quorum` explicitly and `accept_single_region_risk = true`",
            t.quorum,
            t.vantages,
            losses.join(", "),
            s.name
        );
        let field = format!("services[{}].health.quorum", s.name);
        issues.add(span_of(root, &s.name), field, msg);
    }
}

/// Warnings for `check`: every service a lone vantage can flip.
pub fn warnings(cfg: &Config) -> Vec<ConfigIssue> {
    cfg.services
        .iter()
        .filter_map(|s| {
            let t = Topology::of(&cfg.controller, &cfg.peers, s);
            t.lone_vantage_decides().then(|| ConfigIssue {
                file: cfg.path.clone(),
                line: None,
                field: format!("services[{}].health.quorum", s.name),
                message: format!(
                    "quorum {} of {} vantages: one vantage cut off from the others can flip on its own view (a partition risk)",
                    t.quorum, t.vantages
                ),
                unreadable_file: false,
            })
        })
        .collect()
}

/// Where to point: the service's `health.quorum`, else `health`, else its name.
fn span_of(root: &Spanned<DeValue<'_>>, name: &str) -> Option<Range<usize>> {
    let DeValue::Array(items) = as_table(root)?.get("services")?.get_ref() else {
        return None;
    };
    let service = items.iter().filter_map(as_table).find(|t| {
        t.get("name")
            .is_some_and(|n| matches!(n.get_ref(), DeValue::String(v) if v == name))
    })?;
    let health = service.get("health");
    let quorum = health.and_then(as_table).and_then(|h| h.get("quorum"));
    quorum
        .or(health)
        .or_else(|| service.get("name"))
        .map(Spanned::span)
}
