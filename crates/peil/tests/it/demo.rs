//! `peil demo` builds the demo city deterministically into a site that passes `peil check`.

use crate::common;
use std::process::Command;

fn peil(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn demo_city_is_deterministic_and_sound() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (da, db) = (a.path().join("demo"), b.path().join("demo"));
    let out = common::build_demo(&da);
    assert!(out.contains("built the demo city"), "{out}");
    common::build_demo(&db);
    let export = peil(&da, &["export"]);
    assert_eq!(
        export,
        peil(&db, &["export"]),
        "two builds give the same data"
    );
    assert!(peil(&da, &["check"]).contains("ok: 0 warnings"));

    let status: serde_json::Value =
        serde_json::from_str(&peil(&da, &["status", "--json"])).unwrap();
    assert!(common::items(&status, "statsec") >= 240);
    assert!(common::items(&status, "wijk") >= 40);
    assert_eq!(
        common::items(&status, "district"),
        9,
        "8 districts and one unknown-location district"
    );
    assert!(status["indicators"].as_u64().unwrap() >= 60);
    assert!(status["formula_indicators"].as_u64().unwrap() >= 10);
    assert_eq!(status["cube_indicators"].as_u64().unwrap(), 1);
    let years = status["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["level"] == "year")
        .unwrap();
    assert!(years["count"].as_u64().unwrap() >= 12);
    // Every geometry-bearing level has polygons for its located items.
    for l in status["levels"].as_array().unwrap() {
        let located = l["items"].as_u64().unwrap() - l["unknown_location_items"].as_u64().unwrap();
        assert_eq!(
            l["with_geometry"].as_u64().unwrap(),
            located,
            "{}",
            l["code"]
        );
    }
    // Missing codes and small counts are part of a realistic city.
    let values: Vec<&str> = export
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4))
        .collect();
    assert!(values.contains(&"x") && values.contains(&"nvt") && values.contains(&"?"));

    // Rebuilding over an existing demo site replaces it; a non-demo site is refused.
    common::build_demo(&da);
    assert_eq!(export, peil(&da, &["export"]));
    let c = tempfile::tempdir().unwrap();
    let real = c.path().join("site");
    peil(&real, &["init"]);
    let refused = Command::new(env!("CARGO_BIN_EXE_peil"))
        .args(["demo", "--no-serve"])
        .arg(&real)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a demo"));
}
