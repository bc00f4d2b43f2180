//! What an import hands to the store, and what the store tells an import about itself.
//!
//! Readers in `peil-ingest` turn files into these batches after validating them against a
//! [`Catalog`] (the codes the store already knows). The store applies a batch in one
//! transaction. Nothing here touches a file or a database.

use crate::cube::{DimKey, MemberRef};
use crate::geo::{GeoItem, GeoLevel};
use crate::hierarchy::EdgeKind;
use crate::indicator::{DataType, Indicator, Theme};
use crate::period::Period;
use crate::value::{MissingCode, Value};
use crate::{DimLevel, DimMember, Dimension};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Area definitions for one level (gebiedsdefinities).
#[derive(Debug, Clone)]
pub struct AreaBatch {
    pub level: GeoLevel,
    pub items: Vec<GeoItem>,
}

/// One aggregation or conversion table: each child item with exactly one parent item.
#[derive(Debug, Clone)]
pub struct LinkBatch {
    pub child_level: String,
    pub parent_level: String,
    pub kind: EdgeKind,
    pub links: Vec<(String, String)>,
}

/// A cluster level's table (issue 18): named groups of the areas of one member level,
/// overlapping allowed. The table defines the whole level: applying it replaces every
/// membership the level had (a cluster left out keeps its code but has no members).
#[derive(Debug, Clone)]
pub struct ClusterBatch {
    /// The cluster level (kind [`crate::GeoLevelKind::Cluster`]).
    pub level: GeoLevel,
    /// The level every member belongs to (never a cluster level).
    pub member_level: String,
    /// The clusters, as the level's items.
    pub clusters: Vec<GeoItem>,
    /// (cluster code, member code), each pair once.
    pub members: Vec<(String, String)>,
}

/// One feature's geometry, already in WGS84, as GeoJSON geometry objects.
#[derive(Debug, Clone)]
pub struct GeometryFeature {
    pub code: String,
    pub full: String,
    /// Simplified for web maps; still valid polygons.
    pub web: String,
    /// min lon, min lat, max lon, max lat.
    pub bbox: [f64; 4],
}

#[derive(Debug, Clone)]
pub struct GeometryBatch {
    pub level: String,
    /// The CRS the source was in, e.g. `EPSG:31370`.
    pub source_crs: String,
    pub features: Vec<GeometryFeature>,
}

/// Indicator metadata, dimensions and theme tree.
#[derive(Debug, Clone, Default)]
pub struct MetadataBatch {
    pub indicators: Vec<Indicator>,
    pub themes: Vec<Theme>,
    pub dimensions: Vec<Dimension>,
    pub dim_levels: Vec<DimLevel>,
    pub dim_members: Vec<DimMember>,
    /// Fine member → coarse member links.
    pub dim_links: Vec<(MemberRef, MemberRef)>,
}

/// Where a value series lives: indicator × level × period × cube cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub indicator: String,
    pub level: String,
    pub period: Period,
    pub dims: DimKey,
}

/// One value of a data import; `item` is the store's id of the geo item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataRecord {
    pub series: u32,
    pub item: u32,
    pub value: Value,
}

/// Validated data, sorted by (series, item) with no duplicate keys.
#[derive(Debug, Clone, Default)]
pub struct DataBatch {
    pub series: Vec<SeriesKey>,
    pub records: Vec<DataRecord>,
    /// Indicators that the file uses and the store does not know yet (created as numeric).
    pub new_indicators: Vec<String>,
}

impl DataBatch {
    /// Each series of the batch with its records (a run of `records`, which are sorted by
    /// series), in series order.
    pub fn runs(&self) -> impl Iterator<Item = (&SeriesKey, &[DataRecord])> {
        self.records
            .chunk_by(|a, b| a.series == b.series)
            .map(|run| (&self.series[run[0].series as usize], run))
    }
}

/// What to clear before loading (`--clear`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ClearMode {
    /// Load over existing data: values in the file replace the same keys, others stay.
    #[default]
    None,
    /// Remove all data of the indicators in the file first.
    Indicators,
    /// Remove the (indicator, level, period) combinations in the file first.
    Combinations,
}

/// The options a user chooses per data import. The defaults are the safe ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DataOptions {
    pub clear: ClearMode,
    /// Set indicator start/end periods to exactly the loaded range (otherwise only widened).
    pub adjust_periods: bool,
    /// Add up records with the same key instead of refusing the file.
    pub totalize_duplicates: bool,
    /// Leave out records that hold a missing code.
    pub drop_special_codes: bool,
    /// Leave out records with area codes the level does not have instead of refusing the file.
    pub skip_unknown_areas: bool,
    /// Refuse unknown indicator codes instead of creating them.
    pub no_new_indicators: bool,
    /// Treat blank cells as this missing code (e.g. Statbel's unpublished cells as `x`).
    pub empty_as: Option<MissingCode>,
}

/// What the store tells a reader so that it can validate codes without a database.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub levels: HashMap<String, LevelCatalog>,
    pub indicators: HashMap<String, IndicatorCatalog>,
    /// Dim level → its member codes.
    pub dim_members: HashMap<String, HashSet<String>>,
    /// Level edges (child, parent).
    pub edges: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct LevelCatalog {
    /// What the level's items are (a cluster level's members are another level's areas).
    pub kind: crate::GeoLevelKind,
    /// Item code → store id.
    pub items: HashMap<String, u32>,
}

#[derive(Debug, Clone)]
pub struct IndicatorCatalog {
    pub data_type: DataType,
    pub is_formula: bool,
    /// The formula text, for checking new formulas against stored ones (cycles).
    pub formula: Option<String>,
    pub dim_levels: Vec<String>,
}

/// Counts of what a data import did, per record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Values removed by a clear option.
    pub cleared: u64,
}

impl ApplyCounts {
    pub fn add(&mut self, o: ApplyCounts) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.cleared += o.cleared;
    }
}

/// Everything the store holds, in the shape the compute engine reads: levels with their items
/// (store ids), hierarchy edges with their item links, indicators, cube dimensions and the
/// loaded value series.
#[derive(Debug, Clone, Default)]
pub struct Warehouse {
    pub levels: Vec<WarehouseLevel>,
    pub edges: Vec<WarehouseEdge>,
    pub indicators: Vec<Indicator>,
    pub dim_levels: Vec<DimLevel>,
    pub dim_members: Vec<DimMember>,
    /// Fine member → coarse member.
    pub dim_links: Vec<(MemberRef, MemberRef)>,
    pub series: Vec<WarehouseSeries>,
}

#[derive(Debug, Clone)]
pub struct WarehouseLevel {
    pub level: GeoLevel,
    /// Items in sequence order, with their store ids.
    pub items: Vec<(u32, GeoItem)>,
}

#[derive(Debug, Clone)]
pub struct WarehouseEdge {
    pub child: String,
    pub parent: String,
    pub kind: EdgeKind,
    /// (child item id, parent item id).
    pub links: Vec<(u32, u32)>,
}

#[derive(Debug, Clone)]
pub struct WarehouseSeries {
    pub key: SeriesKey,
    /// (item id, value), sorted by item id.
    pub values: Vec<(u32, Value)>,
}
