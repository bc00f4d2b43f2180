//! Choropleth maps.
//!
//! A [`MapLayer`] is prepared once per geographic level: GeoJSON polygons are projected,
//! simplified, rounded and written as compact SVG path data. Rendering a map
//! ([`choropleth`], [`locator`]) then only concatenates those strings with fills and
//! titles, so a map of a few thousand areas renders in about a millisecond.

use crate::classify::Classes;
use crate::format::{NumberFormat, missing_label};
use crate::palette;
use crate::svg::{self, FONT, push_num};
use crate::{escape, escape_into};
use peil_core::{MissingCode, Value};
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// One area of a layer, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The area's code (`data-area`).
    pub code: String,
    /// The area's name (tooltips).
    pub name: String,
    /// The position of the item this shape was built from in the input of
    /// [`MapLayer::from_geojson`] (items skipped there count too), so a caller can read
    /// values by position instead of by code.
    pub item: usize,
    /// `code` and `name` escaped for SVG text and attributes, once per layer rather than per
    /// drawing.
    code_xml: String,
    name_xml: String,
    /// The custom property that colours this shape in the layer's [`sprite`] (`--a{index}`),
    /// written once per layer rather than per drawing.
    var: String,
    /// SVG path data in layer units (absolute `M` per ring, relative `l`, closed by `z`).
    pub d: String,
    /// Centroid of the largest ring, in layer units (for labels and markers).
    pub centroid: (f64, f64),
    /// Bounding box in layer units as (min x, min y, max x, max y).
    pub bbox: (f64, f64, f64, f64),
}

/// The shapes of one geographic level, projected into a box `width` × `height` (layer
/// units, y downwards).
#[derive(Debug, Clone, PartialEq)]
pub struct MapLayer {
    /// The areas, in input order.
    pub shapes: Vec<Shape>,
    /// Width of the layer box.
    pub width: f64,
    /// Height of the layer box (follows the aspect ratio of the data).
    pub height: f64,
}

type Ring = Vec<(f64, f64)>;

impl MapLayer {
    /// Builds a layer from `(code, name, geometry)` items, the geometry being GeoJSON text
    /// in WGS84 lon/lat: a `Polygon` or `MultiPolygon` (a `Feature` or
    /// `GeometryCollection` holding them is accepted too).
    ///
    /// Projection: equirectangular with longitudes scaled by the cosine of the middle
    /// latitude of all items (fine for a region the size of Flanders), scaled to `width`
    /// layer units; y points down. Each ring is simplified with Douglas–Peucker at
    /// `tolerance` (layer units), rounded to 0.1 and written as compact path data with
    /// relative commands (`M12.3 4.5l1.2-0.3…z`). Rings that collapse below 3 points or to an
    /// area below `tolerance²` are dropped, but every item keeps at least its largest
    /// ring. Fill with `fill-rule="evenodd"` so holes show whatever their winding.
    ///
    /// Items whose geometry does not parse (or has no ring of 3 points) are skipped; their
    /// codes come back in the second vector.
    pub fn from_geojson<'a>(
        items: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
        width: f64,
        tolerance: f64,
    ) -> (MapLayer, Vec<String>) {
        let width = if width.is_finite() && width > 0.0 {
            width
        } else {
            800.0
        };
        let tolerance = if tolerance.is_finite() {
            tolerance.max(0.0)
        } else {
            0.0
        };
        let mut parsed: Vec<(usize, &str, &str, Vec<Vec<Ring>>)> = Vec::new();
        let mut skipped = Vec::new();
        for (item, (code, name, geometry)) in items.into_iter().enumerate() {
            match parse_geometry(geometry) {
                Some(polys) => parsed.push((item, code, name, polys)),
                None => skipped.push(code.to_string()),
            }
        }
        // Extent in lon/lat.
        let (mut lon0, mut lon1, mut lat0, mut lat1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (_, _, _, polys) in &parsed {
            for ring in polys.iter().flatten() {
                for &(lon, lat) in ring {
                    lon0 = lon0.min(lon);
                    lon1 = lon1.max(lon);
                    lat0 = lat0.min(lat);
                    lat1 = lat1.max(lat);
                }
            }
        }
        if parsed.is_empty() {
            return (
                MapLayer {
                    shapes: Vec::new(),
                    width,
                    height: 0.0,
                },
                skipped,
            );
        }
        let kx = ((lat0 + lat1) / 2.0).to_radians().cos().abs().max(1e-6);
        let span_x = (lon1 - lon0) * kx;
        let span_y = lat1 - lat0;
        let scale = if span_x > 0.0 {
            width / span_x
        } else if span_y > 0.0 {
            width / span_y
        } else {
            1.0
        };
        let height = span_y * scale;
        let project = |(lon, lat): (f64, f64)| ((lon - lon0) * kx * scale, (lat1 - lat) * scale);
        let min_area = tolerance * tolerance;

        let mut shapes = Vec::with_capacity(parsed.len());
        for (item, code, name, polys) in parsed {
            let mut kept: Vec<Vec<(i64, i64)>> = Vec::new();
            let mut largest: Option<(f64, Vec<(i64, i64)>)> = None;
            for ring in polys.iter().flatten() {
                let mut pts: Ring = ring.iter().map(|&p| project(p)).collect();
                if pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                let area = ring_area(&pts).abs();
                let simple = rounded(&simplify_ring(&pts, tolerance));
                let tenths_area = ring_area_i(&simple).abs() / 100.0;
                if simple.len() >= 3 && tenths_area >= min_area && tenths_area > 0.0 {
                    kept.push(simple);
                } else if largest.as_ref().is_none_or(|(a, _)| area > *a) {
                    // Fallback: the unsimplified ring, rounded.
                    largest = Some((area, rounded(&pts)));
                }
            }
            if kept.is_empty() {
                match largest {
                    Some((_, ring)) if ring.len() >= 3 && ring_area_i(&ring) != 0.0 => {
                        kept.push(ring)
                    }
                    Some((_, ring)) if !ring.is_empty() => {
                        // Smaller than the rounding: a 0.2 × 0.2 square at its middle,
                        // so the area still exists on the map (and can be hovered).
                        let n = ring.len() as i64;
                        let cx = ring.iter().map(|p| p.0).sum::<i64>() / n;
                        let cy = ring.iter().map(|p| p.1).sum::<i64>() / n;
                        kept.push(vec![
                            (cx - 1, cy - 1),
                            (cx + 1, cy - 1),
                            (cx + 1, cy + 1),
                            (cx - 1, cy + 1),
                        ]);
                    }
                    _ => {
                        skipped.push(code.to_string());
                        continue;
                    }
                }
            }
            shapes.push(build_shape(item, code, name, &kept));
        }
        for (i, s) in shapes.iter_mut().enumerate() {
            s.var = format!("--a{i}");
        }
        (
            MapLayer {
                shapes,
                width,
                height,
            },
            skipped,
        )
    }

    /// The shape of a code.
    pub fn shape(&self, code: &str) -> Option<&Shape> {
        self.shapes.iter().find(|s| s.code == code)
    }

    /// Bounding box (x, y, w, h) of the given codes with a margin of 5 % of the larger side
    /// (at least 2 units), for zooming with a viewBox. `None` when no code is in the layer.
    pub fn bbox_of(&self, codes: &[&str]) -> Option<(f64, f64, f64, f64)> {
        let wanted: HashSet<&str> = codes.iter().copied().collect();
        let mut bb: Option<(f64, f64, f64, f64)> = None;
        for s in self
            .shapes
            .iter()
            .filter(|s| wanted.contains(s.code.as_str()))
        {
            let (x0, y0, x1, y1) = s.bbox;
            bb = Some(match bb {
                None => (x0, y0, x1, y1),
                Some((a, b, c, d)) => (a.min(x0), b.min(y0), c.max(x1), d.max(y1)),
            });
        }
        let (x0, y0, x1, y1) = bb?;
        let margin = ((x1 - x0).max(y1 - y0) * 0.05).max(2.0);
        Some((
            x0 - margin,
            y0 - margin,
            x1 - x0 + 2.0 * margin,
            y1 - y0 + 2.0 * margin,
        ))
    }
}

/// Parses GeoJSON geometry text into polygons of rings of (lon, lat).
fn parse_geometry(text: &str) -> Option<Vec<Vec<Ring>>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut out = Vec::new();
    collect_polygons(&v, &mut out, 0)?;
    if out.iter().flatten().any(|r| r.len() >= 3) {
        Some(out)
    } else {
        None
    }
}

fn collect_polygons(v: &serde_json::Value, out: &mut Vec<Vec<Ring>>, depth: u8) -> Option<()> {
    if depth > 4 {
        return None;
    }
    match v.get("type")?.as_str()? {
        "Polygon" => out.push(parse_polygon(v.get("coordinates")?)?),
        "MultiPolygon" => {
            for p in v.get("coordinates")?.as_array()? {
                out.push(parse_polygon(p)?);
            }
        }
        "Feature" => collect_polygons(v.get("geometry")?, out, depth + 1)?,
        "GeometryCollection" => {
            for g in v.get("geometries")?.as_array()? {
                collect_polygons(g, out, depth + 1)?;
            }
        }
        _ => return None,
    }
    Some(())
}

fn parse_polygon(v: &serde_json::Value) -> Option<Vec<Ring>> {
    v.as_array()?
        .iter()
        .map(|ring| {
            ring.as_array()?
                .iter()
                .map(|p| {
                    let p = p.as_array()?;
                    let (x, y) = (p.first()?.as_f64()?, p.get(1)?.as_f64()?);
                    (x.is_finite() && y.is_finite()).then_some((x, y))
                })
                .collect()
        })
        .collect()
}

/// Twice the signed area is avoided: this is the signed area of a ring.
fn ring_area(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len();
    if n < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..n {
        let (x0, y0) = pts[i];
        let (x1, y1) = pts[(i + 1) % n];
        s += x0 * y1 - x1 * y0;
    }
    s / 2.0
}

fn ring_area_i(pts: &[(i64, i64)]) -> f64 {
    let n = pts.len();
    if n < 3 {
        return 0.0;
    }
    let mut s: i64 = 0;
    for i in 0..n {
        let (x0, y0) = pts[i];
        let (x1, y1) = pts[(i + 1) % n];
        s += x0 * y1 - x1 * y0;
    }
    s as f64 / 2.0
}

/// Distance from p to the segment a–b.
fn seg_dist(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - qx).powi(2) + (p.1 - qy).powi(2)).sqrt()
}

/// Douglas–Peucker on a closed ring (without the closing duplicate point): splits at the
/// point farthest from the first one and simplifies both halves.
fn simplify_ring(pts: &[(f64, f64)], tolerance: f64) -> Ring {
    let n = pts.len();
    if n <= 3 || tolerance <= 0.0 {
        return pts.to_vec();
    }
    let far = (1..n)
        .max_by(|&i, &j| {
            let di = (pts[i].0 - pts[0].0).powi(2) + (pts[i].1 - pts[0].1).powi(2);
            let dj = (pts[j].0 - pts[0].0).powi(2) + (pts[j].1 - pts[0].1).powi(2);
            di.total_cmp(&dj)
        })
        .unwrap_or(1);
    // Index n stands for pts[0] again (closing the ring).
    let at = |i: usize| pts[i % n];
    let mut keep = vec![false; n + 1];
    keep[0] = true;
    keep[far] = true;
    keep[n] = true;
    let mut stack = vec![(0usize, far), (far, n)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (pa, pb) = (at(a), at(b));
        let mut best = -1.0;
        let mut idx = a;
        for i in a + 1..b {
            let d = seg_dist(at(i), pa, pb);
            if d > best {
                best = d;
                idx = i;
            }
        }
        if best > tolerance {
            keep[idx] = true;
            stack.push((a, idx));
            stack.push((idx, b));
        }
    }
    (0..n).filter(|&i| keep[i]).map(|i| pts[i]).collect()
}

/// Rounds to tenths (as integers) and drops repeated points.
fn rounded(pts: &[(f64, f64)]) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(pts.len());
    for &(x, y) in pts {
        let p = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// Appends a number given in tenths: `123` → `12.3`, `-5` → `-0.5`, `40` → `4`.
fn push_tenths(out: &mut String, t: i64) {
    if t < 0 {
        out.push('-');
    }
    let a = t.unsigned_abs();
    let _ = write!(out, "{}", a / 10);
    if !a.is_multiple_of(10) {
        out.push('.');
        out.push((b'0' + (a % 10) as u8) as char);
    }
}

/// Appends a coordinate pair, with a separator before each number unless it starts with
/// `-` or follows a command letter.
fn push_pair(out: &mut String, x: i64, y: i64, after_command: bool) {
    if !after_command && x >= 0 {
        out.push(' ');
    }
    push_tenths(out, x);
    if y >= 0 {
        out.push(' ');
    }
    push_tenths(out, y);
}

fn build_shape(item: usize, code: &str, name: &str, rings: &[Vec<(i64, i64)>]) -> Shape {
    let mut d = String::with_capacity(rings.iter().map(|r| r.len() * 7 + 12).sum());
    let (mut x0, mut y0, mut x1, mut y1) = (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
    for ring in rings {
        d.push('M');
        push_pair(&mut d, ring[0].0, ring[0].1, true);
        d.push('l');
        let mut prev = ring[0];
        for (i, &p) in ring.iter().enumerate() {
            x0 = x0.min(p.0);
            y0 = y0.min(p.1);
            x1 = x1.max(p.0);
            y1 = y1.max(p.1);
            if i == 0 {
                continue;
            }
            push_pair(&mut d, p.0 - prev.0, p.1 - prev.1, i == 1);
            prev = p;
        }
        d.push('z');
    }
    // Centroid of the largest ring.
    let largest = rings
        .iter()
        .max_by(|a, b| ring_area_i(a).abs().total_cmp(&ring_area_i(b).abs()))
        .expect("at least one ring");
    let a = ring_area_i(largest);
    let centroid = if a.abs() > 0.0 {
        let (mut cx, mut cy) = (0.0, 0.0);
        let n = largest.len();
        for i in 0..n {
            let (xa, ya) = (largest[i].0 as f64, largest[i].1 as f64);
            let (xb, yb) = (largest[(i + 1) % n].0 as f64, largest[(i + 1) % n].1 as f64);
            let cross = xa * yb - xb * ya;
            cx += (xa + xb) * cross;
            cy += (ya + yb) * cross;
        }
        (cx / (6.0 * a) / 10.0, cy / (6.0 * a) / 10.0)
    } else {
        let n = largest.len() as f64;
        (
            largest.iter().map(|p| p.0 as f64).sum::<f64>() / n / 10.0,
            largest.iter().map(|p| p.1 as f64).sum::<f64>() / n / 10.0,
        )
    };
    Shape {
        code: code.to_string(),
        name: name.to_string(),
        item,
        code_xml: escape(code),
        name_xml: escape(name),
        // Set once the layer's shapes are numbered (MapLayer::from_geojson).
        var: String::new(),
        d,
        centroid,
        bbox: (
            x0 as f64 / 10.0,
            y0 as f64 / 10.0,
            x1 as f64 / 10.0,
            y1 as f64 / 10.0,
        ),
    }
}

/// Everything a choropleth needs. Build it per request; it only borrows.
pub struct MapSpec<'a> {
    /// DOM id prefix, unique per page, `[a-z0-9-]` (title, desc and hatch ids derive from it).
    pub id: &'a str,
    /// Title (`<title>`).
    pub title: &'a str,
    /// Text description for screen readers (`<desc>`).
    pub description: &'a str,
    /// The prepared shapes.
    pub layer: &'a MapLayer,
    /// The value of each shape.
    pub values: MapValues<'a>,
    /// Number format of tooltips and legend.
    pub format: &'a NumberFormat,
    /// Classes of the numbers.
    pub classes: &'a Classes,
    /// One colour per class (e.g. `palette::sequential(classes.len())`); if it is shorter,
    /// the last colour repeats.
    pub palette: &'a [&'a str],
    /// Codes drawn with the selection outline (class `is-sel`).
    pub selected: &'a [String],
    /// Link template with `{code}` (each area wrapped in `<a href>`), so the map works
    /// without JavaScript.
    pub href: Option<&'a str>,
    /// Zoom: the viewBox (x, y, w, h) in layer units, e.g. from [`MapLayer::bbox_of`];
    /// `None` shows the whole layer.
    pub view: Option<(f64, f64, f64, f64)>,
    /// Draw the legend inside the SVG, below the map: classes with counts, then one swatch
    /// per missing kind present in the data.
    pub legend: bool,
    /// Heading of the legend (may be empty).
    pub legend_title: &'a str,
    /// A note per shape code added to its tooltip after the value, in brackets (a survey
    /// figure's interval and verdict); only for shapes with a number.
    pub notes: Option<&'a HashMap<String, String>>,
    /// The URL of this layer's [`sprite`]: when set (and the whole layer is shown), the
    /// geometry stays out of the drawing — one `<use>` of the sprite coloured per area by
    /// custom properties — so a page of thousands of areas carries colours, not paths.
    /// Tooltips then hold names only (from the sprite) and `href`/`notes` are not drawn.
    pub sprite: Option<&'a str>,
}

/// Where a choropleth reads each shape's value.
#[derive(Clone, Copy)]
pub enum MapValues<'a> {
    /// By shape code; a code that is absent counts as Empty (no data).
    ByCode(&'a HashMap<String, Value>),
    /// By the position of the shape's input item ([`Shape::item`]); a position past the end
    /// counts as Empty. Pages pass a level's series as it is: no map of codes per drawing.
    ByItem(&'a [Value]),
}

impl MapValues<'_> {
    fn of(&self, s: &Shape) -> Value {
        let v = match self {
            MapValues::ByCode(m) => m.get(&s.code).copied(),
            MapValues::ByItem(v) => v.get(s.item).copied(),
        };
        v.unwrap_or(Value::Missing(MissingCode::Empty))
    }
}

/// What a shape shows: a class or a missing kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fill {
    Class(usize),
    Missing(MissingCode),
}

/// Legend and tooltip order of the missing kinds.
const MISSING_ORDER: [MissingCode; 4] = [
    MissingCode::Unknown,
    MissingCode::Hidden,
    MissingCode::NotApplicable,
    MissingCode::Empty,
];

fn missing_class(code: MissingCode) -> &'static str {
    match code {
        MissingCode::Unknown => "area m-q",
        MissingCode::Hidden => "area m-x",
        MissingCode::NotApplicable => "area m-nvt",
        MissingCode::Empty => "area m-e",
    }
}

/// Fill of a missing kind; `hatch` is the `url(#…-hatch)` reference.
fn missing_fill(code: MissingCode, hatch: &str) -> &str {
    match code {
        MissingCode::Unknown => palette::UNKNOWN,
        MissingCode::Hidden => hatch,
        MissingCode::NotApplicable => palette::NOT_APPLICABLE,
        MissingCode::Empty => palette::NO_DATA,
    }
}

/// What a shape shows and its value.
#[inline]
fn fill_of(spec: &MapSpec, s: &Shape) -> (Fill, Value) {
    let v = spec.values.of(s);
    let f = match v {
        Value::Number(x) if x.is_finite() && !spec.classes.is_empty() => {
            Fill::Class(spec.classes.class_of(x))
        }
        Value::Number(_) => Fill::Missing(MissingCode::Unknown),
        Value::Missing(m) => Fill::Missing(m),
    };
    (f, v)
}

/// The viewBox to draw and its scale (layer units per px of the `width` attribute).
fn view_of(layer: &MapLayer, view: Option<(f64, f64, f64, f64)>) -> ((f64, f64, f64, f64), f64) {
    let whole = (0.0, 0.0, layer.width.max(1.0), layer.height.max(1.0));
    let v = match view {
        Some((x, y, w, h)) if w > 0.0 && h > 0.0 && x.is_finite() && y.is_finite() => (x, y, w, h),
        _ => whole,
    };
    (v, v.2 / layer.width.max(1.0))
}

/// Renders a choropleth as SVG.
///
/// Structure: `<svg … class="map" role="img" aria-labelledby="{id}-title {id}-desc">`,
/// `<title>`, `<desc>`, the hatch `<defs>`, then one `<path>` per shape in layer order:
/// `<path d=… fill=… data-area="CODE" class="area c{k}"><title>Name: value
/// with unit</title></path>`. Missing values get the classes `area m-q` (unknown), `m-x`
/// (suppressed, hatched fill `url(#{id}-hatch)`), `m-nvt` (not applicable, white with a
/// grey outline) or `m-e` (no data) and a tooltip with the missing kind in words. Selected
/// areas also carry `is-sel` and are outlined again on top (white halo, dark line). With
/// `href` each path is wrapped in `<a href>`.
///
/// The `viewBox` is the zoom (`view`, or the whole layer), extended downwards by the
/// legend; the `width` attribute is the layer width (px), the height follows. Strokes are
/// 0.5 px thin white lines: their width is computed from the zoom so browsers and resvg
/// agree. The legend is drawn in px units below the map.
pub fn choropleth(spec: &MapSpec) -> String {
    let layer = spec.layer;
    let ((vx, vy, vw, vh), k) = view_of(layer, spec.view);
    let px_w = layer.width.max(1.0);
    let locale = spec.format.locale;
    let id = escape(spec.id);
    let hatch = format!("url(#{id}-hatch)");
    let selected: HashSet<&str> = spec.selected.iter().map(String::as_str).collect();
    let sprite = spec.sprite.filter(|_| spec.view.is_none());

    // Classify first: the legend needs counts. A sprite's colours without a legend are
    // classified as they are written, without a list of fills in between.
    let mut fills = Vec::new();
    let mut class_counts = vec![0usize; spec.classes.len()];
    let mut missing_counts = [0usize; 4];
    if sprite.is_none() || spec.legend {
        fills.reserve(layer.shapes.len());
        for s in &layer.shapes {
            let (f, v) = fill_of(spec, s);
            match f {
                Fill::Class(c) => class_counts[c] += 1,
                Fill::Missing(m) => {
                    missing_counts[MISSING_ORDER.iter().position(|&o| o == m).unwrap_or(3)] += 1
                }
            }
            fills.push((f, v));
        }
    }

    let legend = if spec.legend {
        Some(legend_markup(
            spec,
            &class_counts,
            &missing_counts,
            &hatch,
            px_w,
        ))
    } else {
        None
    };
    let legend_h = legend.as_ref().map_or(0.0, |(_, h)| *h);
    let total_h = vh + legend_h * k;
    let px_h = total_h / k;

    let cap: usize = if sprite.is_some() {
        layer.shapes.len() * 16
    } else {
        layer
            .shapes
            .iter()
            .map(|s| s.d.len() + s.name_xml.len() + s.code_xml.len() + 160)
            .sum::<usize>()
    } + 2048;
    let mut out = String::with_capacity(cap);
    out.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"");
    push_num(&mut out, vx);
    out.push(' ');
    push_num(&mut out, vy);
    out.push(' ');
    push_num(&mut out, vw);
    out.push(' ');
    push_num(&mut out, total_h);
    out.push_str("\" width=\"");
    push_num(&mut out, px_w);
    out.push_str("\" height=\"");
    push_num(&mut out, px_h);
    let _ = write!(
        out,
        "\" class=\"map\" role=\"{role}\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"{FONT}\"><title id=\"{id}-title\">",
        // A map of links is a group (an image may hold no interactive content).
        role = if spec.href.is_some() && sprite.is_none() {
            "group"
        } else {
            "img"
        }
    );
    escape_into(&mut out, spec.title);
    let _ = write!(out, "</title><desc id=\"{id}-desc\">");
    escape_into(&mut out, spec.description);
    out.push_str("</desc>");
    out.push_str(&palette::hatch_defs(spec.id));
    // Each class's fill, escaped once per map rather than once per area.
    let class_fills: Vec<String> = (0..spec.classes.len())
        .map(|c| {
            escape(
                spec.palette
                    .get(c)
                    .or(spec.palette.last())
                    .copied()
                    .unwrap_or(palette::NO_DATA),
            )
        })
        .collect();
    if let Some(href) = sprite {
        sprite_use(&mut out, spec, href, &fills, &class_fills, &selected, k);
    } else {
        out.push_str(
            "<g fill-rule=\"evenodd\" stroke=\"#ffffff\" stroke-linejoin=\"round\" stroke-width=\"",
        );
        push_num_fine(&mut out, 0.5 * k);
        out.push_str("\">");
    }
    let href_parts = spec.href.map(|h| h.split("{code}").collect::<Vec<_>>());
    let mut sel_paths: Vec<&str> = Vec::new();
    let drawn = if sprite.is_some() {
        0
    } else {
        layer.shapes.len()
    };
    for (s, &(f, v)) in layer.shapes.iter().zip(&fills).take(drawn) {
        if let Some(parts) = &href_parts {
            out.push_str("<a href=\"");
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    escape_into(&mut out, &svg::href_for("{code}", &s.code));
                }
                escape_into(&mut out, p);
            }
            // Mouse users click an area; keyboard users have the same links in the page's
            // table, not thousands of tab stops in a map.
            out.push_str("\" tabindex=\"-1\">");
        }
        out.push_str("<path d=\"");
        out.push_str(&s.d);
        out.push_str("\" fill=\"");
        match f {
            Fill::Class(c) => out.push_str(&class_fills[c]),
            Fill::Missing(m) => out.push_str(missing_fill(m, &hatch)),
        }
        if f == Fill::Missing(MissingCode::NotApplicable) {
            out.push_str("\" stroke=\"");
            out.push_str(palette::NOT_APPLICABLE_STROKE);
        }
        out.push_str("\" data-area=\"");
        out.push_str(&s.code_xml);
        out.push_str("\" class=\"");
        match f {
            Fill::Class(c) => {
                out.push_str("area c");
                push_index(&mut out, c);
            }
            Fill::Missing(m) => out.push_str(missing_class(m)),
        }
        if !selected.is_empty() && selected.contains(s.code.as_str()) {
            out.push_str(" is-sel");
            sel_paths.push(&s.d);
        }
        out.push_str("\"><title>");
        out.push_str(&s.name_xml);
        out.push_str(": ");
        match v {
            Value::Missing(m) => out.push_str(missing_label(m, locale)),
            Value::Number(_) => {
                spec.format.push_with_unit_html(&mut out, v);
                if let Some(note) = spec.notes.and_then(|n| n.get(&s.code)) {
                    out.push_str(" (");
                    escape_into(&mut out, note);
                    out.push(')');
                }
            }
        }
        out.push_str("</title></path>");
        if href_parts.is_some() {
            out.push_str("</a>");
        }
    }
    if sprite.is_none() {
        out.push_str("</g>");
    }
    if !sel_paths.is_empty() {
        for (colour, width) in [("#ffffff", 3.5), (palette::SELECTION, 2.0)] {
            let _ = write!(
                out,
                "<g class=\"sel-outline\" fill=\"none\" fill-rule=\"evenodd\" stroke=\"{colour}\" stroke-linejoin=\"round\" pointer-events=\"none\" stroke-width=\""
            );
            push_num_fine(&mut out, width * k);
            out.push_str("\">");
            for d in &sel_paths {
                out.push_str("<path d=\"");
                out.push_str(d);
                out.push_str("\"/>");
            }
            out.push_str("</g>");
        }
    }
    if let Some((markup, _)) = legend {
        out.push_str("<g class=\"legend\" transform=\"translate(");
        push_num(&mut out, vx);
        out.push(' ');
        push_num(&mut out, vy + vh);
        out.push_str(") scale(");
        push_num_fine(&mut out, k);
        out.push_str(")\">");
        out.push_str(&markup);
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// Id of the hatch pattern inside a [`sprite`].
const SPRITE_HATCH: &str = "geo";

/// The geometry of a layer as an SVG sprite a browser fetches once per publication and
/// level: `<g id="m">` holds one `<path id="a{k}" data-area="CODE" class="area">` per shape
/// (`k` its position in the layer) with the area's name as `<title>`, filled and stroked by
/// the custom properties `--a{k}` and `--s{k}` that a drawing with [`MapSpec::sprite`] sets
/// (the no-data colour and a white line when it sets none), and the hatch of suppressed
/// values. Stroke widths are those of the whole layer (zoomed drawings stay inline).
pub fn sprite(layer: &MapLayer) -> String {
    let mut out = String::with_capacity(
        layer
            .shapes
            .iter()
            .map(|s| s.d.len() + s.name_xml.len() + s.code_xml.len() + 96)
            .sum::<usize>()
            + 1024,
    );
    out.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
    push_num(&mut out, layer.width.max(1.0));
    out.push(' ');
    push_num(&mut out, layer.height.max(1.0));
    out.push_str("\">");
    out.push_str(&palette::hatch_defs(SPRITE_HATCH));
    out.push_str(
        "<g id=\"m\" fill-rule=\"evenodd\" stroke-linejoin=\"round\" stroke-width=\"0.5\">",
    );
    for (k, s) in layer.shapes.iter().enumerate() {
        let _ = write!(out, "<path id=\"a{k}\" d=\"");
        out.push_str(&s.d);
        out.push_str("\" data-area=\"");
        out.push_str(&s.code_xml);
        let _ = write!(
            out,
            "\" class=\"area\" style=\"fill:var(--a{k},{});stroke:var(--s{k},#ffffff)\"><title>",
            palette::NO_DATA
        );
        out.push_str(&s.name_xml);
        out.push_str("</title></path>");
    }
    out.push_str("</g></svg>");
    out
}

/// The drawing of a whole layer through its sprite: one `<use>` whose `style` gives each area
/// with data its fill (`--a{k}`; areas without data keep the sprite's no-data colour) and the
/// not-applicable ones their grey line (`--s{k}`), then the selection outlines as `<use>`s of
/// single areas with the fill switched off.
fn sprite_use(
    out: &mut String,
    spec: &MapSpec,
    href: &str,
    fills: &[(Fill, Value)],
    class_fills: &[String],
    selected: &HashSet<&str>,
    k: f64,
) {
    let href = escape(href);
    let hatch = format!("url(#{SPRITE_HATCH}-hatch)");
    // Each declaration's value part, written once per map: `:#fill;`.
    let decl = |fill: &str| format!(":{fill};");
    let class_decls: Vec<String> = class_fills.iter().map(|f| decl(f)).collect();
    let missing_decls: Vec<String> = MISSING_ORDER
        .iter()
        .map(|&m| decl(missing_fill(m, &hatch)))
        .collect();
    let stroke_decl = decl(palette::NOT_APPLICABLE_STROKE);
    let _ = write!(out, "<use href=\"{href}#m\" class=\"geo\" style=\"");
    for (i, s) in spec.layer.shapes.iter().enumerate() {
        // The fills when the caller classified already (for a legend), else classified here.
        let f = fills.get(i).map_or_else(|| fill_of(spec, s).0, |&(f, _)| f);
        let value = match f {
            Fill::Class(c) => &class_decls[c],
            Fill::Missing(MissingCode::Empty) => continue,
            Fill::Missing(m) => {
                &missing_decls[MISSING_ORDER.iter().position(|&o| o == m).unwrap_or(3)]
            }
        };
        out.push_str(&s.var);
        out.push_str(value);
        if f == Fill::Missing(MissingCode::NotApplicable) {
            out.push_str("--s");
            out.push_str(&s.var[3..]);
            out.push_str(&stroke_decl);
        }
    }
    out.push_str("\"/>");
    if selected.is_empty() {
        return;
    }
    let picked: Vec<usize> = (spec.layer.shapes.iter().enumerate())
        .filter(|(_, s)| selected.contains(s.code.as_str()))
        .map(|(i, _)| i)
        .collect();
    if picked.is_empty() {
        return;
    }
    for (colour, width) in [("#ffffff", 3.5), (palette::SELECTION, 2.0)] {
        out.push_str("<g class=\"sel-outline\" pointer-events=\"none\" stroke-width=\"");
        push_num_fine(out, width * k);
        out.push_str("\">");
        for &i in &picked {
            let _ = write!(
                out,
                "<use href=\"{href}#a{i}\" style=\"--a{i}:none;--s{i}:{colour}\"/>"
            );
        }
        out.push_str("</g>");
    }
}

/// A class index in decimal (no formatting machinery per area).
fn push_index(out: &mut String, c: usize) {
    if c < 10 {
        out.push((b'0' + c as u8) as char);
    } else {
        out.push_str(itoa::Buffer::new().format(c));
    }
}

/// Like push_num with four decimals (stroke widths and scales at high zoom).
fn push_num_fine(out: &mut String, x: f64) {
    let _ = write!(out, "{}", (x * 10000.0).round() / 10000.0);
}

/// The legend in px units (origin top-left, `width` px wide) and its height.
fn legend_markup(
    spec: &MapSpec,
    class_counts: &[usize],
    missing_counts: &[usize; 4],
    hatch: &str,
    width: f64,
) -> (String, f64) {
    const ROW: f64 = 18.0;
    let locale = spec.format.locale;
    let mut out = String::new();
    // A white ground: with a zoomed view, shapes outside the view lie under the legend.
    let _ = write!(
        out,
        "<rect width=\"{}\" height=\"{{LEGEND_H}}\" fill=\"#ffffff\"/>",
        svg::n(width)
    );
    let mut top = 8.0;
    if !spec.legend_title.is_empty() {
        svg::text(
            &mut out,
            8.0,
            top + 13.0,
            svg::Anchor::Start,
            &format!(
                "font-size=\"13\" font-weight=\"bold\" fill=\"{}\"",
                palette::TEXT
            ),
            spec.legend_title,
        );
        top += 20.0;
    }
    // The classes that exist on this map: a class none of its areas falls in (a manual
    // boundary beyond the data, values of areas not drawn) is left out.
    let mut col0: Vec<(String, String, Option<&str>)> = Vec::new();
    for (i, label) in spec.classes.labels(spec.format).into_iter().enumerate() {
        if class_counts[i] == 0 {
            continue;
        }
        let col = spec
            .palette
            .get(i)
            .or(spec.palette.last())
            .copied()
            .unwrap_or(palette::NO_DATA);
        col0.push((
            format!("{label} ({})", class_counts[i]),
            col.to_string(),
            None,
        ));
    }
    let mut col1: Vec<(String, String, Option<&str>)> = Vec::new();
    for (i, &m) in MISSING_ORDER.iter().enumerate() {
        if missing_counts[i] == 0 {
            continue;
        }
        let stroke = if m == MissingCode::NotApplicable {
            Some(palette::NOT_APPLICABLE_STROKE)
        } else {
            Some("#8c8c8c")
        };
        col1.push((
            format!("{} ({})", missing_label(m, locale), missing_counts[i]),
            missing_fill(m, hatch).to_string(),
            stroke,
        ));
    }
    let w0 = col0
        .iter()
        .map(|(l, _, _)| svg::text_width(l, 12.0))
        .fold(0.0, f64::max)
        + 36.0;
    let w1 = col1
        .iter()
        .map(|(l, _, _)| svg::text_width(l, 12.0))
        .fold(0.0, f64::max)
        + 36.0;
    // Two columns when both fit side by side, else one.
    let side_by_side = !col0.is_empty() && 8.0 + w0.max(width / 2.0 - 8.0) + w1 <= width;
    let x1 = if side_by_side {
        8.0 + w0.max(width / 2.0 - 8.0)
    } else {
        8.0
    };
    let mut rows = 0usize;
    let draw = |out: &mut String,
                x: f64,
                row: usize,
                (label, fill, stroke): &(String, String, Option<&str>)| {
        let y = top + row as f64 * ROW;
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"16\" height=\"12\" fill=\"{}\"",
            svg::n(x),
            svg::n(y + 2.0),
            escape(fill)
        );
        if let Some(s) = stroke {
            let _ = write!(out, " stroke=\"{s}\" stroke-width=\"1\"");
        }
        out.push_str("/>");
        svg::text(out, x + 22.0, y + 12.5, svg::Anchor::Start, "", label);
    };
    for (i, item) in col0.iter().enumerate() {
        draw(&mut out, 8.0, i, item);
        rows = rows.max(i + 1);
    }
    let start = if side_by_side { 0 } else { col0.len() };
    for (i, item) in col1.iter().enumerate() {
        draw(&mut out, x1, start + i, item);
        rows = rows.max(start + i + 1);
    }
    let height = top + rows as f64 * ROW + 6.0;
    (out.replacen("{LEGEND_H}", &svg::n(height + 2.0), 1), height)
}

/// A small locator map: every shape in light grey, the shape of `code` dark (with a dot
/// marker when it would be smaller than a few px), no legend. `label` is the accessible
/// name, e.g. "Ligging van Brugse Poort" (it becomes `aria-label` and `<title>`).
pub fn locator(id: &str, layer: &MapLayer, code: &str, label: &str) -> String {
    let ((vx, vy, vw, vh), k) = view_of(layer, None);
    let mut out =
        String::with_capacity(layer.shapes.iter().map(|s| s.d.len() + 16).sum::<usize>() + 512);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{} {} {} {}\" width=\"{}\" height=\"{}\" class=\"map locator\" id=\"{}\" role=\"img\" aria-label=\"{}\"><title>",
        svg::n(vx),
        svg::n(vy),
        svg::n(vw),
        svg::n(vh),
        svg::n(layer.width.max(1.0)),
        svg::n(vh / k),
        escape(id),
        escape(label)
    );
    escape_into(&mut out, label);
    out.push_str("</title><g fill=\"#d9d9d9\" fill-rule=\"evenodd\" stroke=\"#ffffff\" stroke-linejoin=\"round\" stroke-width=\"");
    push_num_fine(&mut out, 0.5 * k);
    out.push_str("\">");
    let mut target = None;
    for s in &layer.shapes {
        if s.code == code {
            target = Some(s);
            continue;
        }
        out.push_str("<path d=\"");
        out.push_str(&s.d);
        out.push_str("\"/>");
    }
    out.push_str("</g>");
    if let Some(s) = target {
        let dark = palette::sequential(9)[8];
        let _ = write!(
            out,
            "<path d=\"{}\" fill=\"{dark}\" fill-rule=\"evenodd\" stroke=\"{dark}\" stroke-width=\"",
            s.d
        );
        push_num_fine(&mut out, 0.5 * k);
        out.push_str("\" data-area=\"");
        escape_into(&mut out, &s.code);
        out.push_str("\" class=\"area is-sel\"/>");
        let (x0, y0, x1, y1) = s.bbox;
        if (x1 - x0).max(y1 - y0) < 6.0 * k {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"none\" stroke=\"{dark}\" stroke-width=\"{}\"/>",
                svg::n(s.centroid.0),
                svg::n(s.centroid.1),
                svg::n(6.0 * k),
                svg::n(1.5 * k)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Method;
    use crate::format::Locale;

    /// A square of side `s` degrees at (lon, lat) as a GeoJSON polygon.
    fn square(lon: f64, lat: f64, s: f64) -> String {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{lon},{lat}],[{},{lat}],[{},{}],[{lon},{}],[{lon},{lat}]]]}}"#,
            lon + s,
            lon + s,
            lat + s,
            lat + s
        )
    }

    /// Parses path data into rings of absolute points (accepts what `build_shape` writes:
    /// M, l with implicit repetition, z).
    fn parse_path(d: &str) -> Vec<Vec<(f64, f64)>> {
        let mut rings = Vec::new();
        let mut nums: Vec<f64> = Vec::new();
        let mut cmd = ' ';
        let mut cur = String::new();
        let flush = |cur: &mut String, nums: &mut Vec<f64>| {
            if !cur.is_empty() {
                nums.push(cur.parse().expect("number"));
                cur.clear();
            }
        };
        let mut ring: Vec<(f64, f64)> = Vec::new();
        let finish = |cmd: char, nums: &mut Vec<f64>, ring: &mut Vec<(f64, f64)>| {
            assert!(nums.len().is_multiple_of(2), "odd coordinate count");
            for p in nums.chunks(2) {
                match cmd {
                    'M' => {
                        assert!(ring.is_empty());
                        ring.push((p[0], p[1]));
                    }
                    'l' => {
                        let last = *ring.last().expect("l after M");
                        ring.push((last.0 + p[0], last.1 + p[1]));
                    }
                    _ => panic!("unexpected command {cmd}"),
                }
            }
            nums.clear();
        };
        for ch in d.chars() {
            match ch {
                'M' | 'l' | 'z' => {
                    flush(&mut cur, &mut nums);
                    if cmd != ' ' {
                        finish(cmd, &mut nums, &mut ring);
                    }
                    if ch == 'z' {
                        rings.push(std::mem::take(&mut ring));
                        cmd = ' ';
                    } else {
                        cmd = ch;
                    }
                }
                ' ' => flush(&mut cur, &mut nums),
                '-' => {
                    flush(&mut cur, &mut nums);
                    cur.push('-');
                }
                c if c.is_ascii_digit() || c == '.' => cur.push(c),
                c => panic!("unexpected char {c:?} in {d}"),
            }
        }
        assert!(cmd == ' ' && cur.is_empty(), "path not closed");
        rings
    }

    #[test]
    fn path_data_roundtrip_and_compact() {
        let rings = vec![vec![(0, 0), (123, -5), (100, 100), (-7, 50)]];
        let s = build_shape(0, "a", "A", &rings);
        assert_eq!(s.d, "M0 0l12.3-0.5-2.3 10.5-10.7-5z");
        let back = parse_path(&s.d);
        assert_eq!(back.len(), 1);
        let expect = [(0.0, 0.0), (12.3, -0.5), (10.0, 10.0), (-0.7, 5.0)];
        for (p, q) in back[0].iter().zip(expect) {
            assert!(
                (p.0 - q.0).abs() < 1e-9 && (p.1 - q.1).abs() < 1e-9,
                "{p:?} {q:?}"
            );
        }
        assert_eq!(s.bbox, (-0.7, -0.5, 12.3, 10.0));
    }

    #[test]
    fn simplification_reduces_points() {
        // A circle of 400 points with a wobble: simplification keeps the shape with far
        // fewer points.
        let mut coords = Vec::new();
        for i in 0..400 {
            let a = i as f64 / 400.0 * std::f64::consts::TAU;
            let r = 0.1 + 0.00003 * ((i * 7) % 3) as f64;
            coords.push(format!("[{},{}]", 4.0 + r * a.cos(), 51.0 + r * a.sin()));
        }
        coords.push(coords[0].clone());
        let geo = format!(
            r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
            coords.join(",")
        );
        let (fine, _) = MapLayer::from_geojson([("c", "Circle", geo.as_str())], 800.0, 0.0);
        let (coarse, _) = MapLayer::from_geojson([("c", "Circle", geo.as_str())], 800.0, 1.0);
        let nf = parse_path(&fine.shapes[0].d)[0].len();
        let nc = parse_path(&coarse.shapes[0].d)[0].len();
        assert!(nf > 300, "{nf}");
        assert!(nc < nf / 3 && nc >= 8, "{nc} vs {nf}");
        // Still spans the whole box.
        let (x0, _, x1, _) = coarse.shapes[0].bbox;
        assert!(x0 < 1.0 && x1 > 799.0);
        let (cx, cy) = coarse.shapes[0].centroid;
        assert!((cx - 400.0).abs() < 5.0 && (cy - coarse.height / 2.0).abs() < 5.0);
    }

    #[test]
    fn projection_and_skipping() {
        let a = square(3.0, 51.0, 1.0);
        let b = square(4.0, 51.0, 1.0);
        let multi = r#"{"type":"MultiPolygon","coordinates":[[[[5,51],[5.5,51],[5.5,51.5],[5,51.5],[5,51]]],[[[5.6,51.6],[5.6001,51.6],[5.6001,51.6001],[5.6,51.6]]]]}"#;
        let (layer, skipped) = MapLayer::from_geojson(
            [
                ("a", "A", a.as_str()),
                ("b", "B", b.as_str()),
                ("bad", "Bad", "{not json"),
                ("pt", "Point", r#"{"type":"Point","coordinates":[4,51]}"#),
                ("m", "Multi", multi),
            ],
            600.0,
            0.5,
        );
        assert_eq!(skipped, vec!["bad".to_string(), "pt".to_string()]);
        assert_eq!(layer.shapes.len(), 3);
        assert_eq!(layer.width, 600.0);
        // Width spans 2.6001 degrees of longitude scaled by cos(51.5°), height 1 degree.
        let kx = 51.5f64.to_radians().cos();
        let expect_h = 600.0 / (2.6001 * kx) * 1.0;
        assert!(
            (layer.height - expect_h).abs() < 0.01,
            "{} {}",
            layer.height,
            expect_h
        );
        // y points down: the northernmost edge is at 0.
        let sa = layer.shape("a").unwrap();
        assert_eq!(sa.bbox.0, 0.0);
        assert_eq!(sa.bbox.1, 0.0);
        assert!((sa.bbox.3 - layer.height).abs() < 0.06);
        // The tiny second polygon of "m" is dropped, one ring remains.
        let m = layer.shape("m").unwrap();
        assert_eq!(parse_path(&m.d).len(), 1);
        assert!(layer.shape("zzz").is_none());
        // Zoom box.
        let (x, y, w, h) = layer.bbox_of(&["a"]).unwrap();
        assert!(x < 0.0 && y < sa.bbox.1 && w > sa.bbox.2 - sa.bbox.0 && h > 0.0);
        assert!(layer.bbox_of(&["nope"]).is_none());
    }

    #[test]
    fn keeps_largest_ring_of_tiny_item() {
        let tiny = square(4.0, 51.0, 0.00001);
        let big = square(3.0, 50.0, 2.0);
        let (layer, skipped) = MapLayer::from_geojson(
            [("t", "Tiny", tiny.as_str()), ("b", "Big", big.as_str())],
            100.0,
            0.5,
        );
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(layer.shapes.len(), 2);
        let t = layer.shape("t").unwrap();
        assert_eq!(parse_path(&t.d)[0].len(), 4);
    }

    fn three_squares() -> MapLayer {
        let a = square(3.0, 51.0, 0.2);
        let b = square(3.2, 51.0, 0.2);
        let c = square(3.4, 51.0, 0.2);
        MapLayer::from_geojson(
            [
                ("a", "Alfa", a.as_str()),
                ("b", "Bravo & co", b.as_str()),
                ("c", "Charlie", c.as_str()),
            ],
            300.0,
            0.5,
        )
        .0
    }

    fn fills(svg: &str) -> Vec<String> {
        svg.split("<path d=\"")
            .skip(1)
            .filter(|p| p.contains("class=\"area"))
            .filter_map(|p| p.split("fill=\"").nth(1))
            .map(|f| f.split('"').next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn choropleth_missing_kinds() {
        let layer = three_squares();
        let values: HashMap<String, Value> = [
            ("a".to_string(), Value::Missing(MissingCode::Hidden)),
            ("b".to_string(), Value::Missing(MissingCode::Unknown)),
            ("c".to_string(), Value::Missing(MissingCode::NotApplicable)),
        ]
        .into();
        let fmt = NumberFormat::new(1, "%", Locale::Nl);
        let classes = Classes::new(&[], &Method::MeanStdDev, 5);
        let pal = palette::sequential(5);
        let spec = MapSpec {
            id: "m1",
            title: "Test <map>",
            description: "Drie vierkanten",
            layer: &layer,
            values: MapValues::ByCode(&values),
            format: &fmt,
            classes: &classes,
            palette: &pal,
            selected: &["b".to_string()],
            href: Some("/gebied/{code}?a=1&b=2"),
            view: None,
            legend: true,
            legend_title: "Aandeel",
            notes: None,
            sprite: None,
        };
        let out = choropleth(&spec);
        resvg::usvg::Tree::from_str(&out, &resvg::usvg::Options::default()).expect("valid svg");
        assert!(out.contains("<title id=\"m1-title\">Test &lt;map&gt;</title>"));
        assert!(out.contains("<desc id=\"m1-desc\">Drie vierkanten</desc>"));
        assert!(out.contains("aria-labelledby=\"m1-title m1-desc\""));
        assert!(out.contains("<pattern id=\"m1-hatch\""));
        let area_paths = out.matches("class=\"area ").count();
        assert_eq!(area_paths, 3);
        let f = fills(&out);
        let area_fills = &f[..3];
        assert_eq!(area_fills[0], "url(#m1-hatch)");
        assert_eq!(area_fills[1], palette::UNKNOWN);
        assert_eq!(area_fills[2], palette::NOT_APPLICABLE);
        let mut distinct = area_fills.to_vec();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 3);
        assert!(out.contains("class=\"area m-x\""));
        assert!(out.contains("class=\"area m-q is-sel\""));
        assert!(out.contains("class=\"area m-nvt\""));
        assert!(out.contains("<title>Bravo &amp; co: onbekend</title>"));
        assert!(out.contains("<a href=\"/gebied/b?a=1&amp;b=2\" tabindex=\"-1\">"));
        // Legend: exactly the missing kinds present, no "geen gegevens".
        assert!(out.contains(">geheim (privacy) (1)</text>"));
        assert!(out.contains(">onbekend (1)</text>"));
        assert!(out.contains(">niet van toepassing (1)</text>"));
        assert!(!out.contains("geen gegevens"));
        assert!(out.contains(">Aandeel</text>"));
        // The selected shape is drawn again on top.
        assert_eq!(out.matches("class=\"sel-outline\"").count(), 2);
    }

    #[test]
    fn choropleth_classes_and_empty() {
        let layer = three_squares();
        let values: HashMap<String, Value> = [
            ("a".to_string(), Value::Number(1.0)),
            ("b".to_string(), Value::Number(9.0)),
        ]
        .into();
        let fmt = NumberFormat::new(0, "inwoners", Locale::Nl);
        let classes = Classes::new(&[1.0, 9.0], &Method::EqualIntervals, 2);
        let pal = palette::sequential(2);
        let view = layer.bbox_of(&["a"]);
        // Notes go into a numbered shape's tooltip, never an empty one's.
        let notes: HashMap<String, String> = [
            ("b".to_string(), "interval 8 – 10 & meer".to_string()),
            ("c".to_string(), "niet getoond".to_string()),
        ]
        .into();
        let spec = MapSpec {
            id: "m2",
            title: "T",
            description: "D",
            layer: &layer,
            values: MapValues::ByCode(&values),
            format: &fmt,
            classes: &classes,
            palette: &pal,
            selected: &[],
            href: None,
            view,
            legend: true,
            legend_title: "",
            notes: Some(&notes),
            sprite: None,
        };
        let out = choropleth(&spec);
        resvg::usvg::Tree::from_str(&out, &resvg::usvg::Options::default()).expect("valid svg");
        let f = fills(&out);
        assert_eq!(&f[..3], &[pal[0], pal[1], palette::NO_DATA]);
        assert!(out.contains("class=\"area c0\""));
        assert!(out.contains("class=\"area c1\""));
        assert!(out.contains("class=\"area m-e\""));
        assert!(out.contains("<title>Alfa: 1\u{a0}inwoners</title>"));
        assert!(out.contains(": 9\u{a0}inwoners (interval 8 – 10 &amp; meer)</title>"));
        assert!(!out.contains("niet getoond"));
        assert!(out.contains(">1 – 5 (1)</text>"));
        assert!(out.contains(">5 – 9 (1)</text>"));
        assert!(out.contains(">geen gegevens (1)</text>"));
        assert!(!out.contains("onbekend"));
        assert!(!out.contains("<a "));
        assert!(!out.contains("sel-outline"));
        let (x, ..) = view.unwrap();
        assert!(out.contains(&format!("viewBox=\"{}", svg::n(x))));
    }

    #[test]
    fn the_legend_lists_the_classes_that_exist() {
        let layer = three_squares();
        let values: HashMap<String, Value> = [
            ("a".to_string(), Value::Number(1.0)),
            ("b".to_string(), Value::Number(2.0)),
            ("c".to_string(), Value::Number(9.0)),
        ]
        .into();
        let fmt = NumberFormat::new(0, "", Locale::Nl);
        // Manual boundaries keep a class without areas (5 – 8): the legend leaves it out,
        // and the colours of the others stay those of their class.
        let classes = Classes::new(&[1.0, 2.0, 9.0], &Method::Manual(vec![2.0, 5.0, 8.0]), 4);
        assert_eq!(classes.len(), 4);
        let pal = palette::sequential(4);
        let spec = MapSpec {
            id: "m3",
            title: "T",
            description: "D",
            layer: &layer,
            values: MapValues::ByCode(&values),
            format: &fmt,
            classes: &classes,
            palette: &pal,
            selected: &[],
            href: None,
            view: None,
            legend: true,
            legend_title: "",
            notes: None,
            sprite: None,
        };
        let out = choropleth(&spec);
        assert!(out.contains(">1 – 2 (1)</text>"), "{out}");
        assert!(out.contains(">2 – 5 (1)</text>"));
        assert!(!out.contains(">5 – 8 (0)</text>"), "{out}");
        assert!(out.contains(">8 – 9 (1)</text>"));
        assert_eq!(out.matches(" (0)</text>").count(), 0);
        // The last class keeps its own colour.
        assert!(
            out.contains(&format!(
                "fill=\"{}\"/><text x=\"30\" y=\"56.5\">8 – 9",
                pal[3]
            )),
            "{out}"
        );
        // A data-driven method gives the five classes asked of five distinct values.
        let five: HashMap<String, Value> = [("a", 1.0), ("b", 2.0), ("c", 9.0)]
            .iter()
            .map(|(k, v)| (k.to_string(), Value::Number(*v)))
            .collect();
        let all = [1.0, 2.0, 3.0, 4.0, 9.0];
        let classes = Classes::new(&all, &Method::MeanStdDev, 5);
        assert_eq!(classes.len(), 5, "{:?}", classes.breaks);
        let pal = palette::sequential(5);
        let out = choropleth(&MapSpec {
            values: MapValues::ByCode(&five),
            classes: &classes,
            palette: &pal,
            ..spec
        });
        // Three areas on the map: three classes in its legend.
        assert_eq!(out.matches("<rect x=\"8\"").count(), 3, "{out}");
    }

    /// Reads a GeoJSON FeatureCollection of the shared real data as (code, name, geometry).
    pub(crate) fn real_items(
        file: &str,
        code: &str,
        name: &str,
    ) -> Option<Vec<(String, String, String)>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/flanders/geo/wgs84")
            .join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} not found", path.display());
            return None;
        };
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid GeoJSON");
        Some(
            v["features"]
                .as_array()
                .expect("features")
                .iter()
                .map(|f| {
                    (
                        f["properties"][code].as_str().expect("code").to_string(),
                        f["properties"][name].as_str().expect("name").to_string(),
                        f["geometry"].to_string(),
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn real_municipalities() {
        let Some(items) = real_items("gemeente2024_wgs84.geojson", "gemeente", "naam") else {
            return;
        };
        let raw_bytes: usize = items.iter().map(|i| i.2.len()).sum();
        let (layer, skipped) = MapLayer::from_geojson(
            items
                .iter()
                .map(|(c, n, g)| (c.as_str(), n.as_str(), g.as_str())),
            800.0,
            0.5,
        );
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(layer.shapes.len(), items.len());
        assert!(layer.shapes.len() > 300);
        // Flanders and Brussels are about 2.5 times wider than high.
        let aspect = layer.width / layer.height;
        assert!((2.0..3.2).contains(&aspect), "{aspect}");
        let path_bytes: usize = layer.shapes.iter().map(|s| s.d.len()).sum();
        assert!(path_bytes * 5 < raw_bytes, "{path_bytes} vs {raw_bytes}");
        for s in &layer.shapes {
            let rings = parse_path(&s.d);
            assert!(
                !rings.is_empty() && rings.iter().all(|r| r.len() >= 3),
                "{}",
                s.code
            );
            let (x0, y0, x1, y1) = s.bbox;
            assert!(x0 >= 0.0 && y0 >= 0.0 && x1 <= 800.05 && y1 <= layer.height + 0.05);
            assert!(s.centroid.0 >= x0 && s.centroid.0 <= x1, "{}", s.code);
        }
        // Ghent (44021) lies west of Antwerp (11002) and both north of Leuven (24062).
        let ghent = layer.shape("44021").unwrap().centroid;
        let antwerp = layer.shape("11002").unwrap().centroid;
        let leuven = layer.shape("24062").unwrap().centroid;
        assert!(ghent.0 < antwerp.0 && antwerp.0 < leuven.0 + 50.0);
        assert!(ghent.1 < leuven.1 && antwerp.1 < leuven.1);
        // A choropleth of all of them is valid SVG.
        let values: HashMap<String, Value> = layer
            .shapes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.code.clone(), Value::Number(i as f64)))
            .collect();
        let nums: Vec<f64> = (0..layer.shapes.len()).map(|i| i as f64).collect();
        let classes = Classes::new(&nums, &Method::Quantiles, 5);
        let pal = palette::sequential(5);
        let fmt = NumberFormat::new(0, "", Locale::Nl);
        let spec = MapSpec {
            id: "gem",
            title: "Gemeenten",
            description: "Alle gemeenten",
            layer: &layer,
            values: MapValues::ByCode(&values),
            format: &fmt,
            classes: &classes,
            palette: &pal,
            selected: &["44021".to_string()],
            href: None,
            view: layer.bbox_of(&["44021"]),
            legend: true,
            legend_title: "Volgnummer",
            notes: None,
            sprite: None,
        };
        let svg = choropleth(&spec);
        resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).expect("valid svg");
        assert_eq!(svg.matches("class=\"area c").count(), layer.shapes.len());
    }

    #[test]
    fn locator_map() {
        let layer = three_squares();
        let out = locator("loc", &layer, "b", "Ligging van Bravo");
        resvg::usvg::Tree::from_str(&out, &resvg::usvg::Options::default()).expect("valid svg");
        assert!(out.contains("aria-label=\"Ligging van Bravo\""));
        assert!(out.contains("data-area=\"b\" class=\"area is-sel\""));
        assert_eq!(out.matches("<path").count(), 3);
    }
}
