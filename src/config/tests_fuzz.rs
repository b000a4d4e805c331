//! Fuzzing in the normal suite: random mutations of `config.toml.example`
//! never make `config::parse_bytes` panic or hang, and every rejection names
//! a line (or is a whole-file issue).

// The fuzz budget is wall-clock time (std's Instant).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::parse_bytes;

const EXAMPLE: &str = include_str!("../../config.toml.example");

/// Values that have broken parsers before: huge, negative, long, wrong type.
const VALUES: &[&str] = &[
    "\"106751991167300d\"",
    "\"18446744073709551615s\"",
    "\"4294967295s\"",
    "\"0s\"",
    "\"1ms\"",
    "18446744073709551615",
    "4294967296",
    "-1",
    "0",
    "1e308",
    "true",
    "[]",
    "[1, \"a\", {}]",
    "{ a = 1 }",
    "\"127.0.0.1:0\"",
    "\"127.0.0.1:99999\"",
    "\"\"",
    "\"\\u0000\"",
    "\"/dev/zero\"",
    "'''\n'''",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    /// Replace the value after `=` on a line with one of [`VALUES`].
    Value(usize, usize),
    /// Replace the value of the nth key of an inline table on a line.
    InnerValue(usize, usize, usize),
    /// Replace the value with a string of this many `x`.
    LongString(usize, usize),
    /// Insert raw bytes before a line.
    Bytes(usize, Vec<u8>),
    /// Cut the file at this fraction (per mille) of its length.
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let line = 0..400usize;
    prop_oneof![
        1 => line.clone().prop_map(Mutation::Delete),
        1 => line.clone().prop_map(Mutation::Duplicate),
        1 => (line.clone(), line.clone()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        3 => (line.clone(), 0..VALUES.len()).prop_map(|(l, v)| Mutation::Value(l, v)),
        4 => (line.clone(), 0..6usize, 0..VALUES.len())
            .prop_map(|(l, k, v)| Mutation::InnerValue(l, k, v)),
        1 => (line.clone(), 1..100_000usize).prop_map(|(l, n)| Mutation::LongString(l, n)),
        1 => (line, proptest::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(l, b)| Mutation::Bytes(l, b)),
        1 => (0..1000usize).prop_map(Mutation::Truncate),
    ]
}

fn with_value(line: &[u8], value: &[u8]) -> Vec<u8> {
    match line.iter().position(|b| *b == b'=') {
        Some(eq) => [&line[..=eq], b" ", value].concat(),
        None => line.to_vec(),
    }
}

/// `line` with the value after its `nth` `=` (up to `,` or `}`) replaced.
fn with_inner_value(line: &[u8], nth: usize, value: &[u8]) -> Vec<u8> {
    let Some((eq, _)) = line
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'=')
        .nth(nth)
    else {
        return line.to_vec();
    };
    let end = line[eq..]
        .iter()
        .position(|b| *b == b',' || *b == b'}')
        .map_or(line.len(), |p| eq + p);
    [&line[..=eq], b" ", value, b" ", &line[end..]].concat()
}

/// The index of the `i`-th (modulo) line that sets something: mutating
/// values is aimed at settings, not at comments.
fn setting(lines: &[Vec<u8>], i: usize) -> Option<usize> {
    let settings: Vec<usize> = (0..lines.len())
        .filter(|&l| !lines[l].starts_with(b"#") && lines[l].contains(&b'='))
        .collect();
    (!settings.is_empty()).then(|| settings[i % settings.len()])
}

/// The example with `mutations` applied, as bytes (it may stop being UTF-8).
fn mutate(mutations: &[Mutation]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = EXAMPLE.lines().map(|l| l.as_bytes().to_vec()).collect();
    for m in mutations {
        let n = lines.len().max(1);
        match m {
            Mutation::Delete(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Mutation::Duplicate(i) if !lines.is_empty() => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Mutation::Swap(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            Mutation::Value(i, v) => {
                if let Some(at) = setting(&lines, *i) {
                    lines[at] = with_value(&lines[at], VALUES[*v].as_bytes());
                }
            }
            Mutation::InnerValue(i, k, v) => {
                if let Some(at) = setting(&lines, *i) {
                    lines[at] = with_inner_value(&lines[at], *k, VALUES[*v].as_bytes());
                }
            }
            Mutation::LongString(i, len) => {
                if let Some(at) = setting(&lines, *i) {
                    let long = format!("\"{}\"", "x".repeat(*len));
                    lines[at] = with_value(&lines[at], long.as_bytes());
                }
            }
            Mutation::Bytes(i, bytes) => lines.insert(i % n, bytes.clone()),
            Mutation::Truncate(per_mille) => {
                let mut all = lines.join(&b'\n');
                all.truncate(all.len() * per_mille / 1000);
                lines = all.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            }
            _ => {}
        }
    }
    lines.join(&b'\n')
}

/// Every duration-like extreme in every field of the example, one at a
/// time: the exhaustive half of the fuzzing, so the worst values reach the
/// summary whatever the random cases draw.
#[test]
#[cfg_attr(
    not(all(feature = "route53", feature = "cloudflare")),
    ignore = "needs every provider built in"
)]
fn every_field_takes_every_extreme_duration_without_panicking() {
    // Without its max_age, a long interval is not refused for that reason,
    // so the extremes reach the interval's own checks and the summary.
    let base = EXAMPLE.replacen(", max_age = \"15s\"", "", 1);
    assert_ne!(base, EXAMPLE, "the example's max_age moved");
    let lines: Vec<Vec<u8>> = base.lines().map(|l| l.as_bytes().to_vec()).collect();
    let extremes = [
        "\"106751991167300d\"",
        "\"365d\"",
        "\"18446744073709551615s\"",
        "\"0s\"",
    ];
    let mut parsed = 0;
    for at in (0..lines.len())
        .filter_map(|i| setting(&lines, i))
        .collect::<std::collections::BTreeSet<_>>()
    {
        for k in 0..8 {
            for value in extremes {
                let mut text = lines.clone();
                text[at] = with_inner_value(&lines[at], k, value.as_bytes());
                if let Ok(cfg) = parse_bytes(Path::new("sweep.toml"), &text.join(&b'\n')) {
                    assert!(!super::summary(&cfg).is_empty());
                    parsed += 1;
                }
            }
        }
    }
    assert!(parsed > 0, "no mutation parsed: the sweep tests nothing");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_examples_never_panic_or_hang_and_name_a_line(
        mutations in proptest::collection::vec(mutation(), 1..5)
    ) {
        let bytes = mutate(&mutations);
        let lines = bytes.iter().filter(|b| **b == b'\n').count() + 1;
        let start = Instant::now();
        let result = parse_bytes(Path::new("fuzz.toml"), &bytes);
        // What `check` prints of a valid config must not panic either.
        if let Ok(cfg) = &result {
            prop_assert!(!super::summary(cfg).is_empty());
        }
        prop_assert!(start.elapsed() < Duration::from_secs(10), "parse took {:?}", start.elapsed());
        if let Err(e) = result {
            prop_assert!(!e.issues.is_empty());
            for issue in &e.issues {
                let whole_file = issue.line.is_none()
                    && ["(file)", "(document)"].contains(&issue.field.as_str());
                let on_a_line = issue.line.is_some_and(|l| (1..=lines).contains(&l));
                prop_assert!(whole_file || on_a_line, "no line: {issue}");
                prop_assert!(!issue.field.is_empty() && !issue.message.is_empty(), "{issue}");
            }
        }
    }
}
