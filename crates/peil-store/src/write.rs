//! Writes: one [`ImportTx`] per import, committed all at once or not at all.

use crate::{Result, StoreError, codec};
use peil_core::*;
use rusqlite::{OptionalExtension, params};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Counts of created, changed and untouched rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RowCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// An open import. Dropping it without [`ImportTx::commit`] rolls everything back.
pub struct ImportTx<'a> {
    pub(crate) tx: crate::db::Tx<'a>,
    /// What this import replaced, as it first touched it (written by `record_import`).
    pub(crate) undo: RefCell<Undo>,
    /// Whether this is a pull from a source site, the one writer that may change the metadata
    /// of protected indicators ([`ImportTx::as_pull`]).
    pub(crate) pull: bool,
}

/// A series key as the store holds it: indicator id, level id, period code, dims text.
pub(crate) type StoredKey = (i64, i64, String, String);

/// A series before an import: its period level and, if it existed, its value count and blob.
pub(crate) type Before = (String, Option<(i64, Vec<u8>)>);

/// The previous contents of everything an import touched: per series its period level and,
/// if it existed, its value count and blob; per indicator its metadata, if it existed.
#[derive(Default)]
pub(crate) struct Undo {
    pub series: BTreeMap<StoredKey, Before>,
    pub indicators: BTreeMap<String, Option<Indicator>>,
    /// Per renamed level (`level`, its code), area (`item`, level TAB code) or period level
    /// (`period`, its code): its names before (JSON; none: it had none of its own).
    pub names: BTreeMap<(&'static str, String), Option<String>>,
}

pub(crate) fn text_to_json(t: &LocalizedText) -> String {
    serde_json::to_string(&t.0).unwrap_or_else(|_| "{}".into())
}

pub(crate) fn text_from_json(s: &str) -> LocalizedText {
    LocalizedText(serde_json::from_str(s).unwrap_or_default())
}

pub(crate) fn read_indicator(db: &crate::db::Db, code: &str) -> Result<Option<Indicator>> {
    let row = db.query_row(
        "SELECT id, code, name, description, more_info, unit, source, data_type, period_type,
                aggregation_indicator, sample_indicator, stddev_indicator, population_indicator,
                threshold, threshold_indicator, rounding, decimals, formula, non_aggregable,
                status, visibility, protected, start_period, end_period, dim_levels, seq,
                provisional_period, forecast_period, non_aggregable_periods, footnote, exclude_from_search, extra,
                total_of
         FROM indicator WHERE code = ?1",
        crate::db::params![code],
        |r| {
            let id: i64 = r.get(0)?;
            let period = |s: Option<String>| s.and_then(|s| Period::parse(&s).ok());
            Ok((
                id,
                Indicator {
                    code: r.get(1)?,
                    name: text_from_json(&r.get::<String>(2)?),
                    description: text_from_json(&r.get::<String>(3)?),
                    more_info: text_from_json(&r.get::<String>(4)?),
                    unit: r.get(5)?,
                    source: r.get(6)?,
                    data_type: DataType::parse(&r.get::<String>(7)?).unwrap_or_default(),
                    period_type: PeriodType::parse(&r.get::<String>(8)?).unwrap_or_default(),
                    aggregation_indicator: r.get(9)?,
                    sample_indicator: r.get(10)?,
                    stddev_indicator: r.get(11)?,
                    population_indicator: r.get(12)?,
                    threshold: r.get(13)?,
                    threshold_indicator: r.get(14)?,
                    rounding: r.get(15)?,
                    decimals: r.get(16)?,
                    formula: r.get(17)?,
                    non_aggregable: r.get(18)?,
                    status: Lifecycle::parse(&r.get::<String>(19)?).unwrap_or_default(),
                    visibility: Visibility::parse(&r.get::<String>(20)?),
                    protected: r.get(21)?,
                    start_period: period(r.get(22)?),
                    end_period: period(r.get(23)?),
                    dim_levels: serde_json::from_str(&r.get::<String>(24)?).unwrap_or_default(),
                    seq: r.get(25)?,
                    provisional_period: period(r.get(26)?),
                    forecast_period: period(r.get(27)?),
                    non_aggregable_periods: r.get(28)?,
                    footnote: text_from_json(&r.get::<String>(29)?),
                    exclude_from_search: r.get(30)?,
                    extra: serde_json::from_str(&r.get::<String>(31)?).unwrap_or_default(),
                    total_of: serde_json::from_str(&r.get::<String>(32)?).unwrap_or_default(),
                    themes: Vec::new(),
                },
            ))
        },
    )?;
    let Some((id, mut ind)) = row else {
        return Ok(None);
    };
    ind.themes = db.query(
        "SELECT theme_code FROM indicator_theme WHERE indicator_id = ?1 ORDER BY theme_code",
        crate::db::params![id],
        |r| r.get(0),
    )?;
    Ok(Some(ind))
}

impl<'a> ImportTx<'a> {
    pub(crate) fn new(tx: crate::db::Tx<'a>) -> ImportTx<'a> {
        ImportTx {
            tx,
            undo: RefCell::default(),
            pull: false,
        }
    }

    /// Marks this import as a pull from a source site (`peil pull`): it may write the metadata
    /// of protected indicators, which every other import is refused.
    pub fn as_pull(&mut self) {
        self.pull = true;
    }

    /// Remembers a series as it was before this import first touched it.
    fn remember_series(&self, key: StoredKey, period_level: &str, old: Option<(i64, Vec<u8>)>) {
        self.undo
            .borrow_mut()
            .series
            .entry(key)
            .or_insert_with(|| (period_level.to_string(), old));
    }

    /// Remembers a level's, an area's or a period level's names before this import first
    /// renames it.
    fn remember_names(&self, what: &'static str, code: String, before: Option<String>) {
        self.undo
            .borrow_mut()
            .names
            .entry((what, code))
            .or_insert(before);
    }

    /// Remembers every series a `WHERE` clause selects, before it is deleted.
    fn remember_series_where(&self, sql: &str, p: &[crate::db::Param<'_>]) -> Result<()> {
        let rows: Vec<(StoredKey, String, i64, Vec<u8>)> = self.tx.query(
            &format!(
                "SELECT indicator_id, level_id, period, dims, period_level, n, data FROM series WHERE {sql}"
            ),
            p,
            |r| {
                Ok((
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?;
        for (key, level, n, data) in rows {
            self.remember_series(key, &level, Some((n, data)));
        }
        Ok(())
    }

    /// Makes the whole import visible at once.
    pub fn commit(self) -> Result<()> {
        self.tx.commit()
    }

    /// The catalog as this transaction sees it (including its own uncommitted writes).
    pub fn catalog(&self) -> Result<Catalog> {
        crate::read::catalog(&self.tx)
    }

    pub fn indicator(&self, code: &str) -> Result<Option<Indicator>> {
        read_indicator(&self.tx, code)
    }

    fn level_id(&self, code: &str) -> Result<Option<i64>> {
        self.tx.query_row(
            "SELECT id FROM geo_level WHERE code = ?1",
            crate::db::params![code],
            |r| r.get(0),
        )
    }

    fn ensure_level(&self, level: &GeoLevel) -> Result<i64> {
        if let Some(id) = self.level_id(&level.code)? {
            return Ok(id);
        }
        self.tx.insert(
            "INSERT INTO geo_level (code, name, kind) VALUES (?1, ?2, ?3)",
            crate::db::params![&level.code, &level.name, level.kind.code()],
        )
    }

    /// Renames a geo level (its code stays). Returns the name it had, `None` for an unknown
    /// level.
    pub fn rename_level(&mut self, code: &str, name: &str) -> Result<Option<String>> {
        let before: Option<String> = self.tx.query_row(
            "SELECT name FROM geo_level WHERE code = ?1",
            crate::db::params![code],
            |r| r.get(0),
        )?;
        if let Some(b) = &before {
            self.remember_names("level", code.to_string(), serde_json::to_string(b).ok());
            self.tx.execute(
                "UPDATE geo_level SET name = ?2 WHERE code = ?1",
                crate::db::params![code, name],
            )?;
        }
        Ok(before)
    }

    /// Renames one geo item (its code stays): the short name and the name. Returns the
    /// (short name, name) it had, `None` for an unknown item.
    pub fn rename_item(
        &mut self,
        level: &str,
        code: &str,
        short_name: &str,
        name: &str,
    ) -> Result<Option<(String, String)>> {
        let found: Option<(i64, String, String)> = self.tx.query_row(
            "SELECT i.id, i.short_name, i.name FROM geo_item i JOIN geo_level l ON l.id = i.level_id
             WHERE l.code = ?1 AND i.code = ?2",
            crate::db::params![level, code],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let Some((id, s, n)) = found else {
            return Ok(None);
        };
        self.remember_names(
            "item",
            format!("{level}\t{code}"),
            serde_json::to_string(&(&s, &n)).ok(),
        );
        self.tx.execute(
            "UPDATE geo_item SET short_name = ?2, name = ?3 WHERE id = ?1",
            crate::db::params![id, short_name, name],
        )?;
        Ok(Some((s, n)))
    }

    /// Gives a period level its names for readers, per language code (an empty name, or Peil's
    /// own, leaves Peil's). Returns the names it had of its own, and has.
    #[allow(clippy::type_complexity)]
    pub fn set_period_level_names(
        &mut self,
        level: PeriodLevel,
        names: &[(Locale, String)],
    ) -> Result<(BTreeMap<String, String>, BTreeMap<String, String>)> {
        let all = crate::read::period_level_names_of(&self.tx)?;
        let before = all.0.get(level.code()).cloned().unwrap_or_default();
        let mut next = all;
        for (locale, name) in names {
            next.set(level, *locale, name);
        }
        let after = next.0.get(level.code()).cloned().unwrap_or_default();
        if after == before {
            return Ok((before, after));
        }
        self.remember_names(
            "period",
            level.code().to_string(),
            (!before.is_empty())
                .then(|| serde_json::to_string(&before).ok())
                .flatten(),
        );
        self.write_period_level_names(level.code(), &after)?;
        Ok((before, after))
    }

    /// Replaces a period level's own names (level code; language code → name).
    pub(crate) fn write_period_level_names(
        &self,
        level: &str,
        names: &BTreeMap<String, String>,
    ) -> Result<()> {
        self.tx.execute(
            "DELETE FROM period_level_name WHERE level = ?1",
            crate::db::params![level],
        )?;
        for (locale, name) in names {
            self.tx.execute(
                "INSERT INTO period_level_name (level, locale, name) VALUES (?1, ?2, ?3)",
                crate::db::params![level, locale, name],
            )?;
        }
        Ok(())
    }

    /// Adds or updates the items of a level. Items not in the batch stay: codes are permanent.
    pub fn apply_areas(&mut self, batch: &AreaBatch) -> Result<RowCounts> {
        let level_id = self.ensure_level(&batch.level)?;
        let existing: HashMap<String, (i64, String, String, i64, bool)> = self
            .tx
            .query(
                "SELECT id, code, short_name, name, seq, unknown_location FROM geo_item WHERE level_id = ?1",
                crate::db::params![level_id],
                |r| Ok((r.get(1)?, (r.get(0)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))),
            )?
            .into_iter()
            .collect();
        let mut counts = RowCounts::default();
        for item in &batch.items {
            match existing.get(&item.code) {
                None => {
                    self.tx.execute(
                        "INSERT INTO geo_item (level_id, code, short_name, name, seq, unknown_location) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        crate::db::params![
                            level_id,
                            &item.code,
                            &item.short_name,
                            &item.name,
                            item.seq,
                            item.unknown_location
                        ],
                    )?;
                    counts.inserted += 1;
                }
                Some((id, s, n, q, u)) => {
                    if *s == item.short_name
                        && *n == item.name
                        && *q == item.seq
                        && *u == item.unknown_location
                    {
                        counts.unchanged += 1;
                    } else {
                        self.tx.execute(
                            "UPDATE geo_item SET short_name = ?2, name = ?3, seq = ?4, unknown_location = ?5 WHERE id = ?1",
                            crate::db::params![
                                *id,
                                &item.short_name,
                                &item.name,
                                item.seq,
                                item.unknown_location
                            ],
                        )?;
                        counts.updated += 1;
                    }
                }
            }
        }
        Ok(counts)
    }

    /// Adds an edge of the hierarchy and its item links. Refuses an edge that closes a cycle.
    pub fn apply_links(&mut self, batch: &LinkBatch) -> Result<RowCounts> {
        let child = self.level_id(&batch.child_level)?.ok_or_else(|| {
            StoreError::Invalid(format!(
                "unknown geo level '{}': import its area definitions first",
                batch.child_level
            ))
        })?;
        let parent = self.level_id(&batch.parent_level)?.ok_or_else(|| {
            StoreError::Invalid(format!(
                "unknown geo level '{}': import its area definitions first",
                batch.parent_level
            ))
        })?;
        let cat = self.catalog()?;
        for l in [&batch.child_level, &batch.parent_level] {
            if cat.levels.get(l.as_str()).map(|c| c.kind) == Some(peil_core::GeoLevelKind::Cluster)
            {
                return Err(StoreError::Invalid(format!(
                    "geo level '{l}' is a cluster level, outside the hierarchy: its members come from its cluster table, not from an aggregation table"
                )));
            }
        }
        let mut edges: Vec<(&str, &str)> = cat
            .edges
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        edges.push((&batch.child_level, &batch.parent_level));
        if let Some(cycle) = find_cycle(edges) {
            return Err(StoreError::Invalid(format!(
                "the table {} → {} would make a cycle in the level hierarchy: {}",
                batch.child_level,
                batch.parent_level,
                cycle.join(" → ")
            )));
        }
        self.tx.execute(
            "INSERT INTO level_edge (child_level_id, parent_level_id, kind) VALUES (?1, ?2, ?3)
             ON CONFLICT (child_level_id, parent_level_id) DO UPDATE SET kind = excluded.kind",
            crate::db::params![child, parent, batch.kind.code()],
        )?;
        let child_items = &cat.levels[&batch.child_level].items;
        let parent_items = &cat.levels[&batch.parent_level].items;
        let existing: HashMap<u32, u32> = self
            .tx
            .query(
                "SELECT child_item_id, parent_item_id FROM item_link WHERE parent_level_id = ?1",
                crate::db::params![parent],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .into_iter()
            .collect();
        let mut counts = RowCounts::default();
        for (c, p) in &batch.links {
            let cid = *child_items.get(c).ok_or_else(|| {
                StoreError::Invalid(format!("'{c}' is not an item of {}", batch.child_level))
            })?;
            let pid = *parent_items.get(p).ok_or_else(|| {
                StoreError::Invalid(format!("'{p}' is not an item of {}", batch.parent_level))
            })?;
            let link = |tx: &crate::db::Db| {
                tx.execute(
                    "INSERT INTO item_link (child_item_id, parent_level_id, parent_item_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT (child_item_id, parent_level_id) DO UPDATE SET parent_item_id = excluded.parent_item_id",
                    crate::db::params![cid, parent, pid],
                )
            };
            match existing.get(&cid) {
                Some(old) if *old == pid => counts.unchanged += 1,
                Some(_) => {
                    link(&self.tx)?;
                    counts.updated += 1;
                }
                None => {
                    link(&self.tx)?;
                    counts.inserted += 1;
                }
            }
        }
        Ok(counts)
    }

    /// After a conversion table: an unknown-location item of the old division that the table
    /// leaves out (e.g. `44029ZZZZ` of a municipality merged away) still holds real values. Its
    /// sibling sectors (same NIS5 prefix) all went to sectors of one municipality of the new
    /// division; its values belong to that municipality's own unknown-location item. Links
    /// found this way are added and returned as (old code, new code, municipality level,
    /// municipality code) so the import can report them. Nothing is guessed when the siblings
    /// disagree or no such item exists.
    pub fn infer_unknown_location_links(
        &mut self,
        child_level: &str,
        parent_level: &str,
    ) -> Result<Vec<(String, String, String, String)>> {
        use crate::db::params;
        let (Some(child), Some(target)) =
            (self.level_id(child_level)?, self.level_id(parent_level)?)
        else {
            return Ok(Vec::new());
        };
        let pair = |r: &crate::db::Row<'_>| -> Result<(i64, String)> { Ok((r.get(0)?, r.get(1)?)) };
        let unmapped: Vec<(i64, String)> = self.tx.query(
            "SELECT c.id, c.code FROM geo_item c WHERE c.level_id = ?1 AND c.unknown_location <> 0
             AND NOT EXISTS (SELECT 1 FROM item_link k WHERE k.child_item_id = c.id AND k.parent_level_id = ?2)",
            params![child, target],
            pair,
        )?;
        // Levels the new division's items roll up into by aggregation.
        let groups: Vec<(i64, String)> = self.tx.query(
            "SELECT e.parent_level_id, l.code FROM level_edge e JOIN geo_level l ON l.id = e.parent_level_id
             WHERE e.child_level_id = ?1 AND e.kind = 'aggregation' ORDER BY l.code",
            params![target],
            pair,
        )?;
        let mut found = Vec::new();
        for (id, code) in unmapped {
            let Some(prefix) = code.get(..5) else {
                continue;
            };
            for (group, group_code) in &groups {
                // The groups that the siblings' targets belong to.
                let parents: Vec<(i64, String)> = self.tx.query(
                    "SELECT DISTINCT g.id, g.code FROM geo_item s
                     JOIN item_link k ON k.child_item_id = s.id AND k.parent_level_id = ?2
                     JOIN item_link m ON m.child_item_id = k.parent_item_id AND m.parent_level_id = ?3
                     JOIN geo_item g ON g.id = m.parent_item_id
                     WHERE s.level_id = ?1 AND s.id <> ?4 AND substr(s.code, 1, 5) = ?5",
                    params![child, target, *group, id, prefix],
                    pair,
                )?;
                let [(gid, gcode)] = parents.as_slice() else {
                    continue;
                };
                let candidates: Vec<(i64, String)> = self.tx.query(
                    "SELECT i.id, i.code FROM geo_item i JOIN item_link m ON m.child_item_id = i.id AND m.parent_level_id = ?2
                     WHERE i.level_id = ?1 AND i.unknown_location <> 0 AND m.parent_item_id = ?3",
                    params![target, *group, *gid],
                    pair,
                )?;
                if let [(uid, ucode)] = candidates.as_slice() {
                    self.tx.execute(
                        "INSERT INTO item_link (child_item_id, parent_level_id, parent_item_id) VALUES (?1, ?2, ?3)",
                        params![id, target, *uid],
                    )?;
                    found.push((
                        code.clone(),
                        ucode.clone(),
                        group_code.clone(),
                        gcode.clone(),
                    ));
                    break;
                }
            }
        }
        Ok(found)
    }

    /// [`ImportTx::infer_unknown_location_links`] for every conversion edge of the store. The
    /// rule needs the new division's aggregation table (to find the municipality the siblings
    /// went to), so it runs after *every* hierarchy import: whichever of the two tables comes
    /// last, the unknown-location items of the old division get their link (it used to run only
    /// with the conversion table, and silently did nothing when that came first).
    pub fn infer_all_unknown_location_links(
        &mut self,
    ) -> Result<Vec<(String, String, String, String)>> {
        let conversions: Vec<(String, String)> = self.tx.query(
            "SELECT c.code, p.code FROM level_edge e
             JOIN geo_level c ON c.id = e.child_level_id
             JOIN geo_level p ON p.id = e.parent_level_id
             WHERE e.kind = 'conversion' ORDER BY c.code, p.code",
            crate::db::params![],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut found = Vec::new();
        for (child, parent) in conversions {
            found.extend(self.infer_unknown_location_links(&child, &parent)?);
        }
        Ok(found)
    }

    pub fn apply_geometry(&mut self, batch: &GeometryBatch) -> Result<RowCounts> {
        let cat = self.catalog()?;
        let items = &cat
            .levels
            .get(&batch.level)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "unknown geo level '{}': import its area definitions first",
                    batch.level
                ))
            })?
            .items;
        let mut counts = RowCounts::default();
        for f in &batch.features {
            let id = *items.get(&f.code).ok_or_else(|| {
                StoreError::Invalid(format!("'{}' is not an item of {}", f.code, batch.level))
            })?;
            let previous: Option<String> = self.tx.query_row(
                "SELECT full_geojson FROM geometry WHERE item_id = ?1",
                crate::db::params![id],
                |r| r.get(0),
            )?;
            match previous {
                Some(p) if p == f.full => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => counts.updated += 1,
                None => counts.inserted += 1,
            }
            let [a, b, c, d] = f.bbox;
            self.tx.execute(
                "INSERT INTO geometry (item_id, full_geojson, web_geojson, min_lon, min_lat, max_lon, max_lat, source_crs)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (item_id) DO UPDATE SET full_geojson = excluded.full_geojson,
                   web_geojson = excluded.web_geojson, min_lon = excluded.min_lon, min_lat = excluded.min_lat,
                   max_lon = excluded.max_lon, max_lat = excluded.max_lat, source_crs = excluded.source_crs",
                crate::db::params![id, &f.full, &f.web, a, b, c, d, &batch.source_crs],
            )?;
        }
        Ok(counts)
    }

    /// Writes indicators (whole: merge with [`ImportTx::indicator`] first to keep fields),
    /// themes, dimensions and members.
    pub fn apply_metadata(&mut self, batch: &MetadataBatch) -> Result<RowCounts> {
        use crate::db::params;
        for t in &batch.themes {
            self.tx.execute(
                "INSERT INTO theme (code, parent, name, seq) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (code) DO UPDATE SET parent = excluded.parent, name = excluded.name, seq = excluded.seq",
                params![&t.code, &t.parent, &text_to_json(&t.name), t.seq],
            )?;
        }
        for d in &batch.dimensions {
            self.tx.execute(
                "INSERT INTO dimension (code, name) VALUES (?1, ?2) ON CONFLICT (code) DO UPDATE SET name = excluded.name",
                params![&d.code, &text_to_json(&d.name)],
            )?;
        }
        for l in &batch.dim_levels {
            self.tx.execute(
                "INSERT INTO dim_level (code, dimension, name, seq) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (code) DO UPDATE SET dimension = excluded.dimension, name = excluded.name, seq = excluded.seq",
                params![&l.code, &l.dimension, &text_to_json(&l.name), l.seq],
            )?;
        }
        for m in &batch.dim_members {
            self.tx.execute(
                "INSERT INTO dim_member (level, code, name, seq) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (level, code) DO UPDATE SET name = excluded.name, seq = excluded.seq",
                params![&m.level, &m.code, &text_to_json(&m.name), m.seq],
            )?;
        }
        for ((l, m), (pl, pm)) in &batch.dim_links {
            self.tx.execute(
                "INSERT INTO dim_link (level, member, parent_level, parent_member) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (level, member, parent_level) DO UPDATE SET parent_member = excluded.parent_member",
                params![l, m, pl, pm],
            )?;
        }
        let mut counts = RowCounts::default();
        for ind in &batch.indicators {
            match self.indicator(&ind.code)? {
                Some(old) if old == *ind => counts.unchanged += 1,
                // The one home of the rule: a protected indicator (pulled from a source site)
                // changes only through a pull; the whole import is refused.
                Some(old) if old.protected && !self.pull => {
                    return Err(StoreError::Protected(ind.code.clone()));
                }
                Some(_) => {
                    self.write_indicator(ind)?;
                    counts.updated += 1;
                }
                None => {
                    self.write_indicator(ind)?;
                    counts.inserted += 1;
                }
            }
        }
        Ok(counts)
    }

    pub(crate) fn write_indicator(&self, ind: &Indicator) -> Result<i64> {
        use crate::db::params;
        if !self.undo.borrow().indicators.contains_key(&ind.code) {
            let before = read_indicator(&self.tx, &ind.code)?;
            self.undo
                .borrow_mut()
                .indicators
                .insert(ind.code.clone(), before);
        }
        self.tx.execute(
                "INSERT INTO indicator (code, name, description, more_info, unit, source, data_type, period_type,
                    aggregation_indicator, sample_indicator, stddev_indicator, population_indicator, threshold,
                    threshold_indicator, rounding, decimals, formula, non_aggregable, status, visibility, protected,
                    start_period, end_period, dim_levels, seq, provisional_period, forecast_period,
                    non_aggregable_periods, footnote, exclude_from_search, extra, total_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                    ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, description = excluded.description,
                    more_info = excluded.more_info, unit = excluded.unit, source = excluded.source,
                    data_type = excluded.data_type, period_type = excluded.period_type,
                    aggregation_indicator = excluded.aggregation_indicator, sample_indicator = excluded.sample_indicator,
                    stddev_indicator = excluded.stddev_indicator, population_indicator = excluded.population_indicator,
                    threshold = excluded.threshold, threshold_indicator = excluded.threshold_indicator,
                    rounding = excluded.rounding, decimals = excluded.decimals, formula = excluded.formula,
                    non_aggregable = excluded.non_aggregable, status = excluded.status, visibility = excluded.visibility,
                    protected = excluded.protected, start_period = excluded.start_period, end_period = excluded.end_period,
                    dim_levels = excluded.dim_levels, seq = excluded.seq,
                    provisional_period = excluded.provisional_period, forecast_period = excluded.forecast_period,
                    non_aggregable_periods = excluded.non_aggregable_periods, footnote = excluded.footnote,
                    exclude_from_search = excluded.exclude_from_search, extra = excluded.extra,
                    total_of = excluded.total_of",
                params![
                    &ind.code,
                    &text_to_json(&ind.name),
                    &text_to_json(&ind.description),
                    &text_to_json(&ind.more_info),
                    &ind.unit,
                    &ind.source,
                    ind.data_type.code(),
                    ind.period_type.code(),
                    &ind.aggregation_indicator,
                    &ind.sample_indicator,
                    &ind.stddev_indicator,
                    &ind.population_indicator,
                    ind.threshold,
                    &ind.threshold_indicator,
                    ind.rounding,
                    ind.decimals,
                    &ind.formula,
                    ind.non_aggregable,
                    ind.status.code(),
                    &ind.visibility.code(),
                    ind.protected,
                    &ind.start_period.map(|p| p.code()),
                    &ind.end_period.map(|p| p.code()),
                    &serde_json::to_string(&ind.dim_levels).unwrap_or_else(|_| "[]".into()),
                    ind.seq,
                    &ind.provisional_period.map(|p| p.code()),
                    &ind.forecast_period.map(|p| p.code()),
                    ind.non_aggregable_periods,
                    &text_to_json(&ind.footnote),
                    ind.exclude_from_search,
                    &serde_json::to_string(&ind.extra).unwrap_or_else(|_| "{}".into()),
                    &serde_json::to_string(&ind.total_of).unwrap_or_else(|_| "[]".into()),
                ],
            )?;
        let id: i64 = self.tx.query_one(
            "SELECT id FROM indicator WHERE code = ?1",
            params![&ind.code],
            |r| r.get(0),
        )?;
        self.tx.execute(
            "DELETE FROM indicator_theme WHERE indicator_id = ?1",
            params![id],
        )?;
        for t in &ind.themes {
            self.tx.execute(
                "INSERT INTO theme (code, parent, name, seq) VALUES (?1, NULL, ?2, 0) ON CONFLICT (code) DO NOTHING",
                params![t, &text_to_json(&LocalizedText::nl(t.clone()))],
            )?;
            self.tx.execute(
                "INSERT OR IGNORE INTO indicator_theme (indicator_id, theme_code) VALUES (?1, ?2)",
                params![id, t],
            )?;
        }
        Ok(id)
    }

    /// Loads values. The batch must be sorted by (series, item) without duplicates, as
    /// `peil-ingest` produces it.
    pub fn apply_data(&mut self, batch: &DataBatch, opts: &DataOptions) -> Result<ApplyCounts> {
        for code in &batch.new_indicators {
            if self.indicator(code)?.is_none() {
                // Nothing says whether it is a stock or a flow: it is not aggregated over
                // periods until its metadata gives a period type, rather than guessed a stock
                // (which published a year of monthly flows as its December).
                self.write_indicator(&Indicator {
                    period_type: PeriodType::Independent,
                    ..Indicator::new(code)
                })?;
            }
        }
        let mut indicator_ids: HashMap<&str, i64> = HashMap::new();
        let mut level_ids: HashMap<&str, i64> = HashMap::new();
        for key in &batch.series {
            if !indicator_ids.contains_key(key.indicator.as_str()) {
                let id = self
                    .tx
                    .query_row(
                        "SELECT id FROM indicator WHERE code = ?1",
                        crate::db::params![&key.indicator],
                        |r| r.get(0),
                    )?
                    .ok_or_else(|| {
                        StoreError::Invalid(format!("unknown indicator '{}'", key.indicator))
                    })?;
                indicator_ids.insert(&key.indicator, id);
            }
            if !level_ids.contains_key(key.level.as_str()) {
                let id = self.level_id(&key.level)?.ok_or_else(|| {
                    StoreError::Invalid(format!("unknown geo level '{}'", key.level))
                })?;
                level_ids.insert(&key.level, id);
            }
        }
        let mut counts = ApplyCounts::default();
        let cleared_sum = |sql: &str, p: &[crate::db::Param<'_>]| -> Result<u64> {
            self.remember_series_where(sql, p)?;
            let n: i64 = self.tx.query_one(
                &format!("SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM series WHERE {sql}"),
                p,
                |r| r.get(0),
            )?;
            self.tx
                .execute(&format!("DELETE FROM series WHERE {sql}"), p)?;
            Ok(n as u64)
        };
        match opts.clear {
            ClearMode::None => {}
            ClearMode::Indicators => {
                for id in indicator_ids.values() {
                    counts.cleared += cleared_sum("indicator_id = ?1", crate::db::params![*id])?;
                }
            }
            ClearMode::Combinations => {
                let mut done = std::collections::HashSet::new();
                for key in &batch.series {
                    let (i, l, p) = (
                        indicator_ids[key.indicator.as_str()],
                        level_ids[key.level.as_str()],
                        key.period.code(),
                    );
                    if done.insert((i, l, p.clone())) {
                        counts.cleared += cleared_sum(
                            "indicator_id = ?1 AND level_id = ?2 AND period = ?3",
                            crate::db::params![i, l, &p],
                        )?;
                    }
                }
            }
        }
        // The hot loop: per series its stored values, merged, written back. On SQLite its two
        // statements are prepared once and held, as before the seam; on PostgreSQL they are
        // the connection's prepared statements.
        let mut io = SeriesIo::new(&self.tx)?;
        let mut ranges: BTreeMap<&str, (Period, Period)> = BTreeMap::new();
        for (key, records) in batch.runs() {
            let (i, l) = (
                indicator_ids[key.indicator.as_str()],
                level_ids[key.level.as_str()],
            );
            let period = key.period.code();
            let dims = key.dims.to_text();
            let old: Option<(i64, Vec<u8>)> = io.get(i, l, &period, &dims)?;
            let old_values = match &old {
                Some((_, data)) => codec::decode(data).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "stored values of {} {period} do not decode",
                        key.indicator
                    ))
                })?,
                None => Vec::new(),
            };
            let (merged, c) = merge(&old_values, records);
            counts.add(c);
            if c.inserted + c.updated > 0 {
                self.remember_series(
                    (i, l, period.clone(), dims.clone()),
                    key.period.level.code(),
                    old.map(|(_, data)| (old_values.len() as i64, data)),
                );
                io.put(
                    i,
                    l,
                    &period,
                    key.period.level.code(),
                    &dims,
                    merged.len() as i64,
                    &codec::encode(&merged),
                )?;
            }
            let r = ranges
                .entry(&key.indicator)
                .or_insert((key.period, key.period));
            if key.period.bounds().0 < r.0.bounds().0 {
                r.0 = key.period;
            }
            if key.period.bounds().1 > r.1.bounds().1 {
                r.1 = key.period;
            }
        }
        drop(io);
        for (code, (first, last)) in ranges {
            let Some(mut ind) = self.indicator(code)? else {
                continue;
            };
            let before = (ind.start_period, ind.end_period);
            if opts.adjust_periods {
                ind.start_period = Some(first);
                ind.end_period = Some(last);
            } else {
                if ind
                    .start_period
                    .is_none_or(|s| first.bounds().0 < s.bounds().0)
                {
                    ind.start_period = Some(first);
                }
                if ind
                    .end_period
                    .is_none_or(|s| last.bounds().1 > s.bounds().1)
                {
                    ind.end_period = Some(last);
                }
            }
            if before != (ind.start_period, ind.end_period) {
                self.write_indicator(&ind)?;
            }
        }
        Ok(counts)
    }

    /// Writes the provenance record of this import.
    #[allow(clippy::too_many_arguments)]
    pub fn record_import(
        &mut self,
        who: &str,
        kind: &str,
        file: &str,
        sha256: &str,
        options: &serde_json::Value,
        counts: &serde_json::Value,
        warnings: u64,
    ) -> Result<i64> {
        let id = self.tx.insert(
            "INSERT INTO import_log (at, who, kind, file, sha256, options, counts, warnings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            crate::db::params![
                &crate::utc_now(),
                who,
                kind,
                file,
                sha256,
                &options.to_string(),
                &counts.to_string(),
                warnings as i64
            ],
        )?;
        // A back-office edit (`peil_import::edit`: "metadata edit", and the renames "areas edit"
        // and "period levels edit") is a metadata import without a file.
        self.record_undo(
            id,
            matches!(
                kind,
                "data" | "metadata" | "metadata edit" | "areas edit" | "period levels edit"
            ),
        )?;
        Ok(id)
    }
}

const GET_SERIES: &str = "SELECT id, data FROM series WHERE indicator_id = ?1 AND level_id = ?2 AND period = ?3 AND dims = ?4";
const PUT_SERIES: &str = "INSERT INTO series (indicator_id, level_id, period, period_level, dims, n, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (indicator_id, level_id, period, dims) DO UPDATE SET n = excluded.n, data = excluded.data";

/// How `apply_data` reads and writes one series: SQLite's two statements held prepared (the
/// path as fast as before the seam), or the seam's calls on PostgreSQL.
enum SeriesIo<'c> {
    Sqlite {
        get: rusqlite::Statement<'c>,
        put: rusqlite::Statement<'c>,
        db: &'c crate::db::Db,
    },
    Neutral(&'c crate::db::Db),
}

impl<'c> SeriesIo<'c> {
    fn new(db: &'c crate::db::Db) -> Result<SeriesIo<'c>> {
        Ok(match db.dialect() {
            crate::db::Dialect::Sqlite => {
                let conn = db.sqlite();
                let e = |x| StoreError::Sqlite {
                    path: PathBuf::from(db.label()),
                    source: x,
                };
                SeriesIo::Sqlite {
                    get: conn.prepare(GET_SERIES).map_err(e)?,
                    put: conn.prepare(PUT_SERIES).map_err(e)?,
                    db,
                }
            }
            crate::db::Dialect::Postgres => SeriesIo::Neutral(db),
        })
    }

    fn get(&mut self, i: i64, l: i64, period: &str, dims: &str) -> Result<Option<(i64, Vec<u8>)>> {
        match self {
            SeriesIo::Sqlite { get, db, .. } => get
                .query_row(params![i, l, period, dims], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(|x| StoreError::Sqlite {
                    path: PathBuf::from(db.label()),
                    source: x,
                }),
            SeriesIo::Neutral(db) => {
                db.query_row(GET_SERIES, crate::db::params![i, l, period, dims], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn put(
        &mut self,
        i: i64,
        l: i64,
        period: &str,
        period_level: &str,
        dims: &str,
        n: i64,
        data: &[u8],
    ) -> Result<()> {
        match self {
            SeriesIo::Sqlite { put, db, .. } => put
                .execute(params![i, l, period, period_level, dims, n, data])
                .map(|_| ())
                .map_err(|x| StoreError::Sqlite {
                    path: PathBuf::from(db.label()),
                    source: x,
                }),
            SeriesIo::Neutral(db) => db
                .execute(
                    PUT_SERIES,
                    crate::db::params![i, l, period, period_level, dims, n, data],
                )
                .map(|_| ()),
        }
    }
}

/// Merges new records into a stored series; both sorted by item.
fn merge(old: &[(u32, Value)], new: &[DataRecord]) -> (Vec<(u32, Value)>, ApplyCounts) {
    let mut out = Vec::with_capacity(old.len() + new.len());
    let mut c = ApplyCounts::default();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) if o.0 == n.item => {
                if o.1.same_as(n.value) {
                    c.unchanged += 1;
                } else {
                    c.updated += 1;
                }
                out.push((n.item, n.value));
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.0 < n.item => {
                out.push(*o);
                i += 1;
            }
            (Some(o), None) => {
                out.push(*o);
                i += 1;
            }
            (_, Some(n)) => {
                out.push((n.item, n.value));
                c.inserted += 1;
                j += 1;
            }
            (None, None) => unreachable!(),
        }
    }
    (out, c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    fn indicator(code: &str) -> Indicator {
        Indicator {
            code: code.into(),
            name: LocalizedText::nl(format!("Indicator {code}")),
            unit: "personen".into(),
            threshold: Some(5.0),
            decimals: Some(1),
            seq: Some(3),
            start_period: Period::parse("2020").ok(),
            visibility: Visibility::parse("restricted:wijkteam"),
            themes: vec!["mens".into()],
            total_of: vec!["a".into(), "b".into()],
            ..Default::default()
        }
    }

    fn data(values: &[(&str, u32, f64)]) -> DataBatch {
        let mut series: Vec<SeriesKey> = Vec::new();
        let mut records = Vec::new();
        for (period, item, v) in values {
            let key = SeriesKey {
                indicator: "bev".into(),
                level: "wijk".into(),
                period: Period::parse(period).unwrap(),
                dims: DimKey::parse("").unwrap(),
            };
            if series.last() != Some(&key) {
                series.push(key);
            }
            records.push(DataRecord {
                series: series.len() as u32 - 1,
                item: *item,
                value: Value::Number(*v),
            });
        }
        DataBatch {
            series,
            records,
            new_indicators: vec!["bev".into()],
        }
    }

    on_both! {
        fn data_merges_into_series_clears_and_widens_periods(s: &mut Store) {
            let mut tx = s.begin().unwrap();
            tx.apply_areas(&AreaBatch {
                level: GeoLevel { code: "wijk".into(), name: "Wijk".into(), kind: GeoLevelKind::Area },
                items: (1..=3)
                    .map(|i| GeoItem { code: format!("W{i}"), short_name: String::new(), name: String::new(), seq: i, unknown_location: false })
                    .collect(),
            })
            .unwrap();
            let ids: Vec<u32> = tx.catalog().unwrap().levels["wijk"].items.values().copied().collect();
            let (a, b) = (ids[0].min(ids[1]), ids[0].max(ids[1]));
            let c = tx.apply_data(&data(&[("2023", a, 1.0), ("2024", a, 2.0), ("2024", b, 3.0)]), &DataOptions::default()).unwrap();
            assert_eq!((c.inserted, c.updated), (3, 0));
            let c = tx.apply_data(&data(&[("2024", a, 2.0), ("2024", b, 4.0)]), &DataOptions::default()).unwrap();
            assert_eq!((c.inserted, c.updated, c.unchanged), (0, 1, 1));
            let bev = tx.indicator("bev").unwrap().unwrap();
            assert_eq!((bev.start_period, bev.end_period), (Period::parse("2023").ok(), Period::parse("2024").ok()));
            tx.commit().unwrap();
            let w = s.warehouse().unwrap();
            assert_eq!(w.series.len(), 2);
            assert_eq!(w.series[1].values, [(a, Value::Number(2.0)), (b, Value::Number(4.0))]);
            let mut tx = s.begin().unwrap();
            let opts = DataOptions { clear: ClearMode::Indicators, adjust_periods: true, ..Default::default() };
            let c = tx.apply_data(&data(&[("2025", b, 5.0)]), &opts).unwrap();
            assert_eq!((c.cleared, c.inserted), (3, 1));
            let id = tx.record_import("eva", "data", "f.csv", "h", &serde_json::json!({}), &serde_json::json!({}), 0).unwrap();
            tx.commit().unwrap();
            let w = s.warehouse().unwrap();
            assert_eq!(w.series.len(), 1);
            assert_eq!(s.indicator("bev").unwrap().unwrap().start_period, Period::parse("2025").ok());
            // The import recorded the two cleared series and the new one, so it undoes.
            let undone = s.undo_import(id).unwrap();
            assert_eq!(undone.series, 3);
            assert_eq!(s.warehouse().unwrap().series.len(), 2);
        }

        fn an_unknown_location_follows_its_siblings_municipality(s: &mut Store) {
            let mut tx = s.begin().unwrap();
            let area = |code: &str, unknown: bool| GeoItem {
                code: code.into(),
                short_name: String::new(),
                name: String::new(),
                seq: 0,
                unknown_location: unknown,
            };
            let level = |code: &str| GeoLevel { code: code.into(), name: code.into(), kind: GeoLevelKind::Area };
            tx.apply_areas(&AreaBatch { level: level("oud"), items: vec![area("44029A001", false), area("44029A002", false), area("44029ZZZZ", true)] }).unwrap();
            tx.apply_areas(&AreaBatch { level: level("nieuw"), items: vec![area("44084A001", false), area("44084ZZZZ", true), area("11002ZZZZ", true)] }).unwrap();
            tx.apply_areas(&AreaBatch { level: level("gemeente"), items: vec![area("44084", false), area("11002", false)] }).unwrap();
            let links = |child: &str, parent: &str, kind, pairs: &[(&str, &str)]| LinkBatch {
                child_level: child.into(),
                parent_level: parent.into(),
                kind,
                links: pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            };
            tx.apply_links(&links("nieuw", "gemeente", EdgeKind::Aggregation, &[("44084A001", "44084"), ("44084ZZZZ", "44084"), ("11002ZZZZ", "11002")])).unwrap();
            tx.apply_links(&links("oud", "nieuw", EdgeKind::Conversion, &[("44029A001", "44084A001"), ("44029A002", "44084A001")])).unwrap();
            let found = tx.infer_all_unknown_location_links().unwrap();
            assert_eq!(found, [("44029ZZZZ".into(), "44084ZZZZ".into(), "gemeente".into(), "44084".into())]);
            assert!(tx.infer_all_unknown_location_links().unwrap().is_empty(), "once");
            tx.commit().unwrap();
            assert!(s.links("oud", "nieuw").unwrap().contains(&("44029ZZZZ".into(), "44084ZZZZ".into())));
        }

        fn metadata_and_geometry_are_written_and_read_back(s: &mut Store) {
            let mut tx = s.begin().unwrap();
            tx.apply_areas(&AreaBatch {
                level: GeoLevel { code: "wijk".into(), name: "Wijk".into(), kind: GeoLevelKind::Area },
                items: vec![GeoItem { code: "A".into(), short_name: "A".into(), name: "A".into(), seq: 1, unknown_location: false }],
            })
            .unwrap();
            let batch = MetadataBatch {
                indicators: vec![indicator("bev"), indicator("dicht")],
                themes: vec![Theme { code: "mens".into(), parent: None, name: LocalizedText::nl("Mens".to_string()), seq: 0 }],
                dimensions: vec![Dimension { code: "geslacht".into(), name: LocalizedText::nl("Geslacht".to_string()) }],
                ..Default::default()
            };
            let c = tx.apply_metadata(&batch).unwrap();
            assert_eq!((c.inserted, c.updated, c.unchanged), (2, 0, 0));
            let mut changed = batch.clone();
            changed.indicators[1].protected = true;
            changed.indicators[1].formula = Some("bev * 2".into());
            let c = tx.apply_metadata(&changed).unwrap();
            assert_eq!((c.inserted, c.updated, c.unchanged), (0, 1, 1));
            let mut again = changed.clone();
            again.indicators[1].unit = "x".into();
            assert!(matches!(tx.apply_metadata(&again), Err(StoreError::Protected(_))));
            let geo = GeometryBatch {
                level: "wijk".into(),
                source_crs: "EPSG:31370".into(),
                features: vec![GeometryFeature { code: "A".into(), full: "{}".into(), web: "{}".into(), bbox: [3.0, 51.0, 3.5, 51.5] }],
            };
            assert_eq!(tx.apply_geometry(&geo).unwrap().inserted, 1);
            assert_eq!(tx.apply_geometry(&geo).unwrap().unchanged, 1);
            tx.commit().unwrap();
            assert_eq!(s.indicator("bev").unwrap().unwrap(), indicator("bev"));
            let dicht = s.indicator("dicht").unwrap().unwrap();
            assert!(dicht.protected);
            assert_eq!(dicht.formula.as_deref(), Some("bev * 2"));
            assert_eq!(s.themes().unwrap()[0].name.get("nl"), Some("Mens"));
            assert_eq!(s.geometry_bboxes("wijk").unwrap()[0].1, [3.0, 51.0, 3.5, 51.5]);
        }
    }

    #[test]
    fn merge_counts_and_orders() {
        let old = vec![
            (1, Value::Number(1.0)),
            (3, Value::Number(3.0)),
            (5, Value::Number(5.0)),
        ];
        let rec = |item, v| DataRecord {
            series: 0,
            item,
            value: Value::Number(v),
        };
        let (m, c) = merge(&old, &[rec(2, 2.0), rec(3, 3.0), rec(5, 50.0), rec(6, 6.0)]);
        assert_eq!(
            m.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![1, 2, 3, 5, 6]
        );
        assert_eq!(m[3].1, Value::Number(50.0));
        assert_eq!(
            c,
            ApplyCounts {
                inserted: 2,
                updated: 1,
                unchanged: 1,
                cleared: 0
            }
        );
    }
}
