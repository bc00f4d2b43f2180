//! The computation engine on real data, checked against an independent computation done here
//! from the CSV versions of the same sources (not the XLSX tables Peil loads).

use crate::common::*;
use std::collections::{BTreeMap, HashMap};

const LEVELS: [&str; 8] = [
    "statsec2019",
    "statsec2024",
    "ggw72024",
    "gemeente2024",
    "gemeente",
    "arrondiss2024",
    "provincie2024",
    "gewest",
];
/// The conversion table comes first, as it does in alphabetical order: the rule for the
/// unknown-location sectors it leaves out needs the aggregation tables that follow (issue 11:
/// in this order they used to be lost from the municipal totals).
const TABLES: [&str; 7] = [
    "statsec2019_statsec2024",
    "statsec2024_ggw72024",
    "statsec2024_gemeente2024",
    "gemeente2024_arrondiss2024",
    "gemeente2024_gemeente",
    "arrondiss2024_provincie2024",
    "provincie2024_gewest",
];

pub(crate) fn site_with_hierarchy() -> Site {
    let site = Site::new();
    let f = flanders();
    for l in LEVELS {
        site.import(&f.join(format!("swing/gebiedsdefinities/{l}.xlsx")), &[]);
    }
    for t in TABLES {
        site.import(&f.join(format!("swing/aggregatietabellen/{t}.xlsx")), &[]);
    }
    site
}

/// (indicator, level, item, period) → value text, from `peil export --live`.
pub(crate) fn live(
    site: &Site,
    args: &[&str],
) -> HashMap<(String, String, String, String), String> {
    let mut a = vec!["export", "--live"];
    a.extend_from_slice(args);
    site.ok(&a)
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                (c[0].into(), c[1].into(), c[2].into(), c[3].into()),
                c[4].into(),
            )
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum R {
    Num(f64),
    Unknown,
}

fn add(a: Option<R>, b: R) -> Option<R> {
    Some(match (a, b) {
        (None, b) => b,
        (Some(R::Unknown), _) | (_, R::Unknown) => R::Unknown,
        (Some(R::Num(x)), R::Num(y)) => R::Num(x + y),
    })
}

#[test]
fn fluvius_rolls_up_from_statsec2019_to_every_level() {
    let site = site_with_hierarchy();
    let f = flanders();
    site.import(
        &f.join("stats/fluvius_energy_statsec2019_2018_2021.csv"),
        &[],
    );
    let out = site.ok(&["publish"]);
    assert!(out.contains("published generation 1"), "{out}");

    // Independent reference: conversion CSV, hierarchy CSV, Fluvius CSV.
    let mut conv: HashMap<String, Vec<String>> = HashMap::new();
    let mut rdr =
        csv::Reader::from_path(f.join("hierarchy/statsec2019_to_statsec2024.csv")).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        if !r[0].trim().is_empty() {
            conv.entry(r[0].to_string())
                .or_default()
                .push(r[1].to_string());
        }
    }
    let direct = |code: &str| -> Option<String> {
        let t = conv.get(code)?;
        // Several targets: the unknown-location code goes to its own code (Peil's documented rule).
        if t.len() == 1 {
            Some(t[0].clone())
        } else {
            t.iter().find(|x| *x == code).cloned()
        }
    };
    let mut hier: HashMap<String, HashMap<&str, String>> = HashMap::new();
    let mut rdr =
        csv::Reader::from_path(f.join("hierarchy/statsec2024_hierarchy_flanders_brussels.csv"))
            .unwrap();
    let headers = rdr.headers().unwrap().clone();
    for r in rdr.records() {
        let r = r.unwrap();
        let mut m = HashMap::new();
        for l in [
            "ggw72024",
            "gemeente2024",
            "gemeente",
            "arrondiss2024",
            "provincie2024",
            "gewest",
        ] {
            let i = headers.iter().position(|h| h == l).unwrap();
            m.insert(l, r[i].to_string());
        }
        hier.insert(r[0].to_string(), m);
    }
    // An unknown-location code the table leaves out goes to the unknown-location sector of the
    // municipality all its sibling sectors went to (Peil's documented rule).
    let target = |code: &str| -> Option<String> {
        if let Some(t) = direct(code) {
            return Some(t);
        }
        if !code.ends_with("ZZZZ") {
            return None;
        }
        let munis: std::collections::BTreeSet<&String> = conv
            .keys()
            .filter(|k| k.starts_with(&code[..5]) && k.as_str() != code)
            .filter_map(|k| direct(k))
            .filter_map(|t| hier.get(&t).map(|h| &h["gemeente2024"]))
            .collect();
        let [m] = munis.into_iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        hier.iter()
            .find(|(s, h)| s.ends_with("ZZZZ") && &h["gemeente2024"] == m)
            .map(|(s, _)| s.clone())
    };
    let mut rdr =
        csv::Reader::from_path(f.join("stats/fluvius_energy_statsec2019_2018_2021.csv")).unwrap();
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let mut reference: BTreeMap<(String, String, String, String), Option<R>> = BTreeMap::new();
    let mut zzzz_total: HashMap<(String, String), f64> = HashMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        let (code, period) = (&r[0], &r[1]);
        let Some(s24) = target(code) else { continue };
        for (i, ind) in headers.iter().enumerate().skip(2).take(9) {
            let v: f64 = r[i].parse().unwrap();
            let v = if v == -99999.0 { R::Unknown } else { R::Num(v) };
            let mut cells = vec![("statsec2024".to_string(), s24.clone())];
            if let Some(h) = hier.get(&s24) {
                cells.extend(h.iter().map(|(l, c)| (l.to_string(), c.clone())));
            }
            for (level, item) in cells {
                let e = reference
                    .entry((ind.clone(), level, item, period.to_string()))
                    .or_insert(None);
                *e = add(*e, v);
            }
            if code.ends_with("ZZZZ")
                && ind == "v2506_elek_res_cons"
                && let R::Num(x) = v
            {
                *zzzz_total
                    .entry((code[..5].to_string(), period.to_string()))
                    .or_default() += x;
            }
        }
    }
    // Every indicator on the municipalities (2024 and 2025), three of them on every level.
    let everywhere = [
        "v2506_elek_res_cons",
        "v2506_gas_res_n",
        "v2506_elek_nietres_cons",
    ];
    let peil = live(&site, &[]);
    let mut compared = 0;
    let mut municipal = 0;
    for ((ind, level, item, period), want) in &reference {
        if !everywhere.contains(&ind.as_str())
            && !["gemeente2024", "gemeente"].contains(&level.as_str())
        {
            continue;
        }
        if level.starts_with("gemeente") {
            municipal += 1;
        }
        let got = peil.get(&(ind.clone(), level.clone(), item.clone(), period.clone()));
        let got =
            got.unwrap_or_else(|| panic!("Peil has no value for {ind} {level} {item} {period}"));
        match want.unwrap() {
            R::Unknown => assert_eq!(got, "?", "{ind} {level} {item} {period}"),
            R::Num(x) => {
                let g: f64 = got
                    .parse()
                    .unwrap_or_else(|_| panic!("{ind} {level} {item} {period}: '{got}'"));
                assert!(
                    (g - x).abs() < 0.5,
                    "{ind} {level} {item} {period}: Peil {g}, reference {x}"
                );
            }
        }
        compared += 1;
    }
    assert!(
        compared > 3 * 4 * (3000 + 300 + 20 + 5),
        "compared {compared}"
    );
    // 9 indicators × 4 years × (323 + 308 municipalities, less the few without any sector).
    assert!(
        municipal >= 9 * 4 * 600,
        "compared {municipal} municipal figures"
    );
    // The figures of issue 11, as an independent check found them (the sectors' sums,
    // including the unknown-location rows 44049ZZZZ of Nevele and 44029ZZZZ of Knesselare).
    for (ind, level, item, period, sum) in [
        (
            "v2506_gas_nietres_cons",
            "gemeente2024",
            "44083",
            "2018",
            423_960_639.0,
        ),
        (
            "v2506_elek_nietres_cons",
            "gemeente2024",
            "44084",
            "2020",
            142_222_108.0,
        ),
    ] {
        let k = (
            ind.to_string(),
            level.to_string(),
            item.to_string(),
            period.to_string(),
        );
        let Some(R::Num(want)) = reference[&k] else {
            panic!("reference {k:?}")
        };
        assert!((want - sum).abs() < 0.5, "reference {k:?}: {want}");
        let got: f64 = peil[&k].parse().unwrap();
        assert!((got - sum).abs() < 0.5, "{k:?}: Peil {got}, sectors {sum}");
    }
    // Nothing is lost, and `check` agrees.
    let check = site.ok(&["check"]);
    assert!(!check.contains("lost values"), "{check}");
    // Brussels is unknown (the source does not cover it), Flanders computes.
    let key = |l: &str, i: &str| {
        (
            "v2506_elek_res_cons".to_string(),
            l.to_string(),
            i.to_string(),
            "2020".to_string(),
        )
    };
    assert_eq!(peil[&key("gewest", "4000")], "?");
    assert!(peil[&key("gewest", "2000")].parse::<f64>().unwrap() > 1e9);
    // The unknown-location rows count in the municipality totals (Antwerpen, 2020).
    let z = zzzz_total[&("11002".to_string(), "2020".to_string())];
    assert!(z > 0.0);
    let total: f64 = peil[&key("gemeente2024", "11002")].parse().unwrap();
    let Some(R::Num(with)) = reference[&key("gemeente2024", "11002")] else {
        panic!()
    };
    assert!((total - with).abs() < 0.5 && (total - (with - z)).abs() > 0.5);
}

#[test]
fn income_means_are_weighted_and_statbel_suppression_poisons_totals() {
    let site = site_with_hierarchy();
    let f = flanders();
    // Statbel leaves cells empty where it suppresses them, also in some 'available' rows
    // (declarations given, total and mean not): every blank is hidden, except for sectors
    // Statbel could not match, which are unknown.
    site.import(
        &f.join("stats/zennevallei_income_sector_2019_2023.csv"),
        &zennevallei_args(&["--empty-as", "x", "--status-map", "sector-unmatched=?"]),
    );
    let meta = site.path().join("income_meta.csv");
    std::fs::write(
        &meta,
        "code;name;data type;aggregation indicator;aggregate geoitems;threshold\n\
         numberOfDeclarations;aangiften;numeric;;1;\n\
         totalNetTaxableIncome;totaal netto belastbaar inkomen;numeric;;1;\n\
         averageNetTaxableIncome;gemiddeld netto belastbaar inkomen;mean;numberOfDeclarations;1;\n\
         medianNetTaxableIncome;mediaan netto belastbaar inkomen;numeric;;0;\n",
    )
    .unwrap();
    site.import(&meta, &[]);
    site.ok(&["publish"]);
    let peil = live(&site, &[]);

    // Reference from the CSVs: sector → wijk and municipality from the hierarchy CSV.
    let mut parents: HashMap<String, (String, String)> = HashMap::new();
    let mut rdr =
        csv::Reader::from_path(f.join("hierarchy/statsec2024_hierarchy_flanders_brussels.csv"))
            .unwrap();
    let h = rdr.headers().unwrap().clone();
    let (gi, wi) = (
        h.iter().position(|x| x == "gemeente2024").unwrap(),
        h.iter().position(|x| x == "ggw72024").unwrap(),
    );
    for r in rdr.records() {
        let r = r.unwrap();
        parents.insert(r[0].to_string(), (r[gi].to_string(), r[wi].to_string()));
    }
    #[derive(Default)]
    struct Acc {
        decl: f64,
        weighted: f64,
        means: Vec<f64>,
        suppressed: bool,
        unmatched: bool,
    }
    let mut acc: BTreeMap<(&str, String, String), Acc> = BTreeMap::new();
    let mut rdr =
        csv::Reader::from_path(f.join("stats/zennevallei_income_sector_2019_2023.csv")).unwrap();
    let mut rows = 0;
    for r in rdr.records() {
        let r = r.unwrap();
        rows += 1;
        let (g, w) = parents[&r[0]].clone();
        for (level, item) in [("gemeente2024", g), ("ggw72024", w)] {
            let a = acc.entry((level, item, r[2].to_string())).or_default();
            match (&r[3], r[4].parse::<f64>(), r[6].parse::<f64>()) {
                ("available", Ok(d), Ok(m)) => {
                    a.decl += d;
                    a.weighted += d * m;
                    a.means.push(m);
                }
                ("sector-unmatched", _, _) => a.unmatched = true,
                _ => a.suppressed = true,
            }
        }
    }
    assert_eq!(rows, 770);
    let (mut checked_weighted, mut checked_suppressed) = (0, 0);
    for ((level, item, year), a) in &acc {
        let get = |ind: &str| {
            peil.get(&(
                ind.to_string(),
                level.to_string(),
                item.clone(),
                year.clone(),
            ))
            .cloned()
        };
        let mean = get("averageNetTaxableIncome").unwrap_or_default();
        let total = get("totalNetTaxableIncome").unwrap_or_default();
        if a.suppressed {
            // A Statbel-suppressed sector: no computed total or mean for its wijk or municipality.
            assert_eq!(total, "x", "{level} {item} {year}");
            assert_eq!(mean, "x", "{level} {item} {year}");
            checked_suppressed += 1;
        } else if a.unmatched {
            assert_eq!(total, "?", "{level} {item} {year}");
        } else {
            let want = a.weighted / a.decl;
            let got: f64 = mean
                .parse()
                .unwrap_or_else(|_| panic!("{level} {item} {year}: '{mean}'"));
            assert!(
                (got - want).abs() < 1e-6 * want,
                "{level} {item} {year}: Peil {got}, weighted {want}"
            );
            let naive = a.means.iter().sum::<f64>() / a.means.len() as f64;
            if (got - naive).abs() > 1.0 {
                // Peil has the weighted mean, and here it is not the naive mean of sector means.
                checked_weighted += 1;
            }
        }
        // Medians are not aggregated.
        assert_eq!(get("medianNetTaxableIncome"), None, "{level} {item} {year}");
    }
    assert!(
        checked_suppressed > 0 && checked_weighted > 10,
        "{checked_suppressed} suppressed, {checked_weighted} weighted"
    );

    // A loaded municipality total wins over the poisoned computed one.
    let (muni, year) = acc
        .iter()
        .find(|((l, _, _), a)| *l == "gemeente2024" && a.suppressed)
        .map(|((_, m, y), _)| (m.clone(), y.clone()))
        .unwrap();
    let loaded = site.path().join("muni_total.csv");
    std::fs::write(
        &loaded,
        format!(
            "period;geolevel;geoitem;totalNetTaxableIncome\n{year};gemeente2024;{muni};123456789\n"
        ),
    )
    .unwrap();
    site.import(&loaded, &[]);
    site.ok(&["publish"]);
    let peil = live(
        &site,
        &[
            "--level",
            "gemeente2024",
            "--indicator",
            "totalNetTaxableIncome",
        ],
    );
    assert_eq!(
        peil[&(
            "totalNetTaxableIncome".to_string(),
            "gemeente2024".to_string(),
            muni,
            year
        )],
        "123456789"
    );
}

#[test]
fn no_hidden_income_cell_can_be_recovered() {
    let site = site_with_hierarchy();
    let f = flanders();
    site.import(
        &f.join("stats/zennevallei_income_sector_2019_2023.csv"),
        &zennevallei_args(&["--status-map", "not-published=x,sector-unmatched=?"]),
    );
    // A strict threshold so that many sectors fall below it.
    let meta = site.path().join("meta.csv");
    std::fs::write(
        &meta,
        "code;name;threshold\nnumberOfDeclarations;aangiften;400\n",
    )
    .unwrap();
    site.import(&meta, &[]);

    site.ok(&["publish", "--no-secondary-suppression"]);
    let (hidden_primary, recovered_primary) = declarations_attack(&site, &[]);
    assert!(hidden_primary > 0);
    assert!(
        recovered_primary > 0,
        "thresholds alone leak (as Swing's documentation admits)"
    );

    site.ok(&["publish"]);
    let (hidden, recovered) = declarations_attack(&site, &[]);
    assert!(
        hidden > hidden_primary,
        "secondary suppression hides more cells"
    );
    assert_eq!(
        recovered, 0,
        "no hidden cell can be recovered by differencing"
    );
}

/// The independent attack on the published `numberOfDeclarations` of every year: every
/// published cell, the relations of the stored hierarchy links plus `extra` (level of the
/// parts, level of the whole, (part, whole) code pairs — e.g. a cluster table's memberships),
/// given to `checker::attack`. Returns (hidden cells, recovered cells).
/// Relations beyond the stored links: (child level, parent level, (child, parent) pairs).
pub(crate) type ExtraLinks<'a> = (&'a str, &'a str, Vec<(String, String)>);

pub(crate) fn declarations_attack(site: &Site, extra: &[ExtraLinks<'_>]) -> (usize, usize) {
    let store = site.open_store();
    let mut hidden = 0;
    let mut recovered = 0;
    for year in ["2019", "2020", "2021", "2022", "2023"] {
        let peil = live(
            site,
            &["--indicator", "numberOfDeclarations", "--period", year],
        );
        // Cells: every published value of every level; relations from the stored links.
        let mut id: HashMap<(String, String), u32> = HashMap::new();
        let mut cells: Vec<Option<f64>> = Vec::new();
        let mut broken: Vec<bool> = Vec::new();
        for ((_, level, item, _), v) in &peil {
            id.insert((level.clone(), item.clone()), cells.len() as u32);
            broken.push(v == "?");
            cells.push(match v.as_str() {
                "x" => None,
                "nvt" | "-" | "?" => Some(0.0),
                v => Some(v.parse().unwrap()),
            });
        }
        // Only relations whose cells are all published numbers or hidden (a source code breaks them).
        let mut rels: Vec<Vec<u32>> = Vec::new();
        for (child, parent, links) in [
            ("statsec2024", "ggw72024"),
            ("statsec2024", "gemeente2024"),
            ("gemeente2024", "arrondiss2024"),
            ("gemeente2024", "gemeente"),
            ("arrondiss2024", "provincie2024"),
            ("provincie2024", "gewest"),
        ]
        .into_iter()
        .map(|(c, p)| (c, p, store.links(c, p).unwrap()))
        .chain(extra.iter().map(|(c, p, l)| (*c, *p, l.clone())))
        {
            let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
            for (c, p) in links {
                if let (Some(&ci), Some(&pi)) = (
                    id.get(&(child.to_string(), c)),
                    id.get(&(parent.to_string(), p)),
                ) {
                    groups.entry(pi).or_default().push(ci);
                }
            }
            for (p, kids) in groups {
                let mut r = vec![p];
                r.extend(kids);
                if r.iter().all(|&x| !broken[x as usize]) {
                    rels.push(r);
                }
            }
        }
        hidden += cells.iter().filter(|c| c.is_none()).count();
        recovered += peil_compute::checker::attack(&cells, &rels).len();
    }
    (hidden, recovered)
}
