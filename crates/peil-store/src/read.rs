//! Reads of the test copy: the catalog readers validate against, indicators, themes, items,
//! links and geometry, the status, the import log, and everything the compute engine loads
//! (`warehouse`, `series_of`).

use crate::db::{Db, Dialect, Row, params};
use crate::{Result, Store, StoreError, codec, write};
use peil_core::*;
use serde_json::Value as Json;
use std::collections::HashMap;

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
    /// Plausibility warnings kept with the import (`peil imports show ID` lists them).
    pub plausibility: u64,
    /// Whether `peil imports undo` can be asked to undo it (it recorded what it replaced).
    pub undoable: bool,
    /// When it was undone, if it was.
    pub undone_at: Option<String>,
}

impl Store {
    /// The codes a reader needs to validate a file.
    pub fn catalog(&self) -> Result<Catalog> {
        catalog(&self.db)
    }

    pub fn indicator(&self, code: &str) -> Result<Option<Indicator>> {
        write::read_indicator(&self.db, code)
    }

    pub fn indicators(&self) -> Result<Vec<Indicator>> {
        let codes: Vec<String> =
            self.db
                .query("SELECT code FROM indicator ORDER BY code", params![], |r| {
                    r.get(0)
                })?;
        let mut out = Vec::with_capacity(codes.len());
        for c in codes {
            out.extend(self.indicator(&c)?);
        }
        Ok(out)
    }

    /// The theme tree of the test copy (what the back office edits), by sequence.
    pub fn themes(&self) -> Result<Vec<Theme>> {
        themes_of(&self.db)
    }

    /// The names the test copy gives period levels (the back office's; Peil's own where it
    /// gave none).
    pub fn period_level_names(&self) -> Result<PeriodLevelNames> {
        period_level_names_of(&self.db)
    }

    /// The geo levels of the test copy, by code, with how many items each has.
    pub fn levels(&self) -> Result<Vec<(GeoLevel, i64)>> {
        self.db.query(
            "SELECT l.code, l.name, l.kind, (SELECT count(*) FROM geo_item i WHERE i.level_id = l.id)
             FROM geo_level l ORDER BY l.code",
            params![],
            |r| {
                Ok((
                    GeoLevel {
                        code: r.get(0)?,
                        name: r.get(1)?,
                        kind: GeoLevelKind::parse(&r.get::<String>(2)?).unwrap_or_default(),
                    },
                    r.get(3)?,
                ))
            },
        )
    }

    /// Items of a level in sequence order.
    pub fn items(&self, level: &str) -> Result<Vec<GeoItem>> {
        self.db.query(
            "SELECT i.code, i.short_name, i.name, i.seq, i.unknown_location FROM geo_item i
                 JOIN geo_level l ON l.id = i.level_id WHERE l.code = ?1 ORDER BY i.seq, i.code",
            params![level],
            |r| geo_item(r, 0),
        )
    }

    /// Child code → parent code for one edge of the hierarchy.
    pub fn links(&self, child_level: &str, parent_level: &str) -> Result<Vec<(String, String)>> {
        self.db.query(
            "SELECT c.code, p.code FROM item_link k
                 JOIN geo_item c ON c.id = k.child_item_id
                 JOIN geo_level cl ON cl.id = c.level_id
                 JOIN geo_level pl ON pl.id = k.parent_level_id
                 JOIN geo_item p ON p.id = k.parent_item_id
                 WHERE cl.code = ?1 AND pl.code = ?2 ORDER BY c.code",
            params![child_level, parent_level],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Code and bounding box of every item of a level that has geometry.
    pub fn geometry_bboxes(&self, level: &str) -> Result<Vec<(String, [f64; 4])>> {
        self.db.query(
            "SELECT i.code, g.min_lon, g.min_lat, g.max_lon, g.max_lat FROM geometry g
                 JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id
                 WHERE l.code = ?1 ORDER BY i.code",
            params![level],
            |r| Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])),
        )
    }

    /// The full geometry (GeoJSON, WGS84) of every item of a level that has one, with the
    /// item's store id and code: what places points in the level's areas.
    pub fn level_geometry(&self, level: &str) -> Result<Vec<(u32, String, String)>> {
        self.db.query(
            "SELECT i.id, i.code, g.full_geojson FROM geometry g
                 JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id
                 WHERE l.code = ?1 ORDER BY i.code",
            params![level],
            |r| Ok((r.get::<i64>(0)? as u32, r.get(1)?, r.get(2)?)),
        )
    }

    /// Every stored geometry: (level, item code, web GeoJSON, full GeoJSON).
    pub fn all_geometry(&self) -> Result<Vec<(String, String, String, String)>> {
        self.db.query(
            "SELECT l.code, i.code, g.web_geojson, g.full_geojson FROM geometry g
             JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    }

    /// The full and web geometry (GeoJSON) of one item.
    pub fn geometry(&self, level: &str, code: &str) -> Result<Option<(String, String)>> {
        self.db.query_row(
            "SELECT g.full_geojson, g.web_geojson FROM geometry g
             JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id
             WHERE l.code = ?1 AND i.code = ?2",
            params![level, code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    pub fn status(&self) -> Result<Status> {
        status(&self.db)
    }

    pub fn imports(&self) -> Result<Vec<ImportEntry>> {
        // The plausibility warnings are a JSON list, or `null` for an import that has none
        // (areas, geometry): SQLite counts 0 for anything but a list, PostgreSQL refuses to
        // count one, so it is asked only for lists.
        let plausibility = match self.db.dialect() {
            Dialect::Sqlite => "json_array_length(r.plausibility)",
            Dialect::Postgres => {
                "CASE json_typeof(CAST(r.plausibility AS json))
                 WHEN 'array' THEN json_array_length(CAST(r.plausibility AS json)) END"
            }
        };
        self.db.query(
            &format!(
                "SELECT l.id, l.at, l.who, l.kind, l.file, l.sha256, l.options, l.counts, l.warnings,
                        coalesce({plausibility}, 0), coalesce(r.undoable, 0), r.undone_at
                 FROM import_log l LEFT JOIN import_review r ON r.import_id = l.id ORDER BY l.id"
            ),
            params![],
            |r| {
                Ok(ImportEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    who: r.get(2)?,
                    kind: r.get(3)?,
                    file: r.get(4)?,
                    sha256: r.get(5)?,
                    options: serde_json::from_str(&r.get::<String>(6)?).unwrap_or(Json::Null),
                    counts: serde_json::from_str(&r.get::<String>(7)?).unwrap_or(Json::Null),
                    warnings: r.get::<i64>(8)? as u64,
                    plausibility: r.get::<i64>(9)? as u64,
                    undoable: r.get(10)?,
                    undone_at: r.get(11)?,
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
            .find(|e| e.sha256 == sha256 && e.kind == kind && e.undone_at.is_none()))
    }

    /// Loads everything the compute engine needs, decoded.
    pub fn warehouse(&self) -> Result<Warehouse> {
        let mut w = Warehouse::default();
        let mut level_codes: HashMap<i64, String> = HashMap::new();
        {
            let levels: Vec<(i64, String, String, String)> = self.db.query(
                "SELECT id, code, name, kind FROM geo_level ORDER BY code",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            for (id, code, name, kind) in levels {
                level_codes.insert(id, code.clone());
                let list = self.db.query(
                    "SELECT id, code, short_name, name, seq, unknown_location FROM geo_item
                     WHERE level_id = ?1 ORDER BY seq, code",
                    params![id],
                    |r| Ok((r.get::<u32>(0)?, geo_item(r, 1)?)),
                )?;
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
            let edges: Vec<(i64, i64, String)> = self.db.query(
                "SELECT child_level_id, parent_level_id, kind FROM level_edge ORDER BY child_level_id, parent_level_id",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            for (c, p, kind) in edges {
                let list = self.db.query(
                    "SELECT k.child_item_id, k.parent_item_id FROM item_link k JOIN geo_item c ON c.id = k.child_item_id
                     WHERE c.level_id = ?1 AND k.parent_level_id = ?2 ORDER BY k.child_item_id",
                    params![c, p],
                    |r| Ok((r.get::<u32>(0)?, r.get::<u32>(1)?)),
                )?;
                w.edges.push(WarehouseEdge {
                    child: level_codes[&c].clone(),
                    parent: level_codes[&p].clone(),
                    kind: EdgeKind::parse(&kind).unwrap_or(EdgeKind::Aggregation),
                    links: list,
                });
            }
            // Cluster levels: their members, outside the hierarchy (`clusters.rs`).
            w.edges
                .extend(crate::clusters::cluster_edges(&self.db, &level_codes)?);
        }
        w.indicators = self.indicators()?;
        {
            w.dim_levels = self.db.query(
                "SELECT code, dimension, name, seq FROM dim_level ORDER BY seq, code",
                params![],
                |r| {
                    Ok(DimLevel {
                        code: r.get(0)?,
                        dimension: r.get(1)?,
                        name: write::text_from_json(&r.get::<String>(2)?),
                        seq: r.get(3)?,
                    })
                },
            )?;
            w.dim_members = self.db.query(
                "SELECT level, code, name, seq FROM dim_member ORDER BY level, seq, code",
                params![],
                |r| {
                    Ok(DimMember {
                        level: r.get(0)?,
                        code: r.get(1)?,
                        name: write::text_from_json(&r.get::<String>(2)?),
                        seq: r.get(3)?,
                    })
                },
            )?;
            w.dim_links = self.db.query(
                "SELECT level, member, parent_level, parent_member FROM dim_link",
                params![],
                |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))),
            )?;
        }
        w.series = self.series_of(None)?;
        Ok(w)
    }

    /// The loaded series of some indicators (all when `None`), decoded.
    pub fn series_of(&self, indicators: Option<&[&str]>) -> Result<Vec<WarehouseSeries>> {
        let level_codes: HashMap<i64, String> = self
            .db
            .query("SELECT id, code FROM geo_level", params![], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .into_iter()
            .collect();
        // The indicators as one JSON list parameter: one statement whatever their number.
        let filter = match (indicators.is_some(), self.db.dialect()) {
            (true, Dialect::Sqlite) => "WHERE i.code IN (SELECT value FROM json_each(?1))",
            (true, Dialect::Postgres) => {
                "WHERE i.code IN (SELECT json_array_elements_text(CAST(?1 AS json)))"
            }
            (false, _) => "WHERE CAST(?1 AS TEXT) IS NULL",
        };
        let list: Option<String> =
            indicators.map(|l| serde_json::to_string(l).unwrap_or_else(|_| "[]".into()));
        self.db.query(
            &format!(
                "SELECT i.code, s.level_id, s.period, s.dims, s.data FROM series s JOIN indicator i ON i.id = s.indicator_id
                 {filter} ORDER BY i.code, s.level_id, s.period, s.dims"
            ),
            params![&list],
            |r| {
                let level_id: i64 = r.get(1)?;
                let level = level_codes
                    .get(&level_id)
                    .ok_or_else(|| StoreError::Corrupt(format!("series of unknown level {level_id}")))?
                    .clone();
                let (key, values) = decode_series_row(r, level, "series", codec::decode)?;
                Ok(WarehouseSeries { key, values })
            },
        )
    }
}

/// A series row read from the columns `indicator, (level), period, dims, data` (the level,
/// column 1, given as its code by the caller), its blob decoded by `decode` without a copy:
/// the one reading of a stored series for the test copy (`codec::decode`, `what` "series") and
/// the live copy (`codec::decode_dense`, "live series").
pub(crate) fn decode_series_row<V>(
    r: &Row<'_>,
    level: String,
    what: &str,
    decode: impl FnOnce(&[u8]) -> Option<V>,
) -> Result<(SeriesKey, V)> {
    let indicator: String = r.get(0)?;
    let period: String = r.get(2)?;
    let dims: String = r.get(3)?;
    let period = Period::parse(&period).map_err(|p| StoreError::Corrupt(p.to_string()))?;
    let dims = DimKey::parse(&dims).ok_or_else(|| StoreError::Corrupt(format!("dims '{dims}'")))?;
    let values = r.blob(4, decode)?.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "{what} {indicator} {level} {period} does not decode"
        ))
    })?;
    let key = SeriesKey {
        indicator,
        level,
        period,
        dims,
    };
    Ok((key, values))
}

/// A geo item read from the columns `code, short_name, name, seq, unknown_location` starting
/// at column `from` (the one row mapping of every query of items).
pub(crate) fn geo_item(r: &Row<'_>, from: usize) -> Result<GeoItem> {
    Ok(GeoItem {
        code: r.get(from)?,
        short_name: r.get(from + 1)?,
        name: r.get(from + 2)?,
        seq: r.get(from + 3)?,
        unknown_location: r.get(from + 4)?,
    })
}

pub(crate) fn catalog(db: &Db) -> Result<Catalog> {
    let mut cat = Catalog::default();
    let rows: Vec<(String, Option<String>, Option<u32>, String)> = db.query(
        "SELECT l.code, i.code, i.id, l.kind FROM geo_level l LEFT JOIN geo_item i ON i.level_id = l.id",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    for (level, item, id, kind) in rows {
        let entry = cat.levels.entry(level).or_default();
        entry.kind = GeoLevelKind::parse(&kind).unwrap_or_default();
        if let (Some(code), Some(id)) = (item, id) {
            entry.items.insert(code, id);
        }
    }
    let rows: Vec<(String, String, Option<String>, String)> = db.query(
        "SELECT code, data_type, formula, dim_levels FROM indicator",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    for (code, dt, formula, dims) in rows {
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
    let rows: Vec<(String, String)> =
        db.query("SELECT level, code FROM dim_member", params![], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    for (level, code) in rows {
        cat.dim_members.entry(level).or_default().insert(code);
    }
    cat.edges = db.query(
        "SELECT c.code, p.code FROM level_edge e JOIN geo_level c ON c.id = e.child_level_id
         JOIN geo_level p ON p.id = e.parent_level_id",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(cat)
}

fn status(db: &Db) -> Result<Status> {
    let count = |sql: &str| {
        db.query_one(sql, params![], |r| r.get::<i64>(0))
            .map(|n| n as u64)
    };
    let levels = db.query(
        "SELECT l.code, l.name, l.kind,
                (SELECT count(*) FROM geo_item i WHERE i.level_id = l.id),
                (SELECT count(*) FROM geo_item i WHERE i.level_id = l.id AND i.unknown_location <> 0),
                (SELECT count(*) FROM geometry g JOIN geo_item i ON i.id = g.item_id WHERE i.level_id = l.id)
         FROM geo_level l ORDER BY l.code",
        params![],
        |r| {
            Ok(LevelStatus {
                code: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                items: r.get::<i64>(3)? as u64,
                unknown_location_items: r.get::<i64>(4)? as u64,
                with_geometry: r.get::<i64>(5)? as u64,
            })
        },
    )?;
    let edges = db.query(
        "SELECT c.code, p.code, e.kind,
                (SELECT count(*) FROM item_link k JOIN geo_item ci ON ci.id = k.child_item_id
                 WHERE ci.level_id = e.child_level_id AND k.parent_level_id = e.parent_level_id)
         FROM level_edge e JOIN geo_level c ON c.id = e.child_level_id
         JOIN geo_level p ON p.id = e.parent_level_id ORDER BY c.code, p.code",
        params![],
        |r| {
            Ok(EdgeStatus {
                child: r.get(0)?,
                parent: r.get(1)?,
                kind: r.get(2)?,
                links: r.get::<i64>(3)? as u64,
            })
        },
    )?;
    let periods: Vec<(String, String)> = db.query(
        "SELECT period_level, period FROM series GROUP BY period_level, period ORDER BY period_level, period",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut by_level: Vec<PeriodStatus> = Vec::new();
    for (level, period) in periods {
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
        // PostgreSQL sums BIGINTs into a NUMERIC: cast back.
        values: count("SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM series")?,
        imports: count("SELECT count(*) FROM import_log")?,
    })
}

/// The theme tree of the test copy, by sequence, on a connection or in a transaction.
pub(crate) fn themes_of(db: &Db) -> Result<Vec<Theme>> {
    db.query(
        "SELECT code, parent, name, seq FROM theme ORDER BY seq, code",
        params![],
        |r| {
            Ok(Theme {
                code: r.get(0)?,
                parent: r.get(1)?,
                name: write::text_from_json(&r.get::<String>(2)?),
                seq: r.get(3)?,
            })
        },
    )
}

pub(crate) fn period_level_names_of(db: &Db) -> Result<PeriodLevelNames> {
    let rows: Vec<(String, String, String)> = db.query(
        "SELECT level, locale, name FROM period_level_name",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut names = PeriodLevelNames::default();
    for (level, locale, name) in rows {
        names.0.entry(level).or_default().insert(locale, name);
    }
    Ok(names)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testing::on_both;

    /// A small test copy written row by row: two levels and a link, an indicator in a theme,
    /// two series, an import with a review.
    pub(crate) fn fill(s: &Store) {
        let db = &s.db;
        let run = |sql: &str| db.execute(sql, params![]).unwrap();
        run(
            "INSERT INTO geo_level (id, code, name, kind) VALUES (1, 'wijk', 'Wijk', 'geo'), (2, 'stad', 'Stad', 'geo')",
        );
        run("INSERT INTO geo_item (id, level_id, code, short_name, name, seq, unknown_location) VALUES
             (10, 1, 'W2', 'W2', 'Wijk twee', 2, 0), (11, 1, 'W1', 'W1', 'Wijk één', 1, 0),
             (12, 1, 'W?', '?', 'Onbekend', 3, 1), (20, 2, 'S', 'S', 'Stad', 1, 0)");
        run(
            "INSERT INTO level_edge (child_level_id, parent_level_id, kind) VALUES (1, 2, 'aggregation')",
        );
        run(
            "INSERT INTO item_link (child_item_id, parent_level_id, parent_item_id) VALUES (10, 2, 20), (11, 2, 20)",
        );
        run("INSERT INTO geometry (item_id, full_geojson, web_geojson, min_lon, min_lat, max_lon, max_lat, source_crs)
             VALUES (11, '{\"full\":1}', '{\"web\":1}', 3.5, 51.0, 3.75, 51.25, 'EPSG:31370')");
        run("INSERT INTO indicator (code, name, description, more_info, unit, source, data_type,
             period_type, non_aggregable, status, visibility, protected, dim_levels,
             non_aggregable_periods, footnote, exclude_from_search, extra, threshold, decimals, formula)
             VALUES ('bev', '{\"nl\":\"Bevolking\"}', '{}', '{}', 'personen', 'Rijksregister', 'number',
             'year', 0, 'active', 'public', 0, '[]', 0, '{}', 0, '{}', 5.5, 1, NULL),
             ('dicht', '{}', '{}', '{}', '', '', 'number', 'year', 1, 'active', 'public', 1, '[]', 0,
             '{}', 1, '{}', NULL, NULL, 'bev / 2')");
        run(
            "INSERT INTO theme (code, parent, name, seq) VALUES ('mens', NULL, '{\"nl\":\"Mens\"}', 0)",
        );
        run(
            "INSERT INTO indicator_theme (indicator_id, theme_code) SELECT id, 'mens' FROM indicator WHERE code = 'bev'",
        );
        let ind: i64 = db
            .query_one(
                "SELECT id FROM indicator WHERE code = 'bev'",
                params![],
                |r| r.get(0),
            )
            .unwrap();
        for (level, period, values) in [
            (
                1,
                "2024",
                vec![
                    (10, Value::Number(3.0)),
                    (11, Value::Missing(MissingCode::Hidden)),
                ],
            ),
            (2, "2024", vec![(20, Value::Number(7.25))]),
        ] {
            db.execute(
                "INSERT INTO series (indicator_id, level_id, period, period_level, dims, n, data)
                 VALUES (?1, ?2, ?3, 'year', '', ?4, ?5)",
                params![
                    ind,
                    level as i64,
                    period,
                    values.len(),
                    &codec::encode(&values)
                ],
            )
            .unwrap();
        }
        let import = db
            .insert(
                "INSERT INTO import_log (at, who, kind, file, sha256, options, counts, warnings)
                 VALUES ('2026-12-07T05:00:00Z', 'eva', 'data', 'bev.csv', 'abc', '{\"sep\":\";\"}', '{\"rows\":3}', 2)",
                params![],
            )
            .unwrap();
        db.execute(
            "INSERT INTO import_review (import_id, undoable, plausibility) VALUES (?1, 1, '[\"a\",\"b\",\"c\"]')",
            params![import],
        )
        .unwrap();
        run("INSERT INTO period_level_name (level, locale, name) VALUES ('year', 'nl', 'Jaar')");
    }

    on_both! {
        fn the_test_copy_reads_back(s: &mut Store) {
            fill(s);
            let cat = s.catalog().unwrap();
            assert_eq!(cat.levels["wijk"].items.len(), 3);
            assert_eq!(cat.levels["stad"].items["S"], 20);
            assert!(cat.indicators["dicht"].is_formula && !cat.indicators["bev"].is_formula);
            assert_eq!(cat.edges, vec![("wijk".to_string(), "stad".to_string())]);
            let levels = s.levels().unwrap();
            assert_eq!(levels.iter().map(|(l, n)| (l.code.as_str(), *n)).collect::<Vec<_>>(), [("stad", 1), ("wijk", 3)]);
            let items = s.items("wijk").unwrap();
            assert_eq!(items.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(), ["W1", "W2", "W?"]);
            assert!(items[2].unknown_location && !items[0].unknown_location);
            assert_eq!(items[0].name, "Wijk één");
            assert_eq!(s.links("wijk", "stad").unwrap(), [("W1".into(), "S".into()), ("W2".into(), "S".into())]);
            assert_eq!(s.geometry_bboxes("wijk").unwrap(), [("W1".into(), [3.5, 51.0, 3.75, 51.25])]);
            assert_eq!(s.geometry("wijk", "W1").unwrap(), Some(("{\"full\":1}".into(), "{\"web\":1}".into())));
            assert_eq!(s.all_geometry().unwrap().len(), 1);
            let bev = s.indicator("bev").unwrap().unwrap();
            assert_eq!((bev.threshold, bev.decimals, bev.themes.clone()), (Some(5.5), Some(1), vec!["mens".to_string()]));
            assert_eq!(bev.name.get("nl"), Some("Bevolking"));
            let dicht = s.indicator("dicht").unwrap().unwrap();
            assert!(dicht.protected && dicht.non_aggregable && dicht.exclude_from_search);
            assert_eq!(dicht.formula.as_deref(), Some("bev / 2"));
            assert_eq!(s.indicators().unwrap().len(), 2);
            assert_eq!(s.themes().unwrap()[0].code, "mens");
            assert_eq!(s.period_level_names().unwrap().0["year"]["nl"], "Jaar");
            let st = s.status().unwrap();
            assert_eq!((st.indicators, st.formula_indicators, st.themes, st.series, st.values, st.imports), (2, 1, 1, 2, 3, 1));
            assert_eq!(st.levels[1].unknown_location_items, 1);
            assert_eq!(st.levels[1].with_geometry, 1);
            assert_eq!(st.edges[0].links, 2);
            assert_eq!((st.periods[0].first.as_str(), st.periods[0].count), ("2024", 1));
            let imports = s.imports().unwrap();
            assert_eq!((imports[0].plausibility, imports[0].undoable, imports[0].warnings), (3, true, 2));
            assert_eq!(imports[0].options["sep"], ";");
            assert!(s.previous_import("abc", "data").unwrap().is_some());
            let w = s.warehouse().unwrap();
            assert_eq!(w.levels.len(), 2);
            assert_eq!(w.levels[1].items.iter().map(|(id, i)| (*id, i.code.as_str())).collect::<Vec<_>>(), [(11, "W1"), (10, "W2"), (12, "W?")]);
            assert_eq!(w.edges[0].links, [(10, 20), (11, 20)]);
            assert_eq!(w.series.len(), 2);
            assert_eq!(w.series[0].key.level, "wijk", "by level id");
            assert_eq!(w.series[0].values, [(10, Value::Number(3.0)), (11, Value::Missing(MissingCode::Hidden))]);
            assert_eq!(s.series_of(Some(&["bev"])).unwrap().len(), 2);
            assert!(s.series_of(Some(&["dicht"])).unwrap().is_empty());
            assert!(s.series_of(Some(&[])).unwrap().is_empty());
        }
    }
}
