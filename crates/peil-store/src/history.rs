//! The back office's history (issue 14): what each import replaced, so that an import not yet
//! published can be undone exactly; its plausibility warnings; the reads a dry run and the
//! plausibility checks make inside an open import.
//!
//! Guarantees: an undo is one transaction; it is refused (nothing written) when the import was
//! published, when a later import that is not undone touched the same series or indicator, or
//! when the import recorded nothing to restore.

use crate::db::params;
use crate::write::{ImportTx, read_indicator};
use crate::{Result, Store, StoreError, codec, utc_now};
use peil_core::*;
use std::collections::HashMap;

/// An aggregation edge: child level, parent level, child item id → parent item id.
pub type AggregationEdge = (String, String, HashMap<u32, u32>);

/// A recorded series: its key, period level, value count and blob (none: it did not exist).
type Recorded = (
    i64,
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<Vec<u8>>,
);

/// What [`Store::undo_import`] restored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct UndoCounts {
    /// Series put back as they were (or removed, when the import created them).
    pub series: u64,
    /// Indicators whose metadata was put back (or removed, when the import created them).
    pub indicators: u64,
    /// Levels, areas and period levels whose names were put back.
    pub names: u64,
}

impl<'a> ImportTx<'a> {
    /// Writes what this import replaced under its id, and its review row.
    pub(crate) fn record_undo(&mut self, id: i64, undoable: bool) -> Result<()> {
        let undo = std::mem::take(&mut *self.undo.borrow_mut());
        if undoable {
            // Every series the import touched, as it was: a bulk write (binary COPY on
            // PostgreSQL).
            self.tx.bulk_insert(
                "import_undo_series",
                &[
                    "import_id",
                    "indicator_id",
                    "level_id",
                    "period",
                    "dims",
                    "period_level",
                    "n",
                    "data",
                ],
                |sink| {
                    for ((i, l, p, d), (level, old)) in &undo.series {
                        let (n, data) = old.as_ref().map(|(n, d)| (*n, d)).unzip();
                        sink(params![id, *i, *l, p, d, level, n, data])?;
                    }
                    Ok(())
                },
            )?;
            for (code, before) in &undo.indicators {
                let json = before
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|j| StoreError::Invalid(format!("indicator {code}: {j}")))?;
                self.tx.execute(
                    "INSERT INTO import_undo_indicator (import_id, code, before) VALUES (?1, ?2, ?3)",
                    params![id, code, &json],
                )?;
            }
            for ((what, code), before) in &undo.names {
                self.tx.execute(
                    "INSERT INTO import_undo_name (import_id, what, code, before) VALUES (?1, ?2, ?3, ?4)",
                    params![id, *what, code, before],
                )?;
            }
        }
        self.tx.execute(
            "INSERT INTO import_review (import_id, undoable, plausibility) VALUES (?1, ?2, '[]')",
            params![id, undoable],
        )?;
        Ok(())
    }

    /// Keeps the plausibility warnings of import `id` with its record.
    pub fn record_plausibility(&mut self, id: i64, warnings: &serde_json::Value) -> Result<()> {
        self.tx
            .execute(
                "UPDATE import_review SET plausibility = ?2 WHERE import_id = ?1",
                params![id, &warnings.to_string()],
            )
            .map(|_| ())
    }

    /// A stored series of the test copy as this transaction sees it, sorted by item id;
    /// `None` when there is none.
    pub fn stored_series(&self, key: &SeriesKey) -> Result<Option<Vec<(u32, Value)>>> {
        let data: Option<Vec<u8>> = self.tx.query_row(
            "SELECT s.data FROM series s JOIN indicator i ON i.id = s.indicator_id
             JOIN geo_level l ON l.id = s.level_id
             WHERE i.code = ?1 AND l.code = ?2 AND s.period = ?3 AND s.dims = ?4",
            params![
                &key.indicator,
                &key.level,
                &key.period.code(),
                &key.dims.to_text()
            ],
            |r| r.get(0),
        )?;
        data.map(|d| {
            codec::decode(&d).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "stored values of {} {} do not decode",
                    key.indicator, key.period
                ))
            })
        })
        .transpose()
    }

    /// The aggregation edges into and out of `level`: (child level, parent level, child item
    /// id → parent item id). Conversion tables are left out: they are not totals.
    pub fn aggregation_links(&self, level: &str) -> Result<Vec<AggregationEdge>> {
        let edges: Vec<(i64, String, i64, String)> = self.tx.query(
            "SELECT c.id, c.code, p.id, p.code FROM level_edge k
             JOIN geo_level c ON c.id = k.child_level_id JOIN geo_level p ON p.id = k.parent_level_id
             WHERE k.kind = 'aggregation' AND (c.code = ?1 OR p.code = ?1) ORDER BY c.code, p.code",
            params![level],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let mut out = Vec::new();
        for (child, child_code, parent, parent_code) in edges {
            let links = self
                .tx
                .query(
                    "SELECT k.child_item_id, k.parent_item_id FROM item_link k JOIN geo_item g ON g.id = k.child_item_id
                     WHERE g.level_id = ?1 AND k.parent_level_id = ?2",
                    params![child, parent],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .into_iter()
                .collect();
            out.push((child_code, parent_code, links));
        }
        Ok(out)
    }

    /// Puts the test copy back as it was before import `id`, or refuses with the reason.
    pub fn undo_import(&mut self, id: i64) -> Result<UndoCounts> {
        let row: Option<(String, Option<bool>, Option<String>)> = self.tx.query_row(
            "SELECT l.kind, r.undoable, r.undone_at FROM import_log l
             LEFT JOIN import_review r ON r.import_id = l.id WHERE l.id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let refuse = |why: String| {
            Err(StoreError::Invalid(format!(
                "import #{id} cannot be undone: {why}"
            )))
        };
        let Some((kind, undoable, undone)) = row else {
            return Err(StoreError::Invalid(format!(
                "there is no import #{id}; `peil imports` lists them"
            )));
        };
        if let Some(at) = undone {
            return refuse(format!("it was undone already at {at}"));
        }
        if undoable != Some(true) {
            return refuse(format!(
                "it imported {kind}; only data and metadata imports made by this version of Peil record what they replaced"
            ));
        }
        let published: Option<i64> = self.tx.query_one(
            "SELECT min(generation) FROM publication_note WHERE last_import >= ?1",
            params![id],
            |r| r.get(0),
        )?;
        if let Some(g) = published {
            return refuse(format!(
                "it was published in generation {g}; correct it with a new import (or `peil rollback` a publication)"
            ));
        }
        if let Some(later) = self.later_rename(id)? {
            return refuse(format!(
                "import #{later} may have renamed the same areas after it; correct the names with a new edit"
            ));
        }
        if let Some(later) = self.later_overlap(id)? {
            return refuse(format!(
                "import #{later} changed the same values after it; undo #{later} first"
            ));
        }
        let counts = self.restore(id)?;
        self.tx.execute(
            "UPDATE import_review SET undone_at = ?2 WHERE import_id = ?1",
            params![id, &utc_now()],
        )?;
        Ok(counts)
    }

    /// The first later import, not undone, that touched a series or indicator import `id` touched.
    fn later_overlap(&self, id: i64) -> Result<Option<i64>> {
        self.tx.query_one(
                "SELECT min(x) FROM (
                   SELECT u.import_id AS x FROM import_undo_series m JOIN import_undo_series u
                     ON u.indicator_id = m.indicator_id AND u.level_id = m.level_id AND u.period = m.period AND u.dims = m.dims
                   JOIN import_review r ON r.import_id = u.import_id
                   WHERE m.import_id = ?1 AND u.import_id > ?1 AND r.undone_at IS NULL
                   UNION ALL
                   SELECT u.import_id FROM import_undo_indicator m JOIN import_undo_indicator u ON u.code = m.code
                   JOIN import_review r ON r.import_id = u.import_id
                   WHERE m.import_id = ?1 AND u.import_id > ?1 AND r.undone_at IS NULL
                   UNION ALL
                   SELECT u.import_id FROM import_undo_name m JOIN import_undo_name u ON u.what = m.what AND u.code = m.code
                   JOIN import_review r ON r.import_id = u.import_id
                   WHERE m.import_id = ?1 AND u.import_id > ?1 AND r.undone_at IS NULL) AS later",
                params![id],
                |r| r.get(0),
            )
    }

    /// The first later import that may rename areas without recording it (an area definition
    /// file, a pull), when import `id` renamed a level or an area.
    fn later_rename(&self, id: i64) -> Result<Option<i64>> {
        self.tx.query_one(
            "SELECT min(l.id) FROM import_log l WHERE l.id > ?1 AND l.kind IN ('areas', 'pull')
             AND EXISTS (SELECT 1 FROM import_undo_name m WHERE m.import_id = ?1 AND m.what IN ('level', 'item'))",
            params![id],
            |r| r.get(0),
        )
    }

    /// Puts back the names import `id` replaced.
    fn restore_names(&self, id: i64) -> Result<u64> {
        let names: Vec<(String, String, Option<String>)> = self.tx.query(
            "SELECT what, code, before FROM import_undo_name WHERE import_id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let corrupt = |code: &str, j: serde_json::Error| {
            StoreError::Corrupt(format!("recorded names of {code}: {j}"))
        };
        for (what, code, before) in &names {
            let before = before.as_deref().unwrap_or("null");
            match what.as_str() {
                "level" => {
                    let name: String =
                        serde_json::from_str(before).map_err(|j| corrupt(code, j))?;
                    self.tx.execute(
                        "UPDATE geo_level SET name = ?2 WHERE code = ?1",
                        params![code, &name],
                    )?;
                }
                "item" => {
                    let (short, name): (String, String) =
                        serde_json::from_str(before).map_err(|j| corrupt(code, j))?;
                    let (level, item) = code.split_once('\t').unwrap_or((code, ""));
                    self.tx.execute(
                        "UPDATE geo_item SET short_name = ?3, name = ?4
                         WHERE code = ?2 AND level_id = (SELECT id FROM geo_level WHERE code = ?1)",
                        params![level, item, &short, &name],
                    )?;
                }
                _ => {
                    let own: Option<std::collections::BTreeMap<String, String>> =
                        serde_json::from_str(before).map_err(|j| corrupt(code, j))?;
                    self.write_period_level_names(code, &own.unwrap_or_default())?;
                }
            }
        }
        Ok(names.len() as u64)
    }

    fn restore(&mut self, id: i64) -> Result<UndoCounts> {
        let mut counts = UndoCounts::default();
        let series: Vec<Recorded> = self.tx.query(
            "SELECT indicator_id, level_id, period, dims, period_level, n, data FROM import_undo_series WHERE import_id = ?1",
            params![id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?;
        for (i, l, p, d, level, n, data) in series {
            match (n, data) {
                (Some(n), Some(data)) => self.tx.execute(
                    "INSERT INTO series (indicator_id, level_id, period, period_level, dims, n, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (indicator_id, level_id, period, dims) DO UPDATE SET period_level = excluded.period_level, n = excluded.n, data = excluded.data",
                    params![i, l, &p, &level, &d, n, &data],
                ),
                _ => self.tx.execute(
                    "DELETE FROM series WHERE indicator_id = ?1 AND level_id = ?2 AND period = ?3 AND dims = ?4",
                    params![i, l, &p, &d],
                ),
            }?;
            counts.series += 1;
        }
        let indicators: Vec<(String, Option<String>)> = self.tx.query(
            "SELECT code, before FROM import_undo_indicator WHERE import_id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (code, before) in indicators {
            match before {
                Some(json) => {
                    let ind: Indicator = serde_json::from_str(&json).map_err(|j| {
                        StoreError::Corrupt(format!("recorded metadata of {code}: {j}"))
                    })?;
                    self.write_indicator(&ind)?;
                }
                None => self.delete_indicator(&code)?,
            }
            counts.indicators += 1;
        }
        counts.names = self.restore_names(id)?;
        Ok(counts)
    }

    /// Removes an indicator the undone import created; refused while values of it remain.
    fn delete_indicator(&self, code: &str) -> Result<()> {
        let Some(ind) = read_indicator(&self.tx, code)? else {
            return Ok(());
        };
        let values: i64 = self.tx.query_one(
            "SELECT count(*) FROM series s JOIN indicator i ON i.id = s.indicator_id WHERE i.code = ?1",
            params![&ind.code],
            |r| r.get(0),
        )?;
        if values > 0 {
            return Err(StoreError::Invalid(format!(
                "the import created indicator {code}, and a later import loaded other values of it; undo that import first"
            )));
        }
        self.tx.execute(
            "DELETE FROM indicator_theme WHERE indicator_id = (SELECT id FROM indicator WHERE code = ?1)",
            params![code],
        )?;
        self.tx
            .execute("DELETE FROM indicator WHERE code = ?1", params![code])?;
        Ok(())
    }
}

impl Store {
    /// Undoes import `id` in one transaction (see [`ImportTx::undo_import`]).
    pub fn undo_import(&mut self, id: i64) -> Result<UndoCounts> {
        let mut tx = self.begin()?;
        let counts = tx.undo_import(id)?;
        tx.commit()?;
        Ok(counts)
    }

    /// The plausibility warnings kept with import `id` (an empty list when it has none).
    pub fn import_plausibility(&self, id: i64) -> Result<serde_json::Value> {
        let text: Option<String> = self.db.query_row(
            "SELECT plausibility FROM import_review WHERE import_id = ?1",
            params![id],
            |r| r.get(0),
        )?;
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_else(|| serde_json::json!([])))
    }
}

impl<'a> ImportTx<'a> {
    /// The period codes stored for an indicator on any level, as this transaction sees them.
    pub fn stored_periods(&self, indicator: &str) -> Result<std::collections::BTreeSet<String>> {
        Ok(self
            .tx
            .query(
                "SELECT DISTINCT s.period FROM series s JOIN indicator i ON i.id = s.indicator_id WHERE i.code = ?1",
                params![indicator],
                |r| r.get(0),
            )?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    fn metadata(unit: &str) -> MetadataBatch {
        MetadataBatch {
            indicators: vec![Indicator {
                code: "bev".into(),
                unit: unit.into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn import(s: &mut Store, unit: &str, series: Option<&[(u32, Value)]>) -> i64 {
        let mut tx = s.begin().unwrap();
        tx.apply_metadata(&metadata(unit)).unwrap();
        if let Some(values) = series {
            // A series this import wrote, and what it replaced (as apply_data records it).
            let ind: i64 = tx
                .tx
                .query_one(
                    "SELECT id FROM indicator WHERE code = 'bev'",
                    params![],
                    |r| r.get(0),
                )
                .unwrap();
            let before = tx.stored_series(&SeriesKey {
                indicator: "bev".into(),
                level: "wijk".into(),
                period: Period::parse("2024").unwrap(),
                dims: DimKey::parse("").unwrap(),
            });
            let old = before.unwrap().map(|v| (v.len() as i64, codec::encode(&v)));
            tx.undo
                .borrow_mut()
                .series
                .insert((ind, 1, "2024".into(), "".into()), ("year".into(), old));
            tx.tx
                .execute(
                    "INSERT INTO series (indicator_id, level_id, period, period_level, dims, n, data)
                     VALUES (?1, 1, '2024', 'year', '', ?2, ?3)
                     ON CONFLICT (indicator_id, level_id, period, dims) DO UPDATE SET n = excluded.n, data = excluded.data",
                    params![ind, values.len(), &codec::encode(values)],
                )
                .unwrap();
        }
        let id = tx
            .record_import(
                "eva",
                "data",
                "f.csv",
                "h",
                &serde_json::json!({}),
                &serde_json::json!({}),
                0,
            )
            .unwrap();
        tx.record_plausibility(id, &serde_json::json!(["odd"]))
            .unwrap();
        tx.commit().unwrap();
        id
    }

    on_both! {
        fn imports_undo_in_reverse_order_only(s: &mut Store) {
            s.db.execute("INSERT INTO geo_level (id, code, name, kind) VALUES (1, 'wijk', 'Wijk', 'area')", params![]).unwrap();
            s.db.execute("INSERT INTO geo_item (id, level_id, code, short_name, name, seq, unknown_location) VALUES (10, 1, 'A', 'A', 'A', 1, 0)", params![]).unwrap();
            let one = import(s, "personen", Some(&[(10, Value::Number(1.0))]));
            let two = import(s, "inwoners", Some(&[(10, Value::Number(2.0))]));
            assert_eq!(s.import_plausibility(one).unwrap(), serde_json::json!(["odd"]));
            let e = s.undo_import(one).unwrap_err().to_string();
            assert!(e.contains(&format!("import #{two} changed the same values")), "{e}");
            let c = s.undo_import(two).unwrap();
            assert_eq!((c.series, c.indicators), (1, 1));
            assert_eq!(s.indicator("bev").unwrap().unwrap().unit, "personen");
            assert_eq!(s.warehouse().unwrap().series[0].values, [(10, Value::Number(1.0))]);
            assert!(s.undo_import(two).unwrap_err().to_string().contains("undone already"));
            s.undo_import(one).unwrap();
            assert!(s.indicator("bev").unwrap().is_none(), "the import created it");
            assert!(s.warehouse().unwrap().series.is_empty());
            let imports = s.imports().unwrap();
            assert!(imports.iter().all(|i| i.undone_at.is_some() && i.undoable && i.plausibility == 1));
            assert!(s.undo_import(99).unwrap_err().to_string().contains("no import #99"));
            // An import without plausibility checks (areas) keeps `null`: counted as none.
            let mut tx = s.begin().unwrap();
            let id = tx
                .record_import("eva", "areas", "a.csv", "h2", &serde_json::json!({}), &serde_json::json!({}), 0)
                .unwrap();
            tx.record_plausibility(id, &serde_json::Value::Null).unwrap();
            tx.commit().unwrap();
            assert_eq!(s.imports().unwrap().last().unwrap().plausibility, 0);
            let tx = s.begin().unwrap();
            assert!(tx.stored_periods("bev").unwrap().is_empty());
            assert!(tx.aggregation_links("wijk").unwrap().is_empty());
        }
    }
}
