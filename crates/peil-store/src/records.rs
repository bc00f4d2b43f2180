//! Record data (issue 17): record sets and their records. Only imports write them
//! ([`ImportTx::put_records`]); only the measures' computation ([`ImportTx::records`]) and the
//! operational dashboard's aggregates ([`Store::records_for_dashboard`], behind the
//! department's group) read them back. Nothing else a reader reaches (API, OData, exports,
//! pages, search) reads these tables — only the measures computed from them, written as
//! ordinary series.
//!
//! A record is stored as (set, id, area item, `data`), `data` being the rest of its row in the
//! definition's column order: each date as 4 bytes (the Julian day, little-endian;
//! `NO_DATE` for an empty cell), each number as 8 (an `f64`, NaN for an empty cell), each
//! category as a 4-byte length and its UTF-8 text.

use crate::{ImportTx, Result, Store, StoreError};
use peil_core::records::{RecordSetDef, Records};
use rusqlite::{OptionalExtension, params};
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
        let text: Option<String> = self
            .lite()
            .query_row(
                "SELECT definition FROM record_set WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.e())?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| {
                StoreError::Corrupt(format!("the definition of record set {name}: {e}"))
            })
        })
        .transpose()
    }

    /// The record set (other than `except`) whose measures include the indicator `code`.
    pub fn measure_owner(&self, code: &str, except: &str) -> Result<Option<String>> {
        let e = self.e();
        let mut st = self
            .lite()
            .prepare("SELECT name, definition FROM record_set WHERE name != ?1")
            .map_err(&e)?;
        let sets: Vec<(String, String)> = st
            .query_map([except], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&e)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&e)?;
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
        let e = crate::sqlite_err(&self.path);
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
        self.lite()
            .execute(
                "INSERT INTO record_set (name, definition, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
                params![def.name, json, crate::utc_now()],
            )
            .map_err(&e)?;
        if replace_all && stored > 0 {
            let keep: HashSet<&str> = rec.ids.iter().map(String::as_str).collect();
            let ids: Vec<String> = {
                let mut st = self
                    .lite()
                    .prepare("SELECT id FROM record WHERE set_name = ?1")
                    .map_err(&e)?;
                st.query_map([&def.name], |r| r.get(0))
                    .map_err(&e)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(&e)?
            };
            let same_shape = old.as_ref().is_some_and(|o| o.shape() == def.shape());
            let mut del = self
                .lite()
                .prepare_cached("DELETE FROM record WHERE set_name = ?1 AND id = ?2")
                .map_err(&e)?;
            for id in &ids {
                // Records of another shape cannot be compared: all of them go.
                if !same_shape || !keep.contains(id.as_str()) {
                    del.execute(params![def.name, id]).map_err(&e)?;
                    if !keep.contains(id.as_str()) {
                        counts.removed += 1;
                    }
                }
            }
        }
        let before = self.records_count(&def.name)?;
        let mut changed = 0u64;
        {
            let mut put = self
                .lite()
                .prepare_cached(
                    "INSERT INTO record (set_name, id, item_id, data) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (set_name, id) DO UPDATE SET item_id = excluded.item_id, data = excluded.data
                     WHERE record.item_id != excluded.item_id OR record.data != excluded.data",
                )
                .map_err(&e)?;
            let mut buf = Vec::new();
            for (i, (id, item)) in rec.ids.iter().zip(&rec.items).enumerate() {
                encode(rec, i, &mut buf);
                changed += put.execute(params![def.name, id, item, buf]).map_err(&e)? as u64;
            }
        }
        let after = self.records_count(&def.name)?;
        counts.inserted = after - before;
        counts.updated = changed - counts.inserted;
        counts.unchanged = rec.len() as u64 - changed;
        Ok(counts)
    }

    /// How many records a set holds.
    pub fn records_count(&self, set: &str) -> Result<u64> {
        self.lite()
            .query_row(
                "SELECT count(*) FROM record WHERE set_name = ?1",
                [set],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(self.e())
    }

    /// Every record of a set, as its stored definition reads them (in id order).
    pub fn records(&self, def: &RecordSetDef) -> Result<Records> {
        read_records(self.lite(), def, self.e())
    }
}

/// Every record of a set on a connection (an import's transaction, or the store for the
/// operational dashboard's aggregates).
fn read_records(
    conn: &rusqlite::Connection,
    def: &RecordSetDef,
    e: impl Fn(rusqlite::Error) -> StoreError,
) -> Result<Records> {
    let mut rec = Records::new(def);
    let mut st = conn
        .prepare("SELECT id, item_id, data FROM record WHERE set_name = ?1 ORDER BY id")
        .map_err(&e)?;
    let mut rows = st.query([&def.name]).map_err(&e)?;
    while let Some(r) = rows.next().map_err(&e)? {
        let id: String = r.get(0).map_err(&e)?;
        let data =
            r.get_ref(2).map_err(&e)?.as_blob().map_err(|err| {
                StoreError::Corrupt(format!("record {id} of {}: {err}", def.name))
            })?;
        decode(data, &mut rec).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "record {id} of {} does not fit its definition",
                def.name
            ))
        })?;
        rec.items.push(r.get(1).map_err(&e)?);
        rec.ids.push(id);
    }
    Ok(rec)
}

impl Store {
    /// A record set's definition and records, for the operational dashboard
    /// (`peil_compute::dashboard`), which shows only aggregates of them.
    pub fn records_for_dashboard(&self, name: &str) -> Result<Option<(RecordSetDef, Records)>> {
        let Some(info) = self
            .record_sets()?
            .into_iter()
            .find(|s| s.definition.name == name)
        else {
            return Ok(None);
        };
        let rec = read_records(self.conn(), &info.definition, self.e())?;
        Ok(Some((info.definition, rec)))
    }

    /// The record sets with their definitions and sizes (never their records).
    pub fn record_sets(&self) -> Result<Vec<RecordSetInfo>> {
        let rows: Vec<(String, String, String, i64)> = self.rows(
            "SELECT s.name, s.definition, s.updated_at,
                    (SELECT count(*) FROM record r WHERE r.set_name = s.name)
             FROM record_set s ORDER BY s.name",
            [],
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
