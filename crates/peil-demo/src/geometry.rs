//! Polygons of the demo city, built exactly from a jittered grid.
//!
//! Every sector is one cell of a grid whose vertices are moved by at most
//! [`JITTER`] of a cell in each direction. With that bound every cell stays a strictly convex
//! quadrilateral (the corner cross product is at least `(1 − 4·JITTER)` of a cell's area),
//! so sector polygons are valid without any checking at run time. Neighbouring cells share
//! their vertices, so shared borders are identical, as publishers keep them.
//!
//! Larger areas are unions of cells. A union is computed on vertex *indices*, not on
//! floating-point coordinates: directed cell edges whose reverse edge also belongs to the
//! group are interior; the rest are chained into rings. The result is exact and its borders
//! coincide with the sectors' borders vertex for vertex.

use crate::rng::Rng;
use geo_types::{Coord, LineString, Polygon};
use peil_core::GeometryFeature;
use std::collections::{BTreeMap, BTreeSet};

/// A grid cell as (column, row); row 0 is the south.
pub(crate) type Cell = (i32, i32);
/// A grid vertex as (column, row) of its lower-left cell corner.
type Vertex = (i32, i32);

pub(crate) const COLS: i32 = 18;
pub(crate) const ROWS: i32 = 18;
/// Cell size in degrees: about 735 m × 756 m at latitude 51°.
const DX: f64 = 0.0105;
const DY: f64 = 0.0068;
/// South-west corner of the grid, chosen so the city sits around (4.0 E, 51.025 N).
const LON0: f64 = 4.0 - DX * COLS as f64 / 2.0;
const LAT0: f64 = 51.025 - DY * ROWS as f64 / 2.0;
/// Largest vertex displacement, as a fraction of the cell size per axis.
const JITTER: f64 = 0.22;
/// Kilometres per degree at the city's latitude (cos 51.025° = 0.62898, written out to keep
/// transcendental functions, and their platform-specific last bits, out of the demo).
const KM_PER_DEG_LON: f64 = 111.320 * 0.62898;
const KM_PER_DEG_LAT: f64 = 111.195;

/// The box every city polygon lies in: min lon, min lat, max lon, max lat.
pub const CITY_BOX: [f64; 4] = [3.9, 50.95, 4.1, 51.1];
/// The box the municipalities around the city lie in.
pub const REGION_BOX: [f64; 4] = [3.7, 50.85, 4.3, 51.2];

/// Rounds to `d` decimals (coordinates are stored with 6, web geometry with 5).
fn round_to(x: f64, d: i32) -> f64 {
    let f = (0..d).fold(1.0, |f, _| f * 10.0);
    (x * f).round() / f
}

/// The jittered vertex coordinates (lon, lat), rounded to 6 decimals once, so that every
/// polygon using a vertex writes the same numbers.
pub(crate) struct Grid {
    coords: Vec<Coord<f64>>,
}

impl Grid {
    pub(crate) fn jittered(rng: &mut Rng) -> Grid {
        let mut coords = Vec::with_capacity(((COLS + 1) * (ROWS + 1)) as usize);
        for j in 0..=ROWS {
            for i in 0..=COLS {
                let frame = i == 0 || j == 0 || i == COLS || j == ROWS;
                let (ji, jj) = if frame {
                    (0.0, 0.0)
                } else {
                    (rng.range(-JITTER, JITTER), rng.range(-JITTER, JITTER))
                };
                coords.push(Coord {
                    x: round_to(LON0 + (i as f64 + ji) * DX, 6),
                    y: round_to(LAT0 + (j as f64 + jj) * DY, 6),
                });
            }
        }
        Grid { coords }
    }

    fn coord(&self, (i, j): Vertex) -> Coord<f64> {
        self.coords[(j * (COLS + 1) + i) as usize]
    }

    /// The polygon covering a set of cells, which must form one piece without holes or
    /// corner-only contacts (the partition in `geography` guarantees it).
    pub(crate) fn polygon(&self, cells: &[Cell]) -> Polygon<f64> {
        let rings = union_rings(cells);
        assert_eq!(rings.len(), 1, "a demo area must be one ring: {cells:?}");
        let ring: Vec<Coord<f64>> = rings[0].iter().map(|v| self.coord(*v)).collect();
        Polygon::new(LineString::from(ring), vec![])
    }
}

/// Corners of a cell, counter-clockwise (GeoJSON's orientation for exterior rings).
fn cell_ring((c, r): Cell) -> [Vertex; 4] {
    [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)]
}

/// Boundary rings of a union of cells, as vertex indices (not closed), or `None` when two
/// cells of the union touch only at a corner (the boundary would pinch there). Outer rings
/// come out counter-clockwise, holes clockwise, since every cell is walked counter-clockwise.
fn boundary(cells: &[Cell]) -> Option<Vec<Vec<Vertex>>> {
    let mut edges: BTreeSet<(Vertex, Vertex)> = BTreeSet::new();
    for &cell in cells {
        let ring = cell_ring(cell);
        for k in 0..4 {
            edges.insert((ring[k], ring[(k + 1) % 4]));
        }
    }
    let mut next: BTreeMap<Vertex, Vertex> = BTreeMap::new();
    for &(a, b) in &edges {
        if !edges.contains(&(b, a)) && next.insert(a, b).is_some() {
            return None;
        }
    }
    let mut rings = Vec::new();
    while let Some((&start, _)) = next.iter().next() {
        let mut ring = vec![start];
        let mut at = next.remove(&start).expect("present");
        while at != start {
            ring.push(at);
            at = next.remove(&at).expect("boundary edges form closed rings");
        }
        rings.push(ring);
    }
    Some(rings)
}

fn union_rings(cells: &[Cell]) -> Vec<Vec<Vertex>> {
    boundary(cells).unwrap_or_else(|| panic!("cells touch only at a corner: {cells:?}"))
}

/// Whether cells make one simple polygon: connected, without holes, without corner-only
/// contacts. This is exactly what every demo area must be.
pub(crate) fn is_simple_area(cells: &[Cell]) -> bool {
    !cells.is_empty() && boundary(cells).is_some_and(|rings| rings.len() == 1)
}

/// Length of the boundary in cell edges: the partition prefers short cuts.
pub(crate) fn perimeter(cells: &[Cell]) -> usize {
    boundary(cells).map_or(usize::MAX / 4, |rings| rings.iter().map(Vec::len).sum())
}

/// Signed shoelace area in square degrees; positive for counter-clockwise rings.
pub(crate) fn signed_area(ring: &LineString<f64>) -> f64 {
    ring.0
        .windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        / 2.0
}

/// Area in km² on a local equirectangular projection: accurate to well under a percent
/// for a city-sized polygon, and exact with respect to the sectors (areas add up).
pub(crate) fn area_km2(poly: &Polygon<f64>) -> f64 {
    let ring_area = |r: &LineString<f64>| signed_area(r).abs() * KM_PER_DEG_LON * KM_PER_DEG_LAT;
    ring_area(poly.exterior()) - poly.interiors().iter().map(ring_area).sum::<f64>()
}

/// min lon, min lat, max lon, max lat.
pub(crate) fn bbox(poly: &Polygon<f64>) -> [f64; 4] {
    poly.exterior().0.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |[a, b, c, d], p| [a.min(p.x), b.min(p.y), c.max(p.x), d.max(p.y)],
    )
}

/// A GeoJSON geometry object, coordinates rounded to `decimals`.
pub(crate) fn geojson(poly: &Polygon<f64>, decimals: i32) -> String {
    let ring = |r: &LineString<f64>| {
        let pts: Vec<String> =
            r.0.iter()
                .map(|c| format!("[{},{}]", round_to(c.x, decimals), round_to(c.y, decimals)))
                .collect();
        format!("[{}]", pts.join(","))
    };
    let rings: Vec<String> = std::iter::once(poly.exterior())
        .chain(poly.interiors())
        .map(ring)
        .collect();
    format!(
        r#"{{"type":"Polygon","coordinates":[{}]}}"#,
        rings.join(",")
    )
}

/// The feature as the store takes it: full geometry with 6 decimals (≈ 10 cm), web
/// geometry with 5 (≈ 1 m; vertices are hundreds of metres apart, so nothing collapses).
pub(crate) fn feature(code: &str, poly: &Polygon<f64>) -> GeometryFeature {
    GeometryFeature {
        code: code.to_string(),
        full: geojson(poly, 6),
        web: geojson(poly, 5),
        bbox: bbox(poly),
    }
}

/// √½, the cosine of 45°.
const R2: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Unit vectors every 15°, counter-clockwise from east, written out (no trigonometry in
/// the demo, see the crate's documentation).
#[rustfmt::skip]
const DIRECTIONS: [(f64, f64); 24] = [
    (1.0, 0.0), (0.965926, 0.258819), (0.866025, 0.5), (R2, R2),
    (0.5, 0.866025), (0.258819, 0.965926), (0.0, 1.0), (-0.258819, 0.965926),
    (-0.5, 0.866025), (-R2, R2), (-0.866025, 0.5), (-0.965926, 0.258819),
    (-1.0, 0.0), (-0.965926, -0.258819), (-0.866025, -0.5), (-R2, -R2),
    (-0.5, -0.866025), (-0.258819, -0.965926), (0.0, -1.0), (0.258819, -0.965926),
    (0.5, -0.866025), (R2, -R2), (0.866025, -0.5), (0.965926, -0.258819),
];

/// A pseudo-angle counter-clockwise from east in [0, 4): monotone in the true angle.
fn ccw_angle((dx, dy): (f64, f64)) -> f64 {
    let s = dx.abs() + dy.abs();
    if s == 0.0 {
        return 0.0;
    }
    match (dx >= 0.0, dy >= 0.0) {
        (true, true) => dy / s,
        (false, true) => 1.0 - dx / s,
        (false, false) => 2.0 - dy / s,
        (true, false) => 3.0 + dx / s,
    }
}

/// `parts` polygons that surround `inner` like the slices of a ring: each one follows a
/// stretch of `inner`'s outline vertex for vertex (so they meet it exactly, as neighbouring
/// municipalities do), then runs straight out to a circle `scale` times the farthest
/// outline point from the middle, along it, and back. `inner` must be star-shaped seen
/// from the middle of its bounding box (the demo city is roundish).
pub(crate) fn ring_around(inner: &Polygon<f64>, parts: usize, scale: f64) -> Vec<Polygon<f64>> {
    let ring = &inner.exterior().0;
    let ring = &ring[..ring.len() - 1];
    let [x0, y0, x1, y1] = bbox(inner);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let local = |c: &Coord<f64>| ((c.x - cx) * KM_PER_DEG_LON, (c.y - cy) * KM_PER_DEG_LAT);
    let back = |(x, y): (f64, f64)| Coord {
        x: round_to(cx + x / KM_PER_DEG_LON, 6),
        y: round_to(cy + y / KM_PER_DEG_LAT, 6),
    };
    let pts: Vec<(f64, f64)> = ring.iter().map(local).collect();
    let angle: Vec<f64> = pts.iter().map(|&p| ccw_angle(p)).collect();
    let radius = pts
        .iter()
        .map(|(x, y)| (x * x + y * y).sqrt())
        .fold(0.0, f64::max)
        * scale;
    let out = |p: (f64, f64)| {
        let r = (p.0 * p.0 + p.1 * p.1).sqrt();
        back((p.0 / r * radius, p.1 / r * radius))
    };
    // The outline vertices where one slice ends and the next begins, in ring order.
    let mut cuts: Vec<usize> = (0..parts)
        .map(|j| {
            let target = 4.0 * j as f64 / parts as f64 + 0.25;
            (0..pts.len())
                .min_by(|&a, &b| {
                    let d = |i: usize| {
                        let d = (angle[i] - target).rem_euclid(4.0);
                        d.min(4.0 - d)
                    };
                    d(a).total_cmp(&d(b))
                })
                .expect("an outline")
        })
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    (0..cuts.len())
        .map(|k| {
            let (a, b) = (cuts[k], cuts[(k + 1) % cuts.len()]);
            let mut coords: Vec<Coord<f64>> = Vec::new();
            let mut i = a;
            loop {
                coords.push(ring[i]);
                if i == b {
                    break;
                }
                i = (i + 1) % ring.len();
            }
            coords.push(out(pts[b]));
            let span = (angle[b] - angle[a]).rem_euclid(4.0);
            let mut between: Vec<(f64, (f64, f64))> = DIRECTIONS
                .iter()
                .map(|&d| ((ccw_angle(d) - angle[a]).rem_euclid(4.0), d))
                .filter(|&(rel, _)| rel > 0.0 && rel < span)
                .collect();
            between.sort_by(|p, q| q.0.total_cmp(&p.0));
            coords.extend(between.iter().map(|&(_, d)| out(d)));
            coords.push(out(pts[a]));
            coords.push(ring[a]);
            // The outline was walked counter-clockwise around the city, which is clockwise
            // around the slice: turn it round (GeoJSON wants exterior rings counter-clockwise).
            let mut line = LineString::from(coords);
            if signed_area(&line) < 0.0 {
                line.0.reverse();
            }
            Polygon::new(line, vec![])
        })
        .collect()
}

/// A schematic outline of the Flemish Region with Brussels as a hole: enough for the top
/// level of the demo to have a shape on the map. It is hand-drawn with a few dozen points
/// and makes no claim to accuracy.
pub(crate) fn flanders() -> Polygon<f64> {
    const EXTERIOR: &[(f64, f64)] = &[
        (2.55, 51.09),
        (2.61, 50.96),
        (2.60, 50.85),
        (2.72, 50.81),
        (2.86, 50.71),
        (2.95, 50.76),
        (3.10, 50.78),
        (3.20, 50.76),
        (3.30, 50.79),
        (3.45, 50.77),
        (3.60, 50.75),
        (3.75, 50.77),
        (3.90, 50.73),
        (4.05, 50.71),
        (4.20, 50.70),
        (4.40, 50.73),
        (4.60, 50.76),
        (4.80, 50.78),
        (5.00, 50.75),
        (5.20, 50.73),
        (5.40, 50.75),
        (5.55, 50.76),
        (5.68, 50.76),
        (5.70, 50.90),
        (5.76, 51.02),
        (5.85, 51.12),
        (5.80, 51.17),
        (5.55, 51.27),
        (5.24, 51.30),
        (5.10, 51.42),
        (4.95, 51.45),
        (4.80, 51.50),
        (4.55, 51.48),
        (4.40, 51.40),
        (4.25, 51.37),
        (4.20, 51.30),
        (4.00, 51.24),
        (3.80, 51.21),
        (3.60, 51.29),
        (3.40, 51.30),
        (3.37, 51.37),
        (3.10, 51.30),
        (2.85, 51.18),
    ];
    // Brussels, clockwise.
    const HOLE: &[(f64, f64)] = &[
        (4.25, 50.84),
        (4.29, 50.90),
        (4.37, 50.92),
        (4.45, 50.90),
        (4.49, 50.84),
        (4.45, 50.78),
        (4.37, 50.76),
        (4.29, 50.78),
    ];
    let ring = |pts: &[(f64, f64)]| LineString::from(pts.to_vec());
    Polygon::new(ring(EXTERIOR), vec![ring(HOLE)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_of_an_l_shape_is_one_counter_clockwise_ring() {
        let rings = union_rings(&[(0, 0), (1, 0), (0, 1)]);
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0].len(), 8);
        let grid = Grid::jittered(&mut Rng::new(3));
        let poly = grid.polygon(&[(5, 5), (6, 5), (5, 6)]);
        assert!(signed_area(poly.exterior()) > 0.0);
        let parts: f64 = [(5, 5), (6, 5), (5, 6)]
            .iter()
            .map(|c| area_km2(&grid.polygon(&[*c])))
            .sum();
        assert!((area_km2(&poly) - parts).abs() < 1e-9);
    }

    #[test]
    fn a_ring_of_cells_has_a_hole() {
        let cells: Vec<Cell> = (0..3)
            .flat_map(|c| (0..3).map(move |r| (c, r)))
            .filter(|&c| c != (1, 1))
            .collect();
        assert_eq!(union_rings(&cells).len(), 2);
        assert!(!is_simple_area(&cells));
        assert!(
            !is_simple_area(&cells[1..]),
            "(0, 1) and (1, 0) touch only at a corner"
        );
        let u: Vec<Cell> = cells.iter().copied().filter(|&c| c != (1, 2)).collect();
        assert!(is_simple_area(&u));
        assert!(!is_simple_area(&[(0, 0), (2, 0)]));
        assert_eq!(perimeter(&[(0, 0), (1, 0)]), 6);
    }

    #[test]
    #[should_panic(expected = "corner")]
    fn corner_contact_is_refused() {
        union_rings(&[(0, 0), (1, 1)]);
    }

    /// Whether two segments cross (touching at shared end points does not count).
    fn cross(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
        let o = |p: Coord<f64>, q: Coord<f64>, r: Coord<f64>| {
            (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x)
        };
        if a == c || a == d || b == c || b == d {
            return false;
        }
        o(a, b, c) * o(a, b, d) < 0.0 && o(c, d, a) * o(c, d, b) < 0.0
    }

    #[test]
    fn slices_around_a_city_are_simple_and_meet_it() {
        let grid = Grid::jittered(&mut Rng::new(5));
        let cells: Vec<Cell> = (4..14)
            .flat_map(|c| (4..14).map(move |r| (c, r)))
            .filter(|&(c, r)| (c - 9) * (c - 9) + (r - 9) * (r - 9) <= 22)
            .collect();
        let city = grid.polygon(&cells);
        let slices = ring_around(&city, 6, 1.9);
        assert_eq!(slices.len(), 6);
        let city_area = area_km2(&city);
        let mut total = 0.0;
        for p in &slices {
            let line = p.exterior();
            assert!(signed_area(line) > 0.0);
            let segs: Vec<_> = line.0.windows(2).map(|w| (w[0], w[1])).collect();
            for (i, s) in segs.iter().enumerate() {
                for t in &segs[i + 1..] {
                    assert!(!cross(s.0, s.1, t.0, t.1), "a slice crosses itself");
                }
            }
            total += area_km2(p);
        }
        // A ring 1.9 times the city's radius holds about 2.6 times its area.
        assert!(total > 2.0 * city_area, "{total} around {city_area}");
        let city_vertices: BTreeSet<(i64, i64)> = city
            .exterior()
            .0
            .iter()
            .map(|c| ((c.x * 1e6).round() as i64, (c.y * 1e6).round() as i64))
            .collect();
        let shared: usize = slices
            .iter()
            .map(|p| {
                p.exterior()
                    .0
                    .iter()
                    .filter(|c| {
                        city_vertices
                            .contains(&((c.x * 1e6).round() as i64, (c.y * 1e6).round() as i64))
                    })
                    .count()
            })
            .sum();
        // Every city vertex is on one slice, each cut vertex on two (plus closing points).
        assert!(
            shared >= city_vertices.len() + 6,
            "{shared} of {}",
            city_vertices.len()
        );
    }

    #[test]
    fn geojson_is_compact() {
        let p = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (0.1234567, 1.0)]),
            vec![],
        );
        assert_eq!(
            geojson(&p, 6),
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0.123457,1],[0,0]]]}"#
        );
    }
}
