//! Validation of the whole file: sections, controller, peers, providers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde_spanned::Spanned;
use toml::de::DeValue;

use super::limits::Floor;
use super::locate::Issues;
use super::raw::{RawController, RawPeer};
use super::secret::SecretSource;
use super::tables::{elements, parse_section, url_check};
use super::types::*;
use super::{groups, notify, providers, service};

const SECTIONS: [&str; 7] = [
    "controller",
    "peers",
    "providers",
    "services",
    "groups",
    "notify",
    "risk_windows",
];

/// Validate the parsed document; None when some part could not be built.
pub(super) fn config(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    path: &Path,
) -> Option<Config> {
    let DeValue::Table(table) = root.get_ref() else {
        issues.add(None, "(document)", "the config must be a TOML table");
        return None;
    };
    for (key, _) in table.iter() {
        if !SECTIONS.contains(&key.get_ref().as_ref()) {
            let msg = format!(
                "unknown section `{}`: allowed are {}",
                key.get_ref(),
                SECTIONS.join(", ")
            );
            issues.add(Some(key.span()), key.get_ref().to_string(), msg);
        }
    }
    let controller = match table.get("controller") {
        Some(v) => parse_section::<RawController>(issues, root, v, "controller")
            .and_then(|raw| controller(issues, raw)),
        None => {
            issues.add(
                Some(0..0),
                "controller",
                "missing section [controller]: it needs at least `id`",
            );
            None
        }
    };
    let peers = peers(
        issues,
        root,
        table.get("peers"),
        controller.as_ref().map(|c| c.id.as_str()),
    );
    let providers = providers::providers(issues, root, table.get("providers"));
    let embedded: BTreeMap<&str, &super::embedded::EmbeddedConfig> = providers
        .iter()
        .filter_map(|(name, p)| match &p.kind {
            ProviderKind::Embedded(c) => Some((name.as_str(), c)),
            _ => None,
        })
        .collect();
    super::embedded::served_zones(issues, root, &embedded);
    // Vantages count every [[peers]] entry, so a broken one is reported once.
    let peer_entries = match table.get("peers").map(|v| v.get_ref()) {
        Some(DeValue::Array(items)) => items.len(),
        _ => 0,
    };
    // Providers that are declared but broken were reported already.
    let declared = match table.get("providers").map(|v| v.get_ref()) {
        Some(DeValue::Table(t)) => t.iter().map(|(k, _)| k.get_ref().to_string()).collect(),
        _ => BTreeSet::new(),
    };
    let known = service::Known {
        declared: &declared,
        floors: providers
            .iter()
            .map(|(name, p)| {
                let floor = Floor {
                    ttl: p.kind.ttl_floor(),
                    provider: name.clone(),
                    kind: p.kind.type_name(),
                };
                (name.clone(), floor)
            })
            .collect(),
        vantages: 1 + peer_entries,
    };
    let mut services = service::services(issues, root, table.get("services"), &known);
    let declared_services = groups::declared_services(table.get("services"));
    let groups = groups::groups(issues, root, table.get("groups"), &declared_services);
    let windows = table.get("risk_windows");
    let known = (&declared_services, groups.as_slice());
    super::risk::risk_windows(issues, root, windows, &mut services, known);
    if let Some(c) = controller.as_ref() {
        super::shared_risk::apply(c.shared_risk, &mut services, &groups);
    }
    let notify = notify::notify(issues, root, table.get("notify"));
    if let Some(c) = controller.as_ref().filter(|_| peers.len() == peer_entries) {
        super::topology::check(issues, root, c, &peers, &services);
    }
    Some(Config {
        path: path.to_path_buf(),
        controller: controller?,
        peers,
        providers,
        services,
        groups,
        notify,
        warnings: Vec::new(),
    })
}

/// `controller.intent_max_age` when unset: ten minutes.
pub const DEFAULT_INTENT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

fn controller(issues: &mut Issues<'_>, raw: RawController) -> Option<Controller> {
    if raw.id.get_ref().trim().is_empty() {
        issues.add(
            Some(raw.id.span()),
            "controller.id",
            "must not be empty: name this vantage, e.g. \"us-east-1\"",
        );
    }
    let metrics_listen = raw
        .metrics_listen
        .as_ref()
        .map(|v| issues.socket(v, "controller.metrics_listen"));
    let peer_listen = raw
        .peer_listen
        .as_ref()
        .map(|v| issues.socket(v, "controller.peer_listen"));
    let peer_token = peer_token(issues, &raw);
    let peer_tls = peer_tls(issues, &raw);
    let probe_source = raw
        .probe_source
        .as_ref()
        .and_then(|v| issues.ip(v, "controller.probe_source"));
    let intent_max_age = issues.duration(
        &raw.intent_max_age,
        "controller.intent_max_age",
        DEFAULT_INTENT_MAX_AGE,
        true,
    );
    let stop_timeout = issues.duration(
        &raw.stop_timeout,
        "controller.stop_timeout",
        super::types::DEFAULT_STOP_TIMEOUT,
        true,
    );
    let region = region(issues, &raw.region, "controller.region");
    let shared_risk = super::shared_risk::mode(issues, &raw.shared_risk);
    Some(Controller {
        shared_risk,
        region: region.unwrap_or_else(|| raw.id.get_ref().clone()),
        intent_max_age,
        id: raw.id.into_inner(),
        state_dir: raw.state_dir,
        control_socket: raw.control_socket,
        metrics_listen: metrics_listen.flatten(),
        peer_listen: peer_listen.flatten(),
        peer_token,
        peer_tls,
        probe_source,
        stop_timeout,
    })
}

/// The token peers send us: required with `peer_listen`, else optional.
fn peer_token(issues: &mut Issues<'_>, raw: &RawController) -> Option<SecretSource> {
    let given =
        raw.peer_token.is_some() || raw.peer_token_file.is_some() || raw.peer_token_env.is_some();
    if raw.peer_listen.is_none() && !given {
        return None;
    }
    let span = raw.peer_listen.as_ref().map(Spanned::span);
    issues.secret(
        "controller",
        "peer_token",
        &raw.peer_token,
        &raw.peer_token_file,
        &raw.peer_token_env,
        span,
    )
}

/// The peer API's certificate and key: both or neither.
fn peer_tls(issues: &mut Issues<'_>, raw: &RawController) -> Option<PeerTls> {
    match (&raw.peer_tls_cert_file, &raw.peer_tls_key_file) {
        (Some(cert), Some(key)) => {
            let cert_ok = issues.readable(cert, "controller.peer_tls_cert_file");
            let key_ok = issues.readable(key, "controller.peer_tls_key_file");
            (cert_ok && key_ok).then(|| PeerTls {
                cert_file: cert.get_ref().clone(),
                key_file: key.get_ref().clone(),
            })
        }
        (None, None) => None,
        (Some(given), None) | (None, Some(given)) => {
            let missing = if raw.peer_tls_cert_file.is_none() {
                "peer_tls_cert_file"
            } else {
                "peer_tls_key_file"
            };
            let msg = "set both peer_tls_cert_file and peer_tls_key_file, or neither";
            issues.add(Some(given.span()), format!("controller.{missing}"), msg);
            None
        }
    }
}

fn peers(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    value: Option<&Spanned<DeValue<'_>>>,
    own_id: Option<&str>,
) -> Vec<Peer> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, item) in elements(issues, value, "peers").iter().enumerate() {
        let Some(raw) = parse_section::<RawPeer>(issues, root, item, &format!("peers[{i}]")) else {
            continue;
        };
        let id = raw.id.get_ref().clone();
        let field = format!("peers[{id}]");
        if Some(id.as_str()) == own_id {
            let msg =
                format!("peer id {id:?} is the controller's own id; each vantage needs its own id");
            issues.add(Some(raw.id.span()), format!("{field}.id"), msg);
        } else if !seen.insert(id.clone()) {
            let msg = format!("duplicate peer id {id:?}; peer ids must be unique");
            issues.add(Some(raw.id.span()), format!("{field}.id"), msg);
        }
        url_check(issues, &raw.url, &format!("{field}.url"));
        let token = issues.secret(
            &field,
            "token",
            &raw.token,
            &raw.token_file,
            &raw.token_env,
            Some(item.span()),
        );
        let region = region(issues, &raw.region, &format!("{field}.region"));
        let max_clock_skew = issues.duration(
            &raw.max_clock_skew,
            &format!("{field}.max_clock_skew"),
            Duration::from_secs(2),
            true,
        );
        if let Some(token) = token {
            out.push(Peer {
                region: region.unwrap_or_else(|| id.clone()),
                id,
                url: raw.url.into_inner(),
                token,
                ca_file: raw.ca_file,
                max_clock_skew,
            });
        }
    }
    out
}

/// A vantage's `region`: not empty when given.
fn region(issues: &mut Issues<'_>, raw: &Option<Spanned<String>>, field: &str) -> Option<String> {
    let r = raw.as_ref()?;
    if r.get_ref().trim().is_empty() {
        let msg = "must not be empty: name where this vantage runs, e.g. \"eu-west-1\", or leave it out to use its id";
        issues.add(Some(r.span()), field, msg);
    }
    Some(r.get_ref().clone())
}
