//! Geometry from Shapefile, GeoJSON and GeoPackage: CRS detection, reprojection of Belgian
//! Lambert 72 (EPSG:31370) and Lambert 2008 (EPSG:3812) to WGS84, and a simplified web
//! geometry stored next to the full one.
//!
//! GeoPackage geometry is read with rusqlite and a small WKB decoder of our own: the crates
//! that read it (geozero's gpkg support) pull in a second SQLite binding that cannot coexist
//! with rusqlite.

use crate::areas::Read;
use crate::table::{file_name, problem};
use ::geo::{BoundingRect, MapCoords, SimplifyVwPreserve, Validation};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use peil_core::*;
use std::collections::HashMap;
use std::path::Path;

/// Coordinate reference systems Peil reprojects from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Crs {
    /// Belgian Lambert 72.
    Epsg31370,
    /// Belgian Lambert 2008.
    Epsg3812,
    /// WGS84 longitude/latitude.
    Epsg4326,
}

impl Crs {
    pub fn code(self) -> &'static str {
        match self {
            Crs::Epsg31370 => "EPSG:31370",
            Crs::Epsg3812 => "EPSG:3812",
            Crs::Epsg4326 => "EPSG:4326",
        }
    }

    pub fn parse(s: &str) -> Option<Crs> {
        let digits: String = s
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        match digits.as_str() {
            "31370" => Some(Crs::Epsg31370),
            "3812" => Some(Crs::Epsg3812),
            "4326" | "84" => Some(Crs::Epsg4326),
            _ => None,
        }
    }

    /// Recognises a WKT text (a `.prj` file).
    pub fn from_wkt(wkt: &str) -> Option<Crs> {
        let w = wkt.to_lowercase();
        if w.contains("31370")
            || w.contains("lambert_1972")
            || w.contains("lambert 1972")
            || w.contains("belge_1972")
            || w.contains("belge 1972")
        {
            Some(Crs::Epsg31370)
        } else if w.contains("3812")
            || w.contains("lambert_2008")
            || w.contains("lambert 2008")
            || w.contains("etrs89 / belgian")
        {
            Some(Crs::Epsg3812)
        } else if (w.starts_with("geogcs") || w.starts_with("geogcrs"))
            && (w.contains("wgs_1984") || w.contains("wgs 84") || w.contains("wgs84"))
        {
            Some(Crs::Epsg4326)
        } else {
            None
        }
    }

    fn proj_string(self) -> &'static str {
        match self {
            Crs::Epsg31370 => {
                "+proj=lcc +lat_1=51.16666723333333 +lat_2=49.8333339 +lat_0=90 +lon_0=4.367486666666666 +x_0=150000.013 +y_0=5400088.438 +ellps=intl +towgs84=-106.8686,52.2978,-103.7239,0.3366,-0.457,1.8422,-1.2747 +units=m +no_defs"
            }
            Crs::Epsg3812 => {
                "+proj=lcc +lat_1=49.83333333333334 +lat_2=51.16666666666666 +lat_0=50.797815 +lon_0=4.359215833333333 +x_0=649328 +y_0=665262 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
            }
            Crs::Epsg4326 => "+proj=longlat +datum=WGS84 +no_defs",
        }
    }
}

/// Options of a geometry import.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GeometryOptions {
    /// The attribute holding the geo item code; detected when absent.
    pub code_column: Option<String>,
    /// Source CRS, overriding what the file says.
    pub crs: Option<String>,
    /// Tolerance of the web simplification in metres (default 10).
    pub simplify_m: Option<f64>,
    pub skip_unknown_areas: bool,
}

struct RawFeature {
    attrs: Vec<(String, String)>,
    geometry: Option<Geometry<f64>>,
}

/// A reprojection that cannot be set up (proj4rs refused a projection string).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ReprojectError(#[from] proj4rs::errors::Error);

/// A CRS a file states that Peil does not recognise: its text as the file has it (WKT cut to
/// 80 characters), to be shown in the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownCrs(pub String);

/// Transforms coordinates from a source CRS to WGS84 degrees.
pub struct Reprojector {
    from: Option<(proj4rs::Proj, proj4rs::Proj)>,
}

impl Reprojector {
    pub fn new(crs: Crs) -> Result<Reprojector, ReprojectError> {
        if crs == Crs::Epsg4326 {
            return Ok(Reprojector { from: None });
        }
        let from = proj4rs::Proj::from_proj_string(crs.proj_string())?;
        let to = proj4rs::Proj::from_proj_string(Crs::Epsg4326.proj_string())?;
        Ok(Reprojector {
            from: Some((from, to)),
        })
    }

    /// (x, y) in the source CRS → (lon, lat) in degrees.
    pub fn apply(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        match &self.from {
            None => Some((x, y)),
            Some((from, to)) => {
                let mut p = (x, y, 0.0);
                proj4rs::transform::transform(from, to, &mut p).ok()?;
                let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
                (lon.is_finite() && lat.is_finite()).then_some((lon, lat))
            }
        }
    }
}

/// Reads a geometry file and matches its features to the items of `level`.
pub fn read_geometry(
    path: &Path,
    level: &str,
    opts: &GeometryOptions,
    catalog: &Catalog,
) -> Read<GeometryBatch> {
    let place = Place::file(file_name(path));
    let mut out: Read<GeometryBatch> = Read::default();
    let fail = |mut out: Read<GeometryBatch>, p: Box<Problem>| {
        out.problems.errors += 1;
        out.problems.list.push(*p);
        out
    };
    let Some(items) = catalog.levels.get(level).map(|l| &l.items) else {
        return fail(
            out,
            problem(
                &place,
                None,
                None,
                Some(level),
                "unknown geo level; import its area definitions first",
            ),
        );
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let read = match ext.as_str() {
        "shp" => read_shapefile(path, &place),
        "geojson" | "json" => read_geojson(path, &place),
        "gpkg" => read_gpkg(path, &place),
        _ => Err(problem(
            &place,
            None,
            None,
            None,
            "unknown geometry format; expected .shp (with .shx and .dbf), .geojson or .gpkg",
        )),
    };
    let (features, file_crs) = match read {
        Ok(r) => r,
        Err(p) => return fail(out, p),
    };
    let crs = match &opts.crs {
        Some(c) => match Crs::parse(c) {
            Some(c) => c,
            None => {
                return fail(
                    out,
                    problem(
                        &place,
                        None,
                        Some("--crs"),
                        Some(c),
                        "unsupported CRS; expected EPSG:31370, EPSG:3812 or EPSG:4326",
                    ),
                );
            }
        },
        None => match file_crs {
            Some(Ok(c)) => c,
            Some(Err(UnknownCrs(what))) => {
                return fail(
                    out,
                    problem(
                        &place,
                        None,
                        None,
                        Some(&what),
                        "unsupported or unrecognised CRS; reproject to EPSG:4326, 31370 or 3812, or pass --crs",
                    ),
                );
            }
            None => {
                // No CRS in the file: GeoJSON is WGS84 by definition (RFC 7946); others must say.
                if ext == "geojson" || ext == "json" {
                    Crs::Epsg4326
                } else {
                    return fail(
                        out,
                        problem(
                            &place,
                            None,
                            None,
                            None,
                            "the file does not say its CRS (no .prj); pass --crs EPSG:31370 (or 3812, 4326)",
                        ),
                    );
                }
            }
        },
    };
    if features.is_empty() {
        return fail(
            out,
            problem(&place, None, None, None, "the file has no features"),
        );
    }
    // The code column: named, or the attribute whose values match the most items.
    let code_col = match &opts.code_column {
        Some(c) => {
            if !features[0].attrs.iter().any(|(k, _)| k == c) {
                let names: Vec<&str> = features[0].attrs.iter().map(|(k, _)| k.as_str()).collect();
                return fail(
                    out,
                    problem(
                        &place,
                        None,
                        Some(c),
                        None,
                        format!("no such attribute; attributes: {}", names.join(", ")),
                    ),
                );
            }
            c.clone()
        }
        None => {
            let mut best: Option<(usize, String)> = None;
            for (k, _) in &features[0].attrs {
                let hits = features
                    .iter()
                    .filter(|f| {
                        f.attrs
                            .iter()
                            .find(|(a, _)| a == k)
                            .and_then(|(_, v)| normalize_code(v))
                            .is_some_and(|v| items.contains_key(&v))
                    })
                    .count();
                if hits > 0 && best.as_ref().is_none_or(|(b, _)| hits > *b) {
                    best = Some((hits, k.clone()));
                }
            }
            match best {
                Some((_, k)) => k,
                None => {
                    let names: Vec<&str> =
                        features[0].attrs.iter().map(|(k, _)| k.as_str()).collect();
                    return fail(
                        out,
                        problem(
                            &place,
                            None,
                            None,
                            None,
                            format!(
                                "no attribute holds codes of {level} items (attributes: {}); check the level or name the column with --code-column",
                                names.join(", ")
                            ),
                        ),
                    );
                }
            }
        }
    };
    let reproject = match Reprojector::new(crs) {
        Ok(r) => r,
        Err(e) => {
            return fail(
                out,
                problem(
                    &place,
                    None,
                    None,
                    None,
                    format!("cannot set up the reprojection: {e}"),
                ),
            );
        }
    };
    let tolerance_deg = opts.simplify_m.unwrap_or(10.0) / 111_320.0;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut result = Vec::with_capacity(features.len());
    for (i, f) in features.into_iter().enumerate() {
        let row = Some(i as u64 + 1);
        let raw_code = f
            .attrs
            .iter()
            .find(|(k, _)| *k == code_col)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let Some(code) = normalize_code(raw_code) else {
            out.problems
                .error(&place, row, Some(&code_col), None, "feature without a code");
            continue;
        };
        if !items.contains_key(&code) {
            if opts.skip_unknown_areas {
                out.problems.warning(
                    &place,
                    row,
                    Some(&code_col),
                    Some(&code),
                    format!("not an item of {level}: feature skipped"),
                );
            } else {
                out.problems.error(
                    &place,
                    row,
                    Some(&code_col),
                    Some(&code),
                    format!("not an item of {level}; fix the code or pass --skip-unknown-areas"),
                );
            }
            continue;
        }
        if let Some(first) = seen.get(&code) {
            out.problems.error(
                &place,
                row,
                Some(&code_col),
                Some(&code),
                format!("a second feature for this code (also feature {first})"),
            );
            continue;
        }
        seen.insert(code.clone(), i + 1);
        let Some(g) = f.geometry else {
            out.problems.warning(
                &place,
                row,
                None,
                Some(&code),
                "feature without geometry: left out",
            );
            continue;
        };
        let failed = std::cell::Cell::new(false);
        let wgs = g.map_coords(|c: Coord<f64>| match reproject.apply(c.x, c.y) {
            Some((x, y)) => Coord { x, y },
            None => {
                failed.set(true);
                c
            }
        });
        if failed.get() {
            out.problems.error(
                &place,
                row,
                None,
                Some(&code),
                format!("coordinates cannot be reprojected from {}", crs.code()),
            );
            continue;
        }
        let Some(rect) = wgs.bounding_rect() else {
            out.problems
                .warning(&place, row, None, Some(&code), "empty geometry: left out");
            continue;
        };
        let (min, max) = (rect.min(), rect.max());
        if min.x < -180.0 || max.x > 180.0 || min.y < -90.0 || max.y > 90.0 {
            out.problems.error(
                &place,
                row,
                None,
                Some(&code),
                format!("coordinates fall outside longitude/latitude ranges after reading them as {}; the CRS is probably different: pass --crs", crs.code()),
            );
            continue;
        }
        let web = simplify(&wgs, tolerance_deg);
        result.push(GeometryFeature {
            code,
            full: to_geojson(&wgs, 7),
            web: to_geojson(&web, 6),
            bbox: [min.x, min.y, max.x, max.y],
        });
        if out.problems.saturated() {
            break;
        }
    }
    out.rows = result.len() as u64;
    if !out.problems.has_errors() {
        out.batch = Some(GeometryBatch {
            level: level.to_string(),
            source_crs: crs.code().to_string(),
            features: result,
        });
    }
    out
}

/// Simplifies polygons for the web while keeping them valid: a simplification that breaks
/// validity is retried with a smaller tolerance, and falls back to the full geometry.
pub fn simplify(g: &Geometry<f64>, tolerance_deg: f64) -> Geometry<f64> {
    let area_eps = tolerance_deg * tolerance_deg;
    let attempt = |eps: f64| -> Option<Geometry<f64>> {
        let s = match g {
            Geometry::Polygon(p) => Geometry::Polygon(p.simplify_vw_preserve(eps)),
            Geometry::MultiPolygon(p) => Geometry::MultiPolygon(p.simplify_vw_preserve(eps)),
            Geometry::LineString(l) => Geometry::LineString(l.simplify_vw_preserve(eps)),
            Geometry::MultiLineString(l) => Geometry::MultiLineString(l.simplify_vw_preserve(eps)),
            other => other.clone(),
        };
        s.is_valid().then_some(s)
    };
    let mut eps = area_eps;
    for _ in 0..4 {
        if let Some(s) = attempt(eps) {
            return s;
        }
        eps /= 4.0;
    }
    g.clone()
}

fn to_geojson(g: &Geometry<f64>, decimals: i32) -> String {
    let f = 10f64.powi(decimals);
    let rounded = g.map_coords(|c: Coord<f64>| Coord {
        x: (c.x * f).round() / f,
        y: (c.y * f).round() / f,
    });
    geojson::Geometry::from(&rounded).to_string()
}

type ReadResult = Result<(Vec<RawFeature>, Option<Result<Crs, UnknownCrs>>), Box<Problem>>;

fn read_shapefile(path: &Path, place: &Place) -> ReadResult {
    for ext in ["shx", "dbf"] {
        let side = path.with_extension(ext);
        let upper = path.with_extension(ext.to_uppercase());
        if !side.exists() && !upper.exists() {
            return Err(problem(
                place,
                None,
                None,
                None,
                format!(
                    "the shapefile has no .{ext} beside it; a shapefile is .shp + .shx + .dbf (+ .prj)"
                ),
            ));
        }
    }
    let prj = path.with_extension("prj");
    let crs = std::fs::read_to_string(&prj)
        .ok()
        .map(|w| Crs::from_wkt(&w).ok_or_else(|| UnknownCrs(w.chars().take(80).collect())));
    let mut reader = shapefile::Reader::from_path(path).map_err(|e| {
        problem(
            place,
            None,
            None,
            None,
            format!("cannot read the shapefile: {e}"),
        )
    })?;
    let mut out = Vec::new();
    for (i, r) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = r.map_err(|e| {
            problem(
                place,
                Some(i as u64 + 1),
                None,
                None,
                format!("cannot read this feature: {e}"),
            )
        })?;
        let geometry = match shape {
            shapefile::Shape::NullShape => None,
            s => Some(Geometry::<f64>::try_from(s).map_err(|e| {
                problem(
                    place,
                    Some(i as u64 + 1),
                    None,
                    None,
                    format!("unsupported shape: {e:?}"),
                )
            })?),
        };
        let attrs = record
            .into_iter()
            .map(|(k, v)| (k, field_text(&v)))
            .collect();
        out.push(RawFeature { attrs, geometry });
    }
    Ok((out, crs))
}

fn field_text(v: &shapefile::dbase::FieldValue) -> String {
    use shapefile::dbase::FieldValue as F;
    let num = |f: f64| {
        if f.fract() == 0.0 && f.abs() < 1e15 {
            format!("{}", f as i64)
        } else {
            f.to_string()
        }
    };
    match v {
        F::Character(Some(s)) | F::Memo(s) => s.trim().to_string(),
        F::Numeric(Some(f)) | F::Double(f) | F::Currency(f) => num(*f),
        F::Float(Some(f)) => num(*f as f64),
        F::Integer(i) => i.to_string(),
        F::Logical(Some(b)) => b.to_string(),
        F::Date(Some(d)) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        _ => String::new(),
    }
}

fn read_geojson(path: &Path, place: &Place) -> ReadResult {
    let text = std::fs::read_to_string(path).map_err(|e| {
        problem(
            place,
            None,
            None,
            None,
            format!("cannot read the file as UTF-8 text: {e}"),
        )
    })?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        problem(
            place,
            Some(e.line() as u64),
            None,
            None,
            format!("not valid JSON: {e}"),
        )
    })?;
    let crs = json
        .get("crs")
        .and_then(|c| c.get("properties"))
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(|n| Crs::parse(n).ok_or_else(|| UnknownCrs(n.to_string())));
    let gj: geojson::GeoJson = geojson::GeoJson::from_reader(text.as_bytes())
        .map_err(|e| problem(place, None, None, None, format!("not valid GeoJSON: {e}")))?;
    let features = match gj {
        geojson::GeoJson::FeatureCollection(fc) => fc.features,
        geojson::GeoJson::Feature(f) => vec![f],
        geojson::GeoJson::Geometry(_) => {
            return Err(problem(
                place,
                None,
                None,
                None,
                "a bare geometry has no code; expected a FeatureCollection with properties",
            ));
        }
    };
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.into_iter().enumerate() {
        let mut attrs: Vec<(String, String)> = Vec::new();
        if let Some(id) = &f.id {
            attrs.push((
                "id".to_string(),
                match id {
                    geojson::feature::Id::String(s) => s.clone(),
                    geojson::feature::Id::Number(n) => n.to_string(),
                },
            ));
        }
        for (k, v) in f.properties.iter().flatten() {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            attrs.push((k.clone(), s));
        }
        let geometry = match f.geometry {
            None => None,
            Some(g) => Some(Geometry::<f64>::try_from(g).map_err(|e| {
                problem(
                    place,
                    Some(i as u64 + 1),
                    None,
                    None,
                    format!("unsupported geometry: {e}"),
                )
            })?),
        };
        out.push(RawFeature { attrs, geometry });
    }
    Ok((out, crs))
}

fn read_gpkg(path: &Path, place: &Place) -> ReadResult {
    let err = |e: rusqlite::Error| {
        problem(
            place,
            None,
            None,
            None,
            format!("cannot read the GeoPackage: {e}"),
        )
    };
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(err)?;
    let (table, column, srs): (String, String, i64) = conn
        .query_row(
            "SELECT g.table_name, g.column_name, g.srs_id FROM gpkg_geometry_columns g
             JOIN gpkg_contents c ON c.table_name = g.table_name WHERE c.data_type = 'features' ORDER BY g.table_name LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| problem(place, None, None, None, format!("not a GeoPackage with a feature table: {e}")))?;
    let crs = conn
        .query_row("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?1", [srs], |r| {
            Ok(format!("{}:{}", r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .ok()
        .map(|s| Crs::parse(&s).ok_or(UnknownCrs(s)));
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut st = conn
        .prepare(&format!("SELECT * FROM {}", quote(&table)))
        .map_err(err)?;
    let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
    let geom_idx = names
        .iter()
        .position(|n| *n == column)
        .unwrap_or(usize::MAX);
    let mut rows = st.query([]).map_err(err)?;
    let mut out = Vec::new();
    let mut n = 0u64;
    while let Some(r) = rows.next().map_err(err)? {
        n += 1;
        let mut attrs = Vec::new();
        let mut geometry = None;
        for (i, name) in names.iter().enumerate() {
            let v = r.get_ref(i).map_err(err)?;
            if i == geom_idx {
                if let rusqlite::types::ValueRef::Blob(b) = v {
                    geometry = Some(gpkg_geometry(b).ok_or_else(|| {
                        problem(
                            place,
                            Some(n),
                            Some(name),
                            None,
                            "cannot decode this geometry (expected GeoPackage WKB)",
                        )
                    })?);
                }
                continue;
            }
            let s = match v {
                rusqlite::types::ValueRef::Null => String::new(),
                rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                rusqlite::types::ValueRef::Real(f) => f.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                rusqlite::types::ValueRef::Blob(_) => continue,
            };
            attrs.push((name.to_string(), s));
        }
        out.push(RawFeature { attrs, geometry });
    }
    Ok((out, crs))
}

/// Decodes a GeoPackage geometry blob: the `GP` header, an optional envelope, then WKB.
pub fn gpkg_geometry(b: &[u8]) -> Option<Geometry<f64>> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return None;
    }
    let flags = b[3];
    let env = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return None,
    };
    let mut r = Wkb {
        b: b.get(8 + env..)?,
        pos: 0,
    };
    r.geometry()
}

/// A minimal WKB reader for the geometry types geo levels use.
struct Wkb<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Wkb<'_> {
    fn u8(&mut self) -> Option<u8> {
        let v = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }
    fn u32(&mut self, le: bool) -> Option<u32> {
        let s: [u8; 4] = self.b.get(self.pos..self.pos + 4)?.try_into().ok()?;
        self.pos += 4;
        Some(if le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
    fn f64(&mut self, le: bool) -> Option<f64> {
        let s: [u8; 8] = self.b.get(self.pos..self.pos + 8)?.try_into().ok()?;
        self.pos += 8;
        Some(if le {
            f64::from_le_bytes(s)
        } else {
            f64::from_be_bytes(s)
        })
    }
    fn coords(&mut self, le: bool, dims: usize) -> Option<Vec<Coord<f64>>> {
        let n = self.u32(le)? as usize;
        if n > self.b.len() {
            return None;
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.coord(le, dims)?);
        }
        Some(v)
    }

    /// One position; Z and M values are read past.
    fn coord(&mut self, le: bool, dims: usize) -> Option<Coord<f64>> {
        let x = self.f64(le)?;
        let y = self.f64(le)?;
        for _ in 2..dims {
            self.f64(le)?;
        }
        Some(Coord { x, y })
    }
    fn polygon(&mut self, le: bool, dims: usize) -> Option<Polygon<f64>> {
        let rings = self.u32(le)? as usize;
        let mut rs = Vec::with_capacity(rings.min(1024));
        for _ in 0..rings {
            rs.push(LineString(self.coords(le, dims)?));
        }
        let mut it = rs.into_iter();
        let exterior = it.next().unwrap_or_else(|| LineString(vec![]));
        Some(Polygon::new(exterior, it.collect()))
    }
    fn geometry(&mut self) -> Option<Geometry<f64>> {
        let le = self.u8()? == 1;
        let t = self.u32(le)?;
        // ISO WKB: 1000s add Z, 2000s add M, 3000s add ZM; EWKB flags in the high bits.
        let (base, dims) = match t {
            t if t & 0x8000_0000 != 0 || t & 0x4000_0000 != 0 => {
                let d = 2 + usize::from(t & 0x8000_0000 != 0) + usize::from(t & 0x4000_0000 != 0);
                (t & 0xffff, d)
            }
            t => (
                t % 1000,
                match t / 1000 {
                    0 => 2,
                    1 | 2 => 3,
                    3 => 4,
                    _ => return None,
                },
            ),
        };
        Some(match base {
            1 => Geometry::Point(Point(self.coord(le, dims)?)),
            2 => Geometry::LineString(LineString(self.coords(le, dims)?)),
            3 => Geometry::Polygon(self.polygon(le, dims)?),
            6 => {
                let n = self.u32(le)? as usize;
                let mut ps = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    match self.geometry()? {
                        Geometry::Polygon(p) => ps.push(p),
                        _ => return None,
                    }
                }
                Geometry::MultiPolygon(MultiPolygon(ps))
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert72_matches_pyproj() {
        let r = Reprojector::new(Crs::Epsg31370).unwrap();
        let (lon, lat) = r.apply(152000.0, 212000.0).unwrap();
        assert!((lon - 4.3973825).abs() < 1e-6, "{lon}");
        assert!((lat - 51.2179454).abs() < 1e-6, "{lat}");
    }

    #[test]
    fn lambert2008_lands_in_belgium() {
        let r = Reprojector::new(Crs::Epsg3812).unwrap();
        // The projection origin of EPSG:3812 is the central point of Belgium.
        let (lon, lat) = r.apply(649328.0, 665262.0).unwrap();
        assert!((lon - 4.359215833).abs() < 1e-5, "{lon}");
        assert!((lat - 50.797815).abs() < 1e-5, "{lat}");
    }

    #[test]
    fn crs_from_prj() {
        let prj = r#"PROJCS["Belge_Lambert_1972",GEOGCS["GCS_Belge_1972",DATUM["D_Belge_1972"]]]"#;
        assert_eq!(Crs::from_wkt(prj), Some(Crs::Epsg31370));
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:EPSG::3812"),
            Some(Crs::Epsg3812)
        );
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84"),
            Some(Crs::Epsg4326)
        );
    }

    #[test]
    fn wkb_polygon() {
        let mut b = b"GP\x00\x01\x00\x00\x00\x00".to_vec();
        b.push(1);
        b.extend(3u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.extend(4u32.to_le_bytes());
        for (x, y) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)] {
            b.extend(f64::to_le_bytes(x));
            b.extend(f64::to_le_bytes(y));
        }
        let g = gpkg_geometry(&b).unwrap();
        assert!(matches!(g, Geometry::Polygon(ref p) if p.exterior().0.len() == 4));
        assert!(gpkg_geometry(&b[..b.len() - 3]).is_none());
    }
}
