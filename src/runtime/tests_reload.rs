//! What a reload does to each service, from the example config and edits of it.

use std::collections::BTreeMap;
use std::path::Path;

use super::generation::Plan;
use super::{peering, unit};
use crate::config::{self, Config};

fn example(edit: impl Fn(String) -> String) -> Config {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml.example"))
        .expect("the example config is in the repository");
    config::parse(Path::new("config.toml.example"), &edit(text)).expect("the edit is valid")
}

fn running(cfg: &Config) -> BTreeMap<String, String> {
    cfg.services
        .iter()
        .map(|s| (s.name.clone(), unit::fingerprint(cfg, s)))
        .collect()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "the example config names every provider"
)]
fn an_unchanged_config_keeps_every_service() {
    let cfg = example(|t| t);
    let plan = Plan::diff(&running(&cfg), &example(|t| t), false);
    assert_eq!(plan.kept.len(), cfg.services.len());
    assert!(plan.restarted.is_empty() && plan.added.is_empty() && plan.removed.is_empty());
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "the example config names every provider"
)]
fn a_changed_service_restarts_a_missing_one_stops_and_the_rest_are_kept() {
    let old = example(|t| t);
    let new = example(|t| {
        // The api service's rto (the second `rto = "10m"`; checkout's comes first).
        let api = t.find("name = \"api\"").expect("api is in the example");
        let t = format!(
            "{}{}",
            &t[..api],
            t[api..].replacen("rto = \"10m\"", "rto = \"11m\"", 1)
        );
        // Cut the resolver service alone: up to the comment before the next service.
        let cut = t
            .find("[[services]]\nname = \"resolver\"")
            .expect("resolver is in the example");
        // Up to the next service's opening comment (or the end of the services).
        let end = t[cut..]
            .find("\n# A fourth service")
            .or_else(|| t[cut..].find("\n# Notifications"))
            .map_or(t.len(), |e| cut + e);
        format!("{}{}", &t[..cut], &t[end..])
    });
    let plan = Plan::diff(&running(&old), &new, false);
    assert_eq!(plan.restarted, names(&["api"]));
    assert_eq!(plan.removed, names(&["resolver"]));
    assert_eq!(plan.kept.len(), old.services.len() - 2);
    // And back: the removed service is added again.
    assert_eq!(
        Plan::diff(&running(&new), &old, false).added,
        names(&["resolver"])
    );
}

#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "the example config names every provider"
)]
fn a_change_of_peers_restarts_every_service() {
    let old = example(|t| t);
    let new = example(|t| {
        t.replace(
            "peer_listen = \"0.0.0.0:9420\"",
            "peer_listen = \"0.0.0.0:9421\"",
        )
    });
    assert_ne!(peering::fingerprint(&old), peering::fingerprint(&new));
    let plan = Plan::diff(&running(&old), &new, true);
    assert!(plan.kept.is_empty());
    assert_eq!(plan.restarted.len(), old.services.len());
}
