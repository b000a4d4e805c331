//! Imports go one way: within each listed module of `src/`, no file reaches a
//! sibling that reaches back to it, directly or around a loop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules whose files must import one way.
const ONE_WAY: [&str; 14] = [
    "cli",
    "config",
    "control",
    "controller",
    "engine",
    "journal",
    "metrics",
    "notify",
    "ops",
    "peers",
    "probe",
    "propagation",
    "report",
    "runtime",
];

/// Sibling module names a file's non-test code names through `super::` or
/// `crate::MODULE::`.
fn siblings(text: &str, module: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = BTreeSet::new();
    let prefixes = ["super::".to_string(), format!("crate::{module}::")];
    for prefix in &prefixes {
        for (i, _) in code.match_indices(prefix.as_str()) {
            let rest = &code[i + prefix.len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or_default())
                    .collect(),
                None => vec![
                    rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or_default(),
                ],
            };
            out.extend(
                names
                    .into_iter()
                    .filter(|n| known.contains(*n))
                    .map(str::to_string),
            );
        }
    }
    out
}

/// File-level import graph of `dir` (files named `tests*` left out).
fn graph(dir: &Path, module: &str) -> BTreeMap<String, BTreeSet<String>> {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy();
            stem != "mod" && !stem.starts_with("tests")
        })
        .collect();
    let known: BTreeSet<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(p).unwrap();
            let mut uses = siblings(&text, module, &known);
            uses.remove(&name);
            (name, uses)
        })
        .collect()
}

/// One loop in `g`, as `a -> b -> a`, if there is any.
fn a_loop(g: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<String> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut ring = path[at..].to_vec();
            ring.push(node.to_string());
            return Some(ring.join(" -> "));
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in g.get(node).into_iter().flatten() {
            if let Some(found) = visit(g, next, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|n| visit(g, n, &mut Vec::new(), &mut done))
}

#[test]
fn imports_within_each_module_go_one_way() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let loops: Vec<String> = ONE_WAY
        .iter()
        .filter_map(|m| a_loop(&graph(&root.join("src").join(m), m)).map(|l| format!("{m}: {l}")))
        .collect();
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn the_check_finds_a_loop_when_there_is_one() {
    let known: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", "use super::b::x;\n"),
        ("b", "use super::{c, Other};\n"),
        (
            "c",
            "fn f() { crate::m::a::y(); }\n#[cfg(test)]\nuse super::b;",
        ),
    ]
    .into_iter()
    .map(|(n, text)| (n.to_string(), siblings(text, "m", &known)))
    .collect();
    assert_eq!(a_loop(&g).as_deref(), Some("a -> b -> c -> a"));
    let mut open = g.clone();
    open.get_mut("c").unwrap().clear();
    assert_eq!(a_loop(&open), None);
}
