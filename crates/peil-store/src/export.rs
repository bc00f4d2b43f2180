//! Exports: the test copy ([`Store::export`]) and the live copy ([`Store::export_live`])
//! streamed in one stable order, value by value.

use crate::{Result, Store, StoreError, codec, level_items};
use peil_core::*;
use rusqlite::OptionalExtension;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

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

impl Store {
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
            .conn()
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
                Entry::Vacant(v) => v.insert(level_items(self.conn(), level_id).map_err(&e)?),
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
                .conn()
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
                    .conn()
                    .query_row("SELECT id FROM geo_level WHERE code = ?1", [&level], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(&e)?;
                let names = match id {
                    Some(id) => level_items(self.conn(), id).map_err(&e)?,
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
            .conn()
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
