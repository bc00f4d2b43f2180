//! Peil's store: the system of record for everything imported.
//!
//! The default backend is an embedded SQLite file (bundled, WAL). All SQL lives in this crate
//! and none of it leaks: callers see domain types from `peil-core`, [`Store`] for reads and
//! [`ImportTx`] for writes. A PostgreSQL backend implements the same surface behind the seam in
//! `db.rs` (issue 16); [`Location`] says which one holds a site.
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
mod copy;
mod db;
mod export;
mod groups;
mod history;
mod jobs;
mod keys;
mod live;
mod location;
mod notify;
mod password;
mod plans;
mod pull;
mod read;
mod records;
mod replicas;
mod runs;
mod schema;
#[cfg(test)]
mod testing;
mod themes;
mod users;
mod write;

pub use backup::{StoreCopy, check_file};
pub use check::CheckReport;
pub use clusters::ClusterCounts;
pub use content::ContentVersion;
pub use copy::{CopyReport, TableDigest, copy_store};
pub use export::{ExportRow, Selection};
pub use history::{AggregationEdge, UndoCounts};
pub use jobs::{CHUNK as JOB_CHUNK, JobEnd, JobState, LOST as JOB_LOST, ReportJob};
pub use keys::{ApiKeyEntry, hash_key, new_key};
pub use live::{Live, PublicationEntry};
pub use location::{Location, PgLocation, is_postgres_url};
pub use notify::{Heard, Listener, listener_name};
pub use password::{
    MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, check_password, hash_password, new_password,
    verify_password,
};
pub use plans::CheckIn;
pub use pull::Provenance;
pub use read::{EdgeStatus, ImportEntry, LevelStatus, PeriodStatus, Status};
pub use records::{RecordCounts, RecordSetInfo};
pub use replicas::OidcFlow;
pub use runs::{Run, RunTask};
pub use themes::Placement;
pub use users::{AuditEntry, AuditFilter, NewUser, SessionUser, User};
pub use write::ImportTx;

pub use db::write_lock_key;
use db::{Db, Dialect};
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
    #[error("store {at}: {}", pg_message(.source))]
    Postgres { at: String, source: postgres::Error },
    #[error("store {at}: {message}")]
    Query { at: String, message: String },
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

impl StoreError {
    /// Whether the store's server could not be reached at all (refused, no such socket, cut
    /// off) — as opposed to a server that answered with an error (a wrong user, a missing
    /// database) or a store that is not a Peil store. What is unreachable now may be reached
    /// later.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, StoreError::Postgres { source, .. } if source.as_db_error().is_none())
    }
}

/// A PostgreSQL error with the server's own words (the client's `Display` says only "db error").
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The store of one site.
pub struct Store {
    db: Db,
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
        let mut store = Store {
            db: Db::open_sqlite(path)?,
            path: path.to_path_buf(),
        };
        store.migrate(create)?;
        Ok(store)
    }

    /// Opens the store at `at`, SQLite or PostgreSQL; refuses one that holds nothing.
    pub fn open_at(at: &Location) -> Result<Store> {
        match at {
            Location::Sqlite(path) => Store::open(path),
            Location::Postgres(pg) => Store::open_postgres(&pg.config, &pg.schema, false),
        }
    }

    /// Creates the store at `at` (or opens the one there) and brings its schema up to date.
    pub fn create_at(at: &Location) -> Result<Store> {
        match at {
            Location::Sqlite(path) => Store::create(path),
            Location::Postgres(pg) => Store::open_postgres(&pg.config, &pg.schema, true),
        }
    }

    /// Whether the store's connection is lost (a PostgreSQL server restarted): a holder of a
    /// long-lived store opens a new one.
    pub fn connection_lost(&self) -> bool {
        self.db.is_closed()
    }

    /// Whether this store is on PostgreSQL (some operations are SQLite's only: a file backup).
    pub fn is_postgres(&self) -> bool {
        self.db.dialect() == Dialect::Postgres
    }

    /// Opens the store of one site in a PostgreSQL database: its own schema `schema` (made when
    /// missing), brought up to date.
    pub(crate) fn open_postgres(
        config: &postgres::Config,
        schema: &str,
        create: bool,
    ) -> Result<Store> {
        let db = Db::open_postgres(config, schema, create)?;
        let mut store = Store {
            path: PathBuf::from(db.label()),
            db,
        };
        store.migrate(create)?;
        Ok(store)
    }

    /// Brings the schema up to date, each migration in its own transaction (SQLite counts them
    /// in `PRAGMA user_version`); on PostgreSQL all of them in one transaction that holds the
    /// site's write lock, counted in `peil_schema_version`, so two processes opening one new
    /// schema at once migrate it once. A store newer than this Peil is refused; without
    /// `create`, so is one that holds nothing.
    fn migrate(&mut self, create: bool) -> Result<()> {
        let known = schema::MIGRATIONS.len() as i64;
        let too_new = |found: i64| StoreError::TooNew {
            path: self.path.clone(),
            found,
            known,
        };
        let missing = || StoreError::Missing {
            path: self.path.clone(),
        };
        match self.db.dialect() {
            Dialect::Sqlite => {
                let e = sqlite_err(&self.path);
                let version: i64 = self
                    .conn()
                    .query_row("PRAGMA user_version", [], |r| r.get(0))
                    .map_err(&e)?;
                if version > known {
                    return Err(too_new(version));
                }
                if version == 0 && !create {
                    let tables: i64 = self
                        .conn()
                        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                        .map_err(&e)?;
                    if tables == 0 {
                        return Err(missing());
                    }
                }
                let conn = self.db.sqlite_mut();
                for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
                    let tx = conn.transaction().map_err(&e)?;
                    tx.execute_batch(sql).map_err(&e)?;
                    tx.pragma_update(None, "user_version", (i + 1) as i64)
                        .map_err(&e)?;
                    tx.commit().map_err(&e)?;
                }
                Ok(())
            }
            Dialect::Postgres => {
                // Up to date (every open but the first after an upgrade): no write lock, so
                // opening never waits for an import that holds it.
                // (Outside a transaction: on a new schema the table is missing and this fails.)
                let current = self.db.query(
                    "SELECT version FROM peil_schema_version",
                    db::params![],
                    |r| r.get::<i64>(0),
                );
                if let Ok(v) = current.as_deref() {
                    match v.first() {
                        Some(&v) if v > known => return Err(too_new(v)),
                        Some(&v) if v == known => return Ok(()),
                        _ => {}
                    }
                }
                let tx = self.db.begin(true)?;
                let exists = tx
                    .query_one(
                        "SELECT count(*) FROM information_schema.tables
                         WHERE table_schema = current_schema() AND table_name = 'peil_schema_version'",
                        db::params![],
                        |r| r.get::<i64>(0),
                    )?
                    > 0;
                if !exists {
                    if !create {
                        return Err(missing());
                    }
                    // A schema that holds something else's tables is not made a site's.
                    let others = tx.query_one(
                        "SELECT count(*) FROM information_schema.tables
                         WHERE table_schema = current_schema()",
                        db::params![],
                        |r| r.get::<i64>(0),
                    )?;
                    if others > 0 {
                        return Err(StoreError::Invalid(format!(
                            "{} holds tables that are not a Peil store's; give the site a schema \
                             of its own",
                            self.path.display()
                        )));
                    }
                    tx.execute_batch(
                        "CREATE TABLE peil_schema_version (version BIGINT NOT NULL);
                         INSERT INTO peil_schema_version (version) VALUES (0);",
                    )?;
                }
                let version = tx.query_one(
                    "SELECT version FROM peil_schema_version",
                    db::params![],
                    |r| r.get::<i64>(0),
                )?;
                if version > known {
                    return Err(too_new(version));
                }
                for (i, sql) in schema::PG_MIGRATIONS
                    .iter()
                    .enumerate()
                    .skip(version as usize)
                {
                    tx.execute_batch(sql)?;
                    tx.execute(
                        "UPDATE peil_schema_version SET version = ?1",
                        db::params![(i + 1) as i64],
                    )?;
                }
                tx.commit()
            }
        }
    }

    /// The SQLite connection, for the modules not yet on the seam (see [`Db::sqlite`]).
    fn conn(&self) -> &Connection {
        self.db.sqlite()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn e(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        sqlite_err(&self.path)
    }

    /// Starts an import. Nothing is visible to other readers until [`ImportTx::commit`];
    /// dropping the transaction (or a crash) leaves the store as it was.
    pub fn begin(&mut self) -> Result<ImportTx<'_>> {
        let tx = self.db.begin(true)?;
        Ok(ImportTx::new(tx))
    }
}
/// A level's items: item id → (sequence, code).
type LevelItems = HashMap<u32, (i64, String)>;

/// Every item of every level: level id → item id → (sequence, code). Read whole before a
/// streamed read of series, which may not query while it streams.
fn all_level_items(db: &Db) -> Result<HashMap<i64, LevelItems>> {
    let mut out: HashMap<i64, LevelItems> = HashMap::new();
    db.query_each(
        "SELECT level_id, id, seq, code FROM geo_item",
        db::params![],
        |r| {
            out.entry(r.get(0)?)
                .or_default()
                .insert(r.get(1)?, (r.get(2)?, r.get(3)?));
            Ok(())
        },
    )?;
    Ok(out)
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

#[cfg(test)]
mod connection_tests {
    use super::*;

    #[test]
    fn a_lost_postgresql_connection_is_noticed() {
        let pg = peil_pgtest::TempPostgres::shared().unwrap();
        let mut config = crate::testing::pg_config(&pg);
        let name = peil_pgtest::TempPostgres::unique_name("lost");
        config.application_name(&name);
        let s = Store::open_postgres(&config, &name, true).unwrap();
        assert!(!s.connection_lost());
        s.status().unwrap();
        let mut admin = crate::testing::pg_config(&pg)
            .connect(postgres::NoTls)
            .unwrap();
        let ended = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .unwrap()
            .get::<_, i64>(0);
        assert_eq!(ended, 1);
        // The next statement fails, and the store says its connection is gone.
        let t = std::time::Instant::now();
        while s.status().is_ok() {
            assert!(t.elapsed().as_secs() < 10, "the connection never ended");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // The synchronous client notices the closed socket only while it is driven: the
        // failed statement may return (the server's FATAL message) before the end of the
        // stream has been read. The server's callers go on making statements, and so does
        // this test until the store says the connection is gone.
        let t = std::time::Instant::now();
        while !s.connection_lost() {
            assert!(
                t.elapsed().as_secs() < 5,
                "a failed statement, but not lost"
            );
            assert!(s.status().is_err(), "a terminated connection answered");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!crate::testing::TestStore::sqlite().connection_lost());
    }

    #[test]
    fn a_schema_of_something_else_is_not_made_a_site() {
        let pg = peil_pgtest::TempPostgres::shared().unwrap();
        let config = crate::testing::pg_config(&pg);
        let schema = peil_pgtest::TempPostgres::unique_name("other");
        let mut c = config.connect(postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {schema}.klanten (id BIGINT);"
        ))
        .unwrap();
        let e = Store::open_postgres(&config, &schema, true)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("not a Peil store's"), "{e}");
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
                &[&schema],
            )
            .unwrap()
            .get(0);
        assert_eq!(n, 1, "nothing was added to it");
    }
}
