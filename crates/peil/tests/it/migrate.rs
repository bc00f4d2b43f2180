//! Migration from a Swing site (`peil migrate`) and pulls from sources of `kind = "swing"`
//! (issue 15): a Peil site serves Swing's public surface (OData and the selection table), so it
//! stands in for a Swing site; the reader uses nothing else. Every migrated value is compared
//! with the source's through the real `stadincijfers` client.

use crate::common::*;
use crate::connector::{FLUVIUS, codes, province, rows, wait_for_generation};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn migrate(url: &str, dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peil"))
        .args(["migrate", url])
        .arg(dir)
        .args(["--retries", "1"])
        .args(extra)
        .env_remove("PEIL_SITE")
        .output()
        .expect("peil runs")
}

/// A new site migrated from `url` (not yet published), and the run's JSON report.
fn migrated(url: &str, extra: &[&str]) -> (Site, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let o = migrate(url, dir.path(), &args);
    assert!(
        o.status.success(),
        "peil migrate failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    (Site { dir }, report)
}

/// Every value of every variable × level × period of two served sites, compared through the
/// `stadincijfers` client; returns the script's summary.
fn compare_through_stadincijfers(source: &Server, migrated: &Server) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/migration_check.py"
    );
    let o = Command::new("python3")
        .arg(script)
        .args([&source.base, &migrated.base])
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed for this test ({e}); install it and `python3 -m pip install stadincijfers`"));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success() && stdout.contains("ALL CHECKS PASSED"),
        "migration_check.py failed ({:?}):\n{stdout}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}

fn count_imports(store: &Path, kind: &str) -> i64 {
    let Ok(db) = rusqlite::Connection::open(store) else {
        return 0;
    };
    db.query_row(
        "SELECT count(*) FROM import_log WHERE kind = ?1",
        [kind],
        |r| r.get(0),
    )
    .unwrap_or(0)
}

#[test]
fn the_demo_city_migrates_and_an_interrupted_migration_resumes() {
    let source = Server::demo();

    // One run, start to end.
    let t = Instant::now();
    let (site, r) = migrated(&source.base, &["--chunk", "10"]);
    eprintln!(
        "demo migration: {:.1} s, {} requests, {} bytes",
        t.elapsed().as_secs_f64(),
        r["requests"],
        r["bytes"]
    );
    assert!(r["migrated"].as_u64().unwrap() > 20, "{r}");
    assert_eq!(r["already"], 0);
    assert!(
        r["links"].as_u64().unwrap() > 0,
        "the hierarchy was derived: {r}"
    );
    let report = std::fs::read_to_string(site.path().join("migration-report.md")).unwrap();
    for what in [
        "formulas",
        "theme tree",
        "how cube members roll up",
        "dashboards",
    ] {
        assert!(report.contains(what), "the report lists {what}:\n{report}");
    }
    assert!(
        !report.contains("indicator kubus_bevolking"),
        "the cube moved:\n{report}"
    );
    // The cube moved with its dimensions: every level its cells are on, with its members.
    let db = rusqlite::Connection::open(site.store()).unwrap();
    let members: Vec<(String, String, i64)> = db
        .prepare(
            "SELECT l.code, l.dimension, count(m.code) FROM dim_level l
             JOIN dim_member m ON m.level = l.code GROUP BY l.code ORDER BY l.code",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        members,
        [
            ("geslacht".into(), "geslacht".into(), 2),
            ("leeftijd3".into(), "leeftijd5".into(), 3),
            ("leeftijd5".into(), "leeftijd5".into(), 20)
        ]
    );
    drop(db);
    let reference = site.state();

    // Another run, killed halfway (after a few committed steps), then run again: it
    // continues and ends in the same state.
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_peil"))
        .args(["migrate", &source.base])
        .arg(dir.path())
        .args(["--chunk", "3", "--json"])
        .env_remove("PEIL_SITE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let store = dir.path().join("peil.sqlite");
    let start = Instant::now();
    while count_imports(&store, "migration") < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the migration made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the migration ended before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let steps = count_imports(&store, "migration");
    let o = migrate(&source.base, dir.path(), &["--chunk", "3", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        again["already"].as_u64().unwrap(),
        3 * steps as u64,
        "the second run skips what the first committed: {again}"
    );
    assert_eq!(again["items"], 0, "the areas were not moved twice");
    let resumed = Site { dir };
    assert!(
        resumed.state() == reference,
        "an interrupted and resumed migration ends as an uninterrupted one"
    );
    // A third run has nothing left to do.
    let o = migrate(&source.base, resumed.path(), &["--json"]);
    let third: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(third["migrated"], 0, "{third}");
    assert!(resumed.state() == reference);
    // Another source into the same directory is refused.
    let o = migrate("http://127.0.0.1:9", resumed.path(), &[]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is a migration of"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Published, every value reads the same through the stadincijfers client.
    site.ok(&["publish"]);
    let target = Server::start(site);
    let summary = compare_through_stadincijfers(&source, &target);
    eprintln!("{summary}");
    assert!(
        !summary.contains("(1 cubes, 0 cube cells)"),
        "the cube's cells were compared: {summary}"
    );
}

/// Appends a Swing-kind source to a site's peil.toml.
fn declare_swing_source(city: &Site, url: &str) {
    let toml = city.path().join("peil.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    let mut list: Vec<String> = FLUVIUS.iter().map(|c| format!("\"{c}\"")).collect();
    list.extend(
        [
            "numberOfDeclarations",
            "totalNetTaxableIncome",
            "averageNetTaxableIncome",
        ]
        .map(|c| format!("\"{c}\"")),
    );
    text.push_str(&format!(
        "\n[[sources]]\nname = \"swing\"\nkind = \"swing\"\nurl = \"{url}\"\nindicators = [{}]\nprefix = \"dna_\"\n",
        list.join(", ")
    ));
    std::fs::write(&toml, text).unwrap();
}

fn pull(city: &Site) -> serde_json::Value {
    let out = city.ok(&["pull", "swing", "--json", "--retries", "1"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

#[test]
fn the_flanders_site_migrates_and_feeds_a_swing_kind_pull() {
    let source = Server::start(province());
    let prov = &source.site;

    // Migration: every value of every indicator, level and period, x stays x.
    let t = Instant::now();
    let (site, r) = migrated(&source.base, &[]);
    eprintln!(
        "Flanders migration: {:.1} s, {} requests, {} bytes",
        t.elapsed().as_secs_f64(),
        r["requests"],
        r["bytes"]
    );
    assert_eq!(r["migrated"], r["variables"], "{r}");
    assert!(r["links"].as_u64().unwrap() > 20_000, "{r}");
    site.ok(&["publish"]);
    let target = Server::start(site);
    let summary = compare_through_stadincijfers(&source, &target);
    eprintln!("{summary}");

    // A city pulls twelve indicators from the same site as a Swing source.
    let city = Site::new();
    declare_swing_source(&city, &source.base);
    let r = pull(&city);
    let mut pulled: BTreeSet<String> = FLUVIUS.iter().map(|c| c.to_string()).collect();
    pulled.extend(
        [
            "numberOfDeclarations",
            "totalNetTaxableIncome",
            "averageNetTaxableIncome",
        ]
        .map(String::from),
    );
    let local: BTreeSet<String> = pulled.iter().map(|c| format!("dna_{c}")).collect();
    assert_eq!(codes(&r["added"]), local, "{r}");
    assert!(r["refused"].as_array().unwrap().is_empty(), "{r}");
    // Every published value of every level arrives as published; x stays x.
    let published = rows(&prov.ok(&["export", "--live"]), "dna_", &pulled);
    let city_rows = rows(&city.ok(&["export"]), "", &local);
    assert!(
        published
            .iter()
            .any(|r| r.starts_with("dna_totalNetTaxableIncome,") && r.ends_with(",x"))
    );
    assert!(
        city_rows == published,
        "the city's values differ from the source's published ones ({} vs {})",
        city_rows.len(),
        published.len()
    );
    let db = rusqlite::Connection::open(city.store()).unwrap();
    let protected: i64 = db
        .query_row(
            "SELECT count(*) FROM indicator WHERE code LIKE 'dna_%' AND protected",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(protected, 12, "pulled indicators are protected");
    drop(db);

    // Nothing changed: nothing is written.
    let before = city.state();
    let r = pull(&city);
    assert_eq!(r["transferred"], 0, "{r}");
    assert_eq!(r["unchanged"], 12);
    assert_eq!(city.state(), before);

    // One series changed at the source: only its indicator is written.
    let gen0 = source.get("/api/v1/hashes").json()["generation"]
        .as_u64()
        .unwrap();
    let doctored = prov.path().join("fluvius_fix.csv");
    std::fs::write(
        &doctored,
        "geoitem,period,v2506_elek_res_cons,geolevel\n11001A00-,2018,3462999.5,statsec2019\n",
    )
    .unwrap();
    prov.import(&doctored, &[]);
    prov.ok(&["publish", "--allow-lost-values"]);
    wait_for_generation(&source, gen0);
    let r = pull(&city);
    assert_eq!(
        codes(&r["changed"]),
        BTreeSet::from(["dna_v2506_elek_res_cons".to_string()]),
        "{r}"
    );
    assert_eq!(r["transferred"], 1);
    assert_eq!(r["unchanged"], 11);
    let published = rows(&prov.ok(&["export", "--live"]), "dna_", &pulled);
    assert!(rows(&city.ok(&["export"]), "", &local) == published);

    // An indicator the source stops offering is flagged, not removed.
    let gen1 = source.get("/api/v1/hashes").json()["generation"]
        .as_u64()
        .unwrap();
    let hide = prov.path().join("hide_meta.csv");
    std::fs::write(&hide, "code;name;visibility\ntotalNetTaxableIncome;Totaal netto belastbaar inkomen;restricted:intern\n").unwrap();
    prov.import(&hide, &[]);
    prov.ok(&["publish", "--allow-lost-values"]);
    wait_for_generation(&source, gen1);
    let r = pull(&city);
    assert_eq!(
        codes(&r["flagged"]),
        BTreeSet::from(["dna_totalNetTaxableIncome".to_string()]),
        "{r}"
    );
    assert!(
        r["refused"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "totalNetTaxableIncome"),
        "asked for by name, it is refused as not offered: {r}"
    );
}
