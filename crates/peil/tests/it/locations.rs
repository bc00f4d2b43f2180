//! Records placed by their coordinates (issue 18, locations): a record set whose rows carry a
//! point (WGS84 or Lambert 72) instead of an area code; each record lands in the area of the
//! set's level its point lies in, on the real Flanders municipalities (Peil reads their
//! Lambert 72 shapefile). The independent side is shapely (`tests/clients/points_check.py`),
//! on the municipalities' WGS84 GeoJSON: every count per municipality and per kind the API
//! gives equals its count, the points in no municipality are reported and left out, and one
//! point per municipality in Lambert 72 metres lands in that municipality.

use crate::common::*;
use std::collections::BTreeMap;
use std::process::Command;

fn have_shapely() -> bool {
    have_tool(
        "shapely and pyshp",
        "python3 -m pip install shapely pyshp",
        Command::new("python3").args(["-c", "import shapely, shapefile"]),
    )
}

const POINTS: &str = r#"
name = "punten"
id = "id"
level = "gemeente2024"
dates = ["datum"]
categories = ["soort"]
threshold = 0

[location]
x = "lon"
y = "lat"

[[measure]]
code = "pt_n"
name = "Punten"
kind = "count"
date = "datum"
periods = ["year"]

[[measure]]
code = "pt_winkels"
name = "Winkels"
kind = "count"
date = "datum"
where = { soort = ["winkel"] }
periods = ["year"]
"#;

const CENTRES: &str = r#"
name = "centra"
id = "id"
level = "gemeente2024"
dates = ["datum"]
threshold = 0

[location]
x = "x"
y = "y"
crs = "EPSG:31370"

[[measure]]
code = "centra_n"
name = "Centra"
kind = "count"
date = "datum"
periods = ["year"]
"#;

/// `indicator` per municipality in 2024, as the API gives it (a cell without a number is 0).
fn per_municipality(s: &Server, indicator: &str) -> BTreeMap<String, f64> {
    let csv = s.get(&format!(
        "/api/v1/data?indicator={indicator}&level=gemeente2024&period=2024&format=csv"
    ));
    assert_eq!(csv.status, 200, "{}", csv.body);
    let mut rd = csv::ReaderBuilder::new().from_reader(csv.body.as_bytes());
    let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (item, value) = (col("item"), col("value"));
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            (r[item].to_string(), r[value].parse().unwrap_or(0.0))
        })
        .collect()
}

#[test]
fn points_land_in_the_municipality_shapely_finds_and_outside_points_are_reported() {
    if !have_shapely() {
        return;
    }
    let f = flanders();
    let site = Site::new();
    site.import(&f.join("swing/gebiedsdefinities/gemeente2024.xlsx"), &[]);
    site.import(&f.join("geo/lambert72/gemeente2024.shp"), &[]);
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/points_check.py"
        ))
        .arg(f.join("geo/wgs84/gemeente2024_wgs84.geojson"))
        .arg(f.join("geo/lambert72/gemeente2024.shp"))
        .args(["5000", "7"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("expected.json")).unwrap())
            .unwrap();
    let outside = expected["outside"].as_u64().unwrap();
    assert!(outside > 100, "the box reaches past Flanders: {expected}");

    let def = dir.path().join("punten.toml");
    std::fs::write(&def, POINTS).unwrap();
    let points = dir.path().join("points.csv");
    let out = site.ok(&[
        "records",
        "import",
        def.to_str().unwrap(),
        points.to_str().unwrap(),
    ]);
    assert!(
        out.contains(&format!(
            "{outside} records left out: their point lies in no area of level gemeente2024"
        )),
        "{out}"
    );
    let centres = dir.path().join("centra.toml");
    std::fs::write(&centres, CENTRES).unwrap();
    site.ok(&[
        "records",
        "import",
        centres.to_str().unwrap(),
        dir.path().join("lambert.csv").to_str().unwrap(),
    ]);
    site.ok(&["publish"]);
    let s = Server::start(site);

    // Every municipality's count equals shapely's, and the kinds too.
    let got = per_municipality(&s, "pt_n");
    let counts = expected["counts"].as_object().unwrap();
    assert!(counts.len() > 250, "{}", counts.len());
    for (code, n) in &got {
        let want = counts.get(code).and_then(|v| v.as_f64()).unwrap_or(0.0);
        assert_eq!(*n, want, "points in {code}");
    }
    for code in counts.keys() {
        assert!(got.contains_key(code), "{code} has points and no cell");
    }
    let placed: f64 = got.values().sum();
    let written = expected["written"].as_u64().unwrap();
    assert_eq!(placed as u64 + outside, written);
    let shops = per_municipality(&s, "pt_winkels");
    let by_kind = expected["by_kind"].as_object().unwrap();
    for (code, n) in &shops {
        let want = by_kind
            .get(&format!("{code}/winkel"))
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        assert_eq!(*n, want, "shops in {code}");
    }

    // One point per municipality in Lambert 72 metres: each in its own.
    // (The level's four items of an unknown location have no polygon: 0 there.)
    let centra = per_municipality(&s, "centra_n");
    let one: Vec<&String> = centra
        .iter()
        .filter(|(_, n)| **n == 1.0)
        .map(|(c, _)| c)
        .collect();
    assert_eq!(one.len(), 319, "{centra:?}");
    assert!(
        centra
            .iter()
            .all(|(c, n)| *n == 1.0 || (*n == 0.0 && c.starts_with("9999"))),
        "{centra:?}"
    );
}

/// `peil records import` of a file it refuses: what it printed.
fn refused(site: &Site, def: &std::path::Path, csv: &std::path::Path) -> String {
    let o = site.run(&[
        "records",
        "import",
        def.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn bad_coordinates_name_row_and_column_and_change_nothing() {
    let f = flanders();
    let site = Site::new();
    site.import(&f.join("swing/gebiedsdefinities/gemeente2024.xlsx"), &[]);
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("punten.toml");
    std::fs::write(&def, POINTS).unwrap();
    let csv = dir.path().join("p.csv");
    std::fs::write(
        &csv,
        "id;lon;lat;datum;soort\nA;4.40;51.21;2024-01-02;school\n",
    )
    .unwrap();
    // No geometry for the level yet: refused, saying what is missing.
    let text = refused(&site, &def, &csv);
    assert!(text.contains("import the areas' geometry first"), "{text}");

    site.import(&f.join("geo/lambert72/gemeente2024.shp"), &[]);
    std::fs::write(
        &csv,
        "id;lon;lat;datum;soort\nA;4.40;51.21;2024-01-02;school\nB;vier;51.2;2024-01-02;school\nC;;;2024-01-02;school\nD;4.4;951.2;2024-01-02;school\n",
    )
    .unwrap();
    let text = refused(&site, &def, &csv);
    for want in [
        "p.csv, row 3, column 'lon': found 'vier'; expected a coordinate in EPSG:4326",
        "p.csv, row 4, column 'lon'",
        "expected coordinates, found empty cells",
        "p.csv, row 5, column 'lon': found '4.4 951.2'; expected a point in EPSG:4326",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    assert_eq!(
        site.sql("SELECT count(*) FROM record").unwrap()[0][0],
        "0",
        "nothing stored"
    );
}
