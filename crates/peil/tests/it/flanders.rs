//! Loads the real Flemish open data from `../shared/data/flanders/` and checks real counts.

use crate::common::*;
use std::collections::{HashMap, HashSet};

const LEVELS: [&str; 9] = [
    "statsec2019",
    "statsec2024",
    "ggw72024",
    "deelgemeente2024",
    "gemeente2024",
    "gemeente",
    "arrondiss2024",
    "provincie2024",
    "gewest",
];

const TABLES: [&str; 8] = [
    "statsec2024_ggw72024",
    "statsec2024_gemeente2024",
    "statsec2024_deelgemeente2024",
    "gemeente2024_arrondiss2024",
    "gemeente2024_gemeente",
    "arrondiss2024_provincie2024",
    "provincie2024_gewest",
    "statsec2019_statsec2024",
];

fn load_hierarchy(site: &Site) {
    let f = flanders();
    for l in LEVELS {
        site.import(&f.join(format!("swing/gebiedsdefinities/{l}.xlsx")), &[]);
    }
    for t in TABLES {
        site.import(&f.join(format!("swing/aggregatietabellen/{t}.xlsx")), &[]);
    }
}

#[test]
fn real_flanders_load() {
    let site = Site::new();
    let f = flanders();
    load_hierarchy(&site);
    let s = site.status();
    for (level, n) in [
        ("statsec2024", 10_241),
        ("ggw72024", 3_052),
        ("gemeente2024", 323),
        ("gemeente", 308),
        ("arrondiss2024", 27),
        ("provincie2024", 9),
        ("gewest", 4),
        // The MANIFEST says 10,236; the file holds 10,237 distinct codes.
        ("statsec2019", 10_237),
    ] {
        assert_eq!(items(&s, level), n, "items of {level}");
    }

    // Every statsec2024 item has exactly one parent in each level it maps to.
    let store = site.open_store();
    let sectors: HashSet<String> = store
        .items("statsec2024")
        .unwrap()
        .into_iter()
        .map(|i| i.code)
        .collect();
    for parent in ["ggw72024", "gemeente2024", "deelgemeente2024"] {
        let links = store.links("statsec2024", parent).unwrap();
        let mut per_child: HashMap<&str, usize> = HashMap::new();
        for (c, _) in &links {
            *per_child.entry(c).or_default() += 1;
        }
        assert_eq!(
            per_child.len(),
            sectors.len(),
            "every sector has a parent in {parent}"
        );
        assert!(
            per_child.values().all(|n| *n == 1),
            "exactly one parent in {parent}"
        );
        assert!(per_child.keys().all(|c| sectors.contains(*c)));
    }
    // The conversion table: the real-world dirt is reported, and ambiguous ZZZZ rows go to ZZZZ.
    let conv: HashMap<String, String> = store
        .links("statsec2019", "statsec2024")
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(conv["31004ZZZZ"], "31004ZZZZ");
    assert_eq!(conv["38016ZZZZ"], "38016ZZZZ");
    assert_eq!(conv["11001A00-"], "11001A00-");
    // The 8 unknown-location codes of municipalities merged in 2019 that the table leaves out
    // go to the unknown-location sector of the municipality their siblings went to.
    assert_eq!(conv["44029ZZZZ"], "44084ZZZZ", "Knesselare → Aalter");
    assert_eq!(
        conv["12034ZZZZ"], "12041ZZZZ",
        "Sint-Amands → Puurs-Sint-Amands"
    );
    assert_eq!(conv.keys().filter(|c| c.ends_with("ZZZZ")).count(), 331);
    let check = site.ok(&["check"]);
    // No hierarchy warning (the catalogue's missing licence and contact are warned about
    // since issue 19, and are not this test's subject).
    assert!(
        check.contains("ok:") && !check.contains("no parent") && !check.contains("lost"),
        "{check}"
    );
    drop(store);

    // Geometry: municipalities and neighbourhoods from Lambert 72 shapefiles, sectors from GeoJSON.
    let out = site.import(&f.join("geo/lambert72/gemeente2024.shp"), &[]);
    assert!(out.contains("EPSG:31370"), "{out}");
    site.import(&f.join("geo/lambert72/ggw72024.shp"), &[]);
    site.import(
        &f.join("geo/wgs84/zennevallei_sectors_2024_wgs84.geojson"),
        &["--level", "statsec2024"],
    );
    let store = site.open_store();
    for (level, n) in [
        ("gemeente2024", 319),
        ("ggw72024", 2_730),
        ("statsec2024", 154),
    ] {
        let boxes = store.geometry_bboxes(level).unwrap();
        assert_eq!(boxes.len(), n, "geometries of {level}");
        for (code, [a, b, c, d]) in &boxes {
            assert!(
                *a >= 2.5 && *c <= 6.5 && *b >= 49.4 && *d <= 51.6,
                "{level} {code} outside Belgium: {a} {b} {c} {d}"
            );
        }
    }
    // Antwerp (11002) lies around 4.4 E, 51.2 N.
    let (_, [a, b, c, d]) = store
        .geometry_bboxes("gemeente2024")
        .unwrap()
        .into_iter()
        .find(|(c, _)| c == "11002")
        .unwrap();
    assert!(
        a < 4.42 && c > 4.40 && b < 51.22 && d > 51.2,
        "Antwerpen bbox {a} {b} {c} {d}"
    );
    let (full, web) = store.geometry("ggw72024", "1100101").unwrap().unwrap();
    assert!(web.len() <= full.len());
    drop(store);

    // Fluvius energy on statsec2019: every row lands, Brussels as unknown.
    let out = site.import(
        &f.join("stats/fluvius_energy_statsec2019_2018_2021.csv"),
        &[],
    );
    assert!(out.contains("40932 rows read"), "{out}");
    let export = site.ok(&["export", "--level", "statsec2019"]);
    let rows: Vec<&str> = export.lines().skip(1).collect();
    assert_eq!(rows.len(), 40_932 * 9, "every Fluvius cell lands");
    let brussels_unknown = rows
        .iter()
        .filter(|r| r.split(',').nth(2).is_some_and(|c| c.starts_with("21")) && r.ends_with(",?"))
        .count();
    assert_eq!(
        brussels_unknown,
        743 * 4 * 9
            - rows
                .iter()
                .filter(|r| r.split(',').nth(2).is_some_and(|c| c.starts_with("21"))
                    && !r.ends_with(",?"))
                .count()
    );
    assert!(rows.contains(&"v2506_elek_res_cons,statsec2019,11001A00-,2018,3462751.2"));

    // Zennevallei income: Statbel's unpublished cells load as hidden (x).
    site.import(
        &f.join("stats/zennevallei_income_sector_2019_2023.csv"),
        &zennevallei_args(&["--status-map", "not-published=x,sector-unmatched=?"]),
    );
    let export = site.ok(&[
        "export",
        "--indicator",
        "totalNetTaxableIncome",
        "--period",
        "2019",
    ]);
    assert!(
        export.contains("totalNetTaxableIncome,statsec2024,23003D0MS,2019,x"),
        "{export}"
    );
    assert!(export.contains("totalNetTaxableIncome,statsec2024,23003E0MS,2019,?"));
    assert!(export.contains("totalNetTaxableIncome,statsec2024,23003A001,2019,22991134.09"));
    let decl = site.ok(&[
        "export",
        "--indicator",
        "numberOfDeclarations",
        "--period",
        "2019",
    ]);
    assert!(decl.contains("numberOfDeclarations,statsec2024,23003D0MS,2019,3"));

    // The education sheet of the upload template.
    // Its 2010–2014 rows still carry 15 municipality codes merged away in 2019 (e.g. 12030
    // Puurs) under geolevel gemeente2024: they are reported and left out on request.
    let refused = site.run(&[
        "import",
        f.join("swing/upload_template_with_education_example.xlsx")
            .to_str()
            .unwrap(),
        "--sheet",
        "voorbeeld_UPLOAD_onderwijs",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("found '12030'; not an item of gemeente2024")
    );
    let out = site.import(
        &f.join("swing/upload_template_with_education_example.xlsx"),
        &[
            "--sheet",
            "voorbeeld_UPLOAD_onderwijs",
            "--skip-unknown-areas",
        ],
    );
    assert!(out.contains("1635 rows read"), "{out}");
    assert!(
        out.contains("75 rows with unknown area codes left out"),
        "{out}"
    );
    assert!(out.contains("4680 inserted"), "{out}");
    let edu = site.ok(&[
        "export",
        "--indicator",
        "v2301_GLO_V",
        "--level",
        "gemeente2024",
        "--period",
        "2010",
    ]);
    assert!(
        edu.contains("v2301_GLO_V,gemeente2024,11002,2010,29536"),
        "{edu}"
    );

    // Indicator metadata.
    site.import(&f.join("swing/indicator_metadata_example.xlsx"), &[]);
    let store = site.open_store();
    let ind = store.indicator("v1101_t").unwrap().unwrap();
    assert_eq!(ind.unit, "aantal");
    assert_eq!(ind.source, "statbel");
    assert_eq!(
        ind.name.get("nl"),
        Some("officiële statistiek van het aantal inwoners")
    );

    // Re-importing the same file changes nothing.
    let before = site.state();
    let out = site.import(
        &f.join("stats/fluvius_energy_statsec2019_2018_2021.csv"),
        &[],
    );
    assert!(
        out.contains("0 inserted") && out.contains("0 updated"),
        "{out}"
    );
    assert!(out.contains("imported before"), "{out}");
    assert_eq!(before, site.state());
    assert!(site.ok(&["check"]).contains("ok:"));
    let imports = site.ok(&["imports"]);
    assert!(imports.contains("fluvius_energy_statsec2019_2018_2021.csv"));
}
