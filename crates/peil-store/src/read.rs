//! Reads of the test copy: the catalog readers validate against, indicators, themes, items,
//! links and geometry, the status, the import log, and everything the compute engine loads
//! (`warehouse`, `series_of`).

use crate::{Result, Store, StoreError, codec, write};
use peil_core::*;
use rusqlite::{Connection, OptionalExtension};
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
        catalog(self.conn()).map_err(self.e())
    }

    pub fn indicator(&self, code: &str) -> Result<Option<Indicator>> {
        write::read_indicator(self.conn(), code).map_err(self.e())
    }

    pub fn indicators(&self) -> Result<Vec<Indicator>> {
        let codes: Vec<String> =
            self.rows("SELECT code FROM indicator ORDER BY code", [], |r| r.get(0))?;
        let mut out = Vec::with_capacity(codes.len());
        for c in codes {
            out.extend(self.indicator(&c)?);
        }
        Ok(out)
    }

    /// The theme tree of the test copy (what the back office edits), by sequence.
    pub fn themes(&self) -> Result<Vec<Theme>> {
        themes_of(self.conn()).map_err(self.e())
    }

    /// The names the test copy gives period levels (the back office's; Peil's own where it
    /// gave none).
    pub fn period_level_names(&self) -> Result<PeriodLevelNames> {
        period_level_names_of(self.conn()).map_err(self.e())
    }

    /// The geo levels of the test copy, by code, with how many items each has.
    pub fn levels(&self) -> Result<Vec<(GeoLevel, i64)>> {
        self.rows(
            "SELECT l.code, l.name, l.kind, (SELECT count(*) FROM geo_item i WHERE i.level_id = l.id)
             FROM geo_level l ORDER BY l.code",
            [],
            |r| {
                Ok((
                    GeoLevel {
                        code: r.get(0)?,
                        name: r.get(1)?,
                        kind: GeoLevelKind::parse(&r.get::<_, String>(2)?).unwrap_or_default(),
                    },
                    r.get(3)?,
                ))
            },
        )
    }

    /// Items of a level in sequence order.
    pub fn items(&self, level: &str) -> Result<Vec<GeoItem>> {
        self.rows(
            "SELECT i.code, i.short_name, i.name, i.seq, i.unknown_location FROM geo_item i
                 JOIN geo_level l ON l.id = i.level_id WHERE l.code = ?1 ORDER BY i.seq, i.code",
            [level],
            |r| crate::geo_item(r, 0),
        )
    }

    /// Child code → parent code for one edge of the hierarchy.
    pub fn links(&self, child_level: &str, parent_level: &str) -> Result<Vec<(String, String)>> {
        self.rows(
            "SELECT c.code, p.code FROM item_link k
                 JOIN geo_item c ON c.id = k.child_item_id
                 JOIN geo_level cl ON cl.id = c.level_id
                 JOIN geo_level pl ON pl.id = k.parent_level_id
                 JOIN geo_item p ON p.id = k.parent_item_id
                 WHERE cl.code = ?1 AND pl.code = ?2 ORDER BY c.code",
            [child_level, parent_level],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Code and bounding box of every item of a level that has geometry.
    pub fn geometry_bboxes(&self, level: &str) -> Result<Vec<(String, [f64; 4])>> {
        self.rows(
            "SELECT i.code, g.min_lon, g.min_lat, g.max_lon, g.max_lat FROM geometry g
                 JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id
                 WHERE l.code = ?1 ORDER BY i.code",
            [level],
            |r| Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])),
        )
    }

    /// Every stored geometry: (level, item code, web GeoJSON, full GeoJSON).
    pub fn all_geometry(&self) -> Result<Vec<(String, String, String, String)>> {
        self.rows(
            "SELECT l.code, i.code, g.web_geojson, g.full_geojson FROM geometry g
             JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    }

    /// The full and web geometry (GeoJSON) of one item.
    pub fn geometry(&self, level: &str, code: &str) -> Result<Option<(String, String)>> {
        self.conn()
            .query_row(
                "SELECT g.full_geojson, g.web_geojson FROM geometry g
                 JOIN geo_item i ON i.id = g.item_id JOIN geo_level l ON l.id = i.level_id
                 WHERE l.code = ?1 AND i.code = ?2",
                [level, code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.e())
    }

    pub fn status(&self) -> Result<Status> {
        status(self.conn()).map_err(self.e())
    }

    pub fn imports(&self) -> Result<Vec<ImportEntry>> {
        self.rows(
            "SELECT l.id, l.at, l.who, l.kind, l.file, l.sha256, l.options, l.counts, l.warnings,
                    coalesce(json_array_length(r.plausibility), 0), coalesce(r.undoable, 0), r.undone_at
             FROM import_log l LEFT JOIN import_review r ON r.import_id = l.id ORDER BY l.id",
            [],
            |r| {
                Ok(ImportEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    who: r.get(2)?,
                    kind: r.get(3)?,
                    file: r.get(4)?,
                    sha256: r.get(5)?,
                    options: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or(Json::Null),
                    counts: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or(Json::Null),
                    warnings: r.get::<_, i64>(8)? as u64,
                    plausibility: r.get::<_, i64>(9)? as u64,
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
        let e = self.e();
        let mut w = Warehouse::default();
        let mut level_codes: HashMap<i64, String> = HashMap::new();
        {
            let levels: Vec<(i64, String, String, String)> = self.rows(
                "SELECT id, code, name, kind FROM geo_level ORDER BY code",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let mut items = self
                .conn()
                .prepare("SELECT id, code, short_name, name, seq, unknown_location FROM geo_item WHERE level_id = ?1 ORDER BY seq, code")
                .map_err(&e)?;
            for (id, code, name, kind) in levels {
                level_codes.insert(id, code.clone());
                let list = items
                    .query_map([id], |r| Ok((r.get::<_, u32>(0)?, crate::geo_item(r, 1)?)))
                    .map_err(&e)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(&e)?;
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
            let edges: Vec<(i64, i64, String)> = self.rows(
                "SELECT child_level_id, parent_level_id, kind FROM level_edge ORDER BY child_level_id, parent_level_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let mut links = self
                .conn()
                .prepare(
                    "SELECT k.child_item_id, k.parent_item_id FROM item_link k JOIN geo_item c ON c.id = k.child_item_id
                     WHERE c.level_id = ?1 AND k.parent_level_id = ?2 ORDER BY k.child_item_id",
                )
                .map_err(&e)?;
            for (c, p, kind) in edges {
                let list = links
                    .query_map([c, p], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, u32>(1)?)))
                    .map_err(&e)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(&e)?;
                w.edges.push(WarehouseEdge {
                    child: level_codes[&c].clone(),
                    parent: level_codes[&p].clone(),
                    kind: EdgeKind::parse(&kind).unwrap_or(EdgeKind::Aggregation),
                    links: list,
                });
            }
            // Cluster levels: their members, outside the hierarchy (`clusters.rs`).
            w.edges
                .extend(crate::clusters::cluster_edges(self.conn(), &level_codes).map_err(&e)?);
        }
        w.indicators = self.indicators()?;
        {
            w.dim_levels = self.rows(
                "SELECT code, dimension, name, seq FROM dim_level ORDER BY seq, code",
                [],
                |r| {
                    Ok(DimLevel {
                        code: r.get(0)?,
                        dimension: r.get(1)?,
                        name: write::text_from_json(&r.get::<_, String>(2)?),
                        seq: r.get(3)?,
                    })
                },
            )?;
            w.dim_members = self.rows(
                "SELECT level, code, name, seq FROM dim_member ORDER BY level, seq, code",
                [],
                |r| {
                    Ok(DimMember {
                        level: r.get(0)?,
                        code: r.get(1)?,
                        name: write::text_from_json(&r.get::<_, String>(2)?),
                        seq: r.get(3)?,
                    })
                },
            )?;
            w.dim_links = self.rows(
                "SELECT level, member, parent_level, parent_member FROM dim_link",
                [],
                |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))),
            )?;
        }
        w.series = self.series_of(None)?;
        Ok(w)
    }

    /// The loaded series of some indicators (all when `None`), decoded.
    pub fn series_of(&self, indicators: Option<&[&str]>) -> Result<Vec<WarehouseSeries>> {
        let e = self.e();
        let level_codes: HashMap<i64, String> = {
            let mut st = self
                .conn()
                .prepare("SELECT id, code FROM geo_level")
                .map_err(&e)?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&e)?
                .collect::<rusqlite::Result<_>>()
                .map_err(&e)?
        };
        let filter = if indicators.is_some() {
            "WHERE i.code IN (SELECT value FROM json_each(?1))"
        } else {
            "WHERE ?1 IS NULL"
        };
        let mut st = self
            .conn()
            .prepare(&format!(
                "SELECT i.code, s.level_id, s.period, s.dims, s.data FROM series s JOIN indicator i ON i.id = s.indicator_id
                 {filter} ORDER BY i.code, s.level_id, s.period, s.dims"
            ))
            .map_err(&e)?;
        let list: Option<String> =
            indicators.map(|l| serde_json::to_string(l).unwrap_or_else(|_| "[]".into()));
        let mut rows = st.query([list]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let indicator: String = r.get(0).map_err(&e)?;
            let level_id: i64 = r.get(1).map_err(&e)?;
            let period: String = r.get(2).map_err(&e)?;
            let dims: String = r.get(3).map_err(&e)?;
            let data: Vec<u8> = r.get(4).map_err(&e)?;
            let period = Period::parse(&period).map_err(|p| StoreError::Corrupt(p.to_string()))?;
            let dims = DimKey::parse(&dims)
                .ok_or_else(|| StoreError::Corrupt(format!("dims '{dims}'")))?;
            let values = codec::decode(&data).ok_or_else(|| {
                StoreError::Corrupt(format!("series {indicator} {period} does not decode"))
            })?;
            out.push(WarehouseSeries {
                key: SeriesKey {
                    indicator,
                    level: level_codes[&level_id].clone(),
                    period,
                    dims,
                },
                values,
            });
        }
        Ok(out)
    }
}

pub(crate) fn catalog(conn: &Connection) -> rusqlite::Result<Catalog> {
    let mut cat = Catalog::default();
    let mut st = conn.prepare(
        "SELECT l.code, i.code, i.id, l.kind FROM geo_level l LEFT JOIN geo_item i ON i.level_id = l.id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let level: String = r.get(0)?;
        let entry = cat.levels.entry(level).or_default();
        entry.kind = GeoLevelKind::parse(&r.get::<_, String>(3)?).unwrap_or_default();
        if let Some(code) = r.get::<_, Option<String>>(1)? {
            entry.items.insert(code, r.get(2)?);
        }
    }
    let mut st = conn.prepare("SELECT code, data_type, formula, dim_levels FROM indicator")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let code: String = r.get(0)?;
        let dt: String = r.get(1)?;
        let formula: Option<String> = r.get(2)?;
        let dims: String = r.get(3)?;
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
    let mut st = conn.prepare("SELECT level, code FROM dim_member")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        cat.dim_members
            .entry(r.get(0)?)
            .or_default()
            .insert(r.get(1)?);
    }
    let mut st = conn.prepare(
        "SELECT c.code, p.code FROM level_edge e JOIN geo_level c ON c.id = e.child_level_id
         JOIN geo_level p ON p.id = e.parent_level_id",
    )?;
    cat.edges = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(cat)
}

fn status(conn: &Connection) -> rusqlite::Result<Status> {
    let count = |sql: &str| {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
    };
    let mut st = conn.prepare(
        "SELECT l.code, l.name, l.kind,
                (SELECT count(*) FROM geo_item i WHERE i.level_id = l.id),
                (SELECT count(*) FROM geo_item i WHERE i.level_id = l.id AND i.unknown_location),
                (SELECT count(*) FROM geometry g JOIN geo_item i ON i.id = g.item_id WHERE i.level_id = l.id)
         FROM geo_level l ORDER BY l.code",
    )?;
    let levels = st
        .query_map([], |r| {
            Ok(LevelStatus {
                code: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                items: r.get::<_, i64>(3)? as u64,
                unknown_location_items: r.get::<_, i64>(4)? as u64,
                with_geometry: r.get::<_, i64>(5)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT c.code, p.code, e.kind,
                (SELECT count(*) FROM item_link k JOIN geo_item ci ON ci.id = k.child_item_id
                 WHERE ci.level_id = e.child_level_id AND k.parent_level_id = e.parent_level_id)
         FROM level_edge e JOIN geo_level c ON c.id = e.child_level_id
         JOIN geo_level p ON p.id = e.parent_level_id ORDER BY c.code, p.code",
    )?;
    let edges = st
        .query_map([], |r| {
            Ok(EdgeStatus {
                child: r.get(0)?,
                parent: r.get(1)?,
                kind: r.get(2)?,
                links: r.get::<_, i64>(3)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT period_level, period FROM series GROUP BY period_level, period ORDER BY period_level, period",
    )?;
    let mut by_level: Vec<PeriodStatus> = Vec::new();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let level: String = r.get(0)?;
        let period: String = r.get(1)?;
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
        values: count("SELECT coalesce(sum(n), 0) FROM series")?,
        imports: count("SELECT count(*) FROM import_log")?,
    })
}

/// The theme tree of the test copy, by sequence, on a connection or in a transaction.
pub(crate) fn themes_of(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<Theme>> {
    let mut st =
        conn.prepare_cached("SELECT code, parent, name, seq FROM theme ORDER BY seq, code")?;
    st.query_map([], |r| {
        Ok(Theme {
            code: r.get(0)?,
            parent: r.get(1)?,
            name: write::text_from_json(&r.get::<_, String>(2)?),
            seq: r.get(3)?,
        })
    })?
    .collect()
}

pub(crate) fn period_level_names_of(
    conn: &rusqlite::Connection,
) -> rusqlite::Result<PeriodLevelNames> {
    let mut st = conn.prepare_cached("SELECT level, locale, name FROM period_level_name")?;
    let mut names = PeriodLevelNames::default();
    for row in st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
    })? {
        let (level, locale, name) = row?;
        names.0.entry(level).or_default().insert(locale, name);
    }
    Ok(names)
}
