//! Typed events: every variant survives the journal, old and foreign rows
//! decode to nothing, and no reader outside the journal parses entries by hand.

use proptest::prelude::*;

use super::strategies::event;
use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any event written to the journal reads back the same, with its kind
    /// and its sentence as the entry's kind and message.
    #[test]
    fn every_event_survives_the_journal(ev in event()) {
        let src = Source { service: "checkout", incident: None, actor: "test" };
        let e = Entry::from_event(1, 0, src, &ev);
        prop_assert_eq!(e.event(), Some(ev.clone()));
        prop_assert_eq!(&e.kind, &ev.kind());
        prop_assert_eq!(&e.message, &ev.to_string());
        prop_assert!(!e.message.contains(" { ") && !e.message.contains("Some("), "{}", e.message);
    }

    /// Whatever an entry's detail holds, decoding it never panics.
    #[test]
    fn any_detail_decodes_without_panic(text in "[ -~]{0,64}") {
        let detail = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        let e = Entry { seq: 1, at_ms: 0, service: "s".into(), incident: None, kind: "x".into(), actor: "a".into(), message: "m".into(), detail };
        let _ = e.event();
    }
}

proptest! {
    // Each case opens a journal file with `synchronous = FULL`: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Through SQLite, as the journal stores it: the event reads back, and
    /// a decision's durable change lands in `core_events` with it.
    #[test]
    fn every_event_survives_sqlite(ev in event()) {
        let src = Source { service: "checkout", incident: None, actor: "test" };
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let j = Journal::open(dir.path()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        j.record(src, &ev).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = j.entries(None, 0).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back[0].event(), Some(ev.clone()));
        let changes = j.core_events("checkout").map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(changes, ev.change().cloned().into_iter().collect::<Vec<_>>());
    }
}

/// An operator's note may hold anything, braces and parentheses too: it
/// still reads back as written (found in CI: a note of `"{ "`).
#[test]
fn notes_with_braces_survive_the_journal() {
    let src = Source {
        service: "checkout",
        incident: None,
        actor: "test",
    };
    for note in ["{ ", "Some(x)", "{\"a\": 1}", "} ) ( {"] {
        let ev = Event::IntentClosed {
            intent: 3,
            outcome: Outcome::Done,
            note: note.into(),
        };
        let e = Entry::from_event(1, 0, src, &ev);
        assert_eq!(e.event(), Some(ev.clone()), "note {note:?}");
        assert!(e.message.ends_with(note), "{}", e.message);
    }
}

#[test]
fn old_and_foreign_rows_decode_to_none() {
    let row = |detail: serde_json::Value| Entry {
        seq: 1,
        at_ms: 0,
        service: "checkout".into(),
        incident: None,
        kind: "observation".into(),
        actor: "rtoguard".into(),
        message: "pool primary is Down (was Up)".into(),
        detail,
    };
    // As rtoguard wrote them before events were typed.
    let old = serde_json::json!({ "pool": "primary", "health": "Down", "was": "Up" });
    assert_eq!(row(old).event(), None);
    // A core change of version 1 is not an entry's event.
    let v1 = serde_json::json!({ "v": "1", "event": "resumed" });
    assert_eq!(row(v1).event(), None);
    // From a newer rtoguard: a kind or a version this one does not know.
    let newer = serde_json::json!({ "v": "2", "kind": "teleported" });
    assert_eq!(row(newer).event(), None);
    assert_eq!(row(serde_json::json!({ "v": "3" })).event(), None);
    assert_eq!(row(serde_json::Value::Null).event(), None);
}

/// `src/` outside the journal reads entries through `Entry::event`, never
/// by a kind string or a key of the detail.
#[test]
fn no_reader_parses_entries_by_hand() {
    let mut found = Vec::new();
    scan(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut found,
    );
    assert!(
        found.is_empty(),
        "entries parsed by hand:\n{}",
        found.join("\n")
    );
}

/// How entries were parsed by hand: a kind compared or matched as a
/// string, a key looked up in the detail.
const BY_HAND: &[&str] = &[
    concat!(".kind == ", '"'),
    concat!("detail[", '"'),
    "match e.kind.as_str()",
    "= &e.detail",
    ".detail.get(",
];

/// Lines that match but are no journal entry: a provider floor's kind.
const NOT_ENTRIES: &[&str] = &["floor.kind == "];

fn scan(dir: &std::path::Path, found: &mut Vec<String>) {
    let journal = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/journal"));
    let Ok(list) = std::fs::read_dir(dir) else {
        return;
    };
    for item in list.flatten() {
        let path = item.path();
        if path.is_dir() {
            if path != journal {
                scan(&path, found);
            }
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let by_hand = BY_HAND.iter().any(|p| line.contains(p));
            if by_hand && !NOT_ENTRIES.iter().any(|ok| line.contains(ok)) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
}
