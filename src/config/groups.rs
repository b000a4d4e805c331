//! Validation of `[[groups]]`: named sets of services that move together
//! (evacuating a region, risk windows for a group).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_spanned::Spanned;
use toml::de::DeValue;

use super::locate::Issues;
use super::raw::S;
use super::tables::{elements, parse_section};
use super::types::Group;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: S<String>,
    services: S<Vec<S<String>>>,
    #[serde(default = "default_max_parallel")]
    max_parallel: S<i64>,
}

/// An evacuation moves one service of a group at a time unless told otherwise.
fn default_max_parallel() -> S<i64> {
    S::new(0..0, 1)
}

/// Validate every group against the services the file declares (even
/// broken ones, which were reported already); broken groups are left out.
pub(super) fn groups(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    value: Option<&Spanned<DeValue<'_>>>,
    declared: &BTreeSet<String>,
) -> Vec<Group> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, item) in elements(issues, value, "groups").iter().enumerate() {
        let Some(raw) = parse_section::<RawGroup>(issues, root, item, &format!("groups[{i}]"))
        else {
            continue;
        };
        let name = raw.name.get_ref().trim().to_string();
        let field = format!("groups[{name}]");
        let before = issues.list.len();
        if name.is_empty() {
            issues.add(
                Some(raw.name.span()),
                format!("groups[{i}].name"),
                "must not be empty",
            );
        } else if !seen.insert(name.clone()) {
            let msg = format!("duplicate group name {name:?}; group names must be unique");
            issues.add(Some(raw.name.span()), format!("{field}.name"), msg);
        }
        if raw.services.get_ref().is_empty() {
            let msg = "must name at least one service";
            issues.add(Some(raw.services.span()), format!("{field}.services"), msg);
        }
        let mut services = Vec::new();
        for s in raw.services.get_ref() {
            let service = s.get_ref().clone();
            if !declared.contains(&service) {
                let msg = format!("no service is named {service:?}");
                issues.add(Some(s.span()), format!("{field}.services"), msg);
            } else if services.contains(&service) {
                let msg = format!("{service:?} is named twice");
                issues.add(Some(s.span()), format!("{field}.services"), msg);
            } else {
                services.push(service);
            }
        }
        let max_parallel = *raw.max_parallel.get_ref();
        if max_parallel < 1 {
            let msg = format!("must be at least 1, found {max_parallel}");
            issues.add(
                Some(raw.max_parallel.span()),
                format!("{field}.max_parallel"),
                msg,
            );
        }
        if issues.list.len() == before {
            let max_parallel = usize::try_from(max_parallel).unwrap_or(1);
            out.push(Group {
                name,
                services,
                max_parallel,
            });
        }
    }
    out
}

/// The names of every `[[services]]` entry that has a string `name`.
pub(super) fn declared_services(value: Option<&Spanned<DeValue<'_>>>) -> BTreeSet<String> {
    let Some(DeValue::Array(items)) = value.map(|v| v.get_ref()) else {
        return BTreeSet::new();
    };
    items
        .iter()
        .filter_map(|item| match item.get_ref() {
            DeValue::Table(t) => match t.get("name").map(|v| v.get_ref()) {
                Some(DeValue::String(s)) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}
