//! Journal tests against a real SQLite file.

use serde_json::json;

use super::*;

fn src(service: &str) -> Source<'_> {
    Source {
        service,
        incident: Some("inc-1"),
        actor: "test",
    }
}

fn alert(message: &str) -> Event {
    Event::Alert {
        level: crate::controller::AlertLevel::Info,
        message: message.into(),
    }
}

fn flip_intent() -> crate::controller::Intent {
    use crate::controller::{Initiator, Intent, IntentKind, Reason};
    Intent {
        kind: IntentKind::Flip {
            from: Some("primary".into()),
            to: "standby".into(),
        },
        reason: Reason::Manual,
        by: Initiator::Operator,
        requested_at: std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
    }
}

#[test]
fn appends_in_order_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path()).unwrap();
    let a = j.record(src("checkout"), &alert("one")).unwrap();
    let b = j.record(src("search"), &alert("two")).unwrap();
    assert!(b > a);
    drop(j);
    let j = Journal::open(dir.path()).unwrap();
    let all = j.entries(None, 0).unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![a, b]);
    let only = j.entries(Some("search"), 0).unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(
        (only[0].kind.as_str(), only[0].message.as_str()),
        ("alert", "two")
    );
    assert_eq!(only[0].event(), Some(alert("two")));
    assert_eq!(j.incident_entries("inc-1").unwrap().len(), 2);
}

#[test]
fn open_intents_are_found_until_closed() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path()).unwrap();
    let id = j
        .open_intent(src("checkout"), &flip_intent(), None)
        .unwrap();
    let open = j.open_intents("checkout").unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        open[0].payload,
        serde_json::to_value(flip_intent()).unwrap()
    );
    j.close_intent(id, Outcome::DoneByOther, "flipped".into())
        .unwrap();
    assert!(j.open_intents("checkout").unwrap().is_empty());
    let entries = j.entries(None, 0).unwrap();
    let kinds: Vec<_> = entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["intent", "intent-closed"]);
    assert_eq!(
        entries[1].message,
        format!("intent {id} closed (done by another writer): flipped")
    );
    let word: String = j
        .with(|c| c.query_row("SELECT outcome FROM intents", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(word, "done-by-other");
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
    use crate::controller::{Change, Durable, EntryKind, Halt};
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path()).unwrap();
    let decision = |kind, change| Event::Decision {
        decision: kind,
        pool: None,
        reason: None,
        note: "noted".into(),
        change: Some(change),
    };
    let halted = Change::Halted { why: Halt::FlipCap };
    let seq = j
        .record(
            src("checkout"),
            &decision(EntryKind::Halted, halted.clone()),
        )
        .unwrap();
    j.record(
        src("search"),
        &decision(EntryKind::Resumed, Change::Resumed),
    )
    .unwrap();
    j.record(src("checkout"), &alert("not durable")).unwrap();
    drop(j);
    let j = Journal::open(dir.path()).unwrap();
    assert_eq!(j.entries(Some("checkout"), 0).unwrap()[0].seq, seq);
    assert_eq!(j.entries(Some("checkout"), 0).unwrap()[0].kind, "halted");
    let changes = j.core_events("checkout").unwrap();
    assert_eq!(changes, vec![halted]);
    assert_eq!(Durable::replay(changes).halted, Some(Halt::FlipCap));
}

#[test]
fn a_version_one_change_still_restores() {
    use crate::controller::{Durable, Halt};
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path()).unwrap();
    j.with(|c| {
        c.execute(
            "INSERT INTO core_events (entry_seq, service, event) VALUES (1, 'checkout', '{\"v\":\"1\",\"event\":\"halted\",\"why\":\"flip_cap\"}')",
            [],
        )
    })
    .unwrap();
    let d = Durable::replay(j.core_events("checkout").unwrap());
    assert_eq!(d.halted, Some(Halt::FlipCap));
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
    let old = j.entries(None, 0).unwrap();
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].event(), None, "a row from before typed events");
    assert!(j.core_events("checkout").unwrap().is_empty());
}

#[test]
fn processes_opening_a_new_journal_at_once_all_open_it() {
    // A daemon starting while `status` opens its journal: both find
    // version 0, and the second used to fail with "table entries already
    // exists". Several rounds, several openers each, released together.
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite3");
        let gate = std::sync::Arc::new(std::sync::Barrier::new(6));
        let openers: Vec<_> = (0..6)
            .map(|_| {
                let (gate, path) = (gate.clone(), path.clone());
                std::thread::spawn(move || {
                    gate.wait();
                    Journal::open_file(&path)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        for o in openers {
            assert_eq!(o.join().unwrap(), Ok(()));
        }
    }
}
