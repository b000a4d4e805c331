//! Reading the TOML document's parts: one subtree into its raw section, arrays of tables, tagged tables, URLs; each problem goes to the issues.

use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

use super::locate::{Issues, de};
use super::raw::S;

/// Deserialize one subtree; on failure record the issue and return None.
pub(super) fn parse_section<T: DeserializeOwned>(
    issues: &mut Issues<'_>,
    root: &Spanned<DeValue<'_>>,
    value: &Spanned<DeValue<'_>>,
    field: &str,
) -> Option<T> {
    de::<T>(value)
        .map_err(|e| issues.add_toml(root, &e, field))
        .ok()
}

/// The elements of an array of tables (`[[peers]]`), or an issue.
pub(super) fn elements<'v, 'i>(
    issues: &mut Issues<'_>,
    value: Option<&'v Spanned<DeValue<'i>>>,
    field: &str,
) -> &'v [Spanned<DeValue<'i>>] {
    match value.map(|v| (v, v.get_ref())) {
        None => &[],
        Some((_, DeValue::Array(items))) => items.as_ref(),
        Some((v, _)) => {
            let msg = format!("must be an array of tables, written [[{field}]]");
            issues.add(Some(v.span()), field, msg);
            &[]
        }
    }
}

/// An http(s) URL.
pub(super) fn url_check(issues: &mut Issues<'_>, url: &S<String>, field: &str) {
    let u = url.get_ref();
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
        let msg = format!("{u:?} is not a URL: write e.g. \"https://host.example.net:9420\"");
        issues.add(Some(url.span()), field, msg);
    }
}

/// The `type` of a tagged table, checked against `allowed`.
pub(super) fn tag<'t>(
    issues: &mut Issues<'_>,
    item: &'t Spanned<DeValue<'_>>,
    field: &str,
    allowed: &str,
) -> Option<&'t str> {
    let Some(table) = as_table(item) else {
        issues.add(
            Some(item.span()),
            field,
            format!("must be a table with a `type` (one of {allowed})"),
        );
        return None;
    };
    match table.get("type").map(|t| (t.span(), t.get_ref())) {
        Some((_, DeValue::String(s))) if allowed.split(", ").any(|a| a == s.as_ref()) => {
            Some(s.as_ref())
        }
        Some((span, DeValue::String(s))) => {
            issues.add(
                Some(span),
                format!("{field}.type"),
                format!("unknown type {s:?}: allowed are {allowed}"),
            );
            None
        }
        Some((span, _)) => {
            issues.add(
                Some(span),
                format!("{field}.type"),
                format!("must be a string, one of {allowed}"),
            );
            None
        }
        None => {
            issues.add(
                Some(item.span()),
                format!("{field}.type"),
                format!("missing `type`: one of {allowed}"),
            );
            None
        }
    }
}

/// The table `item` is, if it is one.
pub(super) fn as_table<'t, 'i>(item: &'t Spanned<DeValue<'i>>) -> Option<&'t DeTable<'i>> {
    match item.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}
