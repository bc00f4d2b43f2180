//! Placing points in areas (issue 18, locations): which area of a level holds a point given in
//! WGS84 or Belgian Lambert. The level's polygons (its stored full geometry, WGS84) go into an
//! R-tree of their bounding boxes (`rstar`, the one `geo` is built on); a point is tested
//! against the polygons whose box holds it (`geo`'s robust point-in-polygon).
//!
//! The rule for a point on a border, shared by two areas: it belongs to the one with the
//! smallest code. A point in no area (outside the territory, or in a gap between the areas'
//! polygons) is [`Located::Outside`]; the record reader reports it and leaves the record out.

use crate::geometry::{Crs, Reprojector};
use crate::records::{Locate, Located};
use geo::{Contains, Intersects};
use geo_types::{Coord, Geometry, MultiPolygon, Point};
use rstar::{AABB, RTree, RTreeObject};

/// One area: its polygons, the store id and code of its item.
struct Area {
    id: u32,
    code: String,
    shape: MultiPolygon<f64>,
    envelope: AABB<[f64; 2]>,
}

/// An area's place in the tree: its bounding box and its index in [`Placer::areas`].
struct Boxed {
    envelope: AABB<[f64; 2]>,
    at: usize,
}

impl RTreeObject for Boxed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// The areas of one level, indexed for placing points, and the coordinate system the points
/// come in.
pub struct Placer {
    areas: Vec<Area>,
    tree: RTree<Boxed>,
    reproject: Reprojector,
}

/// Why a level's geometry cannot place points.
#[derive(Debug, thiserror::Error)]
pub enum PlacerError {
    #[error("the geometry of area {code} is not a polygon GeoJSON: {why}")]
    Geometry { code: String, why: String },
    #[error(
        "the coordinate system {0} cannot be read: expected EPSG:4326, EPSG:31370 or EPSG:3812"
    )]
    Crs(String),
    #[error("reprojection: {0}")]
    Reproject(#[from] crate::geometry::ReprojectError),
}

impl Placer {
    /// The areas as (store id, code, GeoJSON geometry in WGS84), for points in `crs`.
    pub fn new<'a>(
        areas: impl IntoIterator<Item = (u32, &'a str, &'a str)>,
        crs: &str,
    ) -> Result<Placer, PlacerError> {
        let crs = Crs::parse(crs).ok_or_else(|| PlacerError::Crs(crs.to_string()))?;
        let mut out = Vec::new();
        for (id, code, json) in areas {
            let bad = |why: String| PlacerError::Geometry {
                code: code.to_string(),
                why,
            };
            let g: geojson::Geometry = json.parse().map_err(|e| bad(format!("{e}")))?;
            let shape = match Geometry::<f64>::try_from(g).map_err(|e| bad(format!("{e}")))? {
                Geometry::Polygon(p) => MultiPolygon(vec![p]),
                Geometry::MultiPolygon(m) => m,
                other => return Err(bad(format!("a {other:?}").chars().take(60).collect())),
            };
            let Some(rect) = geo::BoundingRect::bounding_rect(&shape) else {
                continue;
            };
            let envelope =
                AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
            out.push(Area {
                id,
                code: code.to_string(),
                shape,
                envelope,
            });
        }
        let tree = RTree::bulk_load(
            out.iter()
                .enumerate()
                .map(|(at, a)| Boxed {
                    envelope: a.envelope,
                    at,
                })
                .collect(),
        );
        Ok(Placer {
            areas: out,
            tree,
            reproject: Reprojector::new(crs)?,
        })
    }

    /// The area holding a point in WGS84 (longitude, latitude), by the rule of the module.
    pub fn place_lon_lat(&self, lon: f64, lat: f64) -> Option<u32> {
        let p = Point(Coord { x: lon, y: lat });
        let mut border: Option<&Area> = None;
        for b in self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
        {
            let a = &self.areas[b.at];
            if a.shape.contains(&p) {
                return Some(a.id);
            }
            // On the border (not inside): the smallest code of the areas it touches.
            if a.shape.intersects(&p) && border.is_none_or(|o| a.code < o.code) {
                border = Some(a);
            }
        }
        border.map(|a| a.id)
    }
}

impl Locate for Placer {
    fn locate(&self, x: f64, y: f64) -> Located {
        match self.reproject.apply(x, y) {
            Some((lon, lat))
                if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
            {
                match self.place_lon_lat(lon, lat) {
                    Some(id) => Located::In(id),
                    None => Located::Outside,
                }
            }
            _ => Located::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two unit squares side by side, "b" west of "a", and a square with a hole.
    fn placer() -> Placer {
        let square = |x0: f64| {
            format!(
                r#"{{"type":"Polygon","coordinates":[[[{x0},50],[{x1},50],[{x1},51],[{x0},51],[{x0},50]]]}}"#,
                x1 = x0 + 1.0
            )
        };
        let holed = r#"{"type":"Polygon","coordinates":[[[10,50],[13,50],[13,53],[10,53],[10,50]],[[11,51],[12,51],[12,52],[11,52],[11,51]]]}"#;
        let (b, a) = (square(3.0), square(4.0));
        Placer::new(
            [(1, "b", b.as_str()), (2, "a", a.as_str()), (3, "h", holed)],
            "EPSG:4326",
        )
        .unwrap()
    }

    #[test]
    fn a_point_is_in_the_area_holding_it_and_a_border_goes_to_the_smallest_code() {
        let p = placer();
        assert_eq!(p.locate(3.5, 50.5), Located::In(1));
        assert_eq!(p.locate(4.5, 50.5), Located::In(2));
        // On the shared edge x = 4: "a" < "b".
        assert_eq!(p.locate(4.0, 50.5), Located::In(2));
        // On an outer edge: the one area.
        assert_eq!(p.locate(3.0, 50.2), Located::In(1));
        assert_eq!(p.locate(6.0, 50.5), Located::Outside);
        // In the hole, and around it.
        assert_eq!(p.locate(11.5, 51.5), Located::Outside);
        assert_eq!(p.locate(10.5, 51.5), Located::In(3));
        assert_eq!(p.locate(f64::NAN, 50.0), Located::Invalid);
        assert_eq!(p.locate(400.0, 50.0), Located::Invalid);
    }

    #[test]
    fn lambert_points_are_reprojected_first() {
        // Brussels' Grand-Place: Lambert 72 (148,950; 170,600) is about (4.352, 50.847).
        let square = r#"{"type":"Polygon","coordinates":[[[4.34,50.84],[4.36,50.84],[4.36,50.86],[4.34,50.86],[4.34,50.84]]]}"#;
        let p72 = Placer::new([(9, "bxl", square)], "EPSG:31370").unwrap();
        assert_eq!(p72.locate(148_950.0, 170_600.0), Located::In(9));
        assert_eq!(p72.locate(100_000.0, 170_600.0), Located::Outside);
        assert!(Placer::new([(9, "bxl", square)], "EPSG:28992").is_err());
    }
}
