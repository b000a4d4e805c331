//! Journal tests against a real SQLite file.

use super::*;
use serde_json::json;

fn entry<'a>(service: &'a str, kind: &'a str) -> NewEntry<'a> {
    NewEntry {
        service,
        incident: Some("inc-1"),
        kind,
        actor: "test",
        message: format!("{kind} happened"),
        detail: json!({ "k": kind }),
    }
}

#[test]
fn appends_in_order_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path()).unwrap();
    let a = j.append(entry("checkout", "decision")).unwrap();
    let b = j.append(entry("search", "decision")).unwrap();
    assert!(b > a);
    drop(j);
    let j = Journal::open(dir.path()).unwrap();
    let all = j.entries(None, 0).unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![a, b]);
    let only = j.entries(Some("search"), 0).unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].detail, json!({ "k": "decision" }));
    assert_eq!(j.incident_entries("inc-1").unwrap().len(), 2);
}

#[test]
fn open_intents_are_found_until_closed() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path()).unwrap();
    let id = j
        .open_intent(
            "checkout",
            None,
            "cli",
            "flip to standby".into(),
            json!({ "flip": "standby" }),
        )
        .unwrap();
    let open = j.open_intents("checkout").unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].payload, json!({ "flip": "standby" }));
    j.close_intent(id, "done", "flipped".into(), json!(null))
        .unwrap();
    assert!(j.open_intents("checkout").unwrap().is_empty());
    let kinds: Vec<_> = j
        .entries(None, 0)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec!["intent", "intent-closed"]);
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Journal::open_file(&path).unwrap_err();
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[test]
fn reports_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path()).unwrap();
    j.save_report("inc-1", "checkout", "manual", &json!({ "met": true }))
        .unwrap();
    j.save_report("inc-1", "checkout", "manual", &json!({ "met": false }))
        .unwrap();
    assert_eq!(j.report("inc-1").unwrap(), Some(json!({ "met": false })));
    assert_eq!(j.reports().unwrap().len(), 1);
    assert_eq!(j.report("nope").unwrap(), None);
}

#[test]
fn durable_changes_are_written_with_their_entry_and_read_back_in_order() {
    use crate::controller::{Change, Durable, Halt};
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path()).unwrap();
    let halted = JournalEvent::from(Change::Halted { why: Halt::FlipCap });
    let seq = j
        .append_with_event(entry("checkout", "halted"), &halted)
        .unwrap();
    j.append_with_event(entry("search", "resumed"), &Change::Resumed.into())
        .unwrap();
    drop(j);
    let j = Journal::open(dir.path()).unwrap();
    assert_eq!(j.entries(Some("checkout"), 0).unwrap()[0].seq, seq);
    let events = j.core_events("checkout").unwrap();
    assert_eq!(events, vec![halted]);
    let d = Durable::replay(events.into_iter().map(JournalEvent::into_change));
    assert_eq!(d.halted, Some(Halt::FlipCap));
    let stored: String = j
        .with(|c| c.query_row("SELECT event FROM core_events LIMIT 1", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(stored, r#"{"v":"1","event":"halted","why":"flip_cap"}"#);
}

#[test]
fn an_event_from_a_newer_version_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path()).unwrap();
    j.with(|c| {
        c.execute(
            "INSERT INTO core_events (entry_seq, service, event) VALUES (1, 'checkout', '{\"v\":\"9\",\"event\":\"warp\"}')",
            [],
        )
    })
    .unwrap();
    assert!(j.core_events("checkout").unwrap().is_empty());
}

#[test]
fn a_journal_of_schema_version_one_opens_and_gains_the_events_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(&format!(
            "BEGIN; {}; PRAGMA user_version = 1; COMMIT;",
            schema::MIGRATIONS[0]
        ))
        .unwrap();
        c.execute(
            "INSERT INTO entries (at_ms, service, kind, actor, message, detail) VALUES (1, 'checkout', 'pinned', 'cli', 'old', '{}')",
            [],
        )
        .unwrap();
    }
    let j = Journal::open_file(&path).unwrap();
    assert_eq!(j.entries(None, 0).unwrap().len(), 1);
    assert!(j.core_events("checkout").unwrap().is_empty());
}
