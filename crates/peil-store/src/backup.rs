//! Backups of a store: a consistent copy taken while the site runs (SQLite's online backup
//! API), and the check a copy must pass before anyone relies on it.

use crate::{Result, Store, StoreError, schema, sqlite_err};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// What a backup of the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCopy {
    /// Bytes of the copy.
    pub bytes: u64,
    /// The schema version of the copy (the store's at the moment of the copy).
    pub schema: i64,
    /// The live publication's generation in the copy (`None`: nothing published).
    pub generation: Option<u64>,
}

impl Store {
    /// Writes a consistent copy of the whole store to `dest`, a file that must not exist yet.
    ///
    /// SQLite's online backup API copies every page within one read transaction, so imports,
    /// publications and a running `peil serve` go on meanwhile (the store is in WAL mode) and
    /// the copy holds the state of one moment: no import half in it. The copy is a single file
    /// (rollback journal, no `-wal` beside it) and passes `PRAGMA integrity_check` before this
    /// returns; a copy that fails is removed.
    pub fn backup_to(&self, dest: &Path) -> Result<StoreCopy> {
        if self.is_postgres() {
            return Err(StoreError::Invalid(
                "a SQLite file backup is not made of a PostgreSQL store".into(),
            ));
        }
        if dest.exists() {
            return Err(StoreError::Invalid(format!(
                "{} exists already; a backup is written to a new file",
                dest.display()
            )));
        }
        let e = sqlite_err(dest);
        let copied = (|| {
            let mut to = Connection::open(dest).map_err(&e)?;
            {
                let b = rusqlite::backup::Backup::new(self.conn(), &mut to).map_err(&e)?;
                // All pages in one step: one read transaction, one moment. Stepping in chunks
                // would restart the copy whenever another process commits in between.
                loop {
                    match b.step(-1).map_err(&e)? {
                        rusqlite::backup::StepResult::Done => break,
                        _ => std::thread::sleep(std::time::Duration::from_millis(50)),
                    }
                }
            }
            to.pragma_update(None, "journal_mode", "DELETE")
                .map_err(&e)?;
            drop(to);
            check_file(dest)
        })();
        if copied.is_err() {
            let _ = std::fs::remove_file(dest);
        }
        copied
    }
}

/// Checks a store file that no process writes (a backup, a restored copy): SQLite's full
/// integrity check, a schema version this Peil knows, and the live publication it holds.
/// Opens read-only: the file is not changed, not even migrated.
pub fn check_file(path: &Path) -> Result<StoreCopy> {
    let e = sqlite_err(path);
    if !path.is_file() {
        return Err(StoreError::Missing {
            path: path.to_path_buf(),
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(&e)?;
    let problems: Vec<String> = {
        let mut st = conn.prepare("PRAGMA integrity_check").map_err(&e)?;
        let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(&e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&e)?
    };
    if problems != ["ok"] {
        return Err(StoreError::Corrupt(format!(
            "{}: {}",
            path.display(),
            problems.join("; ")
        )));
    }
    let schema: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(&e)?;
    let known = schema::MIGRATIONS.len() as i64;
    if schema > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: schema,
            known,
        });
    }
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'publication'",
            [],
            |r| r.get(0),
        )
        .map_err(&e)?;
    let generation = if tables == 1 {
        conn.query_row("SELECT max(generation) FROM publication", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .map_err(&e)?
        .map(|g| g as u64)
    } else {
        None
    };
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(StoreCopy {
        bytes,
        schema,
        generation,
    })
}
