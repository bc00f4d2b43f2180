//! Reading import files into validated domain batches: data (wide or long layout), area
//! definitions, aggregation and conversion tables, geometry, and indicator metadata.
//!
//! Each reader takes a file and the store's [`peil_core::Catalog`], checks every row, and
//! returns either a batch ready for the store or the list of all problems found (up to a
//! cap), each naming file, sheet, row, column, value and what was expected. Readers never
//! write: applying a batch is the store's job, in one transaction.

pub mod areas;
pub mod clusters;
pub mod data;
#[cfg(feature = "geometry")]
pub mod geometry;
pub mod metadata;
pub mod plan;
#[cfg(feature = "geometry")]
pub mod points;
pub mod records;
pub mod table;
pub mod workbook;
mod xls;

pub use areas::{Read, read_areas, read_links};
pub use clusters::read_clusters;
pub use data::{DataRead, DataSpec, Layout, read_data};
#[cfg(feature = "geometry")]
pub use geometry::{Crs, GeometryOptions, read_geometry};
pub use metadata::{
    METADATA_COLUMNS, metadata_cells, metadata_header, read_dimensions, read_metadata,
    read_metadata_rows, read_themes,
};
pub use records::{Locate, Located, read_records};
pub use table::{Encoding, Progress, TableOptions};

use sha2::{Digest, Sha256};
use std::io::Read as _;
use std::path::Path;

/// What kind of import a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Kind {
    Areas,
    Links,
    Geometry,
    Data,
    Metadata,
    Themes,
    Dimensions,
    /// A cluster table (issue 18): named groups of areas, a level of kind cluster.
    Clusters,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Areas => "areas",
            Kind::Links => "links",
            Kind::Geometry => "geometry",
            Kind::Data => "data",
            Kind::Metadata => "metadata",
            Kind::Themes => "themes",
            Kind::Dimensions => "dimensions",
            Kind::Clusters => "clusters",
        }
    }
}

/// Guesses the kind of a file from its extension and header. When the file cannot be read,
/// the problem says why (empty, binary, not a workbook, no such sheet…).
pub fn detect_kind(
    path: &Path,
    topts: &TableOptions,
    catalog: &peil_core::Catalog,
) -> Result<Kind, Box<peil_core::Problem>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    if matches!(ext.as_str(), "shp" | "geojson" | "gpkg") {
        return Ok(Kind::Geometry);
    }
    let place = peil_core::Place::file(table::file_name(path));
    let rows: Vec<Vec<String>> = if table::is_workbook(path) {
        let sheets = table::read_workbook(path)?;
        let names: Vec<String> = sheets.iter().map(|(n, _)| n.clone()).collect();
        let sheet = match &topts.sheet {
            Some(s) => sheets.into_iter().find(|(n, _)| n == s).ok_or_else(|| {
                table::problem(
                    &place,
                    None,
                    None,
                    Some(s),
                    format!(
                        "no sheet with this name in the workbook; sheets: {}",
                        names.join(", ")
                    ),
                )
            })?,
            None => sheets
                .into_iter()
                .find(|(n, r)| !n.starts_with('_') && !r.is_empty())
                .ok_or_else(|| {
                    table::problem(
                        &place,
                        None,
                        None,
                        None,
                        "the workbook has no sheet with data",
                    )
                })?,
        };
        sheet.1.into_iter().take(10).map(|(_, r)| r).collect()
    } else {
        let mut t = table::Table::open(path, topts, &|_, _| true)?;
        let mut rows = vec![t.header.clone()];
        let _ = t.for_each_row(|_, c| {
            rows.push(c.iter().map(|s| s.to_string()).collect());
            rows.len() < 10
        });
        rows
    };
    let header = rows.first().cloned().unwrap_or_default();
    if clusters::looks_like_clusters(&header) {
        Ok(Kind::Clusters)
    } else if data::looks_like_data(&header) {
        Ok(Kind::Data)
    } else if areas::looks_like_links(&header, catalog) {
        Ok(Kind::Links)
    } else if metadata::looks_like_dimensions(&header) {
        Ok(Kind::Dimensions)
    } else if metadata::looks_like_themes(&header) {
        Ok(Kind::Themes)
    } else if rows.iter().any(|r| metadata::is_metadata_header(r)) {
        Ok(Kind::Metadata)
    } else if areas::looks_like_areas(&header) {
        Ok(Kind::Areas)
    } else {
        Err(table::problem(
            &place,
            Some(1),
            None,
            Some(&header.join(",")),
            "cannot tell what this file is from its header (expected data with period/geolevel/geoitem columns, area definitions, an aggregation table headed by two level codes, a cluster table with cluster/geolevel/geoitem columns, metadata, a theme tree or dimensions); pass --kind",
        ))
    }
}

/// SHA-256 of a file (and, for a shapefile, of its sidecar files), as lowercase hex.
pub fn file_hash(path: &Path) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut files = vec![path.to_path_buf()];
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("shp"))
    {
        for ext in ["shx", "dbf", "prj", "cpg"] {
            let p = path.with_extension(ext);
            if p.exists() {
                files.push(p);
            }
        }
    }
    let mut buf = vec![0u8; 1 << 16];
    for f in files {
        let mut file = std::fs::File::open(f)?;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
