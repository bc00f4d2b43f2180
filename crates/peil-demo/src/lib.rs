//! A deterministic synthetic Flemish city: the first thing a new Peil user sees.
//!
//! [`build`] returns everything a site needs, as the batches the store takes: area
//! definitions for five geo levels (`statsec` → `wijk` → `district` → `gemeente` →
//! `gewest`, plus `statsec` → `gemeente` directly), aggregation tables, WGS84 polygons,
//! indicator metadata with a theme tree and a population cube, and the loaded values.
//!
//! The city, *Scheldemonde* (NIS code `46999`, which no real municipality has), is fictional
//! but behaves like a real centre city: a dense young centre, an urban belt, greying
//! suburbs, industrial estates and parks with a handful of residents (so privacy thresholds
//! bite), a development area that grows fast, an unknown-location sector `46999ZZZZ`, and
//! the missing codes real sources deliver.
//!
//! Its region holds six neighbouring municipalities (`46991`…`46996`, names no Belgian
//! municipality has) with figures at municipality level only, as a regional source delivers
//! them, so that comparisons with the region compare the city with something else than
//! itself. Their figures come from the same simulation, run on sectors that are not areas of
//! the site and added up, so they hang together like the city's.
//!
//! Nothing depends on the clock, the OS or hash-map order, and no transcendental functions
//! are used: `build()` gives bit-identical output on every run and every platform.
//!
//! Formula indicators use Swing syntax; `cell()` takes bare member codes, see
//! [`indicators`] for the exact rules.

mod geography;
mod geometry;
pub mod indicators;
mod names;
mod rng;
mod values;

pub use geography::{DISTRICT, GEMEENTE, GEWEST, GEWEST_CODE, NIS, STATSEC, WIJK};
pub use geometry::{CITY_BOX, REGION_BOX};

/// The demo city, ready to be written into a store.
#[derive(Debug, Clone)]
pub struct DemoCity {
    /// The city's name.
    pub name: String,
    /// Area definitions, one batch per geo level, from the finest level up.
    pub areas: Vec<peil_core::AreaBatch>,
    /// Aggregation tables, child level → parent level (all [`peil_core::EdgeKind::Aggregation`]).
    pub links: Vec<peil_core::LinkBatch>,
    /// WGS84 GeoJSON polygons of every item with a location (`source_crs` `EPSG:4326`).
    pub geometry: Vec<peil_core::GeometryBatch>,
    /// Indicators (with full metadata), themes, dimensions, dim levels, members, dim links.
    pub metadata: peil_core::MetadataBatch,
    /// The loaded values; formula indicators have none.
    pub data: Vec<DemoSeries>,
}

/// One series of loaded values: a key and a value per geo item code of the key's level.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSeries {
    pub key: peil_core::SeriesKey,
    pub values: Vec<(String, peil_core::Value)>,
}

/// Builds the demo city. Deterministic: every call returns the same city.
pub fn build() -> DemoCity {
    let layout = geography::Layout::new();
    let data = values::generate(&layout);
    DemoCity {
        name: names::CITY.to_string(),
        areas: layout.area_batches(),
        links: layout.link_batches(),
        geometry: layout.geometry_batches(),
        metadata: indicators::metadata(&data),
        data,
    }
}

/// The demo city's content files: (path under the site directory, text). A dashboard and a
/// story that show what content files can do; `peil demo` writes them into the site.
pub const CONTENT: &[(&str, &str)] = &[
    (
        "dashboards/bevolking.toml",
        include_str!("../content/bevolking.toml"),
    ),
    (
        "stories/wijkprofiel.md",
        include_str!("../content/wijkprofiel.md"),
    ),
];
