//! One import, end to end: reads a file with `peil-ingest`, applies it with `peil-store` in one
//! transaction, records its provenance, and reports. Used by `peil import` and by the server's
//! scripted uploads (`BulkAPI.ashx`).

use peil_core::*;
use peil_ingest::{DataSpec, GeometryOptions, Kind, TableOptions};
use peil_store::Store;
use serde_json::json;
use std::path::Path;

/// A failure of the import itself (problems in the file are an [`Outcome`]'s, not errors).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] peil_store::StoreError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

pub type Result<T, E = ImportError> = std::result::Result<T, E>;

/// Everything a user can choose for one import.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    pub kind: Option<Kind>,
    /// Level for area definitions and geometry (default: the file name without extension).
    pub level: Option<String>,
    pub table: TableOptions,
    pub spec: DataSpec,
    pub data: DataOptions,
    pub geometry: GeometryOptions,
    pub dry_run: bool,
    pub who: String,
}

/// What an import did.
pub struct Outcome {
    /// `None` when the kind could not be told.
    pub kind: Option<Kind>,
    pub problems: Problems,
    /// Human-readable lines of the summary.
    pub summary: Vec<String>,
}

fn level_from_file(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads and, when valid, applies one file. Errors in the file are in the outcome's problems;
/// `Err` is for failures of the store itself.
pub fn import(store: &mut Store, path: &Path, req: &ImportRequest) -> Result<Outcome> {
    let catalog = store.catalog()?;
    // Column options only make sense for data files.
    let data_hint = (req.spec.geoitem_column.is_some()
        || req.spec.period_column.is_some()
        || req.spec.indicator_column.is_some())
    .then_some(Kind::Data);
    let kind = match req.kind.or(data_hint) {
        Some(k) => k,
        None => match peil_ingest::detect_kind(path, &req.table, &catalog) {
            Ok(k) => k,
            Err(p) => {
                return Ok(Outcome {
                    kind: None,
                    problems: Problems {
                        list: vec![*p],
                        errors: 1,
                        ..Problems::default()
                    },
                    summary: vec![],
                });
            }
        },
    };
    let level = req.level.clone().unwrap_or_else(|| level_from_file(path));
    let mut summary = Vec::new();
    let options = json!({
        "level": level,
        "sheet": req.table.sheet,
        "data": req.data,
        "columns": req.spec,
        "geometry": req.geometry,
    });
    let file = path.display().to_string();
    macro_rules! finish {
        ($read_problems:expr, $rows:expr, $apply:expr) => {{
            let problems: Problems = $read_problems;
            if problems.has_errors() {
                return Ok(Outcome { kind: Some(kind), problems, summary });
            }
            summary.push(format!("{} rows read", $rows));
            if req.dry_run {
                summary.push("dry run: nothing written".into());
                return Ok(Outcome { kind: Some(kind), problems, summary });
            }
            // Hashed only once the file is known to be good: a huge bad file is refused fast.
            let hash = peil_ingest::file_hash(path).map_err(|source| ImportError::Read {
                path: path.display().to_string(),
                source,
            })?;
            if let Some(prev) = store.previous_import(&hash, kind.code())? {
                summary.push(format!("the same file was imported before as #{} on {}; importing again changes nothing it set", prev.id, prev.at));
            }
            let mut tx = store.begin()?;
            let counts: serde_json::Value = $apply(&mut tx)?;
            let warnings = problems.warnings().count() as u64 + problems.more_warnings;
            let id = tx.record_import(&req.who, kind.code(), &file, &hash, &options, &counts, warnings)?;
            tx.commit()?;
            summary.push(format!("import #{id}: {}", describe(&counts)));
            Ok(Outcome { kind: Some(kind), problems, summary })
        }};
    }
    match kind {
        Kind::Areas => {
            let r = peil_ingest::read_areas(path, &req.table, &level);
            summary.push(format!("area definitions for level {level}"));
            let batch = r.batch;
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx| -> Result<serde_json::Value> {
                    let c = tx.apply_areas(batch.as_ref().expect("valid batch"))?;
                    Ok(json!({"items": c}))
                }
            )
        }
        Kind::Links => {
            let r =
                peil_ingest::read_links(path, &req.table, &catalog, req.data.skip_unknown_areas);
            if let Some(b) = &r.batch {
                summary.push(format!(
                    "{} table {} → {}: {} links",
                    b.kind.code(),
                    b.child_level,
                    b.parent_level,
                    b.links.len()
                ));
            }
            let batch = r.batch;
            let place = Place::file(peil_ingest::table::file_name(path));
            let mut inferred: Vec<(String, String, String, String)> = Vec::new();
            let out: Result<Outcome> = finish!(
                r.problems.clone(),
                r.rows,
                |tx: &mut peil_store::ImportTx| -> Result<serde_json::Value> {
                    let b = batch.as_ref().expect("valid batch");
                    let c = tx.apply_links(b)?;
                    // Whichever table comes last completes the rule for unknown-location items
                    // of an old division (see `infer_all_unknown_location_links`).
                    inferred = tx.infer_all_unknown_location_links()?;
                    Ok(json!({"links": c, "inferred_unknown_location_links": inferred.len()}))
                }
            );
            let mut out = out?;
            for (old, new, level, group) in &inferred {
                out.problems.warning(
                    &place,
                    None,
                    None,
                    Some(old),
                    format!("not in the conversion table; its sibling sectors all went to {level} {group}, so its values go to that municipality's unknown-location item {new}"),
                );
            }
            Ok(out)
        }
        Kind::Geometry => {
            let r = peil_ingest::read_geometry(path, &level, &req.geometry, &catalog);
            if let Some(b) = &r.batch {
                summary.push(format!(
                    "geometry for level {level} from {}, reprojected to WGS84: {} features",
                    b.source_crs,
                    b.features.len()
                ));
            }
            let batch = r.batch;
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx| -> Result<serde_json::Value> {
                    let c = tx.apply_geometry(batch.as_ref().expect("valid batch"))?;
                    Ok(json!({"geometries": c}))
                }
            )
        }
        Kind::Metadata => {
            let existing = |code: &str| store.indicator(code).ok().flatten();
            let r = peil_ingest::read_metadata(path, &req.table, &catalog, &existing);
            let batch = r.batch;
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx| -> Result<serde_json::Value> {
                    let c = tx.apply_metadata(batch.as_ref().expect("valid batch"))?;
                    Ok(json!({"indicators": c}))
                }
            )
        }
        Kind::Themes => {
            let r = peil_ingest::read_themes(path, &req.table);
            let batch = r.batch;
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx| -> Result<serde_json::Value> {
                    let b = batch.as_ref().expect("valid batch");
                    tx.apply_metadata(b)?;
                    Ok(json!({"themes": b.themes.len()}))
                }
            )
        }
        Kind::Dimensions => {
            let r = peil_ingest::read_dimensions(path, &req.table, &catalog);
            let batch = r.batch;
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx| -> Result<serde_json::Value> {
                    let b = batch.as_ref().expect("valid batch");
                    tx.apply_metadata(b)?;
                    Ok(
                        json!({"dimensions": b.dimensions.len(), "dim_levels": b.dim_levels.len(), "members": b.dim_members.len(), "member_links": b.dim_links.len()}),
                    )
                }
            )
        }
        Kind::Data => {
            let r = peil_ingest::read_data(path, &req.table, &req.spec, &req.data, &catalog);
            let mut detected = Vec::new();
            if let Some(l) = r.layout {
                detected.push(format!(
                    "layout {}",
                    if l == peil_ingest::Layout::Wide {
                        "wide (indicator per column)"
                    } else {
                        "long (value per record)"
                    }
                ));
            }
            if let Some(d) = &r.detected.delimiter {
                detected.push(format!("delimiter '{d}'"));
            }
            if let Some(e) = r.detected.encoding {
                detected.push(format!("encoding {e:?}"));
            }
            if let Some(s) = &r.detected.sheet {
                detected.push(format!("sheet '{s}'"));
            }
            match r.decimal {
                Some(d) => detected.push(format!(
                    "decimal {}",
                    if d == DecimalSeparator::Comma {
                        "comma"
                    } else {
                        "point"
                    }
                )),
                None if r.layout.is_some() => detected.push("whole numbers (no decimals)".into()),
                None => {}
            }
            summary.push(format!("data: {}", detected.join(", ")));
            if r.skipped_rows > 0 {
                summary.push(format!(
                    "{} rows with unknown area codes left out (--skip-unknown-areas)",
                    r.skipped_rows
                ));
            }
            if r.dropped_values > 0 {
                summary.push(format!(
                    "{} values with missing codes left out (--drop-special-codes)",
                    r.dropped_values
                ));
            }
            if r.totalized > 0 {
                summary.push(format!("{} duplicate records added up", r.totalized));
            }
            let (batch, opts) = (r.batch, &req.data);
            summary.push(format!(
                "{} values in {} series",
                batch.records.len(),
                batch.series.len()
            ));
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx| -> Result<serde_json::Value> {
                    let c = tx.apply_data(&batch, opts)?;
                    Ok(json!({"values": c, "new_indicators": batch.new_indicators.len()}))
                }
            )
        }
    }
}

/// One line for a counts object such as `{"values": {"inserted": 3, …}}`.
pub fn describe(counts: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some(obj) = counts.as_object() {
        for (k, v) in obj {
            match v.as_object() {
                Some(inner) => {
                    let fields: Vec<String> =
                        inner.iter().map(|(a, b)| format!("{b} {a}")).collect();
                    parts.push(format!("{k}: {}", fields.join(", ")));
                }
                None => parts.push(format!("{k}: {v}")),
            }
        }
    }
    parts.join("; ")
}
