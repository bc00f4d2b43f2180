//! The live copy: what `peil publish` writes from a snapshot, replaced whole in one
//! transaction, and what the server and the CLI read back.

use crate::db::{Db, params};
use crate::{Result, Store, StoreError, codec, utc_now};
use peil_core::*;
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
fn keep_live(tx: &Db, generation: u64, last_import: i64, restored_from: Option<i64>) -> Result<()> {
    let g = generation as i64;
    tx.execute(
        "INSERT INTO publication_level (generation, level, ids, level_name, item_names)
         SELECT ?1, level, ids, level_name, item_names FROM live_level",
        params![g],
    )?;
    tx.execute(
        "INSERT INTO publication_series (generation, indicator, level, period, dims, data)
         SELECT ?1, indicator, level, period, dims, data FROM live_series",
        params![g],
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
fn prune(tx: &Db, keep: usize) -> Result<()> {
    let kept: Vec<i64> = tx.query(
        "SELECT generation FROM publication_note WHERE kept <> 0 ORDER BY generation DESC",
        params![],
        |r| r.get(0),
    )?;
    for g in kept.into_iter().skip(keep.max(1)) {
        tx.execute(
            "DELETE FROM publication_series WHERE generation = ?1",
            params![g],
        )?;
        tx.execute(
            "DELETE FROM publication_level WHERE generation = ?1",
            params![g],
        )?;
        tx.execute(
            "UPDATE publication_note SET kept = 0 WHERE generation = ?1",
            params![g],
        )?;
        tx.execute(
            "UPDATE publication SET indicators = '[]' WHERE generation = ?1",
            params![g],
        )?;
    }
    Ok(())
}

/// A level's name and its items' names (a JSON list of [short name, name] in the order of
/// `ids`) as the test copy has them now: the names a publication keeps for its readers, so
/// that a rename in the test copy reaches them only with the next publication.
fn names_now(tx: &Db, level: &str, ids: &[u32]) -> Result<(Option<String>, String)> {
    let name: Option<String> = tx.query_row(
        "SELECT name FROM geo_level WHERE code = ?1",
        params![level],
        |r| r.get(0),
    )?;
    let all: HashMap<u32, (String, String)> = tx
        .query(
            "SELECT i.id, i.short_name, i.name FROM geo_item i JOIN geo_level l ON l.id = i.level_id WHERE l.code = ?1",
            params![level],
            |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))),
        )?
        .into_iter()
        .collect();
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
        let tx = self.db.begin(true)?;
        tx.execute("DELETE FROM live_series", params![])?;
        tx.execute("DELETE FROM live_level", params![])?;
        for (level, ids) in levels {
            let bytes: Vec<u8> = ids.iter().flat_map(|i| i.to_le_bytes()).collect();
            let (name, items) = names_now(&tx, level, ids)?;
            tx.execute(
                "INSERT INTO live_level (level, ids, level_name, item_names) VALUES (?1, ?2, ?3, ?4)",
                params![level, &bytes, &name, &items],
            )?;
        }
        // The bulk of a publication: one prepared insert per series on SQLite, one binary
        // COPY on PostgreSQL.
        tx.bulk_insert(
            "live_series",
            &["indicator", "level", "period", "dims", "data"],
            |sink| {
                for (key, values) in series {
                    sink(params![
                        &key.indicator,
                        &key.level,
                        &key.period.code(),
                        &key.dims.to_text(),
                        &codec::encode_dense(&values)
                    ])?;
                }
                Ok(())
            },
        )?;
        let meta = serde_json::to_string(indicators)
            .map_err(|j| StoreError::Invalid(format!("indicator metadata: {j}")))?;
        // The theme tree as it is now is the one this publication shows (read in the
        // transaction, so an edit cannot slip between the tree and the indicators).
        let themes = serde_json::to_string(&crate::read::themes_of(&tx)?)
            .map_err(|j| StoreError::Invalid(format!("theme tree: {j}")))?;
        // So are the period level names (geo names are kept per level above).
        let period_names = serde_json::to_string(&crate::read::period_level_names_of(&tx)?)
            .map_err(|j| StoreError::Invalid(format!("period level names: {j}")))?;
        let generation = tx.insert_key(
            "INSERT INTO publication (at, who, stats, indicators, themes, period_level_names)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                &utc_now(),
                who,
                &stats.to_string(),
                &meta,
                &themes,
                &period_names
            ],
            "generation",
        )? as u64;
        let last_import: i64 = tx.query_one(
            "SELECT coalesce(max(id), 0) FROM import_log",
            params![],
            |r| r.get(0),
        )?;
        keep_live(&tx, generation, last_import, None)?;
        prune(&tx, keep)?;
        // Every server on a PostgreSQL store hears of it at commit (and only then).
        tx.announce(&format!("publication {generation}"))?;
        tx.commit()?;
        Ok(generation)
    }

    /// Makes kept publication `generation` live again as a new publication (a new generation
    /// number whose content is the old one's, so every server takes it like a publish), in one
    /// transaction. Returns the new generation.
    pub fn rollback(&mut self, generation: u64, who: &str, keep: usize) -> Result<u64> {
        let tx = self.db.begin(true)?;
        let g = generation as i64;
        let note: Option<(i64, bool)> = tx.query_row(
            "SELECT last_import, kept FROM publication_note WHERE generation = ?1",
            params![g],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
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
        tx.execute("DELETE FROM live_series", params![])?;
        tx.execute("DELETE FROM live_level", params![])?;
        tx.execute(
            "INSERT INTO live_level (level, ids, level_name, item_names)
             SELECT level, ids, level_name, item_names FROM publication_level WHERE generation = ?1",
            params![g],
        )?;
        tx.execute(
            "INSERT INTO live_series (indicator, level, period, dims, data)
             SELECT indicator, level, period, dims, data FROM publication_series WHERE generation = ?1",
            params![g],
        )?;
        let new = tx.insert_key(
            "INSERT INTO publication (at, who, stats, indicators, themes, period_level_names)
             SELECT ?2, ?3, stats, indicators, themes, period_level_names FROM publication WHERE generation = ?1",
            params![g, &utc_now(), who],
            "generation",
        )? as u64;
        keep_live(&tx, new, last_import, Some(g))?;
        prune(&tx, keep)?;
        tx.announce(&format!("publication {new}"))?;
        tx.commit()?;
        Ok(new)
    }

    /// Every publication, newest first: generation, when, who, statistics, and whether its
    /// contents are kept for rollback.
    pub fn publications(&self) -> Result<Vec<PublicationEntry>> {
        self.db.query(
            "SELECT p.generation, p.at, p.who, p.stats, n.restored_from, coalesce(n.kept, 0)
             FROM publication p LEFT JOIN publication_note n ON n.generation = p.generation
             ORDER BY p.generation DESC",
            params![],
            |r| {
                Ok(PublicationEntry {
                    generation: r.get::<i64>(0)? as u64,
                    at: r.get(1)?,
                    who: r.get(2)?,
                    stats: serde_json::from_str(&r.get::<String>(3)?).unwrap_or(Json::Null),
                    restored_from: r.get::<Option<i64>>(4)?.map(|g| g as u64),
                    kept: r.get(5)?,
                })
            },
        )
    }

    /// The latest publication: generation, time and statistics.
    pub fn live_publication(&self) -> Result<Option<(u64, String, serde_json::Value)>> {
        self.db.query_row(
            "SELECT generation, at, stats FROM publication ORDER BY generation DESC LIMIT 1",
            params![],
            |r| {
                Ok((
                    r.get::<i64>(0)? as u64,
                    r.get(1)?,
                    serde_json::from_str(&r.get::<String>(2)?).unwrap_or(Json::Null),
                ))
            },
        )
    }

    /// When the site was first published (ISO 8601, UTC), if it has been: the catalogue's
    /// `dct:issued`.
    pub fn first_publication_at(&self) -> Result<Option<String>> {
        self.db.query_row(
            "SELECT at FROM publication ORDER BY generation LIMIT 1",
            params![],
            |r| r.get(0),
        )
    }

    /// The live copy as published: generation, indicator metadata, each level with its items in
    /// the order of the dense values, and every series. `None` before the first publication.
    /// Read in one transaction, so that a publication made meanwhile is not mixed in.
    pub fn live(&self) -> Result<Option<Live>> {
        let mut series = Vec::new();
        let live = self.live_read(Some(&mut |key, values| {
            series.push((key, values));
            Ok(())
        }))?;
        Ok(live.map(|l| Live { series, ..l }))
    }

    /// The live copy as [`Store::live`] reads it, each series handed to `each` as it is read
    /// and none kept (`Live::series` is empty): a snapshot file is written series by series in
    /// the memory of one. One read transaction, so the series are the returned publication's.
    /// `each` must not use the store; an error it returns ends the read.
    pub fn live_each(
        &self,
        each: &mut dyn FnMut(SeriesKey, Vec<Value>) -> Result<()>,
    ) -> Result<Option<Live>> {
        self.live_read(Some(each))
    }

    /// The live copy's publication without its series (`Live::series` is empty): for a server
    /// whose snapshot file already holds them.
    pub fn live_meta(&self) -> Result<Option<Live>> {
        self.live_read(None)
    }

    fn live_read(
        &self,
        each: Option<&mut dyn FnMut(SeriesKey, Vec<Value>) -> Result<()>>,
    ) -> Result<Option<Live>> {
        let tx = self.db.begin(false)?;
        let Some((generation, at, stats)) = tx.query_row(
            "SELECT generation, at, stats FROM publication ORDER BY generation DESC LIMIT 1",
            params![],
            |r| {
                Ok((
                    r.get::<i64>(0)? as u64,
                    r.get::<String>(1)?,
                    serde_json::from_str(&r.get::<String>(2)?).unwrap_or(Json::Null),
                ))
            },
        )?
        else {
            return Ok(None);
        };
        let (meta, period_names): (String, Option<String>) = tx.query_one(
            "SELECT indicators, period_level_names FROM publication WHERE generation = ?1",
            params![generation as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let indicators: Vec<Indicator> = serde_json::from_str(&meta)
            .map_err(|j| StoreError::Corrupt(format!("published indicator metadata: {j}")))?;
        // Publications made before names were kept show Peil's own period level names.
        let period_level_names: PeriodLevelNames = match period_names {
            Some(json) => serde_json::from_str(&json)
                .map_err(|j| StoreError::Corrupt(format!("published period level names: {j}")))?,
            None => PeriodLevelNames::default(),
        };
        let mut levels = Vec::new();
        // Per level: its code, item ids, and the level's and items' names as published.
        type LiveLevel = (String, Vec<u8>, Option<String>, Option<String>);
        let live_levels: Vec<LiveLevel> = tx.query(
            "SELECT level, ids, level_name, item_names FROM live_level ORDER BY level",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        for (code, ids, kept_name, kept_items) in live_levels {
            let (id, name, kind): (i64, String, String) = tx.query_one(
                "SELECT id, name, kind FROM geo_level WHERE code = ?1",
                params![&code],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let all: HashMap<u32, GeoItem> = tx
                .query(
                    "SELECT id, code, short_name, name, seq, unknown_location FROM geo_item WHERE level_id = ?1",
                    params![id],
                    |r| Ok((r.get::<u32>(0)?, crate::read::geo_item(r, 1)?)),
                )?
                .into_iter()
                .collect();
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
                let names: Vec<(String, String)> = serde_json::from_str(&json)
                    .map_err(|j| StoreError::Corrupt(format!("published names of {code}: {j}")))?;
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
        if let Some(each) = each {
            tx.query_each(
                // In key order: the order of a snapshot file (`peil_compute::file`).
                "SELECT indicator, level, period, dims, data FROM live_series
                 ORDER BY indicator, level, period, dims",
                params![],
                |r| {
                    let level: String = r.get(1)?;
                    let (key, values) = crate::read::decode_series_row(
                        r,
                        level,
                        "live series",
                        codec::decode_dense,
                    )?;
                    each(key, values)
                },
            )?;
        }
        let themes = published_themes(&tx, generation)?;
        tx.commit()?;
        Ok(Some(Live {
            generation,
            at,
            stats,
            indicators,
            levels,
            series: Vec::new(),
            themes,
            period_level_names,
        }))
    }

    /// The theme tree publication `generation` shows readers. A publication made before trees
    /// were kept with it, and a generation that is no publication (a preview of the test copy),
    /// show the current tables.
    pub fn published_themes(&self, generation: u64) -> Result<Vec<Theme>> {
        published_themes(&self.db, generation)
    }

    /// The generation of the latest publication, cheaply (for servers watching for a new one).
    pub fn live_generation(&self) -> Result<Option<u64>> {
        Ok(self
            .db
            .query_one("SELECT max(generation) FROM publication", params![], |r| {
                r.get::<Option<i64>>(0)
            })?
            .map(|g| g as u64))
    }
}

fn published_themes(db: &Db, generation: u64) -> Result<Vec<Theme>> {
    let kept: Option<Option<String>> = db.query_row(
        "SELECT themes FROM publication WHERE generation = ?1",
        params![generation as i64],
        |r| r.get(0),
    )?;
    match kept.flatten() {
        Some(json) => serde_json::from_str(&json)
            .map_err(|j| StoreError::Corrupt(format!("published theme tree: {j}"))),
        None => crate::read::themes_of(db),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    fn publish(s: &mut Store, value: f64, keep: usize) -> u64 {
        let key = SeriesKey {
            indicator: "bev".into(),
            level: "wijk".into(),
            period: Period::parse("2024").unwrap(),
            dims: DimKey::parse("").unwrap(),
        };
        let values = vec![
            Value::Number(value),
            Value::Missing(MissingCode::Hidden),
            Value::Missing(MissingCode::Empty),
        ];
        let indicators = vec![s.indicator("bev").unwrap().unwrap()];
        s.publish_live(
            keep,
            "eva",
            &serde_json::json!({"values": 3}),
            &indicators,
            &[("wijk".to_string(), vec![11, 10, 12])],
            std::iter::once((key, values)),
        )
        .unwrap()
    }

    on_both! {
        fn publications_replace_the_live_copy_whole_and_roll_back(s: &mut Store) {
            crate::read::tests::fill(s);
            assert!(s.live().unwrap().is_none());
            assert_eq!(s.live_generation().unwrap(), None);
            let g1 = publish(s, 1.5, 2);
            let live = s.live().unwrap().unwrap();
            assert_eq!((live.generation, live.stats["values"].as_i64()), (g1, Some(3)));
            assert_eq!(live.levels[0].items.iter().map(|(id, i)| (*id, i.code.as_str())).collect::<Vec<_>>(), [(11, "W1"), (10, "W2"), (12, "W?")]);
            assert_eq!(live.series[0].1[0], Value::Number(1.5));
            assert_eq!(live.indicators[0].code, "bev");
            assert_eq!(live.themes[0].code, "mens");
            assert_eq!(live.period_level_names.0["year"]["nl"], "Jaar");
            // A rename in the test copy reaches readers with the next publication only.
            s.db.execute("UPDATE geo_item SET name = 'Nieuw' WHERE code = 'W1'", params![]).unwrap();
            assert_eq!(s.live().unwrap().unwrap().levels[0].items[0].1.name, "Wijk één");
            let g2 = publish(s, 2.5, 2);
            let g3 = publish(s, 3.5, 2);
            assert!(g1 < g2 && g2 < g3);
            assert_eq!(s.live().unwrap().unwrap().levels[0].items[0].1.name, "Nieuw");
            let list = s.publications().unwrap();
            assert_eq!(list.iter().map(|p| (p.generation, p.kept)).collect::<Vec<_>>(), [(g3, true), (g2, true), (g1, false)]);
            assert!(s.rollback(g1, "eva", 2).is_err(), "no longer kept");
            let g4 = s.rollback(g2, "bert", 2).unwrap();
            let live = s.live().unwrap().unwrap();
            assert_eq!((live.generation, live.series[0].1[0]), (g4, Value::Number(2.5)));
            assert_eq!(live.levels[0].items[0].1.name, "Nieuw", "the names g2 published");
            assert_eq!(s.publications().unwrap()[0].restored_from, Some(g2));
            assert_eq!(s.live_generation().unwrap(), Some(g4));
            assert_eq!(s.live_publication().unwrap().unwrap().0, g4);
            assert!(s.first_publication_at().unwrap().is_some());
            assert_eq!(s.published_themes(g4).unwrap()[0].code, "mens");
            // The live copy exports as published.
            let mut rows = Vec::new();
            s.export_live(&crate::Selection::default(), |r| {
                rows.push(format!("{} {:?}", r.item, r.value));
                Ok(())
            })
            .unwrap();
            assert_eq!(rows, ["W1 Number(2.5)", "W2 Missing(Hidden)"], "by sequence, empty left out");
        }
    }

    /// On PostgreSQL a publication and a rollback are announced to listeners of the site's
    /// schema at commit, and only to them; a transaction rolled back announces nothing.
    #[test]
    fn publications_are_announced_to_the_sites_listeners_at_commit() {
        use crate::{Heard, Listener, Location, PgLocation};
        use std::time::Duration;
        let pg = peil_pgtest::TempPostgres::shared().unwrap_or_else(|e| panic!("{e}"));
        let config = crate::testing::pg_config(&pg);
        let at = |schema: &str| {
            Location::Postgres(Box::new(PgLocation {
                config: config.clone(),
                schema: schema.to_string(),
            }))
        };
        let (mine, other) = (
            peil_pgtest::TempPostgres::unique_name("site"),
            peil_pgtest::TempPostgres::unique_name("site"),
        );
        let mut s = Store::create_at(&at(&mine)).unwrap();
        let _o = Store::create_at(&at(&other)).unwrap();
        let mut ear = Listener::connect(&at(&mine)).unwrap().unwrap();
        let mut deaf = Listener::connect(&at(&other)).unwrap().unwrap();
        let quiet = Duration::from_millis(200);
        assert_eq!(ear.wait(quiet).unwrap(), Heard::Nothing);
        crate::read::tests::fill(&s);
        {
            // Announced inside a transaction that does not commit: never heard.
            let tx = s.db.begin(true).unwrap();
            tx.announce("publication 99").unwrap();
        }
        assert_eq!(ear.wait(quiet).unwrap(), Heard::Nothing);
        let g1 = publish(&mut s, 1.5, 3);
        assert_eq!(
            ear.wait(Duration::from_secs(5)).unwrap(),
            Heard::Change(format!("publication {g1}"))
        );
        let g2 = s.rollback(g1, "eva", 3).unwrap();
        assert_eq!(
            ear.wait(Duration::from_secs(5)).unwrap(),
            Heard::Change(format!("publication {g2}"))
        );
        assert_eq!(
            deaf.wait(quiet).unwrap(),
            Heard::Nothing,
            "another site's channel"
        );
        // A SQLite store has no listener.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("peil.sqlite");
        Store::create(&file).unwrap();
        assert!(
            Listener::connect(&Location::Sqlite(file))
                .unwrap()
                .is_none()
        );
    }
}
