//! Cluster levels (issue 18) on the real Zennevallei income data (Statbel, per sector): a
//! cluster's sums and weighted means equal an independent computation made here from the raw
//! CSV (each sector's municipality from its own `CD_MUNTY_REFNIS` column, not Peil's
//! hierarchy), Statbel's suppressed cells (`x`) and unmatched sectors (`?`) poison as in the
//! hierarchy, overlapping clusters each get their own total, thresholds and secondary
//! suppression hold with the cluster relations added, and a cluster is a comparison area in
//! the selection-table API and on the indicator page.

use crate::common::*;
use crate::compute_flanders::{declarations_attack, live, site_with_hierarchy};
use std::collections::BTreeMap;

const INCOME: &str = "stats/zennevallei_income_sector_2019_2023.csv";

/// The municipal clusters: overlapping (Beersel is in both "zuid" and "rand").
const MUNICIPAL: [(&str, &str, &[&str]); 3] = [
    ("zuid", "Zenne-zuid", &["23027", "23064", "23003"]),
    (
        "rand",
        "Brusselse rand",
        &["23003", "23098", "23100", "23101"],
    ),
    (
        "alle",
        "Zennevallei",
        &[
            "23003", "23027", "23064", "23077", "23098", "23100", "23101",
        ],
    ),
];

fn import_income(site: &Site, extra: &[&str]) {
    site.import(&flanders().join(INCOME), &zennevallei_args(extra));
}

/// The raw CSV: (sector, municipality, year, status, [declarations, total, mean]).
type Row = (String, String, String, String, [String; 3]);

fn raw_rows() -> Vec<Row> {
    let mut rdr = csv::Reader::from_path(flanders().join(INCOME)).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[1].to_string(),
                r[2].to_string(),
                r[3].to_string(),
                [r[4].to_string(), r[5].to_string(), r[6].to_string()],
            )
        })
        .collect()
}

/// The sector clusters: every third and every fourth sector of the file's 2019 rows (so they
/// overlap on every twelfth, and hold some of Statbel's suppressed and unmatched sectors), and
/// the same of the sectors that have every figure in every year (so their totals are numbers).
fn sector_clusters(rows: &[Row]) -> Vec<(String, Vec<String>)> {
    let sectors: Vec<&String> = rows
        .iter()
        .filter(|r| r.2 == "2019")
        .map(|r| &r.0)
        .collect();
    let complete: Vec<&String> = sectors
        .iter()
        .copied()
        .filter(|s| {
            rows.iter()
                .filter(|r| &r.0 == *s)
                .all(|r| r.3 == "available" && r.4.iter().all(|v| v.parse::<f64>().is_ok()))
        })
        .collect();
    let mut out = Vec::new();
    for (prefix, list) in [("elke", &sectors), ("volledig", &complete)] {
        for k in [3, 4] {
            out.push((
                format!("{prefix}{k}"),
                list.iter().step_by(k).map(|s| s.to_string()).collect(),
            ));
        }
    }
    out
}

/// A cell of the reference: a number or a code, `x` stronger than `?` (the sum rule).
#[derive(Clone, Copy, Debug, PartialEq)]
enum C {
    N(f64),
    Hidden,
    Unknown,
}

fn cell(status: &str, text: &str) -> C {
    if status == "sector-unmatched" {
        return C::Unknown;
    }
    // `--empty-as x`: every blank Statbel left is hidden.
    text.parse().map(C::N).unwrap_or(C::Hidden)
}

/// (sum of declarations, sum of totals, mean weighted by declarations) over `members`.
fn reference(rows: &[Row], year: &str, member: &dyn Fn(&Row) -> bool) -> [C; 3] {
    let poison = |a: C, b: C| match (a, b) {
        (C::Hidden, _) | (_, C::Hidden) => C::Hidden,
        (C::Unknown, _) | (_, C::Unknown) => C::Unknown,
        (C::N(x), C::N(y)) => C::N(x + y),
    };
    let (mut decl, mut total) = (C::N(0.0), C::N(0.0));
    let (mut code, mut vw, mut w) = (None::<C>, 0.0, 0.0);
    for r in rows.iter().filter(|r| r.2 == year && member(r)) {
        let (d, t, m) = (
            cell(&r.3, &r.4[0]),
            cell(&r.3, &r.4[1]),
            cell(&r.3, &r.4[2]),
        );
        decl = poison(decl, d);
        total = poison(total, t);
        // A mean: a code in the value, or in the weight of a value, poisons.
        match (m, d) {
            (C::N(m), C::N(d)) => {
                vw += m * d;
                w += d;
            }
            (C::N(_), c) | (c, _) => code = Some(code.map_or(c, |x| poison(x, c))),
        }
    }
    let mean = match code {
        Some(c) => c,
        None => C::N(vw / w),
    };
    [decl, total, mean]
}

fn agrees(peil: Option<&String>, want: C, what: &str) {
    let got = peil.map(String::as_str).unwrap_or("");
    match want {
        C::Hidden => assert_eq!(got, "x", "{what}"),
        C::Unknown => assert_eq!(got, "?", "{what}"),
        C::N(w) => {
            let g: f64 = got
                .parse()
                .unwrap_or_else(|_| panic!("{what}: Peil has '{got}', expected {w}"));
            assert!(
                (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                "{what}: Peil {g}, reference {w}"
            );
        }
    }
}

fn cluster_tables(site: &Site, rows: &[Row]) -> (std::path::PathBuf, std::path::PathBuf) {
    let municipal = site.path().join("zenne.csv");
    let mut t = String::from("cluster;cluster name;geolevel;geoitem\n");
    for (c, name, members) in MUNICIPAL {
        for m in members {
            t.push_str(&format!("{c};{name};gemeente2024;{m}\n"));
        }
    }
    std::fs::write(&municipal, t).unwrap();
    let sectors = site.path().join("zennebuurt.csv");
    let mut t = String::from("cluster,geolevel,geoitem\n");
    for (c, members) in sector_clusters(rows) {
        for m in members {
            t.push_str(&format!("{c},statsec2024,{m}\n"));
        }
    }
    std::fs::write(&sectors, t).unwrap();
    (municipal, sectors)
}

const INCOME_META: &str = "code;name;data type;aggregation indicator;aggregate geoitems;threshold\n\
     numberOfDeclarations;aangiften;numeric;;1;\n\
     totalNetTaxableIncome;totaal netto belastbaar inkomen;numeric;;1;\n\
     averageNetTaxableIncome;gemiddeld netto belastbaar inkomen;mean;numberOfDeclarations;1;\n\
     medianNetTaxableIncome;mediaan netto belastbaar inkomen;numeric;;0;\n";

#[test]
fn cluster_sums_and_weighted_means_equal_an_independent_computation() {
    let site = site_with_hierarchy();
    let rows = raw_rows();
    assert_eq!(rows.len(), 770);
    import_income(
        &site,
        &["--empty-as", "x", "--status-map", "sector-unmatched=?"],
    );
    let meta = site.path().join("income_meta.csv");
    std::fs::write(&meta, INCOME_META).unwrap();
    site.import(&meta, &[]);
    let (municipal, sectors) = cluster_tables(&site, &rows);
    let out = site.import(&municipal, &[]);
    assert!(out.contains("cluster level zenne: 3 clusters"), "{out}");
    site.import(&sectors, &[]);
    site.ok(&["publish"]);
    let peil = live(&site, &[]);

    let inds = [
        "numberOfDeclarations",
        "totalNetTaxableIncome",
        "averageNetTaxableIncome",
    ];
    let mut seen = BTreeMap::<&str, usize>::new();
    for year in ["2019", "2020", "2021", "2022", "2023"] {
        let mut check = |level: &str, cluster: &str, want: [C; 3]| {
            for (ind, w) in inds.iter().zip(want) {
                let key = (
                    ind.to_string(),
                    level.to_string(),
                    cluster.to_string(),
                    year.to_string(),
                );
                agrees(peil.get(&key), w, &format!("{key:?}"));
                *seen
                    .entry(match w {
                        C::N(_) => "number",
                        C::Hidden => "x",
                        C::Unknown => "?",
                    })
                    .or_default() += 1;
            }
            // A median is not aggregated, to clusters as to the hierarchy.
            let median = (
                "medianNetTaxableIncome".to_string(),
                level.to_string(),
                cluster.to_string(),
                year.to_string(),
            );
            assert_eq!(peil.get(&median), None, "{median:?}");
        };
        for (c, _, members) in MUNICIPAL {
            check(
                "zenne",
                c,
                reference(&rows, year, &|r| members.contains(&r.1.as_str())),
            );
        }
        for (c, members) in sector_clusters(&rows) {
            check(
                "zennebuurt",
                &c,
                reference(&rows, year, &|r| members.contains(&r.0)),
            );
        }
    }
    // The data exercise every rule: numbers, Statbel's suppression and unmatched sectors.
    assert!(
        seen["number"] >= 30 && seen["x"] >= 5 && seen["?"] >= 1,
        "{seen:?}"
    );

    // A story written for sectors with a sector cluster as its comparison area.
    std::fs::create_dir_all(site.path().join("stories")).unwrap();
    std::fs::write(
        site.path().join("stories/inkomen.md"),
        "+++\ntitle = \"Inkomen\"\nlevel = \"statsec2024\"\ncompare = \"zennebuurt:volledig3\"\n+++\n# Inkomen\n\nHet gemiddelde inkomen in {{ geo.name }} is [{{ compared(\"averageNetTaxableIncome\") }}] {{ compare.name }}.\n",
    )
    .unwrap();

    // A dashboard for sectors with a sector cluster (every figure published) as its
    // comparison area, shown for the cluster's first sector.
    let (dash_cluster, dash_members) = &sector_clusters(&rows)[2];
    let C::N(dash_value) = reference(&rows, "2023", &|r| dash_members.contains(&r.0))[0] else {
        panic!("{dash_cluster} has a number of returns in 2023")
    };
    std::fs::create_dir_all(site.path().join("dashboards")).unwrap();
    std::fs::write(
        site.path().join("dashboards/inkomen.toml"),
        format!(
            "title = \"Inkomen\"\nlevel = \"statsec2024\"\narea = \"{}\"\ncompare = \"zennebuurt:{dash_cluster}\"\n\n[[tile]]\nkind = \"table\"\nindicators = [\"numberOfDeclarations\"]\n",
            dash_members[0]
        ),
    )
    .unwrap();

    // Through the API: a municipality compared with the clusters it is in, and all clusters.
    let s = Server::start(site);
    let st = |q: &str| {
        let r = s.get(&format!("/jive/selectiontableasjson.ashx?{q}"));
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        r.json()
    };
    let year = "2023";
    let want = |members: &[&str]| reference(&rows, year, &|r| members.contains(&r.1.as_str()));
    let t = st(&format!(
        "var=averageNetTaxableIncome&geolevel=gemeente2024&geoitem=23003&geocompare=zenne&geocompare_item=zuid,rand&period={year}"
    ));
    let rows_api = t["rows"].as_array().unwrap();
    assert_eq!(rows_api.len(), 3, "{t}");
    assert_eq!(rows_api[1][0], "Zenne-zuid");
    assert_eq!(rows_api[2][0], "Brusselse rand");
    for (i, (_, _, members)) in MUNICIPAL[..2].iter().enumerate() {
        let got = rows_api[i + 1][2].as_str().unwrap().to_string();
        agrees(
            Some(&got),
            want(members)[2],
            &format!("API {:?}", rows_api[i + 1]),
        );
    }
    // Without items: every cluster of the level.
    let t = st(&format!(
        "var=numberOfDeclarations&geolevel=gemeente2024&geoitem=23027&geocompare=zenne&period={year}"
    ));
    assert_eq!(t["rows"].as_array().unwrap().len(), 4, "{t}");

    // A sector that has every figure compared with the sector clusters it is in (both
    // "volledig" clusters start with it), whose means are numbers.
    let clusters = sector_clusters(&rows);
    let sector = clusters[2].1[0].clone();
    let want_sectors = |members: &[String]| reference(&rows, year, &|r| members.contains(&r.0));
    let t = st(&format!(
        "var=averageNetTaxableIncome&geolevel=statsec2024&geoitem={sector}&geocompare=zennebuurt&geocompare_item=volledig3,volledig4&period={year}"
    ));
    let rows_api = t["rows"].as_array().unwrap();
    assert_eq!(rows_api.len(), 3, "{t}");
    for (i, (code, members)) in clusters[2..].iter().enumerate() {
        assert_eq!(rows_api[i + 1][0], code.as_str());
        let got = rows_api[i + 1][2].as_str().unwrap().to_string();
        let w = want_sectors(members)[2];
        assert!(matches!(w, C::N(_)), "{code}: {w:?}");
        agrees(Some(&got), w, &format!("API {:?}", rows_api[i + 1]));
    }

    // The indicator page: the cluster as comparison area, its name, value and a link to it.
    let volledig3 = want_sectors(&clusters[2].1)[2];
    let page = s.get(&format!(
        "/indicator/averageNetTaxableIncome.json?level=statsec2024&period={year}&compare=zennebuurt:volledig3"
    ));
    assert_eq!(page.status, 200, "{}", page.body);
    let j = page.json();
    let cmp = j["compare"].as_array().unwrap();
    assert_eq!(cmp.len(), 1, "{j}");
    assert_eq!(cmp[0]["code"], "volledig3");
    assert_eq!(cmp[0]["level"], "zennebuurt");
    let got = cmp[0]["value"].as_f64().map(|v| v.to_string());
    agrees(got.as_ref(), volledig3, "page");
    let html = s.get(&format!(
        "/indicator/averageNetTaxableIncome?level=gemeente2024&period={year}&compare=zenne:alle"
    ));
    assert_eq!(html.status, 200);
    assert!(
        html.body.contains("Zennevallei"),
        "the cluster is named on the page"
    );
    assert!(html.body.contains("/area/zenne/alle"), "and linked");
    let area = s.get("/area/zenne/alle");
    assert_eq!(area.status, 200, "a cluster has its own area page");
    assert!(area.body.contains("Zennevallei"));

    // The dashboard: its table has a column for the cluster, with the cluster's value.
    let dash = s.get(&format!(
        "/dashboards/inkomen?regionlevel=statsec2024&regioncode={}",
        dash_members[0]
    ));
    assert_eq!(dash.status, 200, "{}", dash.body);
    let body = crate::stories::fold(&dash.body);
    assert!(
        body.contains(dash_cluster.as_str()),
        "the cluster is named: {body}"
    );
    assert!(
        body.contains(&crate::stories::nl_int(dash_value)),
        "{dash_cluster}: {dash_value} on the dashboard: {body}"
    );
    // The story, for the sector, against its cluster.
    let story = s.get(&format!(
        "/stories/inkomen?regionlevel=statsec2024&regioncode={sector}"
    ));
    assert_eq!(story.status, 200, "{}", story.body);
    let (C::N(own), C::N(cluster)) = (want_sectors(std::slice::from_ref(&sector))[2], volledig3)
    else {
        panic!("the sector and its cluster have a {year} mean")
    };
    let word = if own > cluster {
        "hoger dan"
    } else {
        "lager dan"
    };
    assert!(
        story.body.contains(&format!("[{word}] volledig3")),
        "{word}: {}",
        story.body
    );
}

#[test]
fn clusters_keep_hidden_cells_hidden() {
    let site = site_with_hierarchy();
    let rows = raw_rows();
    import_income(
        &site,
        &["--status-map", "not-published=x,sector-unmatched=?"],
    );
    // A strict threshold so that many sectors fall below it.
    let meta = site.path().join("meta.csv");
    std::fs::write(
        &meta,
        "code;name;threshold\nnumberOfDeclarations;aangiften;400\n",
    )
    .unwrap();
    site.import(&meta, &[]);
    let (municipal, sectors) = cluster_tables(&site, &rows);
    site.import(&municipal, &[]);
    site.import(&sectors, &[]);
    let mut extra = vec![(
        "gemeente2024",
        "zenne",
        MUNICIPAL
            .iter()
            .flat_map(|(c, _, ms)| ms.iter().map(|m| (m.to_string(), c.to_string())))
            .collect::<Vec<_>>(),
    )];
    extra.push((
        "statsec2024",
        "zennebuurt",
        sector_clusters(&rows)
            .into_iter()
            .flat_map(|(c, ms)| ms.into_iter().map(move |m| (m, c.clone())))
            .collect(),
    ));
    site.ok(&["publish", "--no-secondary-suppression"]);
    let (_, leaked) = declarations_attack(&site, &extra);
    assert!(leaked > 0, "thresholds alone leak through the clusters too");
    site.ok(&["publish"]);
    let (hidden, recovered) = declarations_attack(&site, &extra);
    assert!(hidden > 0);
    assert_eq!(
        recovered, 0,
        "no hidden cell can be recovered by differencing, clusters included"
    );
}

#[test]
fn a_bad_cluster_table_is_refused_whole() {
    let site = site_with_hierarchy();
    let before = site.state();
    let bad = site.path().join("kern.csv");
    std::fs::write(
        &bad,
        "cluster;cluster name;geolevel;geoitem\n\
         kern;Kern;gemeente2024;11002\n\
         kern;Kern;gemeente2024;99998\n\
         kern;Andere naam;gemeente2024;44021\n\
         kern;Kern;gemeente2024;11002\n\
         rand;Rand;provincie2024;10000\n\
         ;Leeg;gemeente2024;11002\n",
    )
    .unwrap();
    let out = site.run(&["import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    for (row, what) in [
        ("3", "not an area of geo level gemeente2024"),
        ("4", "one name per cluster"),
        ("5", "listed in cluster kern already (row 2)"),
        ("6", "expected geo level gemeente2024 (row 2)"),
        ("7", "empty cluster code"),
    ] {
        assert!(
            err.lines().any(|l| l.contains("kern.csv")
                && l.contains(&format!("row {row}"))
                && l.contains(what)),
            "row {row}: {what}\n{err}"
        );
    }
    assert_eq!(
        site.state(),
        before,
        "nothing of a refused table is written"
    );
    // A cluster level is outside the hierarchy: no aggregation table may name it, and its
    // members are never clusters.
    std::fs::write(&bad, "cluster;geolevel;geoitem\nkern;gemeente2024;11002\n").unwrap();
    site.import(&bad, &[]);
    let nested = site.path().join("meta_kern.csv");
    std::fs::write(&nested, "cluster;geolevel;geoitem\nk;kern;kern\n").unwrap();
    let out = site.run(&["import", nested.to_str().unwrap()]);
    assert!(!out.status.success());
    let err =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a cluster level"), "{err}");
}

/// Nested and overlapping clusters on a small site: a cluster minus a cluster inside it is one
/// member, so two published clusters give a hidden member back (`abc − ab = c`, `ef − f = e`)
/// unless secondary suppression counts every cluster's relation. The attack here gets the
/// published values and every relation (the region and each cluster) written out by hand.
#[test]
fn differencing_two_overlapping_clusters_recovers_nothing() {
    let site = Site::new();
    let w = |name: &str, text: &str| {
        let p = site.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let values = [
        ("a", 40.0),
        ("b", 30.0),
        ("c", 3.0),
        ("d", 20.0),
        ("e", 2.0),
        ("f", 50.0),
    ];
    let mut gemeente = String::from("geoitem code,name\n");
    let mut links = String::from("gemeente,gewest\n");
    let mut data = String::from("period,geolevel,geoitem,n\n");
    for (code, v) in values {
        gemeente.push_str(&format!("{code},Gemeente {code}\n"));
        links.push_str(&format!("{code},vl\n"));
        data.push_str(&format!("2023,gemeente,{code},{v}\n"));
    }
    let groups: [(&str, &[&str]); 4] = [
        ("abc", &["a", "b", "c"]),
        ("ab", &["a", "b"]),
        ("ef", &["e", "f"]),
        ("alleenf", &["f"]),
    ];
    let mut table = String::from("cluster,geolevel,geoitem\n");
    for (c, ms) in groups {
        for m in ms {
            table.push_str(&format!("{c},gemeente,{m}\n"));
        }
    }
    let files = [
        w("gewest.csv", "geoitem code,name\nvl,Vlaanderen\n"),
        w("gemeente.csv", &gemeente),
        w("gemeente_gewest.csv", &links),
        w("meta.csv", "code;name;threshold\nn;aantal;5\n"),
        w("n.csv", &data),
        w("groep.csv", &table),
    ];
    for f in &files {
        site.import(f, &[]);
    }
    // Cells: the region, the municipalities, the clusters; relations: total first.
    let mut cells: Vec<(&str, &str)> = vec![("gewest", "vl")];
    cells.extend(values.iter().map(|(c, _)| ("gemeente", *c)));
    cells.extend(groups.iter().map(|(c, _)| ("groep", *c)));
    let at =
        |level: &str, code: &str| cells.iter().position(|x| *x == (level, code)).unwrap() as u32;
    let mut rels: Vec<Vec<u32>> = vec![
        std::iter::once(at("gewest", "vl"))
            .chain(values.iter().map(|(c, _)| at("gemeente", c)))
            .collect(),
    ];
    for (c, ms) in groups {
        rels.push(
            std::iter::once(at("groep", c))
                .chain(ms.iter().map(|m| at("gemeente", m)))
                .collect(),
        );
    }
    let published = |site: &Site| -> Vec<Option<f64>> {
        let live = live(site, &["--indicator", "n", "--period", "2023"]);
        cells
            .iter()
            .map(|(l, c)| {
                let v = &live[&(
                    "n".to_string(),
                    l.to_string(),
                    c.to_string(),
                    "2023".to_string(),
                )];
                (v != "x").then(|| v.parse().unwrap())
            })
            .collect()
    };

    site.ok(&["publish", "--no-secondary-suppression"]);
    let shown = published(&site);
    // Thresholds alone: the clusters are numbers, c and e hidden, and each comes back.
    assert_eq!(shown[at("groep", "abc") as usize], Some(73.0));
    assert_eq!(shown[at("groep", "ef") as usize], Some(52.0));
    let leaked = peil_compute::checker::attack(&shown, &rels);
    assert_eq!(leaked.len(), 2, "{leaked:?}: {shown:?}");
    for (cell, v) in [(at("gemeente", "c"), 3.0), (at("gemeente", "e"), 2.0)] {
        assert!(leaked.contains(&(cell, v)), "{leaked:?}");
    }
    // Without the cluster relations the region alone gives nothing back.
    assert!(peil_compute::checker::attack(&shown, &rels[..1]).is_empty());

    site.ok(&["publish"]);
    let shown = published(&site);
    assert_eq!(shown[at("gemeente", "c") as usize], None);
    assert_eq!(shown[at("gemeente", "e") as usize], None);
    let recovered = peil_compute::checker::attack(&shown, &rels);
    assert!(
        recovered.is_empty(),
        "{recovered:?} recovered from {shown:?}"
    );
    // Suppression hides enough, not everything: the region's total stays published. (It hides
    // more than the fewest cells that would do — 8 of 11 here where c, e, abc and ef suffice —
    // as its cover rule prefers a cluster's members to the cluster.)
    assert_eq!(shown[at("gewest", "vl") as usize], Some(145.0), "{shown:?}");
    assert!(
        shown.iter().any(|v| v.is_some() && *v != Some(145.0)),
        "{shown:?}"
    );
}
