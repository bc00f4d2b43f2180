//! `peil check`: the integrity of the stored file, its hierarchy and its values.

use crate::db::{Dialect, params};
use crate::{Result, Store, all_level_items, codec};
use peil_core::*;

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
        // SQLite's own checks of its file and of foreign keys (which a file written without
        // them switched on may break). PostgreSQL enforces every key as it writes, and its
        // pages are its own tools' to check (`pg_amcheck`).
        if self.db.dialect() == Dialect::Sqlite {
            let ic = self.integrity_check()?;
            if ic != "ok" {
                report.errors.push(format!("SQLite integrity check: {ic}"));
            }
            let fk: Vec<String> = self.db.query("PRAGMA foreign_key_check", params![], |r| {
                Ok(format!("{} row {}", r.get::<String>(0)?, r.get::<i64>(1)?))
            })?;
            for f in fk {
                report.errors.push(format!("dangling reference in {f}"));
            }
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
        let orphans: Vec<(String, String, String, i64, String)> = self.db.query(
            "SELECT cl.code, pl.code, e.kind, count(*), min(i.code) FROM level_edge e
             JOIN geo_level cl ON cl.id = e.child_level_id
             JOIN geo_level pl ON pl.id = e.parent_level_id
             JOIN geo_item i ON i.level_id = e.child_level_id
             WHERE NOT EXISTS (SELECT 1 FROM item_link k
                               WHERE k.child_item_id = i.id AND k.parent_level_id = e.parent_level_id)
             GROUP BY cl.code, pl.code, e.kind",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
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
        let bad: i64 = self.db.query_one(
            "SELECT count(*) FROM item_link k JOIN geo_item p ON p.id = k.parent_item_id
             WHERE p.level_id <> k.parent_level_id",
            params![],
            |r| r.get(0),
        )?;
        if bad > 0 {
            report
                .errors
                .push(format!("{bad} hierarchy links point into the wrong level"));
        }
        // Every series decodes and names only items of its own level.
        let level_sets = all_level_items(&self.db)?;
        let none = std::collections::HashMap::new();
        self.db.query_each(
            "SELECT s.id, s.level_id, s.n, s.data, i.code, s.period FROM series s JOIN indicator i ON i.id = s.indicator_id",
            params![],
            |r| {
                let level_id: i64 = r.get(1)?;
                let n: i64 = r.get(2)?;
                let data: Vec<u8> = r.get(3)?;
                let ind: String = r.get(4)?;
                let period: String = r.get(5)?;
                let Some(values) = codec::decode(&data) else {
                    report
                        .errors
                        .push(format!("values of {ind} {period} do not decode"));
                    return Ok(());
                };
                if values.len() as i64 != n {
                    report.errors.push(format!(
                        "values of {ind} {period}: count {n} recorded, {} stored",
                        values.len()
                    ));
                }
                let set = level_sets.get(&level_id).unwrap_or(&none);
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
                Ok(())
            },
        )?;
        Ok(report)
    }

    /// SQLite's `PRAGMA integrity_check`: `ok` when the file is sound. A PostgreSQL store has
    /// no such check here (its pages are `pg_amcheck`'s): it is refused, never answered `ok`.
    pub fn integrity_check(&self) -> Result<String> {
        if self.db.dialect() == Dialect::Postgres {
            return Err(crate::StoreError::Invalid(
                "SQLite's integrity check does not apply to a PostgreSQL store; \
                 check its pages with PostgreSQL's pg_amcheck"
                    .into(),
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    on_both! {
        fn check_finds_orphans_and_broken_series(s: &mut Store) {
            crate::read::tests::fill(s);
            let r = s.check().unwrap();
            assert_eq!(r.errors, ["1 items of wijk have no parent in stad (e.g. W?)"]);
            s.db.execute(
                "INSERT INTO series (indicator_id, level_id, period, period_level, dims, n, data)
                 SELECT id, 1, '2023', 'year', '', 1, ?1 FROM indicator WHERE code = 'bev'",
                params![&[1u8, 2, 3][..]],
            )
            .unwrap();
            s.db.execute(
                "INSERT INTO series (indicator_id, level_id, period, period_level, dims, n, data)
                 SELECT id, 1, '2022', 'year', '', 2, ?1 FROM indicator WHERE code = 'bev'",
                params![&codec::encode(&[(20, Value::Number(1.0))])],
            )
            .unwrap();
            let mut errors = s.check().unwrap().errors;
            errors.sort();
            assert_eq!(
                errors,
                [
                    "1 items of wijk have no parent in stad (e.g. W?)",
                    "values of bev 2022 name item 20 outside their level",
                    "values of bev 2022: count 2 recorded, 1 stored",
                    "values of bev 2023 do not decode",
                ]
            );
        }
    }
}
