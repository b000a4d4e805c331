//! `[controller] shared_risk`: whose incident raises a service's risk
//! (`group`, the default: the services of its groups; `region`: those whose
//! active pool is in the same region; `none`), given to each service.

use super::locate::Issues;
use super::raw::S;
use super::types::{Group, Service};
use crate::controller::SharedRisk;

/// The setting, as written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SharedRiskMode {
    None,
    #[default]
    Group,
    Region,
}

const WORDS: &str = "\"group\", \"region\" or \"none\"";

/// `controller.shared_risk`, or the default (`group`).
pub(super) fn mode(issues: &mut Issues<'_>, raw: &Option<S<String>>) -> SharedRiskMode {
    let Some(v) = raw else {
        return SharedRiskMode::default();
    };
    match v.get_ref().as_str() {
        "group" => SharedRiskMode::Group,
        "region" => SharedRiskMode::Region,
        "none" => SharedRiskMode::None,
        other => {
            let msg = format!("{other:?} is not one of {WORDS}");
            issues.add(Some(v.span()), "controller.shared_risk", msg);
            SharedRiskMode::default()
        }
    }
}

/// Gives each service whose incidents raise its risk.
pub(super) fn apply(mode: SharedRiskMode, services: &mut [Service], groups: &[Group]) {
    for s in services.iter_mut() {
        s.shared_risk = match mode {
            SharedRiskMode::None => SharedRisk::None,
            SharedRiskMode::Region => SharedRisk::Region,
            SharedRiskMode::Group => SharedRisk::Group {
                services: groups
                    .iter()
                    .filter(|g| g.services.contains(&s.name))
                    .flat_map(|g| g.services.iter())
                    .filter(|n| **n != s.name)
                    .cloned()
                    .collect(),
            },
        };
    }
}
