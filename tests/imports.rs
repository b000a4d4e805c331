//! Imports go one way: within each module of `src/`, no file reaches a
//! sibling that reaches back to it, directly or around a loop, nor does any
//! module of the crate reach one that reaches back; and the layers hold:
//! the sans-IO controller names no layer above it and nothing that does
//! I/O, and only the CLI and the demo use the daemon.

#[path = "imports/paths.rs"]
mod paths;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Sibling module names a file's non-test code names through `super::` or
/// `crate::MODULE::`.
fn siblings(text: &str, module: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let code = paths::non_test(text);
    let code = code.as_str();
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
    // Every module that is a directory of `src/`.
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(modules.len() > 15, "too few modules read: {modules:?}");
    let loops: Vec<String> = modules
        .iter()
        .filter_map(|m| a_loop(&graph(&src.join(m), m)).map(|l| format!("{m}: {l}")))
        .collect();
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn the_crate_s_modules_import_one_way() {
    let g = paths::crate_graph(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(g.len() > 15, "too few modules read: {:?}", g.keys());
    assert!(
        g["runtime"].contains("controller"),
        "the graph misses edges"
    );
    assert_eq!(a_loop(&g), None, "modules of the crate import each other");
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

/// What the sans-IO controller may not name: the layers above it, and
/// anything that does I/O, spawns, sleeps or reads the environment.
const CONTROLLER_MAY_NOT: [&str; 26] = [
    "crate::runtime",
    "crate::ops",
    "crate::engine",
    "crate::cli",
    "crate::control",
    "crate::providers",
    "tokio::io",
    "tokio::net",
    "tokio::fs",
    "tokio::process",
    "tokio::signal",
    "tokio::spawn",
    "tokio::task",
    "tokio::time::sleep",
    "tokio::time::timeout",
    "tokio::time::interval",
    "std::io",
    "std::net",
    "std::fs",
    "std::process",
    "std::env",
    "std::thread",
    "hyper",
    "reqwest",
    "rusqlite",
    "tokio_rustls",
];

/// Clock reads, however `Instant` or `SystemTime` was imported: time
/// enters the controller only as `now`.
const CLOCK_READS: [&str; 2] = ["Instant::now(", "SystemTime::now("];

/// Each name of `forbidden` (or call of `calls`) that the non-test code of
/// the `(file, text)` pairs uses, as `file: name`.
fn violations(files: &[(String, String)], forbidden: &[&str], calls: &[&str]) -> Vec<String> {
    let roots: BTreeSet<&str> = forbidden
        .iter()
        .map(|f| f.split("::").next().unwrap_or_default())
        .collect();
    let mut out = Vec::new();
    for (name, text) in files {
        let code = paths::non_test(text);
        for root in &roots {
            for p in paths::paths(&code, root) {
                if forbidden.iter().any(|f| paths::under(&p, f)) {
                    out.push(format!("{name}: {p}"));
                }
            }
        }
        for call in calls.iter().filter(|c| code.contains(*c)) {
            out.push(format!("{name}: {call}"));
        }
    }
    out
}

/// The non-test sources under `src/dir` as `(path, text)`, those under
/// any of `except` (also relative to `src`) left out.
fn read_sources(dir: &str, except: &[&str]) -> Vec<(String, String)> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    paths::sources(&src.join(dir))
        .into_iter()
        .filter(|p| !except.iter().any(|e| p.starts_with(src.join(e))))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.strip_prefix(&src).unwrap().display().to_string();
            (name, text)
        })
        .collect()
}

#[test]
fn the_controller_names_no_layer_above_it_and_no_io() {
    let files = read_sources("controller", &[]);
    assert!(
        files.len() > 10,
        "too few controller files read: {}",
        files.len()
    );
    let found = violations(&files, &CONTROLLER_MAY_NOT, &CLOCK_READS);
    assert!(
        found.is_empty(),
        "the controller reaches out:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_cli_and_the_demo_use_the_daemon() {
    let files = read_sources("", &["runtime", "cli", "demo"]);
    assert!(
        files.len() > 100,
        "too few source files read: {}",
        files.len()
    );
    let found = violations(&files, &["crate::runtime"], &[]);
    assert!(found.is_empty(), "runtime used from:\n{}", found.join("\n"));
}

#[test]
fn the_layer_check_finds_what_it_forbids() {
    let text = "use crate::{config, runtime::watch};\n\
        use tokio::{io::AsyncRead as R, time::{sleep, Instant}};\n\
        use not_crate::ops;\n\
        fn f() { let _t = Instant::now(); crate::engine::go(); }\n\
        #[cfg(test)]\nmod helpers;\n\
        #[cfg(test)]\nmod tests { use crate::cli::x; fn g() { if true {} } }\n\
        use std::net::TcpStream;\n";
    let code = paths::non_test(text);
    let named = |root| paths::paths(&code, root).into_iter().collect::<Vec<_>>();
    assert_eq!(
        named("crate"),
        [
            "crate::config",
            "crate::engine::go",
            "crate::runtime::watch"
        ]
    );
    assert_eq!(
        named("tokio"),
        [
            "tokio::io::AsyncRead",
            "tokio::time::Instant",
            "tokio::time::sleep"
        ]
    );
    let files = [("f.rs".to_string(), text.to_string())];
    let found = violations(&files, &CONTROLLER_MAY_NOT, &CLOCK_READS);
    assert_eq!(
        found,
        [
            "f.rs: crate::engine::go",
            "f.rs: crate::runtime::watch",
            "f.rs: std::net::TcpStream",
            "f.rs: tokio::io::AsyncRead",
            "f.rs: tokio::time::sleep",
            "f.rs: Instant::now(",
        ]
    );
    assert!(violations(&files, &["crate::runtime::watcher"], &[]).is_empty());
}
