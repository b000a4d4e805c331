//! Versioned schema migrations of the journal (`PRAGMA user_version`).

use std::path::Path;

use rusqlite::Connection;

use super::JournalError;

/// Migration `i` brings the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: entries, intents, reports.
    "CREATE TABLE entries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        service TEXT NOT NULL,
        incident TEXT,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        message TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX entries_service ON entries(service, seq);
    CREATE INDEX entries_incident ON entries(incident, seq);
    CREATE TABLE intents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        service TEXT NOT NULL,
        incident TEXT,
        payload TEXT NOT NULL,
        opened_seq INTEGER NOT NULL,
        closed_seq INTEGER,
        outcome TEXT
    );
    CREATE TABLE reports (
        incident TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        kind TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        report TEXT NOT NULL
    );",
    // 2: typed changes of the core's durable state (pins, halts, damping, drills).
    "CREATE TABLE core_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        entry_seq INTEGER NOT NULL,
        service TEXT NOT NULL,
        event TEXT NOT NULL
    );
    CREATE INDEX core_events_service ON core_events(service, id);",
];

/// Bring the database to the newest schema, one transaction per step.
pub fn migrate(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let err = |source| JournalError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(err)?;
    if found > known {
        return Err(JournalError::TooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        // Another process (a `status` while the daemon starts) may have
        // taken this step since the version was read: read it again under
        // the write lock, and skip a step already taken.
        conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        let now: rusqlite::Result<i64> =
            conn.pragma_query_value(None, "user_version", |r| r.get(0));
        let step = match now {
            Ok(v) if v > i as i64 => "COMMIT".to_owned(),
            Ok(_) => format!("{sql}; PRAGMA user_version = {}; COMMIT;", i + 1),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(err(e));
            }
        };
        if let Err(e) = conn.execute_batch(&step) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(err(e));
        }
    }
    Ok(())
}
