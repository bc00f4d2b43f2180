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

pub mod codec;
mod schema;
mod write;

pub use write::ImportTx;

use peil_core::*;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
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
    #[error("stored data is damaged: {0}; run `peil check`")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The store of one site.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// What `peil status` shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub levels: Vec<LevelStatus>,
    pub edges: Vec<EdgeStatus>,
    pub indicators: u64,
    pub formula_indicators: u64,
    pub cube_indicators: u64,
    pub themes: u64,
    pub periods: Vec<PeriodStatus>,
    pub series: u64,
    pub values: u64,
    pub imports: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LevelStatus {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub items: u64,
    pub unknown_location_items: u64,
    pub with_geometry: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EdgeStatus {
    pub child: String,
    pub parent: String,
    pub kind: String,
    pub links: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PeriodStatus {
    pub level: String,
    pub first: String,
    pub last: String,
    pub count: u64,
}

/// One row of the import log (provenance).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportEntry {
    pub id: i64,
    pub at: String,
    pub who: String,
    pub kind: String,
    pub file: String,
    pub sha256: String,
    pub options: Json,
    pub counts: Json,
    pub warnings: u64,
}

/// An API key as `peil keys list` shows it (never the key itself: only its hash is stored).
#[derive(Debug, Clone)]
pub struct ApiKeyEntry {
    pub id: i64,
    pub name: String,
    pub groups: Vec<String>,
    pub created: String,
    /// When it was revoked; `None` while it is valid.
    pub revoked: Option<String>,
}

/// The live copy as [`Store::live`] reads it.
pub struct Live {
    pub generation: u64,
    pub at: String,
    pub stats: serde_json::Value,
    pub indicators: Vec<Indicator>,
    pub levels: Vec<WarehouseLevel>,
    /// Dense values in the order of their level's items.
    pub series: Vec<(SeriesKey, Vec<Value>)>,
}

/// Which values to export.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Indicator codes; empty means all.
    pub indicators: Vec<String>,
    /// A level code; `None` means all levels.
    pub level: Option<String>,
    /// Period codes; empty means all.
    pub periods: Vec<String>,
}

impl Selection {
    /// Whether a series of this indicator, level and period is selected.
    pub fn matches(&self, indicator: &str, level: &str, period: &str) -> bool {
        (self.indicators.is_empty() || self.indicators.iter().any(|i| i == indicator))
            && self.level.as_ref().is_none_or(|l| l == level)
            && (self.periods.is_empty() || self.periods.iter().any(|p| p == period))
    }
}

/// One exported value.
#[derive(Debug, Clone)]
pub struct ExportRow<'a> {
    pub indicator: &'a str,
    pub level: &'a str,
    pub item: &'a str,
    pub period: &'a str,
    pub dims: &'a str,
    pub value: Value,
}

/// Findings of `peil check`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CheckReport {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
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

    /// The codes a reader needs to validate a file.
    pub fn catalog(&self) -> Result<Catalog> {
        catalog(&self.conn).map_err(self.e())
    }

    pub fn indicator(&self, code: &str) -> Result<Option<Indicator>> {
        write::read_indicator(&self.conn, code).map_err(self.e())
    }

    pub fn indicators(&self) -> Result<Vec<Indicator>> {
        let codes: Vec<String> =
            self.rows("SELECT code FROM indicator ORDER BY code", [], |r| r.get(0))?;
        let mut out = Vec::with_capacity(codes.len());
        for c in codes {
            out.extend(self.indicator(&c)?);
        }
        Ok(out)
    }

    pub fn themes(&self) -> Result<Vec<Theme>> {
        self.rows(
            "SELECT code, parent, name, seq FROM theme ORDER BY seq, code",
            [],
            |r| {
                Ok(Theme {
                    code: r.get(0)?,
                    parent: r.get(1)?,
                    name: write::text_from_json(&r.get::<_, String>(2)?),
                    seq: r.get(3)?,
                })
            },
        )
    }

    /// Items of a level in sequence order.
    pub fn items(&self, level: &str) -> Result<Vec<GeoItem>> {
        self.rows(
            "SELECT i.code, i.short_name, i.name, i.seq, i.unknown_location FROM geo_item i
                 JOIN geo_level l ON l.id = i.level_id WHERE l.code = ?1 ORDER BY i.seq, i.code",
            [level],
            |r| {
                Ok(GeoItem {
                    code: r.get(0)?,
                    short_name: r.get(1)?,
                    name: r.get(2)?,
                    seq: r.get(3)?,
                    unknown_location: r.get(4)?,
                })
            },
        )
    }

    /// Child code → parent code for one edge of the hierarchy.
    pub fn links(&self, child_level: &str, parent_level: &str) -> Result<Vec<(String, String)>> {
        self.rows(
            "SELECT c.code, p.code FROM item_link k
                 JOIN geo_item c ON c.id = k.child_item_id
                 JOIN geo_level cl ON cl.id = c.level_id
                 JOIN geo_level pl ON pl.id = k.parent_level_id
                 JOIN geo_item p ON p.id = k.parent_item_id
                 WHERE cl.code = ?1 AND pl.code = ?2 ORDER BY c.code",
            [child_level, parent_level],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Code and bounding box of every item of a level that has geometry.
    pub fn geometry_bboxes(&self, level: &str) -> Result<Vec<(String, [f64; 4])>> {
        self.rows(
            "SELECT i.code, g.min_lon, g.min_lat, g.max_lon, g.max_lat FROM geometry g
                 JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id
                 WHERE l.code = ?1 ORDER BY i.code",
            [level],
            |r| Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])),
        )
    }

    /// Every stored geometry: (level, item code, web GeoJSON, full GeoJSON).
    pub fn all_geometry(&self) -> Result<Vec<(String, String, String, String)>> {
        self.rows(
            "SELECT l.code, i.code, g.web_geojson, g.full_geojson FROM geometry g
             JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    }

    /// The full and web geometry (GeoJSON) of one item.
    pub fn geometry(&self, level: &str, code: &str) -> Result<Option<(String, String)>> {
        self.conn
            .query_row(
                "SELECT g.full_geojson, g.web_geojson FROM geometry g
                 JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id
                 WHERE l.code = ?1 AND i.code = ?2",
                [level, code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.e())
    }

    pub fn status(&self) -> Result<Status> {
        status(&self.conn).map_err(self.e())
    }

    pub fn imports(&self) -> Result<Vec<ImportEntry>> {
        self.rows(
            "SELECT id, at, who, kind, file, sha256, options, counts, warnings FROM import_log ORDER BY id",
            [],
            |r| {
                Ok(ImportEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    who: r.get(2)?,
                    kind: r.get(3)?,
                    file: r.get(4)?,
                    sha256: r.get(5)?,
                    options: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or(Json::Null),
                    counts: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or(Json::Null),
                    warnings: r.get::<_, i64>(8)? as u64,
                })
            },
        )
    }

    /// The most recent import of a file with this hash and kind, if any.
    pub fn previous_import(&self, sha256: &str, kind: &str) -> Result<Option<ImportEntry>> {
        Ok(self
            .imports()?
            .into_iter()
            .rev()
            .find(|e| e.sha256 == sha256 && e.kind == kind))
    }

    /// Streams the selected values in a stable order: indicator, level, period, cube cell,
    /// then item sequence.
    pub fn export(
        &self,
        sel: &Selection,
        mut out: impl FnMut(ExportRow<'_>) -> std::io::Result<()>,
    ) -> Result<u64> {
        let e = self.e();
        let mut items: HashMap<i64, HashMap<u32, (i64, String)>> = HashMap::new();
        let mut st = self
            .conn
            .prepare(
                "SELECT i.code, l.code, s.level_id, s.period, s.dims, s.data FROM series s
                 JOIN indicator i ON i.id = s.indicator_id JOIN geo_level l ON l.id = s.level_id
                 ORDER BY i.code, l.code, s.period_level, s.period, s.dims",
            )
            .map_err(&e)?;
        let mut rows = st.query([]).map_err(&e)?;
        let mut n = 0u64;
        while let Some(r) = rows.next().map_err(&e)? {
            let ind: String = r.get(0).map_err(&e)?;
            let level: String = r.get(1).map_err(&e)?;
            let period: String = r.get(3).map_err(&e)?;
            if !sel.matches(&ind, &level, &period) {
                continue;
            }
            let level_id: i64 = r.get(2).map_err(&e)?;
            let dims: String = r.get(4).map_err(&e)?;
            let data: Vec<u8> = r.get(5).map_err(&e)?;
            let values = codec::decode(&data).ok_or_else(|| {
                StoreError::Corrupt(format!("series {ind}/{level}/{period} does not decode"))
            })?;
            let names = match items.entry(level_id) {
                Entry::Occupied(o) => o.into_mut(),
                Entry::Vacant(v) => v.insert(level_items(&self.conn, level_id).map_err(&e)?),
            };
            let mut sorted: Vec<(&(i64, String), Value)> = Vec::with_capacity(values.len());
            for (id, v) in values {
                let item = names.get(&id).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "series {ind}/{level}/{period} names item id {id} not in level {level}"
                    ))
                })?;
                sorted.push((item, v));
            }
            n += emit_sorted(&ind, &level, &period, &dims, sorted, &mut out)?;
        }
        Ok(n)
    }

    /// Integrity of the stored data: SQLite's own check, then the hierarchy and values.
    pub fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let ic = self.integrity_check()?;
        if ic != "ok" {
            report.errors.push(format!("SQLite integrity check: {ic}"));
        }
        let e = self.e();
        let fk: Vec<String> = {
            let mut st = self.conn.prepare("PRAGMA foreign_key_check").map_err(&e)?;
            st.query_map([], |r| {
                Ok(format!(
                    "{} row {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?
                ))
            })
            .map_err(&e)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&e)?
        };
        for f in fk {
            report.errors.push(format!("dangling reference in {f}"));
        }
        let status = self.status()?;
        let edges: Vec<(&str, &str)> = status
            .edges
            .iter()
            .map(|x| (x.child.as_str(), x.parent.as_str()))
            .collect();
        if let Some(cycle) = find_cycle(edges.iter().copied()) {
            report.errors.push(format!(
                "cycle in the level hierarchy: {}",
                cycle.join(" → ")
            ));
        }
        // Items without a parent in a level their level rolls up into.
        let mut st = self
            .conn
            .prepare(
                "SELECT cl.code, pl.code, e.kind, count(*), min(i.code) FROM level_edge e
                 JOIN geo_level cl ON cl.id = e.child_level_id
                 JOIN geo_level pl ON pl.id = e.parent_level_id
                 JOIN geo_item i ON i.level_id = e.child_level_id
                 WHERE NOT EXISTS (SELECT 1 FROM item_link k
                                   WHERE k.child_item_id = i.id AND k.parent_level_id = e.parent_level_id)
                 GROUP BY cl.code, pl.code, e.kind",
            )
            .map_err(&e)?;
        let orphans = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(&e)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&e)?;
        for (c, p, kind, n, example) in orphans {
            let msg = format!("{n} items of {c} have no parent in {p} (e.g. {example})");
            // Old divisions legitimately hold codes that no longer exist in the new one.
            if kind == "conversion" {
                report.warnings.push(msg)
            } else {
                report.errors.push(msg)
            }
        }
        // Links whose parent item is not in the parent level.
        let bad: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM item_link k JOIN geo_item p ON p.id = k.parent_item_id
                 WHERE p.level_id <> k.parent_level_id",
                [],
                |r| r.get(0),
            )
            .map_err(&e)?;
        if bad > 0 {
            report
                .errors
                .push(format!("{bad} hierarchy links point into the wrong level"));
        }
        // Every series decodes and names only items of its own level.
        let mut st = self
            .conn
            .prepare("SELECT s.id, s.level_id, s.n, s.data, i.code, s.period FROM series s JOIN indicator i ON i.id = s.indicator_id")
            .map_err(&e)?;
        let mut rows = st.query([]).map_err(&e)?;
        let mut level_sets: HashMap<i64, HashMap<u32, (i64, String)>> = HashMap::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let level_id: i64 = r.get(1).map_err(&e)?;
            let n: i64 = r.get(2).map_err(&e)?;
            let data: Vec<u8> = r.get(3).map_err(&e)?;
            let ind: String = r.get(4).map_err(&e)?;
            let period: String = r.get(5).map_err(&e)?;
            let Some(values) = codec::decode(&data) else {
                report
                    .errors
                    .push(format!("values of {ind} {period} do not decode"));
                continue;
            };
            if values.len() as i64 != n {
                report.errors.push(format!(
                    "values of {ind} {period}: count {n} recorded, {} stored",
                    values.len()
                ));
            }
            let set = match level_sets.entry(level_id) {
                Entry::Occupied(o) => o.into_mut(),
                Entry::Vacant(v) => v.insert(level_items(&self.conn, level_id).map_err(&e)?),
            };
            if values.windows(2).any(|w| w[0].0 >= w[1].0) {
                report
                    .errors
                    .push(format!("values of {ind} {period} are not sorted by item"));
            }
            if let Some((id, _)) = values.iter().find(|(id, _)| !set.contains_key(id)) {
                report.errors.push(format!(
                    "values of {ind} {period} name item {id} outside their level"
                ));
            }
        }
        Ok(report)
    }

    /// Loads everything the compute engine needs, decoded.
    pub fn warehouse(&self) -> Result<Warehouse> {
        let e = self.e();
        let mut w = Warehouse::default();
        let mut level_codes: HashMap<i64, String> = HashMap::new();
        {
            let levels: Vec<(i64, String, String, String)> = self.rows(
                "SELECT id, code, name, kind FROM geo_level ORDER BY code",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let mut items = self
                .conn
                .prepare("SELECT id, code, short_name, name, seq, unknown_location FROM geo_item WHERE level_id = ?1 ORDER BY seq, code")
                .map_err(&e)?;
            for (id, code, name, kind) in levels {
                level_codes.insert(id, code.clone());
                let list = items
                    .query_map([id], |r| {
                        Ok((
                            r.get::<_, u32>(0)?,
                            GeoItem {
                                code: r.get(1)?,
                                short_name: r.get(2)?,
                                name: r.get(3)?,
                                seq: r.get(4)?,
                                unknown_location: r.get(5)?,
                            },
                        ))
                    })
                    .map_err(&e)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(&e)?;
                w.levels.push(WarehouseLevel {
                    level: GeoLevel {
                        code,
                        name,
                        kind: GeoLevelKind::parse(&kind).unwrap_or_default(),
                    },
                    items: list,
                });
            }
        }
        {
            let edges: Vec<(i64, i64, String)> = self.rows(
                "SELECT child_level_id, parent_level_id, kind FROM level_edge ORDER BY child_level_id, parent_level_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let mut links = self
                .conn
                .prepare(
                    "SELECT k.child_item_id, k.parent_item_id FROM item_link k JOIN geo_item c ON c.id = k.child_item_id
                     WHERE c.level_id = ?1 AND k.parent_level_id = ?2 ORDER BY k.child_item_id",
                )
                .map_err(&e)?;
            for (c, p, kind) in edges {
                let list = links
                    .query_map([c, p], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, u32>(1)?)))
                    .map_err(&e)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(&e)?;
                w.edges.push(WarehouseEdge {
                    child: level_codes[&c].clone(),
                    parent: level_codes[&p].clone(),
                    kind: EdgeKind::parse(&kind).unwrap_or(EdgeKind::Aggregation),
                    links: list,
                });
            }
        }
        w.indicators = self.indicators()?;
        {
            w.dim_levels = self.rows(
                "SELECT code, dimension, name, seq FROM dim_level ORDER BY seq, code",
                [],
                |r| {
                    Ok(DimLevel {
                        code: r.get(0)?,
                        dimension: r.get(1)?,
                        name: write::text_from_json(&r.get::<_, String>(2)?),
                        seq: r.get(3)?,
                    })
                },
            )?;
            w.dim_members = self.rows(
                "SELECT level, code, name, seq FROM dim_member ORDER BY level, seq, code",
                [],
                |r| {
                    Ok(DimMember {
                        level: r.get(0)?,
                        code: r.get(1)?,
                        name: write::text_from_json(&r.get::<_, String>(2)?),
                        seq: r.get(3)?,
                    })
                },
            )?;
            w.dim_links = self.rows(
                "SELECT level, member, parent_level, parent_member FROM dim_link",
                [],
                |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))),
            )?;
        }
        w.series = self.series_of(None)?;
        Ok(w)
    }

    /// Replaces the live copy with a new publication, atomically: readers of the file see the
    /// old live copy or the new one, never a mix. `levels` gives each level's item ids in the
    /// order of the dense values of its series. Returns the new generation number.
    pub fn publish_live(
        &mut self,
        who: &str,
        stats: &serde_json::Value,
        indicators: &[Indicator],
        levels: &[(String, Vec<u32>)],
        series: impl Iterator<Item = (SeriesKey, Vec<Value>)>,
    ) -> Result<u64> {
        let path = self.path.clone();
        let e = sqlite_err(&path);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&e)?;
        tx.execute("DELETE FROM live_series", []).map_err(&e)?;
        tx.execute("DELETE FROM live_level", []).map_err(&e)?;
        {
            let mut st = tx
                .prepare("INSERT INTO live_level (level, ids) VALUES (?1, ?2)")
                .map_err(&e)?;
            for (level, ids) in levels {
                let bytes: Vec<u8> = ids.iter().flat_map(|i| i.to_le_bytes()).collect();
                st.execute(params![level, bytes]).map_err(&e)?;
            }
            let mut st = tx
                .prepare("INSERT INTO live_series (indicator, level, period, dims, data) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(&e)?;
            for (key, values) in series {
                st.execute(params![
                    key.indicator,
                    key.level,
                    key.period.code(),
                    key.dims.to_text(),
                    codec::encode_dense(&values)
                ])
                .map_err(&e)?;
            }
        }
        let meta = serde_json::to_string(indicators)
            .map_err(|j| StoreError::Invalid(format!("indicator metadata: {j}")))?;
        tx.execute(
            "INSERT INTO publication (at, who, stats, indicators) VALUES (?1, ?2, ?3, ?4)",
            params![utc_now(), who, stats.to_string(), meta],
        )
        .map_err(&e)?;
        let generation = tx.last_insert_rowid() as u64;
        tx.commit().map_err(&e)?;
        Ok(generation)
    }

    /// The latest publication: generation, time and statistics.
    pub fn live_publication(&self) -> Result<Option<(u64, String, serde_json::Value)>> {
        self.conn
            .query_row(
                "SELECT generation, at, stats FROM publication ORDER BY generation DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)? as u64,
                        r.get(1)?,
                        serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or(Json::Null),
                    ))
                },
            )
            .optional()
            .map_err(self.e())
    }

    /// When the site was first published (ISO 8601, UTC), if it has been: the catalogue's
    /// `dct:issued`.
    pub fn first_publication_at(&self) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT at FROM publication ORDER BY generation LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.e())
    }

    /// Streams the live copy like [`Store::export`] streams the test copy.
    pub fn export_live(
        &self,
        sel: &Selection,
        mut out: impl FnMut(ExportRow<'_>) -> std::io::Result<()>,
    ) -> Result<u64> {
        let e = self.e();
        // Each level's item order in the live copy, with (seq, code) to sort rows by.
        let mut items: HashMap<String, Vec<(i64, String)>> = HashMap::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT level, ids FROM live_level")
                .map_err(&e)?;
            let rows = st
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
                })
                .map_err(&e)?;
            for row in rows {
                let (level, ids) = row.map_err(&e)?;
                let id: Option<i64> = self
                    .conn
                    .query_row("SELECT id FROM geo_level WHERE code = ?1", [&level], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(&e)?;
                let names = match id {
                    Some(id) => level_items(&self.conn, id).map_err(&e)?,
                    None => HashMap::new(),
                };
                let list = ids
                    .chunks_exact(4)
                    .map(|c| {
                        let id = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                        names
                            .get(&id)
                            .cloned()
                            .unwrap_or((i64::MAX, format!("#{id}")))
                    })
                    .collect();
                items.insert(level, list);
            }
        }
        let mut st = self
            .conn
            .prepare("SELECT indicator, level, period, dims, data FROM live_series ORDER BY indicator, level, period, dims")
            .map_err(&e)?;
        let mut rows = st.query([]).map_err(&e)?;
        let mut n = 0u64;
        while let Some(r) = rows.next().map_err(&e)? {
            let ind: String = r.get(0).map_err(&e)?;
            let level: String = r.get(1).map_err(&e)?;
            let period: String = r.get(2).map_err(&e)?;
            if !sel.matches(&ind, &level, &period) {
                continue;
            }
            let dims: String = r.get(3).map_err(&e)?;
            let data: Vec<u8> = r.get(4).map_err(&e)?;
            let values = codec::decode_dense(&data).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "live series {ind}/{level}/{period} does not decode"
                ))
            })?;
            let names = items.get(&level).ok_or_else(|| {
                StoreError::Corrupt(format!("no item list for live level {level}"))
            })?;
            if names.len() != values.len() {
                return Err(StoreError::Corrupt(format!(
                    "live series {ind}/{level}/{period} has {} values for {} items",
                    values.len(),
                    names.len()
                )));
            }
            let sorted: Vec<(&(i64, String), Value)> = names
                .iter()
                .zip(values)
                .filter(|(_, v)| !matches!(v, Value::Missing(MissingCode::Empty)))
                .collect();
            n += emit_sorted(&ind, &level, &period, &dims, sorted, &mut out)?;
        }
        Ok(n)
    }

    /// The loaded series of some indicators (all when `None`), decoded.
    pub fn series_of(&self, indicators: Option<&[&str]>) -> Result<Vec<WarehouseSeries>> {
        let e = self.e();
        let level_codes: HashMap<i64, String> = {
            let mut st = self
                .conn
                .prepare("SELECT id, code FROM geo_level")
                .map_err(&e)?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&e)?
                .collect::<rusqlite::Result<_>>()
                .map_err(&e)?
        };
        let filter = if indicators.is_some() {
            "WHERE i.code IN (SELECT value FROM json_each(?1))"
        } else {
            "WHERE ?1 IS NULL"
        };
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT i.code, s.level_id, s.period, s.dims, s.data FROM series s JOIN indicator i ON i.id = s.indicator_id
                 {filter} ORDER BY i.code, s.level_id, s.period, s.dims"
            ))
            .map_err(&e)?;
        let list: Option<String> =
            indicators.map(|l| serde_json::to_string(l).unwrap_or_else(|_| "[]".into()));
        let mut rows = st.query([list]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let indicator: String = r.get(0).map_err(&e)?;
            let level_id: i64 = r.get(1).map_err(&e)?;
            let period: String = r.get(2).map_err(&e)?;
            let dims: String = r.get(3).map_err(&e)?;
            let data: Vec<u8> = r.get(4).map_err(&e)?;
            let period = Period::parse(&period).map_err(|p| StoreError::Corrupt(p.to_string()))?;
            let dims = DimKey::parse(&dims)
                .ok_or_else(|| StoreError::Corrupt(format!("dims '{dims}'")))?;
            let values = codec::decode(&data).ok_or_else(|| {
                StoreError::Corrupt(format!("series {indicator} {period} does not decode"))
            })?;
            out.push(WarehouseSeries {
                key: SeriesKey {
                    indicator,
                    level: level_codes[&level_id].clone(),
                    period,
                    dims,
                },
                values,
            });
        }
        Ok(out)
    }

    /// The live copy as published: generation, indicator metadata, each level with its items in
    /// the order of the dense values, and every series. `None` before the first publication.
    pub fn live(&self) -> Result<Option<Live>> {
        let e = self.e();
        let Some((generation, at, stats)) = self.live_publication()? else {
            return Ok(None);
        };
        let meta: String = self
            .conn
            .query_row(
                "SELECT indicators FROM publication WHERE generation = ?1",
                [generation as i64],
                |r| r.get(0),
            )
            .map_err(&e)?;
        let indicators: Vec<Indicator> = serde_json::from_str(&meta)
            .map_err(|j| StoreError::Corrupt(format!("published indicator metadata: {j}")))?;
        let mut levels = Vec::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT level, ids FROM live_level ORDER BY level")
                .map_err(&e)?;
            let rows = st
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
                })
                .map_err(&e)?;
            for row in rows {
                let (code, ids) = row.map_err(&e)?;
                let (id, name, kind): (i64, String, String) = self
                    .conn
                    .query_row(
                        "SELECT id, name, kind FROM geo_level WHERE code = ?1",
                        [&code],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .map_err(&e)?;
                let mut st2 = self
                    .conn
                    .prepare_cached("SELECT id, code, short_name, name, seq, unknown_location FROM geo_item WHERE level_id = ?1")
                    .map_err(&e)?;
                let all: HashMap<u32, GeoItem> = st2
                    .query_map([id], |r| {
                        Ok((
                            r.get::<_, u32>(0)?,
                            GeoItem {
                                code: r.get(1)?,
                                short_name: r.get(2)?,
                                name: r.get(3)?,
                                seq: r.get(4)?,
                                unknown_location: r.get(5)?,
                            },
                        ))
                    })
                    .map_err(&e)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(&e)?;
                let items = ids
                    .chunks_exact(4)
                    .map(|c| {
                        let id = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                        all.get(&id).cloned().map(|it| (id, it)).ok_or_else(|| {
                            StoreError::Corrupt(format!("live item {id} of {code} is gone"))
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                levels.push(WarehouseLevel {
                    level: GeoLevel {
                        code,
                        name,
                        kind: GeoLevelKind::parse(&kind).unwrap_or_default(),
                    },
                    items,
                });
            }
        }
        let mut series = Vec::new();
        let mut st = self
            .conn
            .prepare("SELECT indicator, level, period, dims, data FROM live_series")
            .map_err(&e)?;
        let mut rows = st.query([]).map_err(&e)?;
        while let Some(r) = rows.next().map_err(&e)? {
            let indicator: String = r.get(0).map_err(&e)?;
            let level: String = r.get(1).map_err(&e)?;
            let period: String = r.get(2).map_err(&e)?;
            let dims: String = r.get(3).map_err(&e)?;
            let data: Vec<u8> = r.get(4).map_err(&e)?;
            let period = Period::parse(&period).map_err(|p| StoreError::Corrupt(p.to_string()))?;
            let dims = DimKey::parse(&dims)
                .ok_or_else(|| StoreError::Corrupt(format!("dims '{dims}'")))?;
            let values = codec::decode_dense(&data).ok_or_else(|| {
                StoreError::Corrupt(format!("live series {indicator} {period} does not decode"))
            })?;
            series.push((
                SeriesKey {
                    indicator,
                    level,
                    period,
                    dims,
                },
                values,
            ));
        }
        Ok(Some(Live {
            generation,
            at,
            stats,
            indicators,
            levels,
            series,
        }))
    }

    /// The generation of the latest publication, cheaply (for servers watching for a new one).
    pub fn live_generation(&self) -> Result<Option<u64>> {
        self.conn
            .query_row("SELECT max(generation) FROM publication", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .map(|g| g.map(|g| g as u64))
            .map_err(self.e())
    }

    /// Stores a new API key (its SHA-256 only: the key itself is shown once, never stored).
    pub fn add_api_key(&self, name: &str, sha256: &str, groups: &[String]) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO api_key (name, sha256, groups, created) VALUES (?1, ?2, ?3, ?4)",
                params![name, sha256, groups.join(","), utc_now()],
            )
            .map_err(self.e())?;
        Ok(self.conn.last_insert_rowid())
    }

    /// All keys, in the order they were made.
    pub fn api_keys(&self) -> Result<Vec<ApiKeyEntry>> {
        self.rows(
            "SELECT id, name, groups, created, revoked FROM api_key ORDER BY id",
            [],
            |r| {
                let groups: String = r.get(2)?;
                Ok(ApiKeyEntry {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    groups: groups
                        .split(',')
                        .filter(|g| !g.is_empty())
                        .map(str::to_string)
                        .collect(),
                    created: r.get(3)?,
                    revoked: r.get(4)?,
                })
            },
        )
    }

    /// The active keys: SHA-256 of the key → the reader it makes (its name and access groups).
    pub fn api_key_readers(&self) -> Result<HashMap<String, peil_core::Reader>> {
        Ok(self
            .rows(
                "SELECT sha256, name, groups FROM api_key WHERE revoked IS NULL",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )?
            .into_iter()
            .map(|(h, name, g)| {
                let groups = g.split(',').map(str::to_string);
                (h, peil_core::Reader::key(name, groups))
            })
            .collect())
    }

    /// Revokes a key by id; `false` when there is no such active key.
    pub fn revoke_api_key(&self, id: i64) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE api_key SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                params![id, utc_now()],
            )
            .map_err(self.e())?;
        Ok(n == 1)
    }

    /// SQLite's `PRAGMA integrity_check`: `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        let e = self.e();
        let mut st = self.conn.prepare("PRAGMA integrity_check").map_err(&e)?;
        let lines: Vec<String> = st
            .query_map([], |r| r.get(0))
            .map_err(&e)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&e)?;
        Ok(lines.join("; "))
    }
}

/// Writes one series' rows in item order (sequence, then code) and counts them.
fn emit_sorted(
    indicator: &str,
    level: &str,
    period: &str,
    dims: &str,
    mut rows: Vec<(&(i64, String), Value)>,
    out: &mut impl FnMut(ExportRow<'_>) -> std::io::Result<()>,
) -> Result<u64> {
    rows.sort_by(|a, b| a.0.cmp(b.0));
    let n = rows.len() as u64;
    for ((_, item), value) in rows {
        out(ExportRow {
            indicator,
            level,
            item,
            period,
            dims,
            value,
        })
        .map_err(|io| StoreError::Invalid(format!("writing export: {io}")))?;
    }
    Ok(n)
}

fn level_items(conn: &Connection, level_id: i64) -> rusqlite::Result<HashMap<u32, (i64, String)>> {
    let mut st = conn.prepare_cached("SELECT id, seq, code FROM geo_item WHERE level_id = ?1")?;
    let rows = st.query_map([level_id], |r| {
        Ok((r.get::<_, u32>(0)?, (r.get(1)?, r.get(2)?)))
    })?;
    rows.collect()
}

pub(crate) fn catalog(conn: &Connection) -> rusqlite::Result<Catalog> {
    let mut cat = Catalog::default();
    let mut st = conn.prepare(
        "SELECT l.code, i.code, i.id FROM geo_level l LEFT JOIN geo_item i ON i.level_id = l.id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let level: String = r.get(0)?;
        let entry = cat.levels.entry(level).or_default();
        if let Some(code) = r.get::<_, Option<String>>(1)? {
            entry.items.insert(code, r.get(2)?);
        }
    }
    let mut st = conn.prepare("SELECT code, data_type, formula, dim_levels FROM indicator")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let code: String = r.get(0)?;
        let dt: String = r.get(1)?;
        let formula: Option<String> = r.get(2)?;
        let dims: String = r.get(3)?;
        cat.indicators.insert(
            code,
            IndicatorCatalog {
                data_type: DataType::parse(&dt).unwrap_or_default(),
                is_formula: formula.as_ref().is_some_and(|f| !f.trim().is_empty()),
                formula: formula.filter(|f| !f.trim().is_empty()),
                dim_levels: serde_json::from_str(&dims).unwrap_or_default(),
            },
        );
    }
    let mut st = conn.prepare("SELECT level, code FROM dim_member")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        cat.dim_members
            .entry(r.get(0)?)
            .or_default()
            .insert(r.get(1)?);
    }
    let mut st = conn.prepare(
        "SELECT c.code, p.code FROM level_edge e JOIN geo_level c ON c.id = e.child_level_id
         JOIN geo_level p ON p.id = e.parent_level_id",
    )?;
    cat.edges = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(cat)
}

fn status(conn: &Connection) -> rusqlite::Result<Status> {
    let count = |sql: &str| {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
    };
    let mut st = conn.prepare(
        "SELECT l.code, l.name, l.kind,
                (SELECT count(*) FROM geo_item i WHERE i.level_id = l.id),
                (SELECT count(*) FROM geo_item i WHERE i.level_id = l.id AND i.unknown_location),
                (SELECT count(*) FROM geometry g JOIN geo_item i ON i.id = g.item_id WHERE i.level_id = l.id)
         FROM geo_level l ORDER BY l.code",
    )?;
    let levels = st
        .query_map([], |r| {
            Ok(LevelStatus {
                code: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                items: r.get::<_, i64>(3)? as u64,
                unknown_location_items: r.get::<_, i64>(4)? as u64,
                with_geometry: r.get::<_, i64>(5)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT c.code, p.code, e.kind,
                (SELECT count(*) FROM item_link k JOIN geo_item ci ON ci.id = k.child_item_id
                 WHERE ci.level_id = e.child_level_id AND k.parent_level_id = e.parent_level_id)
         FROM level_edge e JOIN geo_level c ON c.id = e.child_level_id
         JOIN geo_level p ON p.id = e.parent_level_id ORDER BY c.code, p.code",
    )?;
    let edges = st
        .query_map([], |r| {
            Ok(EdgeStatus {
                child: r.get(0)?,
                parent: r.get(1)?,
                kind: r.get(2)?,
                links: r.get::<_, i64>(3)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT period_level, period FROM series GROUP BY period_level, period ORDER BY period_level, period",
    )?;
    let mut by_level: Vec<PeriodStatus> = Vec::new();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let level: String = r.get(0)?;
        let period: String = r.get(1)?;
        match by_level.last_mut() {
            Some(p) if p.level == level => {
                p.last = period;
                p.count += 1;
            }
            _ => by_level.push(PeriodStatus {
                level,
                first: period.clone(),
                last: period,
                count: 1,
            }),
        }
    }
    Ok(Status {
        levels,
        edges,
        indicators: count("SELECT count(*) FROM indicator")?,
        formula_indicators: count(
            "SELECT count(*) FROM indicator WHERE formula IS NOT NULL AND formula <> ''",
        )?,
        cube_indicators: count("SELECT count(*) FROM indicator WHERE dim_levels <> '[]'")?,
        themes: count("SELECT count(*) FROM theme")?,
        periods: by_level,
        series: count("SELECT count(*) FROM series")?,
        values: count("SELECT coalesce(sum(n), 0) FROM series")?,
        imports: count("SELECT count(*) FROM import_log")?,
    })
}

/// The stored form of an API key: its SHA-256 as hex. Keys are 256 random bits, so a fast hash
/// is enough (a slow password hash protects guessable secrets, which these are not).
pub fn hash_key(key: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(key.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new random API key (`peil_` + 64 hex characters) from the operating system's generator.
pub fn new_key() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(format!(
        "peil_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
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
