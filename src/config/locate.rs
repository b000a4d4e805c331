//! Positions: byte spans to lines, serde errors to issues, and the
//! collector every validation step reports into.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::ConfigIssue;

/// Collects issues for one file.
pub(super) struct Issues<'a> {
    file: &'a Path,
    text: &'a str,
    pub(super) list: Vec<ConfigIssue>,
    /// Check that secret files exist and are readable (not for pure parsing).
    pub(super) check_files: bool,
}

impl<'a> Issues<'a> {
    pub(super) fn new(file: &'a Path, text: &'a str) -> Self {
        Self {
            file,
            text,
            list: Vec::new(),
            check_files: false,
        }
    }

    /// The 1-based line of a byte offset.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    /// Record one issue at `span` (None: no position known).
    pub(super) fn add(
        &mut self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        let line = span.map(|s| self.line_of(s.start));
        let mut field = field.into();
        if field.is_empty() {
            // An empty key (`"" = 1`) is spelled as TOML spells it.
            field = "\"\"".to_string();
        }
        self.list.push(ConfigIssue {
            file: PathBuf::from(self.file),
            line,
            field,
            unreadable_file: false,
            message: message.into(),
        });
    }

    /// Record a toml error (syntax or serde) found under `root`.
    pub(super) fn add_toml(
        &mut self,
        root: &Spanned<DeValue<'_>>,
        err: &toml::de::Error,
        fallback: &str,
    ) {
        let span = err.span();
        let mut field = span
            .as_ref()
            .and_then(|s| locate(root, s.start))
            .unwrap_or_default();
        let mut at = span;
        // Inside a table the serde error names the key: point at it.
        if let Some(key) = backticked_field(err.message()) {
            if let Some((path, key_span)) = find_key(root, &field, key) {
                field = path;
                at = Some(key_span);
            } else if !field.ends_with(key) {
                field = join(&field, key);
            }
        }
        if field.is_empty() {
            field = at
                .as_ref()
                .and_then(|s| self.field_from_text(s.start))
                .unwrap_or_else(|| fallback.to_string());
        }
        self.add(at, field, plain_words(err.message()));
    }
}

impl Issues<'_> {
    /// For text that did not parse: the nearest `[table]` header above
    /// `offset` and the key written on its line, e.g. `controller.id`.
    fn field_from_text(&self, offset: usize) -> Option<String> {
        let line = self.line_of(offset);
        let lines: Vec<&str> = self.text.lines().take(line).collect();
        let key = lines
            .last()
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().trim_matches('"').to_string())
            .filter(|k| !k.is_empty() && !k.starts_with('['));
        let table = lines.iter().rev().find_map(|l| {
            let l = l.trim();
            l.starts_with('[')
                .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        });
        // A bare `[` names no table: leave it to the caller's fallback.
        let table = table.filter(|t| !t.is_empty());
        match (table, key) {
            (Some(t), Some(k)) => Some(format!("{t}.{k}")),
            (t, k) => t.or(k),
        }
    }
}

/// Deserialize one subtree, keeping toml's exact spans in errors.
pub(super) fn de<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>) -> Result<T, toml::de::Error> {
    let mut owned = value.clone();
    owned.get_mut().make_owned();
    T::deserialize(ValueDeserializer::from(owned))
}

/// serde's type words in the words of the config.
fn plain_words(message: &str) -> String {
    message
        .replace("expected u32", "expected a whole number (0 to 4294967295)")
        .replace("expected u16", "expected a whole number (0 to 65535)")
        .replace(
            "expected a sequence",
            "expected an array, e.g. [\"a\", \"b\"]",
        )
        .replace("expected a boolean", "expected true or false")
}

/// The key of an unknown-field or missing-field message.
fn backticked_field(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// How one element of an array shows in a field path: `[name]` or `[index]`.
fn element_label(table: &DeTable<'_>, index: usize) -> String {
    match table.get("name").map(|v| v.get_ref()) {
        Some(DeValue::String(name)) => format!("[{name}]"),
        _ => format!("[{index}]"),
    }
}

/// The deepest field path (`services[checkout].ttl.lowered`) at `offset`.
pub(super) fn locate(root: &Spanned<DeValue<'_>>, offset: usize) -> Option<String> {
    locate_in(root.get_ref(), offset, String::new())
}

fn locate_in(value: &DeValue<'_>, offset: usize, path: String) -> Option<String> {
    match value {
        DeValue::Table(table) => {
            for (key, child) in table.iter() {
                let child_path = join(&path, key.get_ref());
                if key.span().contains(&offset) {
                    return Some(child_path);
                }
                if let Some(found) = locate_in(child.get_ref(), offset, child_path.clone()) {
                    return Some(found);
                }
                if child.span().contains(&offset) {
                    return Some(child_path);
                }
            }
            None
        }
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let label = match item.get_ref() {
                DeValue::Table(t) => element_label(t, i),
                _ => format!("[{i}]"),
            };
            let item_path = format!("{path}{label}");
            locate_in(item.get_ref(), offset, item_path.clone())
                .or_else(|| item.span().contains(&offset).then_some(item_path))
        }),
        _ => None,
    }
}

/// Find `key` directly inside the table at display path `path`.
pub(super) fn find_key(
    root: &Spanned<DeValue<'_>>,
    path: &str,
    key: &str,
) -> Option<(String, Range<usize>)> {
    let mut found = None;
    walk(root.get_ref(), String::new(), &mut |p, table| {
        if found.is_none()
            && p == path
            && let Some((k, _)) = table.get_key_value(key)
        {
            found = Some((join(p, key), k.span()));
        }
    });
    found
}

fn walk(value: &DeValue<'_>, path: String, f: &mut dyn FnMut(&str, &DeTable<'_>)) {
    match value {
        DeValue::Table(table) => {
            f(&path, table);
            for (key, child) in table.iter() {
                walk(child.get_ref(), join(&path, key.get_ref()), f);
            }
        }
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let label = match item.get_ref() {
                    DeValue::Table(t) => element_label(t, i),
                    _ => format!("[{i}]"),
                };
                walk(item.get_ref(), format!("{path}{label}"), f);
            }
        }
        _ => {}
    }
}
