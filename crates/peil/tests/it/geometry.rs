//! Geometry formats and CRSs beyond the real shapefiles: a GeoPackage in Belgian Lambert 2008
//! (EPSG:3812) and a GeoJSON that declares Lambert 72 in its `crs` member.

use crate::common::*;

fn site_with_areas() -> Site {
    let site = Site::new();
    let areas = site.path().join("wijk.csv");
    std::fs::write(&areas, "code;name\nW1;Centrum\nW2;Noord\n").unwrap();
    site.import(&areas, &["--level", "wijk"]);
    site
}

/// A square of 1 km around (x, y) as a GeoPackage geometry blob (little-endian WKB polygon).
fn gpkg_square(x: f64, y: f64) -> Vec<u8> {
    let mut b = b"GP\x00\x01".to_vec();
    b.extend(3812i32.to_le_bytes());
    b.push(1);
    b.extend(3u32.to_le_bytes());
    b.extend(1u32.to_le_bytes());
    b.extend(5u32.to_le_bytes());
    for (dx, dy) in [
        (0.0, 0.0),
        (1000.0, 0.0),
        (1000.0, 1000.0),
        (0.0, 1000.0),
        (0.0, 0.0),
    ] {
        b.extend(f64::to_le_bytes(x + dx));
        b.extend(f64::to_le_bytes(y + dy));
    }
    b
}

#[test]
fn geopackage_in_lambert_2008() {
    let site = site_with_areas();
    let path = site.path().join("wijken.gpkg");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT,
             organization_coordsys_id INTEGER, definition TEXT, description TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES ('ETRS89 / Belgian Lambert 2008', 3812, 'EPSG', 3812, '', '');
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT);
         INSERT INTO gpkg_contents VALUES ('wijken', 'features', 'wijken');
         CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT,
             srs_id INTEGER, z INTEGER, m INTEGER);
         INSERT INTO gpkg_geometry_columns VALUES ('wijken', 'geom', 'POLYGON', 3812, 0, 0);
         CREATE TABLE wijken (fid INTEGER PRIMARY KEY, geom BLOB, wijkcode TEXT, naam TEXT);",
    )
    .unwrap();
    // Around the projection origin of EPSG:3812 (4.3592 E, 50.7978 N) and 5 km north-east.
    for (code, x, y) in [("W1", 649328.0, 665262.0), ("W2", 654328.0, 670262.0)] {
        db.execute(
            "INSERT INTO wijken (geom, wijkcode, naam) VALUES (?1, ?2, 'x')",
            rusqlite::params![gpkg_square(x, y), code],
        )
        .unwrap();
    }
    drop(db);
    let out = site.import(&path, &["--level", "wijk"]);
    assert!(out.contains("from EPSG:3812"), "{out}");
    let store = site.open_store();
    let boxes = store.geometry_bboxes("wijk").unwrap();
    assert_eq!(boxes.len(), 2);
    let (_, [a, b, _, _]) = &boxes[0];
    assert!(
        (a - 4.35921583).abs() < 1e-5 && (b - 50.797815).abs() < 1e-5,
        "W1 at {a} {b}"
    );
    let (full, _) = store.geometry("wijk", "W2").unwrap().unwrap();
    assert!(full.contains("\"Polygon\""), "{full}");
}

#[test]
fn geojson_declaring_lambert_72() {
    let site = site_with_areas();
    let path = site.path().join("wijken.geojson");
    // The Antwerp reference point (152000, 212000) in Lambert 72 is 4.3973825 E, 51.2179454 N.
    let square = |x: f64, y: f64| {
        format!(
            "[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]",
            x + 500.0,
            x + 500.0,
            y + 500.0,
            y + 500.0
        )
    };
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::31370"}}}},
               "features":[{{"type":"Feature","properties":{{"code":"W1"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
                           {{"type":"Feature","properties":{{"code":"W2"}},"geometry":{{"type":"Polygon","coordinates":{}}}}}]}}"#,
            square(152000.0, 212000.0),
            square(153000.0, 212000.0)
        ),
    )
    .unwrap();
    let out = site.import(&path, &["--level", "wijk"]);
    assert!(out.contains("from EPSG:31370"), "{out}");
    let store = site.open_store();
    // The first vertex of W1 is the reference point (the bbox corner is not: parallels curve).
    let (full, _) = store.geometry("wijk", "W1").unwrap().unwrap();
    let g: serde_json::Value = serde_json::from_str(&full).unwrap();
    let (a, b) = (
        g["coordinates"][0][0][0].as_f64().unwrap(),
        g["coordinates"][0][0][1].as_f64().unwrap(),
    );
    assert!(
        (a - 4.3973825).abs() < 1e-6 && (b - 51.2179454).abs() < 1e-6,
        "{a} {b}"
    );
}
