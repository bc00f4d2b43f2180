//! The live copy: what `peil publish` writes from a snapshot, replaced whole in one
//! transaction, and what the server and the CLI read back.

use crate::{Result, Store, StoreError, codec, sqlite_err, utc_now};
use peil_core::*;
use rusqlite::{OptionalExtension, params};
use serde_json::Value as Json;
use std::collections::HashMap;

/// One publication as [`Store::publications`] lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicationEntry {
    pub generation: u64,
    pub at: String,
    pub who: String,
    pub stats: serde_json::Value,
    /// The generation a rollback made live again as this one.
    pub restored_from: Option<u64>,
    /// Whether its contents are kept, so that `peil rollback` can make it live again.
    pub kept: bool,
}

/// Copies the live copy just written as publication `generation`'s kept contents.
fn keep_live(
    tx: &rusqlite::Connection,
    generation: u64,
    last_import: i64,
    restored_from: Option<i64>,
) -> rusqlite::Result<()> {
    let g = generation as i64;
    tx.execute(
        "INSERT INTO publication_level (generation, level, ids, level_name, item_names)
         SELECT ?1, level, ids, level_name, item_names FROM live_level",
        [g],
    )?;
    tx.execute(
        "INSERT INTO publication_series (generation, indicator, level, period, dims, data)
         SELECT ?1, indicator, level, period, dims, data FROM live_series",
        [g],
    )?;
    tx.execute(
        "INSERT INTO publication_note (generation, last_import, restored_from, kept) VALUES (?1, ?2, ?3, 1)",
        params![g, last_import, restored_from],
    )?;
    Ok(())
}

/// Drops the contents of all but the newest `keep` (at least 1) kept publications. Their rows
/// in `publication` stay (small; the catalogue's first issue date reads them) without their
/// metadata. SQLite reuses the freed pages for later publications, so the file stops growing
/// at about `keep` + 1 live copies; it shrinks only with `VACUUM`.
fn prune(tx: &rusqlite::Connection, keep: usize) -> rusqlite::Result<()> {
    let old: Vec<i64> = {
        let mut st = tx.prepare(
            "SELECT generation FROM publication_note WHERE kept ORDER BY generation DESC LIMIT -1 OFFSET ?1",
        )?;
        st.query_map([keep.max(1) as i64], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    for g in old {
        tx.execute("DELETE FROM publication_series WHERE generation = ?1", [g])?;
        tx.execute("DELETE FROM publication_level WHERE generation = ?1", [g])?;
        tx.execute(
            "UPDATE publication_note SET kept = 0 WHERE generation = ?1",
            [g],
        )?;
        tx.execute(
            "UPDATE publication SET indicators = '[]' WHERE generation = ?1",
            [g],
        )?;
    }
    Ok(())
}

/// A level's name and its items' names (a JSON list of [short name, name] in the order of
/// `ids`) as the test copy has them now: the names a publication keeps for its readers, so
/// that a rename in the test copy reaches them only with the next publication.
fn names_now(
    tx: &rusqlite::Connection,
    level: &str,
    ids: &[u32],
) -> rusqlite::Result<(Option<String>, String)> {
    let name: Option<String> = tx
        .query_row("SELECT name FROM geo_level WHERE code = ?1", [level], |r| {
            r.get(0)
        })
        .optional()?;
    let mut st = tx.prepare_cached(
        "SELECT i.id, i.short_name, i.name FROM geo_item i JOIN geo_level l ON l.id = i.level_id WHERE l.code = ?1",
    )?;
    let all: HashMap<u32, (String, String)> = st
        .query_map([level], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    let list: Vec<(&str, &str)> = ids
        .iter()
        .map(|id| {
            all.get(id)
                .map_or(("", ""), |(s, n)| (s.as_str(), n.as_str()))
        })
        .collect();
    Ok((
        name,
        serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()),
    ))
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
    /// The theme tree as published ([`Store::published_themes`]).
    pub themes: Vec<Theme>,
    /// The period level names as published.
    pub period_level_names: PeriodLevelNames,
}

impl Store {
    /// Replaces the live copy with a new publication, atomically: readers of the file see the
    /// old live copy or the new one, never a mix. `levels` gives each level's item ids in the
    /// order of the dense values of its series. The publication is kept for rollback with the
    /// last `keep` ones; older ones lose their contents. Returns the new generation number.
    #[allow(clippy::too_many_arguments)]
    pub fn publish_live(
        &mut self,
        keep: usize,
        who: &str,
        stats: &serde_json::Value,
        indicators: &[Indicator],
        levels: &[(String, Vec<u32>)],
        series: impl Iterator<Item = (SeriesKey, Vec<Value>)>,
    ) -> Result<u64> {
        let path = self.path.clone();
        let e = sqlite_err(&path);
        let dbtx = self.db.begin(true)?;
        let tx = dbtx.sqlite();
        tx.execute("DELETE FROM live_series", []).map_err(&e)?;
        tx.execute("DELETE FROM live_level", []).map_err(&e)?;
        {
            let mut st = tx
                .prepare("INSERT INTO live_level (level, ids, level_name, item_names) VALUES (?1, ?2, ?3, ?4)")
                .map_err(&e)?;
            for (level, ids) in levels {
                let bytes: Vec<u8> = ids.iter().flat_map(|i| i.to_le_bytes()).collect();
                let (name, items) = names_now(tx, level, ids).map_err(&e)?;
                st.execute(params![level, bytes, name, items]).map_err(&e)?;
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
        // The theme tree as it is now is the one this publication shows (read in the
        // transaction, so an edit cannot slip between the tree and the indicators).
        let themes = serde_json::to_string(&crate::read::themes_of(&dbtx)?)
            .map_err(|j| StoreError::Invalid(format!("theme tree: {j}")))?;
        // So are the period level names (geo names are kept per level above).
        let period_names = serde_json::to_string(&crate::read::period_level_names_of(&dbtx)?)
            .map_err(|j| StoreError::Invalid(format!("period level names: {j}")))?;
        tx.execute(
            "INSERT INTO publication (at, who, stats, indicators, themes, period_level_names)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                utc_now(),
                who,
                stats.to_string(),
                meta,
                themes,
                period_names
            ],
        )
        .map_err(&e)?;
        let generation = tx.last_insert_rowid() as u64;
        let last_import: i64 = tx
            .query_row("SELECT coalesce(max(id), 0) FROM import_log", [], |r| {
                r.get(0)
            })
            .map_err(&e)?;
        keep_live(tx, generation, last_import, None).map_err(&e)?;
        prune(tx, keep).map_err(&e)?;
        dbtx.commit()?;
        Ok(generation)
    }

    /// Makes kept publication `generation` live again as a new publication (a new generation
    /// number whose content is the old one's, so every server takes it like a publish), in one
    /// transaction. Returns the new generation.
    pub fn rollback(&mut self, generation: u64, who: &str, keep: usize) -> Result<u64> {
        let path = self.path.clone();
        let e = sqlite_err(&path);
        let dbtx = self.db.begin(true)?;
        let tx = dbtx.sqlite();
        let g = generation as i64;
        let note: Option<(i64, bool)> = tx
            .query_row(
                "SELECT last_import, kept FROM publication_note WHERE generation = ?1",
                [g],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&e)?;
        let last_import = match note {
            Some((last, true)) => last,
            Some((_, false)) => {
                return Err(StoreError::Invalid(format!(
                    "publication {generation} is no longer kept (only the last keep_publications are); `peil publications` lists those that are"
                )));
            }
            None => {
                return Err(StoreError::Invalid(format!(
                    "there is no kept publication {generation}; `peil publications` lists those that are"
                )));
            }
        };
        tx.execute_batch("DELETE FROM live_series; DELETE FROM live_level;")
            .map_err(&e)?;
        tx.execute(
            "INSERT INTO live_level (level, ids, level_name, item_names)
             SELECT level, ids, level_name, item_names FROM publication_level WHERE generation = ?1",
            [g],
        )
        .map_err(&e)?;
        tx.execute(
            "INSERT INTO live_series (indicator, level, period, dims, data)
             SELECT indicator, level, period, dims, data FROM publication_series WHERE generation = ?1",
            [g],
        )
        .map_err(&e)?;
        tx.execute(
            "INSERT INTO publication (at, who, stats, indicators, themes, period_level_names)
             SELECT ?2, ?3, stats, indicators, themes, period_level_names FROM publication WHERE generation = ?1",
            params![g, utc_now(), who],
        )
        .map_err(&e)?;
        let new = tx.last_insert_rowid() as u64;
        keep_live(tx, new, last_import, Some(g)).map_err(&e)?;
        prune(tx, keep).map_err(&e)?;
        dbtx.commit()?;
        Ok(new)
    }

    /// Every publication, newest first: generation, when, who, statistics, and whether its
    /// contents are kept for rollback.
    pub fn publications(&self) -> Result<Vec<PublicationEntry>> {
        self.rows(
            "SELECT p.generation, p.at, p.who, p.stats, n.restored_from, coalesce(n.kept, 0)
             FROM publication p LEFT JOIN publication_note n ON n.generation = p.generation
             ORDER BY p.generation DESC",
            [],
            |r| {
                Ok(PublicationEntry {
                    generation: r.get::<_, i64>(0)? as u64,
                    at: r.get(1)?,
                    who: r.get(2)?,
                    stats: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or(Json::Null),
                    restored_from: r.get::<_, Option<i64>>(4)?.map(|g| g as u64),
                    kept: r.get(5)?,
                })
            },
        )
    }

    /// The latest publication: generation, time and statistics.
    pub fn live_publication(&self) -> Result<Option<(u64, String, serde_json::Value)>> {
        self.conn()
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
        self.conn()
            .query_row(
                "SELECT at FROM publication ORDER BY generation LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.e())
    }

    /// The live copy as published: generation, indicator metadata, each level with its items in
    /// the order of the dense values, and every series. `None` before the first publication.
    pub fn live(&self) -> Result<Option<Live>> {
        let e = self.e();
        let Some((generation, at, stats)) = self.live_publication()? else {
            return Ok(None);
        };
        let (meta, period_names): (String, Option<String>) = self
            .conn()
            .query_row(
                "SELECT indicators, period_level_names FROM publication WHERE generation = ?1",
                [generation as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(&e)?;
        let indicators: Vec<Indicator> = serde_json::from_str(&meta)
            .map_err(|j| StoreError::Corrupt(format!("published indicator metadata: {j}")))?;
        // Publications made before names were kept show Peil's own period level names.
        let period_level_names: PeriodLevelNames = match period_names {
            Some(json) => serde_json::from_str(&json)
                .map_err(|j| StoreError::Corrupt(format!("published period level names: {j}")))?,
            None => PeriodLevelNames::default(),
        };
        let mut levels = Vec::new();
        {
            let mut st = self
                .conn()
                .prepare("SELECT level, ids, level_name, item_names FROM live_level ORDER BY level")
                .map_err(&e)?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
                .map_err(&e)?;
            for row in rows {
                let (code, ids, kept_name, kept_items) = row.map_err(&e)?;
                let (id, name, kind): (i64, String, String) = self
                    .conn()
                    .query_row(
                        "SELECT id, name, kind FROM geo_level WHERE code = ?1",
                        [&code],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .map_err(&e)?;
                let mut st2 = self
                    .conn()
                    .prepare_cached("SELECT id, code, short_name, name, seq, unknown_location FROM geo_item WHERE level_id = ?1")
                    .map_err(&e)?;
                let all: HashMap<u32, GeoItem> = st2
                    .query_map([id], |r| Ok((r.get::<_, u32>(0)?, crate::geo_item(r, 1)?)))
                    .map_err(&e)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(&e)?;
                let mut items = ids
                    .chunks_exact(4)
                    .map(|c| {
                        let id = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                        all.get(&id).cloned().map(|it| (id, it)).ok_or_else(|| {
                            StoreError::Corrupt(format!("live item {id} of {code} is gone"))
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                // The names as published (codes and the rest are permanent); publications made
                // before names were kept show the current tables.
                if let Some(json) = kept_items {
                    let names: Vec<(String, String)> =
                        serde_json::from_str(&json).map_err(|j| {
                            StoreError::Corrupt(format!("published names of {code}: {j}"))
                        })?;
                    if names.len() != items.len() {
                        return Err(StoreError::Corrupt(format!(
                            "published names of {code}: {} for {} items",
                            names.len(),
                            items.len()
                        )));
                    }
                    for ((_, it), (short, long)) in items.iter_mut().zip(names) {
                        it.short_name = short;
                        it.name = long;
                    }
                }
                levels.push(WarehouseLevel {
                    level: GeoLevel {
                        code,
                        name: kept_name.unwrap_or(name),
                        kind: GeoLevelKind::parse(&kind).unwrap_or_default(),
                    },
                    items,
                });
            }
        }
        let mut series = Vec::new();
        let mut st = self
            .conn()
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
            themes: self.published_themes(generation)?,
            period_level_names,
        }))
    }

    /// The theme tree publication `generation` shows readers. A publication made before trees
    /// were kept with it, and a generation that is no publication (a preview of the test copy),
    /// show the current tables.
    pub fn published_themes(&self, generation: u64) -> Result<Vec<Theme>> {
        let kept: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT themes FROM publication WHERE generation = ?1",
                [generation as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.e())?;
        match kept.flatten() {
            Some(json) => serde_json::from_str(&json)
                .map_err(|j| StoreError::Corrupt(format!("published theme tree: {j}"))),
            None => self.themes(),
        }
    }

    /// The generation of the latest publication, cheaply (for servers watching for a new one).
    pub fn live_generation(&self) -> Result<Option<u64>> {
        self.conn()
            .query_row("SELECT max(generation) FROM publication", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .map(|g| g.map(|g| g as u64))
            .map_err(self.e())
    }
}
