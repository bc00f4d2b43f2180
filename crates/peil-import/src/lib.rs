//! One import, end to end: reads a file with `peil-ingest`, applies it with `peil-store` in one
//! transaction, records its provenance, and reports. Used by `peil import` and by the server's
//! scripted uploads (`BulkAPI.ashx`).
//!
//! A dry run ([`dry_run`]) is the same import in the same transaction, rolled back instead of
//! committed: its counts are the import's own by construction, it sees exactly what the import
//! would see, and it writes nothing (it holds the store's write lock while it runs, so a
//! concurrent import waits rather than changing the data under it). Data imports also compare
//! the file with the test copy value by value ([`changes`]) and run the plausibility checks
//! ([`plausibility`]), which are kept with the import record.

pub mod changes;
pub mod edit;
pub mod options;
pub mod plan;
pub mod plausibility;
pub mod publish;
pub mod records;

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
    /// Thresholds of the plausibility checks of data files.
    pub plausibility: plausibility::Thresholds,
    /// What reports and the import history call the file (an upload's own name, not the
    /// server's folder it was kept in); `None`: its path.
    pub source_name: Option<String>,
}

/// What an import did, or (a dry run) would do; serialisable as the dry run's report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Outcome {
    /// `None` when the kind could not be told.
    #[serde(serialize_with = "kind_code")]
    pub kind: Option<Kind>,
    pub file: String,
    /// The sheet read (workbooks).
    pub sheet: Option<String>,
    pub rows: u64,
    pub dry_run: bool,
    /// The import's number in the import log (none for a dry run or a refused file).
    pub import_id: Option<i64>,
    /// Human-readable lines of the summary.
    pub summary: Vec<String>,
    /// What applying the file does per table, as the import log records it
    /// (`{"values": {"inserted": …, "updated": …, "unchanged": …, "cleared": …}}`).
    pub counts: serde_json::Value,
    /// Geo levels the file creates (area definitions of a new level).
    pub new_levels: Vec<String>,
    /// Value by value, what a data file changes (dry runs).
    pub data: Option<changes::DataChanges>,
    /// Plausibility warnings of a data file (kept with the import record).
    pub plausibility: plausibility::Findings,
    pub problems: Problems,
}

fn kind_code<S: serde::Serializer>(k: &Option<Kind>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_some(&k.map(|k| k.code()))
}

/// What importing a file would do, without writing anything (see the crate's documentation).
pub fn dry_run(store: &mut Store, path: &Path, req: &ImportRequest) -> Result<Outcome> {
    import(
        store,
        path,
        &ImportRequest {
            dry_run: true,
            ..req.clone()
        },
    )
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
    let file = req
        .source_name
        .clone()
        .unwrap_or_else(|| path.display().to_string());
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
                    file,
                    dry_run: req.dry_run,
                    problems: Problems {
                        list: vec![*p],
                        errors: 1,
                        ..Problems::default()
                    },
                    ..Outcome::default()
                });
            }
        },
    };
    let level = req.level.clone().unwrap_or_else(|| level_from_file(path));
    let mut out = Outcome {
        kind: Some(kind),
        file: file.clone(),
        sheet: req.table.sheet.clone(),
        dry_run: req.dry_run,
        ..Outcome::default()
    };
    let options = json!({
        "level": level,
        "sheet": req.table.sheet,
        "data": req.data,
        "columns": req.spec,
        "geometry": req.geometry,
    });
    // Reads are done; apply in one transaction, then commit it, or (a dry run) drop it.
    macro_rules! finish {
        ($read_problems:expr, $rows:expr, $apply:expr) => {{
            out.problems = $read_problems;
            if out.problems.has_errors() {
                return Ok(out);
            }
            out.rows = $rows as u64;
            out.summary.push(format!("{} rows read", $rows));
            // Hashed only once the file is known to be good: a huge bad file is refused fast.
            let hash = if req.dry_run {
                String::new()
            } else {
                peil_ingest::file_hash(path).map_err(|source| ImportError::Read {
                    path: path.display().to_string(),
                    source,
                })?
            };
            if !req.dry_run && let Some(prev) = store.previous_import(&hash, kind.code())? {
                out.summary.push(format!("the same file was imported before as #{} on {}; importing again changes nothing it set", prev.id, prev.at));
            }
            let mut tx = store.begin()?;
            let counts: serde_json::Value = $apply(&mut tx, &mut out)?;
            out.counts = counts.clone();
            if req.dry_run {
                drop(tx);
                out.summary.push(format!("dry run: nothing written; the import would do {}", describe(&counts)));
                return Ok(out);
            }
            let warnings = out.problems.warnings().count() as u64 + out.problems.more_warnings;
            let id = tx.record_import(&req.who, kind.code(), &file, &hash, &options, &counts, warnings)?;
            let found = serde_json::to_value(&out.plausibility).unwrap_or_default();
            tx.record_plausibility(id, &found)?;
            tx.commit()?;
            out.import_id = Some(id);
            out.summary.push(format!("import #{id}: {}", describe(&counts)));
            Ok(out)
        }};
    }
    match kind {
        Kind::Areas => {
            let r = peil_ingest::read_areas(path, &req.table, &level);
            out.summary
                .push(format!("area definitions for level {level}"));
            if !catalog.levels.contains_key(&level) {
                out.new_levels.push(level.clone());
            }
            let batch = r.batch;
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx, _: &mut Outcome| -> Result<serde_json::Value> {
                    let c = tx.apply_areas(batch.as_ref().expect("valid batch"))?;
                    Ok(json!({"items": c}))
                }
            )
        }
        Kind::Links => {
            let r =
                peil_ingest::read_links(path, &req.table, &catalog, req.data.skip_unknown_areas);
            if let Some(b) = &r.batch {
                out.summary.push(format!(
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
                |tx: &mut peil_store::ImportTx, _: &mut Outcome| -> Result<serde_json::Value> {
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
                out.summary.push(format!(
                    "geometry for level {level} from {}, reprojected to WGS84: {} features",
                    b.source_crs,
                    b.features.len()
                ));
            }
            let batch = r.batch;
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx, _: &mut Outcome| -> Result<serde_json::Value> {
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
                |tx: &mut peil_store::ImportTx, _: &mut Outcome| -> Result<serde_json::Value> {
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
                |tx: &mut peil_store::ImportTx, _: &mut Outcome| -> Result<serde_json::Value> {
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
                |tx: &mut peil_store::ImportTx, _: &mut Outcome| -> Result<serde_json::Value> {
                    let b = batch.as_ref().expect("valid batch");
                    tx.apply_metadata(b)?;
                    Ok(
                        json!({"dimensions": b.dimensions.len(), "dim_levels": b.dim_levels.len(), "members": b.dim_members.len(), "member_links": b.dim_links.len()}),
                    )
                }
            )
        }
        Kind::Clusters => {
            let r = peil_ingest::read_clusters(path, &req.table, &level, &catalog);
            if let Some(b) = &r.batch {
                out.summary.push(format!(
                    "cluster level {level}: {} clusters of {} areas, {} memberships",
                    b.clusters.len(),
                    b.member_level,
                    b.members.len()
                ));
            }
            if !catalog.levels.contains_key(&level) {
                out.new_levels.push(level.clone());
            }
            let batch = r.batch;
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx, _: &mut Outcome| -> Result<serde_json::Value> {
                    let c = tx.apply_clusters(batch.as_ref().expect("valid batch"))?;
                    Ok(
                        json!({"clusters": c.clusters, "members": c.members, "removed_members": c.removed}),
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
            out.summary.push(format!("data: {}", detected.join(", ")));
            if r.detected.sheet.is_some() {
                out.sheet = r.detected.sheet.clone();
            }
            if r.skipped_rows > 0 {
                out.summary.push(format!(
                    "{} rows with unknown area codes left out (--skip-unknown-areas)",
                    r.skipped_rows
                ));
            }
            if r.dropped_values > 0 {
                out.summary.push(format!(
                    "{} values with missing codes left out (--drop-special-codes)",
                    r.dropped_values
                ));
            }
            if r.totalized > 0 {
                out.summary
                    .push(format!("{} duplicate records added up", r.totalized));
            }
            let (batch, opts) = (r.batch, &req.data);
            out.summary.push(format!(
                "{} values in {} series",
                batch.records.len(),
                batch.series.len()
            ));
            finish!(
                r.problems,
                r.rows,
                |tx: &mut peil_store::ImportTx, out: &mut Outcome| -> Result<serde_json::Value> {
                    let mut changes = if req.dry_run {
                        Some(changes::data_changes(tx, &batch)?)
                    } else {
                        None
                    };
                    let c = tx.apply_data(&batch, opts)?;
                    if let Some(ch) = &mut changes {
                        ch.cleared = c.cleared;
                    }
                    out.data = changes;
                    out.plausibility = plausibility::check(tx, &batch, &req.plausibility)?;
                    if out.plausibility.total() > 0 {
                        out.summary.push(format!(
                            "{} plausibility warnings",
                            out.plausibility.total()
                        ));
                    }
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
