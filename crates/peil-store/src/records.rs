//! Record data (issue 17): record sets and their records. Only imports write them
//! ([`ImportTx::put_records`]); only the measures' computation ([`ImportTx::records`]) and the
//! operational dashboard's counts ([`ImportTx::put_dashboard`], counted by the import from
//! the same records — no record, only counts —; [`Store::dashboard_aggregates`] reads them for
//! the dashboard, behind the department's group) read them back. Nothing else a reader reaches (API, OData, exports,
//! pages, search) reads these tables — only the measures computed from them, written as
//! ordinary series.
//!
//! A record is stored as (set, id, area item, `data`), `data` being the rest of its row in the
//! definition's column order: each date as 4 bytes (the Julian day, little-endian;
//! `NO_DATE` for an empty cell), each number as 8 (an `f64`, NaN for an empty cell), each
//! category as a 4-byte length and its UTF-8 text.

use crate::db::{Db, params};
use crate::{ImportTx, Result, Store, StoreError};
use peil_core::records::{RecordSetDef, Records};
use std::collections::HashSet;

/// What putting a file's records did to its set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecordCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Records of the set not in the file, removed by a full replacement.
    pub removed: u64,
}

/// A record set as `peil records list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordSetInfo {
    pub definition: RecordSetDef,
    pub records: u64,
    pub updated_at: String,
}

fn encode(rec: &Records, i: usize, out: &mut Vec<u8>) {
    out.clear();
    for d in &rec.dates {
        out.extend_from_slice(&d[i].to_le_bytes());
    }
    for n in &rec.numbers {
        out.extend_from_slice(&n[i].to_le_bytes());
    }
    for c in &rec.categories {
        let l = c.label(i).as_bytes();
        out.extend_from_slice(&(l.len() as u32).to_le_bytes());
        out.extend_from_slice(l);
    }
}

/// Appends one stored record to `rec`; `None` when the bytes do not fit the definition.
fn decode(data: &[u8], rec: &mut Records) -> Option<()> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = data.get(at..at + n)?;
        at += n;
        Some(s)
    };
    let mut dates = Vec::with_capacity(rec.dates.len());
    for _ in 0..rec.dates.len() {
        dates.push(i32::from_le_bytes(take(4)?.try_into().ok()?));
    }
    let mut numbers = Vec::with_capacity(rec.numbers.len());
    for _ in 0..rec.numbers.len() {
        numbers.push(f64::from_le_bytes(take(8)?.try_into().ok()?));
    }
    let mut cats = Vec::with_capacity(rec.categories.len());
    for _ in 0..rec.categories.len() {
        let n = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
        cats.push(std::str::from_utf8(take(n)?).ok()?);
    }
    if at != data.len() {
        return None;
    }
    for (col, d) in rec.dates.iter_mut().zip(dates) {
        col.push(d);
    }
    for (col, n) in rec.numbers.iter_mut().zip(numbers) {
        col.push(n);
    }
    for (col, c) in rec.categories.iter_mut().zip(cats) {
        col.push(c);
    }
    Some(())
}

impl ImportTx<'_> {
    /// The stored definition of a record set.
    pub fn record_set(&self, name: &str) -> Result<Option<RecordSetDef>> {
        let text: Option<String> = self.tx.query_row(
            "SELECT definition FROM record_set WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| {
                StoreError::Corrupt(format!("the definition of record set {name}: {e}"))
            })
        })
        .transpose()
    }

    /// The record set (other than `except`) whose measures include the indicator `code`.
    pub fn measure_owner(&self, code: &str, except: &str) -> Result<Option<String>> {
        let sets: Vec<(String, String)> = self.tx.query(
            "SELECT name, definition FROM record_set WHERE name != ?1",
            params![except],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (name, text) in sets {
            let def: RecordSetDef = serde_json::from_str(&text).map_err(|err| {
                StoreError::Corrupt(format!("the definition of record set {name}: {err}"))
            })?;
            if def
                .measures
                .iter()
                .any(|m| m.code == code || m.count_code().as_deref() == Some(code))
            {
                return Ok(Some(name));
            }
        }
        Ok(None)
    }

    /// Stores a file's records in their set (created, or its definition replaced). A record
    /// replaces the stored record with the same id; with `replace_all` the set's records that
    /// the file does not hold are removed too. A definition whose columns differ from the
    /// stored one's is refused unless `replace_all` (stored records have the old columns).
    pub fn put_records(
        &mut self,
        def: &RecordSetDef,
        rec: &Records,
        replace_all: bool,
    ) -> Result<RecordCounts> {
        let old = self.record_set(&def.name)?;
        let mut counts = RecordCounts::default();
        let stored = self.records_count(&def.name)?;
        if let Some(old) = &old
            && (old.shape() != def.shape() || old.level != def.level)
            && stored > 0
            && !replace_all
        {
            return Err(StoreError::Invalid(format!(
                "the record set {} was stored with other columns or another level; import with --replace to replace all its records",
                def.name
            )));
        }
        let json = serde_json::to_string(def)
            .map_err(|err| StoreError::Invalid(format!("definition: {err}")))?;
        self.tx.execute(
            "INSERT INTO record_set (name, definition, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
            params![&def.name, &json, &crate::utc_now()],
        )?;
        if replace_all && stored > 0 {
            let keep: HashSet<&str> = rec.ids.iter().map(String::as_str).collect();
            let ids: Vec<String> = self.tx.query(
                "SELECT id FROM record WHERE set_name = ?1",
                params![&def.name],
                |r| r.get(0),
            )?;
            let same_shape = old.as_ref().is_some_and(|o| o.shape() == def.shape());
            for id in &ids {
                // Records of another shape cannot be compared: all of them go.
                if !same_shape || !keep.contains(id.as_str()) {
                    self.tx.execute(
                        "DELETE FROM record WHERE set_name = ?1 AND id = ?2",
                        params![&def.name, id],
                    )?;
                    if !keep.contains(id.as_str()) {
                        counts.removed += 1;
                    }
                }
            }
        }
        let before = self.records_count(&def.name)?;
        let mut changed = 0u64;
        {
            // In the order of the table's key, so the B-tree is appended to rather than split
            // all over (a register's export is in no particular order).
            let mut order: Vec<usize> = (0..rec.len()).collect();
            order.sort_unstable_by(|&a, &b| rec.ids[a].cmp(&rec.ids[b]));
            // A set that holds nothing takes plain inserts: an upsert is several writes to
            // SQLite, which journals each statement to be able to undo it alone.
            let sql = if before == 0 {
                "INSERT INTO record (set_name, id, item_id, data) VALUES (?1, ?2, ?3, ?4)"
            } else {
                "INSERT INTO record (set_name, id, item_id, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (set_name, id) DO UPDATE SET item_id = excluded.item_id, data = excluded.data
                 WHERE record.item_id != excluded.item_id OR record.data != excluded.data"
            };
            // One statement for every record, prepared once by either engine's cache.
            let mut buf = Vec::new();
            for i in order {
                encode(rec, i, &mut buf);
                changed += self
                    .tx
                    .execute(sql, params![&def.name, &rec.ids[i], rec.items[i], &buf])?
                    as u64;
            }
        }
        let after = self.records_count(&def.name)?;
        counts.inserted = after - before;
        counts.updated = changed - counts.inserted;
        counts.unchanged = rec.len() as u64 - changed;
        Ok(counts)
    }

    /// Stores a set's dashboard counts (`None`: the set has none any more).
    pub fn put_dashboard(&mut self, set: &str, aggregates: Option<&str>) -> Result<()> {
        match aggregates {
            Some(text) => self.tx.execute(
                "INSERT INTO record_dashboard (set_name, aggregates, computed_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (set_name) DO UPDATE SET aggregates = excluded.aggregates, computed_at = excluded.computed_at",
                params![set, text, &crate::utc_now()],
            )?,
            None => self.tx.execute(
                "DELETE FROM record_dashboard WHERE set_name = ?1",
                params![set],
            )?,
        };
        Ok(())
    }

    /// A level's items by store id: (code, name).
    pub fn item_names(
        &self,
        level: &str,
    ) -> Result<std::collections::HashMap<u32, (String, String)>> {
        let rows: Vec<(u32, (String, String))> = self.tx.query(
            "SELECT i.id, i.code, i.name FROM geo_item i JOIN geo_level l ON l.id = i.level_id
             WHERE l.code = ?1",
            params![level],
            |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))),
        )?;
        Ok(rows.into_iter().collect())
    }

    /// How many records a set holds.
    pub fn records_count(&self, set: &str) -> Result<u64> {
        self.tx
            .query_one(
                "SELECT count(*) FROM record WHERE set_name = ?1",
                params![set],
                |r| r.get::<i64>(0),
            )
            .map(|n| n as u64)
    }

    /// Every record of a set, as its stored definition reads them (in id order).
    pub fn records(&self, def: &RecordSetDef) -> Result<Records> {
        read_records(&self.tx, def)
    }
}

/// Every record of a set on an import's transaction.
fn read_records(db: &Db, def: &RecordSetDef) -> Result<Records> {
    let mut rec = Records::new(def);
    db.query_each(
        "SELECT id, item_id, data FROM record WHERE set_name = ?1 ORDER BY id",
        params![&def.name],
        |r| {
            let id: String = r.get(0)?;
            r.blob(2, |data| decode(data, &mut rec))?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "record {id} of {} does not fit its definition",
                    def.name
                ))
            })?;
            rec.items.push(r.get(1)?);
            rec.ids.push(id);
            Ok(())
        },
    )?;
    Ok(rec)
}

impl Store {
    /// A set's dashboard counts as its last import stored them (JSON), if it has them.
    pub fn dashboard_aggregates(&self, set: &str) -> Result<Option<String>> {
        self.db.query_row(
            "SELECT aggregates FROM record_dashboard WHERE set_name = ?1",
            params![set],
            |r| r.get(0),
        )
    }

    /// The record sets' definitions, by name (no count of their records: cheap per request).
    pub fn record_set_definitions(&self) -> Result<Vec<RecordSetDef>> {
        let rows: Vec<(String, String)> = self.db.query(
            "SELECT name, definition FROM record_set ORDER BY name",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        rows.into_iter()
            .map(|(name, text)| {
                serde_json::from_str(&text).map_err(|err| {
                    StoreError::Corrupt(format!("the definition of record set {name}: {err}"))
                })
            })
            .collect()
    }

    /// The record sets with their definitions and sizes (never their records).
    pub fn record_sets(&self) -> Result<Vec<RecordSetInfo>> {
        let rows: Vec<(String, String, String, i64)> = self.db.query(
            "SELECT s.name, s.definition, s.updated_at,
                    (SELECT count(*) FROM record r WHERE r.set_name = s.name)
             FROM record_set s ORDER BY s.name",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        rows.into_iter()
            .map(|(name, text, updated_at, n)| {
                Ok(RecordSetInfo {
                    definition: serde_json::from_str(&text).map_err(|err| {
                        StoreError::Corrupt(format!("the definition of record set {name}: {err}"))
                    })?,
                    records: n as u64,
                    updated_at,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    fn def(numbers: &[&str]) -> RecordSetDef {
        serde_json::from_value(serde_json::json!({
            "name": "permits",
            "id": "id",
            "area": "wijk",
            "level": "wijk",
            "dates": ["opened"],
            "categories": ["kind"],
            "numbers": numbers,
        }))
        .unwrap()
    }

    fn records(d: &RecordSetDef, rows: &[(&str, u32, i32, &str, f64)]) -> Records {
        let mut r = Records::new(d);
        for (id, item, day, kind, n) in rows {
            r.ids.push(id.to_string());
            r.items.push(*item);
            r.dates[0].push(*day);
            r.categories[0].push(kind);
            for col in r.numbers.iter_mut() {
                col.push(*n);
            }
        }
        r
    }

    on_both! {
        fn records_are_replaced_by_id_and_read_back_whole(s: &mut Store) {
            crate::read::tests::fill(s);
            let d = def(&["cost"]);
            let mut tx = s.begin().unwrap();
            let c = tx
                .put_records(&d, &records(&d, &[("b", 10, 20000, "bouw", 1.5), ("a", 11, 20001, "sloop", f64::NAN)]), false)
                .unwrap();
            assert_eq!((c.inserted, c.updated, c.unchanged), (2, 0, 0));
            let c = tx
                .put_records(&d, &records(&d, &[("a", 11, 20001, "sloop", f64::NAN), ("b", 12, 20000, "bouw", 1.5), ("c", 10, 1, "bouw", 2.0)]), false)
                .unwrap();
            assert_eq!((c.inserted, c.updated, c.unchanged), (1, 1, 1));
            assert_eq!(tx.records_count("permits").unwrap(), 3);
            assert_eq!(tx.record_set("permits").unwrap().unwrap().numbers, ["cost"]);
            tx.commit().unwrap();
            let r = s.begin().unwrap().records(&d).unwrap();
            assert_eq!(r.ids, ["a", "b", "c"]);
            assert_eq!(r.items, [11, 12, 10]);
            assert_eq!(r.dates[0], [20001, 20000, 1]);
            assert_eq!((r.categories[0].label(0), r.categories[0].label(2)), ("sloop", "bouw"));
            assert!(r.numbers[0][0].is_nan() && r.numbers[0][2] == 2.0);
            assert_eq!(s.record_sets().unwrap()[0].records, 3);
            // Another shape only with --replace, which keeps only the file's records.
            let d2 = def(&[]);
            let mut tx = s.begin().unwrap();
            assert!(tx.put_records(&d2, &records(&d2, &[("a", 11, 5, "x", 0.0)]), false).is_err());
            let c = tx.put_records(&d2, &records(&d2, &[("a", 11, 5, "x", 0.0)]), true).unwrap();
            assert_eq!((c.inserted, c.removed), (1, 2));
            assert_eq!(tx.records(&d2).unwrap().ids, ["a"]);
            drop(tx);
            assert_eq!(s.record_sets().unwrap()[0].records, 3, "rolled back");
        }

        fn dashboards_and_definitions_are_stored_and_read_back(s: &mut Store) {
            crate::read::tests::fill(s);
            let d = def(&["cost"]);
            assert!(s.record_set_definitions().unwrap().is_empty());
            let mut tx = s.begin().unwrap();
            tx.put_records(&d, &records(&d, &[("a", 10, 20000, "bouw", 1.0)]), false).unwrap();
            tx.put_dashboard("permits", Some("{\"months\":[]}")).unwrap();
            tx.put_dashboard("permits", Some("{\"months\":[1]}")).unwrap();
            let names = tx.item_names("wijk").unwrap();
            assert_eq!(names.len(), 3);
            assert_eq!(names[&11], ("W1".to_string(), "Wijk één".to_string()));
            assert!(tx.item_names("geen").unwrap().is_empty());
            tx.commit().unwrap();
            assert_eq!(s.dashboard_aggregates("permits").unwrap().as_deref(), Some("{\"months\":[1]}"));
            assert_eq!(s.dashboard_aggregates("geen").unwrap(), None);
            let defs = s.record_set_definitions().unwrap();
            assert_eq!((defs.len(), defs[0].name.as_str()), (1, "permits"));
            let mut tx = s.begin().unwrap();
            tx.put_dashboard("permits", None).unwrap();
            tx.commit().unwrap();
            assert_eq!(s.dashboard_aggregates("permits").unwrap(), None);
        }
    }
}
