//! Issue 14, the statistics team's workflow: dry runs, plausibility warnings, undo of an import,
//! the publish diff, kept publications and rollback. Expectations are computed here from the
//! input files (the real Flanders files, or small files the tests write), never by the
//! functions under test.

use crate::common::*;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FLUVIUS: &str = "stats/fluvius_energy_statsec2019_2018_2021.csv";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn json(site: &Site, args: &[&str]) -> Json {
    let out = site.ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// `peil import --dry-run --json FILE EXTRA…`.
fn dry_run(site: &Site, file: &Path, extra: &[&str]) -> Json {
    let mut args = vec!["import", "--dry-run", "--json", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    json(site, &args)
}

/// `peil import --json FILE`: the import's report.
fn import_json(site: &Site, file: &Path) -> Json {
    json(site, &["import", "--json", file.to_str().unwrap()])
}

fn imports(site: &Site) -> usize {
    json(site, &["imports", "--json"]).as_array().unwrap().len()
}

/// The Fluvius file as (indicator, sector, year) → cell text, with its indicator columns.
struct Table {
    indicators: Vec<String>,
    rows: usize,
    cells: BTreeMap<(String, String, i32), String>,
}

fn read_table(path: &Path) -> Table {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let indicators: Vec<String> = h
        .iter()
        .filter(|c| !["geoitem", "period", "geolevel"].contains(c))
        .map(str::to_string)
        .collect();
    let mut cells = BTreeMap::new();
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        rows += 1;
        let get = |name: &str| rec[h.iter().position(|c| c == name).unwrap()].to_string();
        let (sector, year) = (get("geoitem"), get("period").parse::<i32>().unwrap());
        for ind in &indicators {
            let v = get(ind);
            if !v.trim().is_empty() {
                cells.insert((ind.clone(), sector.clone(), year), v);
            }
        }
    }
    Table {
        indicators,
        rows,
        cells,
    }
}

/// Jumps and drop-outs by the documented rule (factor 2, previous at least 20), counted here.
fn expected_warnings(t: &Table) -> (u64, u64) {
    let (mut jumps, mut dropped) = (0, 0);
    let years: BTreeSet<i32> = t.cells.keys().map(|k| k.2).collect();
    for ((ind, sector, year), v) in &t.cells {
        let prev = t.cells.get(&(ind.clone(), sector.clone(), year - 1));
        if let (Ok(v), Some(Ok(p))) = (v.parse::<f64>(), prev.map(|p| p.parse::<f64>()))
            && p.abs() >= 20.0
            && (v / p > 2.0 || v / p < 0.5)
        {
            jumps += 1;
        }
        // Present this year, absent next year (when the file has that year).
        if years.contains(&(year + 1))
            && !t
                .cells
                .contains_key(&(ind.clone(), sector.clone(), year + 1))
        {
            dropped += 1;
        }
    }
    (jumps, dropped)
}

fn count(report: &Json, rule: &str) -> u64 {
    report["plausibility"]["counts"][rule].as_u64().unwrap_or(0)
}

#[test]
fn dry_runs_of_the_flanders_files_count_right_and_write_nothing() {
    let site = Site::new();
    let f = flanders();
    let defs = |l: &str| f.join(format!("swing/gebiedsdefinities/{l}.xlsx"));

    // Area definitions of a new level.
    let before = site.state();
    let r = dry_run(&site, &defs("statsec2019"), &[]);
    assert_eq!(r["kind"], "areas");
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["new_levels"], serde_json::json!(["statsec2019"]));
    // The file holds 10,237 distinct codes (see flanders.rs).
    assert_eq!(r["counts"]["items"]["inserted"], 10_237, "{r}");
    assert!(r["import_id"].is_null());
    assert_eq!(before, site.state(), "a dry run writes nothing");
    assert_eq!(imports(&site), 0);

    // An aggregation table: every sector gets its one wijk.
    for l in ["statsec2019", "statsec2024", "ggw72024"] {
        site.import(&defs(l), &[]);
    }
    let table = f.join("swing/aggregatietabellen/statsec2024_ggw72024.xlsx");
    let before = site.state();
    let r = dry_run(&site, &table, &[]);
    assert_eq!(r["kind"], "links");
    assert_eq!(r["counts"]["links"]["inserted"], 10_241, "{r}");
    assert_eq!(before, site.state());

    // The Fluvius file: every cell would be added, under 9 new indicators and 4 new periods.
    let path = f.join(FLUVIUS);
    let t = read_table(&path);
    let r = dry_run(&site, &path, &[]);
    assert_eq!(r["kind"], "data");
    assert_eq!(r["rows"], t.rows as u64);
    let d = &r["data"];
    assert_eq!(d["values"]["added"], t.cells.len() as u64);
    assert_eq!(d["values"]["changed"], 0);
    let mut names = t.indicators.clone();
    names.sort();
    let mut new: Vec<String> = d["new_indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    new.sort();
    assert_eq!(new, names);
    let years: Vec<String> = t
        .cells
        .keys()
        .map(|k| k.2.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for ind in &t.indicators {
        let per = t.cells.keys().filter(|k| &k.0 == ind).count() as u64;
        assert_eq!(d["per_indicator"][ind]["added"], per, "{ind}");
        let mut periods: Vec<String> =
            serde_json::from_value(d["new_periods"][ind].clone()).unwrap();
        periods.sort();
        assert_eq!(periods, years, "{ind}");
    }
    assert_eq!(before, site.state(), "a dry run writes nothing");
    assert_eq!(imports(&site), 3);

    // Imported, the same file changes nothing; a doctored copy changes exactly one value.
    site.import(&path, &[]);
    let r = dry_run(&site, &path, &[]);
    assert_eq!(r["data"]["values"]["unchanged"], t.cells.len() as u64);
    assert_eq!(r["data"]["values"]["added"], 0);
    let text = std::fs::read_to_string(&path).unwrap();
    let doctored = text.replacen(",3462751.2,", ",3462799.5,", 1);
    assert_ne!(text, doctored);
    let dir = tempfile::tempdir().unwrap();
    let copy = write(dir.path(), "fluvius.csv", &doctored);
    let before = site.state();
    let r = dry_run(&site, &copy, &[]);
    let d = &r["data"];
    assert_eq!(d["values"]["changed"], 1, "{d}");
    assert_eq!(d["values"]["unchanged"], t.cells.len() as u64 - 1);
    let s = &d["sample"][0];
    assert_eq!(
        (
            &s["indicator"],
            &s["area"],
            &s["period"],
            &s["old"],
            &s["new"]
        ),
        (
            &Json::from("v2506_elek_res_cons"),
            &Json::from("11001A00-"),
            &Json::from("2018"),
            &Json::from("3462751.2"),
            &Json::from("3462799.5")
        )
    );
    assert_eq!(before, site.state());
    // The text report says the same.
    let out = site.ok(&["import", "--dry-run", copy.to_str().unwrap()]);
    assert!(
        out.contains("1 changed") && out.contains("3462751.2 → 3462799.5"),
        "{out}"
    );
}

#[test]
fn jumps_on_the_real_fluvius_file_follow_the_rule_and_a_doctored_value_adds_one() {
    let site = Site::new();
    let f = flanders();
    site.import(&f.join("swing/gebiedsdefinities/statsec2019.xlsx"), &[]);
    let path = f.join(FLUVIUS);
    let t = read_table(&path);
    let (jumps, dropped) = expected_warnings(&t);
    let r = import_json(&site, &path);
    assert_eq!(count(&r, "jump"), jumps);
    assert_eq!(count(&r, "dropped_out"), dropped);
    for rule in ["total", "percentage", "negative_count"] {
        assert_eq!(
            count(&r, rule),
            0,
            "{rule}: numeric indicators on a level without totals"
        );
    }
    // Kept with the import record.
    let id = r["import_id"].as_i64().unwrap().to_string();
    let shown = json(&site, &["imports", "show", &id, "--json"]);
    assert_eq!(shown["plausibility"]["counts"], r["plausibility"]["counts"]);

    // One 2019 value ten times too large: a jump up from 2018 and down to 2020.
    let key = t
        .cells
        .iter()
        .find(|((ind, s, y), v)| {
            *y == 2019
                && ind == "v2506_elek_res_cons"
                && v.parse::<f64>().is_ok_and(|v| v > 1000.0)
                && [2018, 2020].iter().all(|y| {
                    t.cells
                        .get(&(ind.clone(), s.clone(), *y))
                        .and_then(|p| p.parse::<f64>().ok())
                        .is_some_and(|p| p > 1000.0)
                })
        })
        .map(|(k, _)| k.clone())
        .unwrap();
    let old = t.cells[&key].clone();
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{},2019,", key.1)))
        .unwrap();
    let big = format!("{}", old.parse::<f64>().unwrap() * 10.0);
    let header = text.lines().next().unwrap();
    let column = header.split(',').position(|c| c == key.0).unwrap();
    let mut fields: Vec<&str> = line.split(',').collect();
    assert_eq!(fields[column], old);
    fields[column] = &big;
    let doctored_line = fields.join(",");
    let dir = tempfile::tempdir().unwrap();
    let copy = write(
        dir.path(),
        "fluvius.csv",
        &text.replacen(line, &doctored_line, 1),
    );
    let mut doctored = read_table(&copy);
    assert_eq!(
        doctored.cells.insert(key.clone(), big.clone()),
        Some(big.clone())
    );
    let (want, _) = expected_warnings(&doctored);
    let r = dry_run(&site, &copy, &[]);
    assert_eq!(count(&r, "jump"), want);
    assert!(want > jumps, "the doctored value is a jump");
    // A stricter factor finds more; the flag wins over the default.
    let strict = dry_run(&site, &path, &["--jump-factor", "1.2"]);
    assert!(count(&strict, "jump") > jumps);
}

/// Six sectors in two wijken; `inw` a count, `pct` a percentage.
fn small_site(threshold: &str) -> Site {
    let site = Site::new();
    let d = site.path().to_path_buf();
    site.import(
        &write(
            &d,
            "statsec.csv",
            "code,name\nS1,s1\nS2,s2\nS3,s3\nS4,s4\nS5,s5\nS6,s6\n",
        ),
        &[],
    );
    site.import(&write(&d, "wijk.csv", "code,name\nW1,w1\nW2,w2\n"), &[]);
    site.import(
        &write(
            &d,
            "statsec_wijk.csv",
            "statsec,wijk\nS1,W1\nS2,W1\nS3,W1\nS4,W2\nS5,W2\nS6,W2\n",
        ),
        &[],
    );
    site.import(
        &write(
            &d,
            "meta.csv",
            &format!(
                "code;name;data type;period type;threshold\ninw;inwoners;objectcount;stock;{threshold}\npct;aandeel;percentage;stock;\n"
            ),
        ),
        &[],
    );
    site
}

fn data(site: &Site, name: &str, rows: &[(&str, &str, &str, &str, &str)]) -> PathBuf {
    let mut text = String::from("period,geolevel,geoitem,indicator,value\n");
    for (p, l, i, ind, v) in rows {
        text.push_str(&format!("{p},{l},{i},{ind},{v}\n"));
    }
    write(site.path(), name, &text)
}

fn warnings(r: &Json, rule: &str) -> Vec<(String, String, String, Json, Json)> {
    r["plausibility"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["rule"] == rule)
        .map(|w| {
            (
                w["indicator"].as_str().unwrap().to_string(),
                w["area"].as_str().unwrap().to_string(),
                w["period"].as_str().unwrap().to_string(),
                w["value"].clone(),
                w["compared"].clone(),
            )
        })
        .collect()
}

#[test]
fn each_plausibility_rule_fires_on_a_doctored_file_and_the_import_still_lands() {
    let site = small_site("");
    let sectors = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0];
    let mut rows: Vec<(String, String, String, String, String)> = Vec::new();
    for (i, v) in sectors.iter().enumerate() {
        rows.push((
            "2022".into(),
            "statsec".into(),
            format!("S{}", i + 1),
            "inw".into(),
            v.to_string(),
        ));
    }
    // W1 is right (10+20+30), W2 is not (40+50+60 = 150).
    let w2: f64 = sectors[3..].iter().sum();
    let w1: f64 = sectors[..3].iter().sum();
    rows.push((
        "2022".into(),
        "wijk".into(),
        "W1".into(),
        "inw".into(),
        w1.to_string(),
    ));
    rows.push((
        "2022".into(),
        "wijk".into(),
        "W2".into(),
        "inw".into(),
        "200".into(),
    ));
    rows.push((
        "2022".into(),
        "statsec".into(),
        "S1".into(),
        "pct".into(),
        "50".into(),
    ));
    rows.push((
        "2022".into(),
        "statsec".into(),
        "S2".into(),
        "pct".into(),
        "120".into(),
    ));
    let r: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|(a, b, c, d, e)| (a.as_str(), b.as_str(), c.as_str(), d.as_str(), e.as_str()))
        .collect();
    let out = import_json(&site, &data(&site, "y2022.csv", &r));
    assert!(out["import_id"].is_i64(), "the import lands: {out}");
    assert_eq!(
        warnings(&out, "total"),
        vec![(
            "inw".into(),
            "W2".into(),
            "2022".into(),
            Json::from(200.0),
            Json::from(w2)
        )]
    );
    assert_eq!(
        warnings(&out, "percentage"),
        vec![(
            "pct".into(),
            "S2".into(),
            "2022".into(),
            Json::from(120.0),
            Json::Null
        )]
    );
    assert_eq!(count(&out, "jump"), 0, "first period: nothing to jump from");

    // 2023: S1 negative, S6 gone, S2 doubles from 20 (at the jump minimum) to 45, S3 from 30
    // to 35 (plausible), S4 and S5 the same.
    let out = import_json(
        &site,
        &data(
            &site,
            "y2023.csv",
            &[
                ("2023", "statsec", "S1", "inw", "-5"),
                ("2023", "statsec", "S2", "inw", "45"),
                ("2023", "statsec", "S3", "inw", "35"),
                ("2023", "statsec", "S4", "inw", "40"),
                ("2023", "statsec", "S5", "inw", "50"),
            ],
        ),
    );
    assert_eq!(
        warnings(&out, "negative_count"),
        vec![(
            "inw".into(),
            "S1".into(),
            "2023".into(),
            Json::from(-5.0),
            Json::Null
        )]
    );
    assert_eq!(
        warnings(&out, "dropped_out"),
        vec![(
            "inw".into(),
            "S6".into(),
            "2023".into(),
            Json::Null,
            Json::from(60.0)
        )]
    );
    // S1 went from 10 to -5 but 10 is under the jump minimum; S2 jumped.
    assert_eq!(
        warnings(&out, "jump"),
        vec![(
            "inw".into(),
            "S2".into(),
            "2023".into(),
            Json::from(45.0),
            Json::from(20.0)
        )]
    );
    let live = site.ok(&["export", "--indicator", "inw", "--period", "2023"]);
    assert!(
        live.contains("inw,statsec,S1,2023,-5"),
        "warnings do not stop the import: {live}"
    );
    // peil.toml's [plausibility] raises the jump minimum above 20: no jump.
    let cfg = site.path().join("peil.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str("\n[plausibility]\njump_min = 25\n");
    std::fs::write(&cfg, text).unwrap();
    let again = dry_run(&site, &site.path().join("y2023.csv"), &[]);
    assert_eq!(count(&again, "jump"), 0);
    assert_eq!(count(&again, "negative_count"), 1);
}

#[test]
fn undo_restores_the_test_copy_and_refuses_when_it_must() {
    let site = small_site("");
    let s0 = site.state();
    let a = import_json(
        &site,
        &data(
            &site,
            "a.csv",
            &[
                ("2022", "statsec", "S1", "inw", "10"),
                ("2022", "statsec", "S2", "inw", "20"),
            ],
        ),
    );
    let a = a["import_id"].as_i64().unwrap().to_string();
    let s1 = site.state();
    assert_ne!(s0, s1);
    // B changes a value A set.
    let b = import_json(
        &site,
        &data(&site, "b.csv", &[("2022", "statsec", "S1", "inw", "11")]),
    );
    let b = b["import_id"].as_i64().unwrap().to_string();
    let refused = site.run(&["imports", "undo", &a]);
    assert_eq!(refused.status.code(), Some(2));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains(&format!("import #{b} changed the same values")),
        "{why}"
    );
    assert!(
        site.state().contains("inw,statsec,S1,2022,11"),
        "a refused undo writes nothing"
    );
    // Later ones first: back to s1, then to s0 exactly.
    site.ok(&["imports", "undo", &b]);
    assert_eq!(site.state(), s1);
    site.ok(&["imports", "undo", &a]);
    assert_eq!(site.state(), s0);
    let again = site.run(&["imports", "undo", &a]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("undone already"));
    // A new indicator created by the undone import is gone again.
    let c = import_json(
        &site,
        &data(&site, "c.csv", &[("2022", "statsec", "S1", "nieuw", "3")]),
    );
    let c = c["import_id"].as_i64().unwrap().to_string();
    site.ok(&["imports", "undo", &c]);
    assert_eq!(site.state(), s0);
    // Published: refused.
    let d = import_json(
        &site,
        &data(&site, "d.csv", &[("2022", "statsec", "S3", "inw", "30")]),
    );
    let d = d["import_id"].as_i64().unwrap().to_string();
    site.ok(&["publish"]);
    let refused = site.run(&["imports", "undo", &d]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("published in generation 1"));
    // Area definitions record nothing to restore.
    let areas = site.run(&["imports", "undo", "1"]);
    assert!(String::from_utf8_lossy(&areas.stderr).contains("it imported areas"));
    let listed = site.ok(&["imports"]);
    assert!(listed.contains("undone at"), "{listed}");
}

/// `peil publish --diff --json` with primary suppression only (the changes are then exactly
/// the cells the test names).
fn diff(site: &Site) -> Json {
    json(
        site,
        &["publish", "--diff", "--json", "--no-secondary-suppression"],
    )
}

/// `peil publish --diff --json` as `peil publish` computes it (secondary suppression on).
fn full_diff(site: &Site) -> Json {
    json(site, &["publish", "--diff", "--json"])
}

#[test]
fn the_publish_diff_lists_exactly_what_changed() {
    let site = small_site("5");
    let all: Vec<(String, String)> = (1..=6)
        .map(|i| (format!("S{i}"), (i * 10).to_string()))
        .collect();
    let rows: Vec<(&str, &str, &str, &str, &str)> = all
        .iter()
        .map(|(s, v)| ("2022", "statsec", s.as_str(), "inw", v.as_str()))
        .collect();
    site.import(&data(&site, "base.csv", &rows), &[]);
    let first = diff(&site);
    assert!(first["live_generation"].is_null());
    // 6 sectors and 2 wijken.
    assert_eq!(first["cells"]["added"], 8);
    assert_eq!(first["indicators_added"], serde_json::json!(["inw"]));
    site.ok(&["publish", "--no-secondary-suppression"]);
    assert_eq!(diff(&site)["cells"]["unchanged"], 8);

    // Change S2 (W1 follows), hide S4 under the threshold of 5 (W2 follows), add 2023.
    site.import(
        &data(
            &site,
            "next.csv",
            &[
                ("2022", "statsec", "S2", "inw", "25"),
                ("2022", "statsec", "S4", "inw", "3"),
                ("2023", "statsec", "S1", "inw", "10"),
            ],
        ),
        &[],
    );
    let before = site.ok(&["export", "--live"]);
    let d = diff(&site);
    assert_eq!(
        before,
        site.ok(&["export", "--live"]),
        "--diff publishes nothing"
    );
    let c = &d["cells"];
    // S2 20→25, W1 60→65, W2 150→113 (3+50+60).
    assert_eq!(c["changed"], 3, "{d}");
    assert_eq!(c["newly_hidden"], 1);
    assert_eq!(c["newly_shown"], 0);
    // S1 and W1 in 2023.
    assert_eq!(c["added"], 2);
    assert_eq!(c["removed"], 0);
    assert_eq!(d["periods_added"], serde_json::json!({"inw": ["2023"]}));
    assert_eq!(d["hidden"][0]["area"], "S4");
    assert_eq!(
        (&d["hidden"][0]["old"], &d["hidden"][0]["new"]),
        (&Json::from("40"), &Json::from("x"))
    );
    let largest: Vec<(String, String, String)> = d["largest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["area"].as_str().unwrap().into(),
                c["old"].as_str().unwrap().into(),
                c["new"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(largest[0], ("W2".into(), "150".into(), "113".into()));
    assert_eq!(largest.len(), 3);
    // Publishing (with secondary suppression, which hides a second cell beside S4: the review
    // refuses a publication without it) summarises its own diff; then nothing is left.
    let full = full_diff(&site);
    let out = site.ok(&["publish"]);
    let c = &full["cells"];
    let line = format!(
        "{} values added, {} removed, {} changed, {} newly hidden",
        c["added"], c["removed"], c["changed"], c["newly_hidden"]
    );
    assert!(out.contains(&line), "{line} in {out}");
    assert!(c["newly_hidden"].as_u64().unwrap() >= 2, "{full}");
    let after = full_diff(&site);
    assert_eq!(after["cells"]["changed"], 0);
    assert_eq!(after["cells"]["added"], 0);
    assert_eq!(after["cells"]["newly_hidden"], 0);
}

fn publish_value(site: &Site, v: &str) -> String {
    site.import(
        &data(
            site,
            &format!("v{v}.csv"),
            &[("2022", "statsec", "S1", "inw", v)],
        ),
        &[],
    );
    site.ok(&["publish"]);
    site.ok(&["export", "--live"])
}

#[test]
fn rollback_makes_a_kept_publication_live_again_and_old_ones_are_pruned() {
    let site = small_site("");
    let first = publish_value(&site, "11");
    let second = publish_value(&site, "12");
    publish_value(&site, "13");
    let list = json(&site, &["publications", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert!(list.as_array().unwrap().iter().all(|p| p["kept"] == true));

    let server = Server::start(site);
    let value = |s: &Server| {
        s.get("/api/v1/data?indicator=inw&level=statsec&items=S1&period=2022")
            .json()["data"][0]["value"]
            .as_f64()
    };
    assert_eq!(value(&server), Some(13.0));
    let out = server.site.ok(&["rollback", "1"]);
    assert!(out.contains("as generation 4"), "{out}");
    assert_eq!(server.site.ok(&["export", "--live"]), first);
    // The running server answers the rolled-back value within its poll (2 s; allow a busy machine).
    let t = std::time::Instant::now();
    while value(&server) != Some(11.0) {
        assert!(
            t.elapsed().as_secs() < 15,
            "the server never took the rollback"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let list = json(&server.site, &["publications", "--json"]);
    assert_eq!(list[0]["generation"], 4);
    assert_eq!(list[0]["restored_from"], 1);

    // keep_publications = 2: the next publish prunes all but the newest two.
    let cfg = server.site.path().join("peil.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("keep_publications = 2\n{text}")).unwrap();
    server.site.ok(&["rollback", "2"]);
    assert_eq!(server.site.ok(&["export", "--live"]), second);
    let kept: Vec<u64> = json(&server.site, &["publications", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kept"] == true)
        .map(|p| p["generation"].as_u64().unwrap())
        .collect();
    assert_eq!(kept, vec![5, 4]);
    let refused = server.site.run(&["rollback", "1"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no longer kept"));
    // The store keeps two copies besides the live one, not five.
    let store = server.site.open_store();
    assert_eq!(
        store
            .publications()
            .unwrap()
            .iter()
            .filter(|p| p.kept)
            .count(),
        2
    );
}
