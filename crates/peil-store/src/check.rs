//! `peil check`: the integrity of the stored file, its hierarchy and its values.

use crate::{Result, Store, codec, level_items};
use peil_core::*;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Findings of `peil check`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CheckReport {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl Store {
    /// Integrity of the stored data: SQLite's own check, then the hierarchy and values.
    pub fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let ic = self.integrity_check()?;
        if ic != "ok" {
            report.errors.push(format!("SQLite integrity check: {ic}"));
        }
        let e = self.e();
        let fk: Vec<String> = {
            let mut st = self
                .conn()
                .prepare("PRAGMA foreign_key_check")
                .map_err(&e)?;
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
            .conn()
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
            .conn()
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
            .conn()
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
                Entry::Vacant(v) => v.insert(level_items(self.conn(), level_id).map_err(&e)?),
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

    /// SQLite's `PRAGMA integrity_check`: `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        let e = self.e();
        let mut st = self.conn().prepare("PRAGMA integrity_check").map_err(&e)?;
        let lines: Vec<String> = st
            .query_map([], |r| r.get(0))
            .map_err(&e)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&e)?;
        Ok(lines.join("; "))
    }
}
