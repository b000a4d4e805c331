//! The durable SQLite journal of decisions and provider changes.
//!
//! One database file (`journal.sqlite3`) in the state directory, WAL mode,
//! `synchronous = FULL`: an entry is on disk before the call that wrote it
//! returns, so a controller killed at any point can reconcile on restart.
//! Operators can read it with `sqlite3`. The schema is versioned with
//! `PRAGMA user_version` (see [`schema`]). Every entry is written from a
//! typed [`Event`] ([`Journal::record`]) and read back with [`Entry::event`].

mod evacuations;
mod event;
pub mod history;
mod intents;
mod kinds;
mod schema;
mod words;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

pub use event::{Event, JournalEvent, Source};
pub use intents::Intent;
pub use kinds::{Behind, Diff, FaultWindow, Opened, Outcome, ProviderCall, Tally};

/// Journal errors: the database could not be opened, migrated or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "journal {path}: schema version {found} is newer than this rtoguard understands ({known})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("journal {path}: cannot encode an event: {source}")]
    Encode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("journal {path}: cannot create the state directory: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One journal entry as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Monotonic sequence number, assigned by the journal.
    pub seq: i64,
    /// Wall-clock time in milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub service: String,
    /// The incident (or manual operation) this entry belongs to, if any.
    pub incident: Option<String>,
    /// What happened, the [`Event`]'s kind: `observation`, `intent`,
    /// `provider-result`, `alert`, or a decision's own (`flipped`, ...).
    pub kind: String,
    /// Who or what triggered it: `rule:active-down`, `user:alice`, `cli`.
    pub actor: String,
    /// The event in one sentence (its `Display`).
    pub message: String,
    /// The versioned event itself (`{"v": "2", "kind": ...}`); free JSON in
    /// entries written before events were typed. Read it with [`Entry::event`].
    pub detail: serde_json::Value,
}

/// The journal. Cheap to share behind an `Arc`; calls are short and blocking.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Journal {
    /// Open (or create and migrate) `state_dir/journal.sqlite3`.
    pub fn open(state_dir: &Path) -> Result<Self, JournalError> {
        std::fs::create_dir_all(state_dir).map_err(|source| JournalError::Dir {
            path: state_dir.to_path_buf(),
            source,
        })?;
        Self::open_file(&state_dir.join("journal.sqlite3"))
    }

    /// Open a journal file directly.
    pub fn open_file(path: &Path) -> Result<Self, JournalError> {
        let err = |source| JournalError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        // First, so that another process opening the file at once (a
        // `status` while the daemon starts) is waited for, not an error.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        wal(&conn).map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        schema::migrate(&conn, path)?;
        Ok(Self {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, JournalError> {
        // A poisoned lock only means another thread panicked mid-call; SQLite
        // itself kept the database consistent, so go on with the connection.
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&conn).map_err(|source| JournalError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    /// Entries in order, optionally for one service and from a sequence number on.
    pub fn entries(
        &self,
        service: Option<&str>,
        after_seq: i64,
    ) -> Result<Vec<Entry>, JournalError> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT seq, at_ms, service, incident, kind, actor, message, detail FROM entries WHERE (?1 IS NULL OR service = ?1) AND seq > ?2 ORDER BY seq",
            )?;
            let rows = st.query_map(params![service, after_seq], row_to_entry)?;
            rows.collect()
        })
    }

    /// Entries of one incident, in order.
    pub fn incident_entries(&self, incident: &str) -> Result<Vec<Entry>, JournalError> {
        self.with(|c| {
            let mut st = c.prepare("SELECT seq, at_ms, service, incident, kind, actor, message, detail FROM entries WHERE incident = ?1 ORDER BY seq")?;
            let rows = st.query_map([incident], row_to_entry)?;
            rows.collect()
        })
    }

    /// Store (or replace) the finished report of an incident.
    pub fn save_report(
        &self,
        incident: &str,
        service: &str,
        kind: &str,
        report: &serde_json::Value,
    ) -> Result<(), JournalError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO reports (incident, service, kind, at_ms, report) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(incident) DO UPDATE SET report = excluded.report, at_ms = excluded.at_ms",
                params![incident, service, kind, now_ms(), report.to_string()],
            )
            .map(|_| ())
        })
    }

    /// A stored report.
    pub fn report(&self, incident: &str) -> Result<Option<serde_json::Value>, JournalError> {
        self.with(|c| {
            c.query_row(
                "SELECT report FROM reports WHERE incident = ?1",
                [incident],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map(|o| o.and_then(|s| serde_json::from_str(&s).ok()))
        })
    }

    /// Every stored report: (incident, service, kind, at_ms), newest first.
    pub fn reports(&self) -> Result<Vec<(String, String, String, i64)>, JournalError> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT incident, service, kind, at_ms FROM reports ORDER BY at_ms DESC",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect()
        })
    }
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let detail: String = r.get(7)?;
    Ok(Entry {
        seq: r.get(0)?,
        at_ms: r.get(1)?,
        service: r.get(2)?,
        incident: r.get(3)?,
        kind: r.get(4)?,
        actor: r.get(5)?,
        message: r.get(6)?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
    })
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod strategies;
/// Switch `conn` to write-ahead logging. SQLite answers "database is
/// locked" at once, without its busy handler, when another process switches
/// the same new file at the same moment: try again for up to 5 s.
fn wal(conn: &Connection) -> rusqlite::Result<()> {
    let mut tries = 0;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && tries < 100 =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_event;
