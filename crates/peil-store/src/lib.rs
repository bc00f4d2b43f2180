//! Peil's store: the system of record for everything imported.
//!
//! The default backend is an embedded SQLite file (bundled, WAL). All SQL lives in this crate
//! and none of it leaks: callers see domain types from `peil-core`, [`Store`] for reads and
//! [`ImportTx`] for writes. A PostgreSQL backend will implement the same surface.
//!
//! Guarantees:
//! - every import runs in one transaction: all of it lands or none of it (also on `kill -9`);
//! - geo codes are never deleted or reused; indicators are never silently deleted;
//! - values are stored per series (indicator × level × period × cube cell) in the encoding
//!   of [`codec`], sorted by item id, one row per series;
//! - the schema is versioned; opening an older file migrates it, a newer one is refused.

mod backup;
mod check;
mod clusters;
pub mod codec;
mod content;
mod export;
mod groups;
mod history;
mod keys;
mod live;
mod password;
mod plans;
mod pull;
mod read;
mod records;
mod runs;
mod schema;
mod themes;
mod users;
mod write;

pub use backup::{StoreCopy, check_file};
pub use check::CheckReport;
pub use clusters::ClusterCounts;
pub use content::ContentVersion;
pub use export::{ExportRow, Selection};
pub use history::{AggregationEdge, UndoCounts};
pub use keys::{ApiKeyEntry, hash_key, new_key};
pub use live::{Live, PublicationEntry};
pub use password::{
    MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, check_password, hash_password, new_password,
    verify_password,
};
pub use plans::CheckIn;
pub use pull::Provenance;
pub use read::{EdgeStatus, ImportEntry, LevelStatus, PeriodStatus, Status};
pub use records::{RecordCounts, RecordSetInfo};
pub use runs::{Run, RunTask};
pub use themes::Placement;
pub use users::{AuditEntry, AuditFilter, NewUser, SessionUser, User};
pub use write::ImportTx;

use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path} is not a Peil store (run `peil init` first, or pass --site)")]
    Missing { path: PathBuf },
    #[error(
        "{path} has schema version {found}, newer than this Peil knows ({known}); upgrade Peil"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(
        "indicator {0} is protected: it is pulled from a source site (peil pull), so its metadata changes only there"
    )]
    Protected(String),
    #[error("stored data is damaged: {0}; run `peil check`")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The store of one site.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

fn sqlite_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// Creates a new store file (or opens an existing one) and brings its schema up to date.
    pub fn create(path: &Path) -> Result<Store> {
        Self::open_inner(path, true)
    }

    /// Opens an existing store; refuses a path that holds none.
    pub fn open(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        Self::open_inner(path, false)
    }

    fn open_inner(path: &Path, create: bool) -> Result<Store> {
        let e = sqlite_err(path);
        let conn = Connection::open(path).map_err(&e)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;
             PRAGMA busy_timeout=10000; PRAGMA cache_size=-262144;",
        )
        .map_err(&e)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(&e)?;
        let known = schema::MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                known,
            });
        }
        if version == 0 && !create {
            let tables: i64 = store
                .conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(&e)?;
            if tables == 0 {
                return Err(StoreError::Missing {
                    path: path.to_path_buf(),
                });
            }
        }
        store.migrate(version)?;
        Ok(store)
    }

    fn migrate(&mut self, from: i64) -> Result<()> {
        let path = self.path.clone();
        let e = sqlite_err(&path);
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(from as usize) {
            let tx = self.conn.transaction().map_err(&e)?;
            tx.execute_batch(sql).map_err(&e)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(&e)?;
            tx.commit().map_err(&e)?;
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn e(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        sqlite_err(&self.path)
    }

    /// Runs a query and maps every row.
    fn rows<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let e = self.e();
        let mut st = self.conn.prepare_cached(sql).map_err(&e)?;
        let rows = st.query_map(params, f).map_err(&e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&e)
    }

    /// Starts an import. Nothing is visible to other readers until [`ImportTx::commit`];
    /// dropping the transaction (or a crash) leaves the store as it was.
    pub fn begin(&mut self) -> Result<ImportTx<'_>> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sqlite_err(&path))?;
        Ok(ImportTx::new(tx, path))
    }
}
/// A geo item read from the columns `code, short_name, name, seq, unknown_location` starting
/// at column `from` (the one row mapping of every query of items).
fn geo_item(r: &rusqlite::Row, from: usize) -> rusqlite::Result<peil_core::GeoItem> {
    Ok(peil_core::GeoItem {
        code: r.get(from)?,
        short_name: r.get(from + 1)?,
        name: r.get(from + 2)?,
        seq: r.get(from + 3)?,
        unknown_location: r.get(from + 4)?,
    })
}

fn level_items(conn: &Connection, level_id: i64) -> rusqlite::Result<HashMap<u32, (i64, String)>> {
    let mut st = conn.prepare_cached("SELECT id, seq, code FROM geo_item WHERE level_id = ?1")?;
    let rows = st.query_map([level_id], |r| {
        Ok((r.get::<_, u32>(0)?, (r.get(1)?, r.get(2)?)))
    })?;
    rows.collect()
}

/// `N` bytes from the operating system's random generator.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // Linux's getrandom(2) does not fail once the system has booted.
    getrandom::fill(&mut b).expect("the operating system's random generator answers");
    b
}

/// `n` random bytes as lower-case hex (keys, session ids, CSRF tokens).
pub fn random_hex(n: usize) -> String {
    let mut out = String::with_capacity(2 * n);
    for _ in 0..n.div_ceil(32) {
        for b in random_bytes::<32>() {
            out.push_str(&format!("{b:02x}"));
        }
    }
    out.truncate(2 * n);
    out
}

/// Current UTC time as ISO 8601 to the second (`2026-11-28T15:47:13Z`): how the store writes
/// every timestamp (imports, publications, keys).
pub fn utc_now() -> String {
    timestamp(time::OffsetDateTime::now_utc())
}

/// A moment as the store writes it: ISO 8601 in UTC, to the second.
pub fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        peil_core::date::iso(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}
