//! A whole store copied to another, either engine to either engine (`peil migrate-store`, and
//! `peil backup`/`peil restore` of a PostgreSQL store), verified.
//!
//! The copy reads the source in one read transaction (one moment, while imports and servers go
//! on) and writes the target in one write transaction: table by table in the order of their
//! foreign keys, every column by name, ids kept (so every reference stays what it was), the
//! rows going in as one binary `COPY` per table on PostgreSQL. Before the target commits, every
//! table of both is read again and compared — the count and a SHA-256 over the sorted
//! SHA-256es of its rows, every value of every row, each series' encoded values among them —
//! and any difference rolls the copy back. A target that already holds a site is refused
//! unless it is to be replaced, which happens in the same one transaction (PostgreSQL: the
//! schema dropped and made anew; SQLite: a new file moved over the old one once committed).

use crate::db::{Cell, Db, Dialect, params};
use crate::location::Location;
use crate::{Result, Store, StoreError, schema};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a copy moved: rows per table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CopyReport {
    /// Where the copy went (never with a password).
    pub target: String,
    /// Rows per table, in the order they were copied.
    pub tables: Vec<(String, u64)>,
}

impl CopyReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.1).sum()
    }
}

/// A table's contents, summed up: its rows and a digest of all of them, whatever their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub rows: u64,
    pub sha256: [u8; 32],
}

/// Tables the copy leaves alone: the engines' own bookkeeping.
const NOT_COPIED: &[&str] = &["peil_schema_version"];
/// Copied last: triggers of other tables write to it (`test_revision`).
const LAST: &str = "site_meta";

/// The site's tables, parents before the tables that refer to them.
fn tables(db: &Db) -> Result<Vec<String>> {
    let names: Vec<String> = match db.dialect() {
        Dialect::Sqlite => db.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            params![],
            |r| r.get(0),
        )?,
        Dialect::Postgres => db.query(
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            params![],
            |r| r.get(0),
        )?,
    };
    let names: BTreeSet<String> = names
        .into_iter()
        .filter(|n| !NOT_COPIED.contains(&n.as_str()))
        .collect();
    // Table → the tables it refers to.
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in &names {
        let refs: Vec<String> = match db.dialect() {
            Dialect::Sqlite => db.query(
                "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)",
                params![t.as_str()],
                |r| r.get(0),
            )?,
            Dialect::Postgres => db.query(
                "SELECT DISTINCT CAST(p.relname AS TEXT) FROM pg_constraint c
                 JOIN pg_class k ON k.oid = c.conrelid
                 JOIN pg_class p ON p.oid = c.confrelid
                 WHERE c.contype = 'f' AND k.relname = ?1
                   AND k.relnamespace = CAST(current_schema() AS regnamespace)",
                params![t.as_str()],
                |r| r.get(0),
            )?,
        };
        parents.insert(
            t.clone(),
            refs.into_iter()
                .filter(|p| p != t && names.contains(p))
                .collect(),
        );
    }
    let mut order = Vec::new();
    let mut done = BTreeSet::new();
    while done.len() < names.len() {
        let ready: Vec<String> = names
            .iter()
            .filter(|t| !done.contains(*t) && parents[*t].iter().all(|p| done.contains(p)))
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(StoreError::Invalid(
                "the store's tables refer to each other in a circle; they cannot be copied in order"
                    .into(),
            ));
        }
        for t in ready {
            done.insert(t.clone());
            if t != LAST {
                order.push(t);
            }
        }
    }
    if names.contains(LAST) {
        order.push(LAST.to_string());
    }
    Ok(order)
}

/// A table's columns, by name.
fn columns(db: &Db, table: &str) -> Result<BTreeSet<String>> {
    let cols: Vec<String> = match db.dialect() {
        Dialect::Sqlite => db.query(
            "SELECT name FROM pragma_table_info(?1)",
            params![table],
            |r| r.get(0),
        )?,
        Dialect::Postgres => db.query(
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1",
            params![table],
            |r| r.get(0),
        )?,
    };
    Ok(cols.into_iter().collect())
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row as bytes that mean the same on both engines: a whole number is one, whether it
/// came as an integer or as a real (SQLite keeps `3.0` in a REAL column as a real, and either
/// engine reads it back as the number 3).
fn row_hash(cells: &[Cell]) -> [u8; 32] {
    let mut h = Sha256::new();
    for c in cells {
        match c {
            Cell::Null => h.update([0]),
            Cell::Int(i) => {
                h.update([1]);
                h.update(i.to_be_bytes());
            }
            Cell::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                h.update([1]);
                h.update((*f as i64).to_be_bytes());
            }
            Cell::Real(f) => {
                h.update([2]);
                h.update(f.to_bits().to_be_bytes());
            }
            Cell::Text(t) => {
                h.update([3]);
                h.update((t.len() as u64).to_be_bytes());
                h.update(t.as_bytes());
            }
            Cell::Blob(b) => {
                h.update([4]);
                h.update((b.len() as u64).to_be_bytes());
                h.update(b);
            }
        }
    }
    h.finalize().into()
}

/// Whether no table but `site_meta` holds a row.
fn holds_nothing(db: &Db) -> Result<bool> {
    for t in tables(db)? {
        if t == LAST {
            continue;
        }
        let n: i64 = db.query_one(&format!("SELECT count(*) FROM \"{t}\""), params![], |r| {
            r.get(0)
        })?;
        if n > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Every table's digest (columns in the order of their names), as `db` sees it now.
fn digests(db: &Db, tables: &[String]) -> Result<BTreeMap<String, TableDigest>> {
    let mut out = BTreeMap::new();
    for t in tables {
        let cols = columns(db, t)?;
        let names: Vec<&str> = cols.iter().map(String::as_str).collect();
        let mut hashes: Vec<[u8; 32]> = Vec::new();
        db.query_each(
            &format!("SELECT {} FROM \"{t}\"", quoted(&names)),
            params![],
            |r| {
                let cells = (0..names.len())
                    .map(|i| r.cell(i))
                    .collect::<Result<Vec<_>>>()?;
                hashes.push(row_hash(&cells));
                Ok(())
            },
        )?;
        hashes.sort_unstable();
        let mut h = Sha256::new();
        for x in &hashes {
            h.update(x);
        }
        out.insert(
            t.clone(),
            TableDigest {
                rows: hashes.len() as u64,
                sha256: h.finalize().into(),
            },
        );
    }
    Ok(out)
}

impl Store {
    /// Whether the store holds no site yet: nothing in any table but what a new store holds
    /// (`site_meta`'s counters).
    pub fn is_empty(&self) -> Result<bool> {
        holds_nothing(&self.db)
    }

    /// Every table's digest: its rows and a SHA-256 of all of them, read in one moment (what
    /// [`copy_store`] compares; tests compare two stores with it).
    pub fn digests(&self) -> Result<BTreeMap<String, TableDigest>> {
        let tx = self.db.begin(false)?;
        let tables = tables(&tx)?;
        let d = digests(&tx, &tables)?;
        tx.commit()?;
        Ok(d)
    }

    /// The store's schema version (the number of migrations applied).
    pub fn schema_version(&self) -> Result<i64> {
        match self.db.dialect() {
            Dialect::Sqlite => self
                .db
                .query_one("PRAGMA user_version", params![], |r| r.get(0)),
            Dialect::Postgres => {
                self.db
                    .query_one("SELECT version FROM peil_schema_version", params![], |r| {
                        r.get(0)
                    })
            }
        }
    }
}

/// Copies the whole store `from` to `to` (see the module's comment): refused when `to` already
/// holds a site, unless `replace`. Returns what was copied, once verified and committed.
pub fn copy_store(from: &Store, to: &Location, replace: bool) -> Result<CopyReport> {
    let known = schema::MIGRATIONS.len() as i64;
    if from.schema_version()? != known {
        return Err(StoreError::Invalid(format!(
            "{} has schema version {}, this Peil {known}; open it with this Peil first",
            from.path().display(),
            from.schema_version()?
        )));
    }
    let occupied = || {
        StoreError::Invalid(format!(
            "{} already holds a site; nothing was copied (replace it only on purpose: --replace)",
            to.label()
        ))
    };
    match to {
        Location::Postgres(pg) => {
            let db = Db::open_postgres(&pg.config, &pg.schema, true)?;
            let tx = db.begin(true)?;
            let exists = tx.query_one(
                "SELECT count(*) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name = 'peil_schema_version'",
                params![],
                |r| r.get::<i64>(0),
            )? > 0;
            if exists && !replace && !holds_nothing(&tx)? {
                return Err(occupied());
            }
            // A schema with tables of something else is never dropped, not even on --replace.
            let tables_there = tx.query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
                params![],
                |r| r.get::<i64>(0),
            )?;
            if !exists && tables_there > 0 {
                return Err(StoreError::Invalid(format!(
                    "{} holds tables that are not a Peil store's; nothing was copied (choose \
                     another schema)",
                    to.label()
                )));
            }
            // The schema anew, in this transaction: nothing of the old one stays, and a failed
            // copy leaves it as it was.
            tx.execute_batch(&format!(
                "DROP SCHEMA IF EXISTS \"{0}\" CASCADE; CREATE SCHEMA \"{0}\"; SET LOCAL search_path TO \"{0}\";
                 CREATE TABLE peil_schema_version (version BIGINT NOT NULL);
                 INSERT INTO peil_schema_version (version) VALUES ({known});",
                pg.schema
            ))?;
            for sql in schema::PG_MIGRATIONS {
                tx.execute_batch(sql)?;
            }
            let report = copy_into(from, &tx, to)?;
            tx.commit()?;
            Ok(report)
        }
        Location::Sqlite(path) => {
            if path.exists() && !replace {
                let other = Store::open(path)?;
                if !other.is_empty()? {
                    return Err(occupied());
                }
            }
            let tmp = sibling(path, "copying");
            remove_sqlite(&tmp);
            let result = (|| {
                let mut target = Store::create(&tmp)?;
                let report = {
                    let tx = target.db.begin(true)?;
                    let report = copy_into(from, &tx, to)?;
                    tx.commit()?;
                    report
                };
                // One file, no journal beside it, before it takes the old one's place.
                target
                    .db
                    .sqlite_mut()
                    .pragma_update(None, "journal_mode", "DELETE")
                    .map_err(crate::sqlite_err(&tmp))?;
                drop(target);
                Ok(report)
            })();
            match result {
                Ok(report) => {
                    for suffix in ["-wal", "-shm"] {
                        let _ = std::fs::remove_file(with_suffix(path, suffix));
                    }
                    std::fs::rename(&tmp, path).map_err(|e| {
                        StoreError::Invalid(format!(
                            "cannot move the copy {} to {}: {e}",
                            tmp.display(),
                            path.display()
                        ))
                    })?;
                    Ok(report)
                }
                Err(e) => {
                    remove_sqlite(&tmp);
                    Err(e)
                }
            }
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn sibling(path: &Path, what: &str) -> PathBuf {
    with_suffix(path, &format!(".{what}-{}", std::process::id()))
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

/// The copy itself, into the open write transaction `tx` of an empty store of this Peil's
/// schema, then the comparison.
fn copy_into(from: &Store, tx: &Db, to: &Location) -> Result<CopyReport> {
    let read = from.db.begin(false)?;
    let order = tables(&read)?;
    let target_tables: BTreeSet<String> = tables(tx)?.into_iter().collect();
    let source_tables: BTreeSet<String> = order.iter().cloned().collect();
    if source_tables != target_tables {
        return Err(StoreError::Invalid(format!(
            "the two stores' tables differ: {:?} only in the source, {:?} only in the target",
            source_tables.difference(&target_tables).collect::<Vec<_>>(),
            target_tables.difference(&source_tables).collect::<Vec<_>>()
        )));
    }
    // What a new store holds (site_meta's counters) makes way for the source's.
    for t in order.iter().rev() {
        tx.execute(&format!("DELETE FROM \"{t}\""), params![])?;
    }
    let mut report = CopyReport {
        target: to.label(),
        tables: Vec::new(),
    };
    for t in &order {
        let cols = columns(&read, t)?;
        if cols != columns(tx, t)? {
            return Err(StoreError::Invalid(format!(
                "the two stores' columns of {t} differ"
            )));
        }
        let names: Vec<&str> = cols.iter().map(String::as_str).collect();
        let list = quoted(&names);
        let each: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        let each: Vec<&str> = each.iter().map(String::as_str).collect();
        let n = tx.bulk_insert(&format!("\"{t}\""), &each, |sink| {
            read.query_each(&format!("SELECT {list} FROM \"{t}\""), params![], |r| {
                let cells = (0..names.len())
                    .map(|i| r.cell(i))
                    .collect::<Result<Vec<_>>>()?;
                let row: Vec<_> = cells.iter().map(Cell::param).collect();
                sink(&row)
            })
        })?;
        report.tables.push((t.clone(), n));
    }
    if tx.dialect() == Dialect::Postgres {
        // Identity columns go on after the highest id copied.
        let identities: Vec<(String, String)> = tx.query(
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = current_schema() AND is_identity = 'YES'",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (t, c) in identities {
            tx.query_row(
                &format!(
                    "SELECT setval(pg_get_serial_sequence(?1, ?2),
                                   (SELECT coalesce(max(\"{c}\"), 0) + 1 FROM \"{t}\"), false)"
                ),
                params![format!("\"{t}\"").as_str(), c.as_str()],
                |_| Ok(()),
            )?;
        }
    }
    let want = digests(&read, &order)?;
    let got = digests(tx, &order)?;
    let differ: Vec<String> = order
        .iter()
        .filter(|t| want.get(*t) != got.get(*t))
        .map(|t| {
            format!(
                "{t} ({} rows in the source, {} in the copy)",
                want[t].rows, got[t].rows
            )
        })
        .collect();
    if !differ.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "the copy differs from its source in {}; nothing was copied",
            differ.join(", ")
        )));
    }
    read.commit()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestStore, pg_config};

    /// A PostgreSQL location on the shared test server, in a new schema.
    fn pg_location(pg: &peil_pgtest::TempPostgres) -> Location {
        Location::Postgres(Box::new(crate::location::PgLocation {
            config: pg_config(pg),
            schema: peil_pgtest::TempPostgres::unique_name("copy"),
        }))
    }

    /// What the commands read: every exported value, the status and the warehouse's series.
    fn everything(s: &Store) -> (Vec<String>, String, usize) {
        let mut out = Vec::new();
        s.export(&Default::default(), |r| {
            out.push(format!("{r:?}"));
            Ok(())
        })
        .unwrap();
        (
            out,
            serde_json::to_string(&s.status().unwrap()).unwrap(),
            s.warehouse().unwrap().series.len(),
        )
    }

    #[test]
    fn a_store_goes_to_postgresql_and_back_unchanged() {
        let lite = TestStore::sqlite();
        crate::read::tests::fill(&lite);
        lite.audit("eva", "cli", "login", &serde_json::json!({}))
            .unwrap();
        let pg = peil_pgtest::TempPostgres::shared().unwrap();
        let at = pg_location(&pg);
        let report = copy_store(&lite, &at, false).unwrap();
        assert!(report.rows() > 10, "{report:?}");
        assert!(report.tables.iter().any(|(t, n)| t == "series" && *n > 0));
        let on_pg = Store::open_at(&at).unwrap();
        assert!(on_pg.is_postgres());
        assert_eq!(on_pg.digests().unwrap(), lite.digests().unwrap());
        assert_eq!(everything(&on_pg), everything(&lite));
        // Ids go on after the copied ones (levels 1 and 2): a new row gets a new id.
        let id = on_pg
            .db
            .insert(
                "INSERT INTO geo_level (code, name, kind) VALUES ('buurt', 'Buurt', 'geo')",
                params![],
            )
            .unwrap();
        assert_eq!(id, 3);
        on_pg
            .db
            .execute("DELETE FROM geo_level WHERE id = 3", params![])
            .unwrap();
        // And back into a new SQLite file.
        let dir = tempfile::tempdir().unwrap();
        let back = Location::Sqlite(dir.path().join("terug.sqlite"));
        copy_store(&on_pg, &back, false).unwrap();
        let back = Store::open_at(&back).unwrap();
        assert_eq!(back.digests().unwrap(), on_pg.digests().unwrap());
        assert_eq!(back.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn a_target_that_holds_a_site_is_refused_unless_replaced() {
        let a = TestStore::sqlite();
        crate::read::tests::fill(&a);
        let b = TestStore::postgres();
        // b is a new store: it takes a copy; then it holds a site and is refused.
        let pg = peil_pgtest::TempPostgres::shared().unwrap();
        let at = pg_location(&pg);
        Store::create_at(&at).unwrap();
        copy_store(&a, &at, false).unwrap();
        let e = copy_store(&b, &at, false).unwrap_err().to_string();
        assert!(e.contains("already holds a site"), "{e}");
        assert!(
            !Store::open_at(&at).unwrap().is_empty().unwrap(),
            "left as it was"
        );
        // Replaced on purpose: now it holds b's (empty) site.
        copy_store(&b, &at, true).unwrap();
        assert!(Store::open_at(&at).unwrap().is_empty().unwrap());
        // The same on a SQLite target.
        let dir = tempfile::tempdir().unwrap();
        let file = Location::Sqlite(dir.path().join("doel.sqlite"));
        copy_store(&a, &file, false).unwrap();
        let e = copy_store(&b, &file, false).unwrap_err().to_string();
        assert!(e.contains("already holds a site"), "{e}");
        assert_eq!(
            Store::open_at(&file).unwrap().digests().unwrap(),
            a.digests().unwrap()
        );
        copy_store(&b, &file, true).unwrap();
        assert!(Store::open_at(&file).unwrap().is_empty().unwrap());
        assert!(
            std::fs::read_dir(dir.path()).unwrap().count() == 1,
            "no copy left beside the file"
        );
    }

    #[test]
    fn a_schema_of_something_else_is_never_dropped() {
        let a = TestStore::sqlite();
        crate::read::tests::fill(&a);
        let pg = peil_pgtest::TempPostgres::shared().unwrap();
        let at = pg_location(&pg);
        let Location::Postgres(p) = &at else {
            unreachable!()
        };
        let mut c = pg_config(&pg).connect(postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "CREATE SCHEMA {0}; CREATE TABLE {0}.klanten (id BIGINT); INSERT INTO {0}.klanten VALUES (7);",
            p.schema
        ))
        .unwrap();
        for replace in [false, true] {
            let e = copy_store(&a, &at, replace).unwrap_err().to_string();
            assert!(e.contains("not a Peil store's"), "{e}");
        }
        let kept: i64 = c
            .query_one(&format!("SELECT id FROM {}.klanten", p.schema), &[])
            .unwrap()
            .get(0);
        assert_eq!(kept, 7);
    }

    #[test]
    fn digests_see_every_value() {
        let a = TestStore::sqlite();
        crate::read::tests::fill(&a);
        let before = a.digests().unwrap();
        // One byte of one series' values.
        a.db.execute(
            "UPDATE series SET data = CAST(data || X'00' AS BLOB) WHERE id = (SELECT min(id) FROM series)",
            params![],
        )
        .unwrap();
        let after = a.digests().unwrap();
        assert_ne!(before["series"], after["series"]);
        assert_eq!(before["series"].rows, after["series"].rows);
        assert_eq!(before["indicator"], after["indicator"]);
    }
}
