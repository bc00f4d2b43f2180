//! Exports: the test copy ([`Store::export`]) and the live copy ([`Store::export_live`])
//! streamed in one stable order, value by value.

use crate::db::params;
use crate::{Result, Store, StoreError, all_level_items, codec};
use peil_core::*;
use std::collections::HashMap;

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
        let items = all_level_items(&self.db)?;
        let none = HashMap::new();
        let mut n = 0u64;
        self.db.query_each(
            "SELECT i.code, l.code, s.level_id, s.period, s.dims, s.data FROM series s
             JOIN indicator i ON i.id = s.indicator_id JOIN geo_level l ON l.id = s.level_id
             ORDER BY i.code, l.code, s.period_level, s.period, s.dims",
            params![],
            |r| {
                let ind: String = r.get(0)?;
                let level: String = r.get(1)?;
                let period: String = r.get(3)?;
                if !sel.matches(&ind, &level, &period) {
                    return Ok(());
                }
                let level_id: i64 = r.get(2)?;
                let dims: String = r.get(4)?;
                let data: Vec<u8> = r.get(5)?;
                let values = codec::decode(&data).ok_or_else(|| {
                    StoreError::Corrupt(format!("series {ind}/{level}/{period} does not decode"))
                })?;
                let names = items.get(&level_id).unwrap_or(&none);
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
                Ok(())
            },
        )?;
        Ok(n)
    }

    /// Streams the live copy like [`Store::export`] streams the test copy.
    pub fn export_live(
        &self,
        sel: &Selection,
        mut out: impl FnMut(ExportRow<'_>) -> std::io::Result<()>,
    ) -> Result<u64> {
        // Each level's item order in the live copy, with (seq, code) to sort rows by.
        let levels: Vec<(String, Vec<u8>, Option<i64>)> = self.db.query(
            "SELECT v.level, v.ids, l.id FROM live_level v LEFT JOIN geo_level l ON l.code = v.level",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let all = all_level_items(&self.db)?;
        let none = HashMap::new();
        let mut items: HashMap<String, Vec<(i64, String)>> = HashMap::new();
        for (level, ids, id) in levels {
            let names = id.and_then(|id| all.get(&id)).unwrap_or(&none);
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
        let mut n = 0u64;
        self.db.query_each(
            "SELECT indicator, level, period, dims, data FROM live_series ORDER BY indicator, level, period, dims",
            params![],
            |r| {
                let ind: String = r.get(0)?;
                let level: String = r.get(1)?;
                let period: String = r.get(2)?;
                if !sel.matches(&ind, &level, &period) {
                    return Ok(());
                }
                let dims: String = r.get(3)?;
                let data: Vec<u8> = r.get(4)?;
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
                Ok(())
            },
        )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    fn rows(s: &Store, sel: &Selection, live: bool) -> Vec<String> {
        let mut out = Vec::new();
        let push = |r: ExportRow<'_>| {
            out.push(format!(
                "{} {} {} {} {:?}",
                r.indicator, r.level, r.item, r.period, r.value
            ));
            Ok(())
        };
        let n = if live {
            s.export_live(sel, push)
        } else {
            s.export(sel, push)
        }
        .unwrap();
        assert_eq!(n as usize, out.len());
        out
    }

    on_both! {
        fn the_test_and_live_copies_stream_in_one_order(s: &mut Store) {
            crate::read::tests::fill(s);
            assert_eq!(
                rows(s, &Selection::default(), false),
                [
                    "bev stad S 2024 Number(7.25)",
                    "bev wijk W1 2024 Missing(Hidden)",
                    "bev wijk W2 2024 Number(3.0)",
                ]
            );
            let sel = Selection { level: Some("wijk".into()), ..Default::default() };
            assert_eq!(rows(s, &sel, false).len(), 2);
            let sel = Selection { periods: vec!["2023".into()], ..Default::default() };
            assert!(rows(s, &sel, false).is_empty());
            // The live copy: the level's item order as published, empty cells left out.
            let ids: Vec<u8> = [10u32, 11, 12].iter().flat_map(|i| i.to_le_bytes()).collect();
            s.db.execute("INSERT INTO live_level (level, ids) VALUES ('wijk', ?1)", params![&ids]).unwrap();
            let dense = codec::encode_dense(&[
                Value::Number(1.5),
                Value::Missing(MissingCode::Empty),
                Value::Missing(MissingCode::Hidden),
            ]);
            s.db.execute(
                "INSERT INTO live_series (indicator, level, period, dims, data) VALUES ('bev', 'wijk', '2024', '', ?1)",
                params![&dense],
            )
            .unwrap();
            assert_eq!(
                rows(s, &Selection::default(), true),
                ["bev wijk W2 2024 Number(1.5)", "bev wijk W? 2024 Missing(Hidden)"]
            );
        }
    }
}
