//! Reading what a source file names: its code without the test items, and
//! every path under a root (`crate`, `tokio`, `std`) with brace groups
//! expanded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `text` without the items marked `#[cfg(test)]` (a `mod x;` line or a
/// braced item; an item whose braces do not close takes the rest).
pub fn non_test(text: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let item = &rest[at + MARK.len()..];
        let semi = item.find(';');
        let brace = item.find('{');
        rest = match (semi, brace) {
            (Some(s), b) if b.is_none_or(|b| s < b) => &item[s + 1..],
            (_, Some(b)) => close(&item[b..]).map_or("", |end| &item[b + end..]),
            _ => "",
        };
    }
    out.push_str(rest);
    out
}

/// Bytes up to and including the brace that closes the one `s` opens.
fn close(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Every path under `root` that `code` names, brace groups expanded:
/// `use tokio::{io, time::{sleep, Instant}}` names `tokio::io`,
/// `tokio::time::sleep` and `tokio::time::Instant`.
pub fn paths(code: &str, root: &str) -> BTreeSet<String> {
    let needle = format!("{root}::");
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices(&needle) {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        expand(&code[i + needle.len()..], root, &mut out);
    }
    out
}

/// Adds the paths `prefix::rest` names to `out`; returns the bytes of
/// `rest` read.
fn expand(rest: &str, prefix: &str, out: &mut BTreeSet<String>) -> usize {
    let trimmed = rest.trim_start();
    let skipped = rest.len() - trimmed.len();
    if let Some(group) = trimmed.strip_prefix('{') {
        return skipped + 1 + members(group, prefix, out);
    }
    let len = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(trimmed.len());
    if len == 0 {
        out.insert(prefix.to_string());
        return skipped;
    }
    let path = format!("{prefix}::{}", &trimmed[..len]);
    match trimmed[len..].strip_prefix("::") {
        Some(more) => skipped + len + 2 + expand(more, &path, out),
        None => {
            out.insert(path);
            skipped + len
        }
    }
}

/// The members of a brace group (after its `{`); returns the bytes read,
/// its `}` included.
fn members(group: &str, prefix: &str, out: &mut BTreeSet<String>) -> usize {
    let mut at = 0;
    loop {
        at += expand(&group[at..], prefix, out);
        // Past a rename (`io as x`) to the separator.
        match group[at..].find([',', '}']) {
            Some(i) if group[at + i..].starts_with(',') => at += i + 1,
            Some(i) => return at + i + 1,
            None => return group.len(),
        }
    }
}

/// Whether `path` is `prefix` or lies under it.
pub fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|r| r.starts_with("::"))
}

/// The Rust files under `dir`, recursively, test modules (`tests*`,
/// `proptests`, `test_support`, `test_io`) left out.
pub fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if stem.starts_with("tests") || ["proptests", "test_support", "test_io"].contains(&&*stem) {
            continue;
        }
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The modules of the crate under `src` (each directory, and each file but
/// `lib.rs`, `main.rs` and the test support) and, for each, the others its
/// non-test code names as `crate::OTHER`.
pub fn crate_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeMap<String, Vec<PathBuf>> = sources(src)
        .into_iter()
        .filter_map(|p| {
            let top = p.strip_prefix(src).ok()?.components().next()?;
            let name = Path::new(top.as_os_str()).file_stem()?;
            let name = name.to_string_lossy().into_owned();
            (!["lib", "main"].contains(&name.as_str())).then_some((name, p))
        })
        .fold(BTreeMap::new(), |mut m, (name, p)| {
            m.entry(name).or_insert_with(Vec::new).push(p);
            m
        });
    let known: BTreeSet<&String> = modules.keys().collect();
    modules
        .iter()
        .map(|(name, files)| {
            let uses = files
                .iter()
                .flat_map(|f| paths(&non_test(&std::fs::read_to_string(f).unwrap()), "crate"))
                .filter_map(|p| p.split("::").nth(1).map(str::to_string))
                .filter(|m| m != name && known.contains(m))
                .collect();
            (name.clone(), uses)
        })
        .collect()
}
